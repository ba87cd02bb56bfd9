import type { StatusClasses } from './route-stats.js';

/**
 * The one definition of the error rate, shared by the API, the dashboard and `top`:
 *
 *   error rate = requests answered with a 5xx status / all requests
 *
 * Router errors count through their status: the router answers H10–H26, H80 and
 * H99 with a 503 (`at=error code=H12 … status=503`), so they are server errors.
 * H27 (client interrupted, 499) and other 4xx are the client's doing and do not
 * count; nor do lines without a status ("other"), though they are in the
 * denominator. H-codes are reported next to the rate, per code.
 */
export const ERROR_RATE_DEFINITION =
  'share of requests answered 5xx (router errors H10–H26, H80, H99 are 503s and count; 4xx incl. H27/499 do not)';

export function errorRate(classes: Pick<StatusClasses, '5xx'>, count: number): number {
  return count > 0 ? classes['5xx'] / count : 0;
}
