import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../src/errors/error-codes.js';
import { isRoutemeterError, RoutemeterError } from '../../src/errors/routemeter-error.js';
import { deserializeError, serializeError } from '../../src/errors/serialize-error.js';

const codes = Object.keys(ERROR_CODES) as ErrorCode[];

describe('RoutemeterError', () => {
  it.each(codes)('%s has a stable code, name, message and canRetry', (code) => {
    const err = new RoutemeterError(code, `boom ${code}`);
    expect(err.code).toBe(code);
    expect(err.name).toBe('RoutemeterError');
    expect(err.message).toBe(`boom ${code}`);
    expect(err.canRetry).toBe(ERROR_CODES[code].canRetry);
    expect(isRoutemeterError(err, code)).toBe(true);
    expect(code).toMatch(/^RM_ERR_[A-Z_]+$/);
  });

  it.each(codes)('%s survives the thread boundary as plain data', (code) => {
    const data = structuredClone(serializeError(new RoutemeterError(code, 'x')));
    const back = deserializeError(data);
    expect(isRoutemeterError(back, code)).toBe(true);
    expect((back as RoutemeterError).canRetry).toBe(ERROR_CODES[code].canRetry);
  });

  it('does not mistake foreign errors for routemeter errors', () => {
    expect(isRoutemeterError(new Error('x'))).toBe(false);
    expect(isRoutemeterError({ code: 'ECONNREFUSED' })).toBe(false);
    const foreign = deserializeError(
      serializeError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })),
    );
    expect((foreign as Error & { code: string }).code).toBe('ECONNREFUSED');
  });
});

describe('ERROR_CODES', () => {
  it('every declared code is used somewhere in src/ (a code nothing raises is noise in the table)', () => {
    const src = fileURLToPath(new URL('../../src/', import.meta.url));
    const text = readdirSync(src, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts') && e.name !== 'error-codes.ts')
      .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
      .join('\n');
    expect(codes.filter((code) => !text.includes(`'${code}'`))).toEqual([]);
  });
});
