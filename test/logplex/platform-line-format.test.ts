import { describe, expect, it } from 'vitest';
import {
  formatDynoError,
  formatLoadSample,
  formatMemorySample,
  formatStateChange,
} from '../../src/logplex/platform-line-format.js';

const memory = {
  source: 'web.1',
  dynoId: 'heroku.2808254.d97d0ea7-cf3d-411b-b453-d2943a50b456',
  totalMb: 180.43,
  rssMb: 170.11,
  cacheMb: 10.32,
  swapMb: 0,
  pgpgin: 46345,
  pgpgout: 2148,
  quotaMb: 512,
};

describe('platform line formats', () => {
  it('writes the exact log-runtime-metrics lines', () => {
    expect(formatMemorySample(memory)).toBe(
      'source=web.1 dyno=heroku.2808254.d97d0ea7-cf3d-411b-b453-d2943a50b456 sample#memory_total=180.43MB ' +
        'sample#memory_rss=170.11MB sample#memory_cache=10.32MB sample#memory_swap=0.00MB ' +
        'sample#memory_pgpgin=46345pages sample#memory_pgpgout=2148pages sample#memory_quota=512.00MB',
    );
    expect(
      formatLoadSample({ source: 'web.1', dynoId: memory.dynoId, load1m: 2.46, load5m: 1.06, load15m: 0.99 }),
    ).toBe(
      'source=web.1 dyno=heroku.2808254.d97d0ea7-cf3d-411b-b453-d2943a50b456 sample#load_avg_1m=2.46 sample#load_avg_5m=1.06 sample#load_avg_15m=0.99',
    );
  });

  it('writes errors and state changes', () => {
    expect(formatDynoError('R14')).toBe('Error R14 (Memory quota exceeded)');
    expect(formatDynoError('R10', 'Web process failed to bind to $PORT within 60 seconds of launch')).toBe(
      'Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 60 seconds of launch',
    );
    expect(formatStateChange('up', 'starting')).toBe('State changed from up to starting');
  });

  it('refuses values the format cannot carry, with RM_ERR_FORMAT', () => {
    expect(() => formatMemorySample({ ...memory, totalMb: Number.NaN })).toThrow(
      expect.objectContaining({ code: 'RM_ERR_FORMAT' }),
    );
    expect(() => formatMemorySample({ ...memory, pgpgin: 1.5 })).toThrow(/page count/);
    expect(() => formatMemorySample({ ...memory, source: 'web 1' })).toThrow(/source/);
    expect(() => formatStateChange('Up', 'starting')).toThrow(/lowercase/);
    expect(() => formatDynoError('H12' as 'R14')).toThrow(/unknown/);
  });
});
