import { ERROR_CODES, type ErrorCode } from './error-codes.js';
import { RoutemeterError } from './routemeter-error.js';

/**
 * Errors cross the main/worker boundary as plain data: on Node 20 `postMessage`
 * turns a custom error into a plain `Error`, losing `code` and `instanceof`.
 */
export interface SerializedError {
  code: string;
  message: string;
  stack?: string;
  canRetry: boolean;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const raw = (err as { code?: unknown }).code;
    const code = typeof raw === 'string' ? raw : 'UNKNOWN';
    const canRetry = (err as { canRetry?: unknown }).canRetry === true;
    return { code, message: err.message, stack: err.stack, canRetry };
  }
  return { code: 'UNKNOWN', message: String(err), canRetry: false };
}

export function deserializeError(data: SerializedError): Error {
  if (data.code in ERROR_CODES) {
    const err = new RoutemeterError(data.code as ErrorCode, data.message);
    if (data.stack) err.stack = data.stack;
    return err;
  }
  const err = new Error(data.message) as Error & { code: string; canRetry: boolean };
  err.code = data.code;
  err.canRetry = data.canRetry;
  if (data.stack) err.stack = data.stack;
  return err;
}
