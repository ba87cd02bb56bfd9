import { ERROR_CODES, type ErrorCode } from './error-codes.js';

/** The one error class of routemeter: a stable `code`, an optional `cause`, and `canRetry`. */
export class RoutemeterError extends Error {
  readonly code: ErrorCode;
  readonly canRetry: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RoutemeterError';
    this.code = code;
    this.canRetry = ERROR_CODES[code].canRetry;
    this.details = options.details;
  }
}

export function isRoutemeterError(err: unknown, code?: ErrorCode): err is RoutemeterError {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'string' &&
    (err as { code: string }).code in ERROR_CODES &&
    (code === undefined || (err as { code: string }).code === code)
  );
}
