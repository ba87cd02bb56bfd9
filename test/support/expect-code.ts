import { expect } from 'vitest';
import { isRoutemeterError } from '../../src/errors/routemeter-error.js';

/** Asserts that `promise` rejects with a RoutemeterError of `code` (errors are matched by code, never by message). */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isRoutemeterError(err) && err.code, String(err)).toBe(code);
}
