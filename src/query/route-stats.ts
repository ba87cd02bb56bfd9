/**
 * One route's numbers over a queried time range, merged at read time across
 * partitions, flushes and windows. Times are milliseconds; a latency is null when
 * no request of the route had a service time (e.g. only H10s).
 */
export interface RouteStats {
  app: string;
  /** "GET /users/:id" */
  route: string;
  method: string;
  /** the route template, e.g. "/users/:id" */
  path: string;
  count: number;
  /** requests per minute over the time the app's data covers (RouteWindows.coveredMs) */
  rpm: number;
  /** exact: sum of service times / number of requests with one */
  avgMs: number | null;
  /** HDR quantiles (≤ 1% above the exact value), never above maxMs */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** exact maximum service time */
  maxMs: number | null;
  /** exact average connect time */
  connectAvgMs: number | null;
  connectP95Ms: number | null;
  bytes: number;
  statusClasses: StatusClasses;
  /** share of requests answered 5xx: see ERROR_RATE_DEFINITION (error-rate.ts) */
  errorRate: number;
  /** error statuses (>= 400), most frequent first */
  errorStatuses: CodeCount[];
  /** router and platform codes (H12, H13, …), most frequent first */
  routerCodes: CodeCount[];
}

export interface StatusClasses {
  '1xx': number;
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
  /** missing or out-of-range status */
  other: number;
}

export interface CodeCount {
  code: string;
  count: number;
}
