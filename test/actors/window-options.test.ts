import { describe, expect, it } from 'vitest';
import { checkWindowOptions, requireInt } from '../../src/actors/window-options.js';

describe('window options', () => {
  it('names the variable and the rule', () => {
    expect(() => requireInt('X_Y (xy)', 1.5, 1)).toThrow('X_Y (xy) must be an integer >= 1, got 1.5');
    expect(() =>
      checkWindowOptions({ windowSeconds: 0, rollupSeconds: 60, allowedLatenessSeconds: 0 }),
    ).toThrow(/WINDOW_SECONDS/);
    expect(() =>
      checkWindowOptions({ windowSeconds: 10, rollupSeconds: 60, allowedLatenessSeconds: -1 }),
    ).toThrow(/ALLOWED_LATENESS_SECONDS/);
    expect(() =>
      checkWindowOptions({ windowSeconds: 10, rollupSeconds: 15, allowedLatenessSeconds: 0 }),
    ).toThrow(expect.objectContaining({ code: 'RM_ERR_CONFIG', message: expect.stringMatching(/multiple/) }));
    expect(() =>
      checkWindowOptions({ windowSeconds: 10, rollupSeconds: 60, allowedLatenessSeconds: 0 }),
    ).not.toThrow();
  });
});
