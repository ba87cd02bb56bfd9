import { ERROR_RATE_DEFINITION } from '../query/error-rate.js';
import { SERIES_GROUPS } from '../query/query-series.js';
import { MAX_APPS_RANGE_SECONDS, MAX_POINTS, MAX_RANGE_SECONDS } from './query-plan.js';

/**
 * The OpenAPI 3.1 document served at /api/v1/openapi.json. Its schemas are JSON
 * Schema 2020-12; test/api/openapi-document.int.test.ts validates real responses
 * against them (ajv), so the document cannot drift from what the API answers.
 */
/** A closed object: every property required, no others (what the API answers). */
function strict<P extends Record<string, unknown>>(properties: P) {
  return {
    type: 'object',
    additionalProperties: false,
    required: Object.keys(properties),
    properties,
  } as const;
}

const nullableNumber = { type: ['number', 'null'] } as const;
const time = { type: 'string', format: 'date-time' } as const;

const instant = (name: string, description: string) => ({
  name,
  in: 'query',
  required: false,
  description: `${description}. ISO-8601 (2026-12-01T04:00:00Z) or relative to now (-1h, -30m, -7d, now).`,
  schema: { type: 'string' },
});

const stepParam = {
  name: 'step',
  in: 'query',
  required: false,
  description:
    'a multiple of WINDOW_SECONDS: 10s, 1m, 1h…; default from the range (≤15m: 10s, ≤1h: 1m, ≤6h: 5m, ≤24h: 10m, ≤7d: 1h)',
  schema: { type: 'string' },
};

const appParam = {
  name: 'app',
  in: 'path',
  required: true,
  description: "the app's host, as in the router's host= field",
  schema: { type: 'string' },
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const common = {
  '400': errorResponse('a parameter is malformed or out of bounds; error.parameter names it'),
  '401': errorResponse('missing or wrong credentials'),
  '429': errorResponse('rate limit per client exceeded (API_RATE_LIMIT_PER_MINUTE)'),
  '503': errorResponse('Redis unavailable; retry'),
};

const ok = (ref: string, description: string) => ({
  description: `${description}. ETag + Cache-Control; If-None-Match answers 304.`,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } },
});

const statusClasses = {
  type: 'object',
  required: ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'],
  properties: Object.fromEntries(
    ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'].map((c) => [c, { type: 'integer' }]),
  ),
  additionalProperties: false,
};

const codeCounts = {
  type: 'array',
  items: {
    type: 'object',
    required: ['code', 'count'],
    properties: { code: { type: 'string' }, count: { type: 'integer' } },
    additionalProperties: false,
  },
};

export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'routemeter query API',
      version: '1',
      description:
        `Route-level latency, throughput and errors of Heroku apps, from their router logs. Error rate: ${ERROR_RATE_DEFINITION}. ` +
        `Ranges span at most ${MAX_RANGE_SECONDS / 86_400} days (/apps: ${MAX_APPS_RANGE_SECONDS / 3600} h); a series has at most ${MAX_POINTS} steps.`,
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API_TOKENS' },
        basic: { type: 'http', scheme: 'basic', description: 'API_USERS' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                parameter: { type: 'string' },
              },
            },
          },
        },
        Apps: strict({
          start_time: time,
          end_time: time,
          apps: {
            type: 'array',
            items: strict({
              app: { type: 'string' },
              last_seen: { ...time, description: 'start of the latest stored window' },
              requests: { type: 'integer', description: 'requests in the range' },
              rpm: { type: 'number', description: 'requests per minute over the time the data covers' },
              error_rate: { type: 'number', minimum: 0, maximum: 1 },
            }),
          },
        }),
        Route: strict({
          route: { type: 'string', examples: ['GET /users/:id'] },
          method: { type: 'string' },
          path: { type: 'string', description: 'route template' },
          requests: { type: 'integer' },
          rpm: { type: 'number', description: 'requests per minute over the time the data covers' },
          avg_ms: { ...nullableNumber, description: 'exact mean service time, ms' },
          p50_ms: { ...nullableNumber, description: 'HDR quantile of service time (≤ 1% high), ms' },
          p95_ms: nullableNumber,
          p99_ms: nullableNumber,
          max_ms: { ...nullableNumber, description: 'exact maximum service time, ms' },
          status: statusClasses,
          error_rate: { type: 'number', minimum: 0, maximum: 1, description: ERROR_RATE_DEFINITION },
          codes: { ...codeCounts, description: 'router/platform codes (H12, …), most frequent first' },
          error_statuses: { ...codeCounts, description: 'statuses >= 400, most frequent first' },
        }),
        Routes: strict({
          app: { type: 'string' },
          start_time: time,
          end_time: time,
          resolution_seconds: { type: 'integer', description: 'stored window length read' },
          covered_seconds: { type: 'number', description: 'time the data covers; rpm is over this' },
          error_rate_definition: { type: 'string' },
          routes: { type: 'array', items: { $ref: '#/components/schemas/Route' } },
        }),
        Series: strict({
          app: { type: 'string' },
          start_time: time,
          end_time: time,
          step: { type: 'string', examples: ['1m'] },
          step_seconds: { type: 'integer' },
          resolution_seconds: { type: 'integer' },
          route: { type: ['string', 'null'] },
          data: {
            type: 'object',
            description:
              'one array per series, one value per step, null = no data: rpm.1xx…rpm.5xx (requests/min), p50_ms, p95_ms, p99_ms, max_ms, error_rate, codes.<H-code> (count per step)',
            additionalProperties: { type: 'array', items: nullableNumber },
          },
        }),
        Dynos: strict({
          app: { type: 'string' },
          start_time: time,
          end_time: time,
          step: { type: 'string', examples: ['1m'] },
          step_seconds: { type: 'integer' },
          resolution_seconds: { type: 'integer' },
          data: {
            type: 'object',
            description:
              'one array per series and process type, one value per step (the same steps as /series), null = no data: ' +
              'memory_total_mean_mb.<type>, memory_total_max_mb.<type>, memory_rss_max_mb.<type>, memory_swap_max_mb.<type>, ' +
              'memory_quota_mb.<type> (MB = 2^20 bytes, from log-runtime-metrics), load_1m_mean.<type>, load_1m_max.<type>, dynos.<type> (dynos that sampled)',
            additionalProperties: { type: 'array', items: nullableNumber },
          },
          process_types: { type: 'array', items: { type: 'string', examples: ['web', 'worker'] } },
          events: {
            type: 'array',
            description: 'platform events in the range, at the stored window they fell in, oldest first',
            items: strict({
              time: { ...time, description: 'start of the stored window' },
              time_ms: { type: 'integer' },
              dyno: { type: 'string', examples: ['web.1'] },
              process_type: { type: 'string' },
              code: {
                type: 'string',
                description: 'Heroku error code (R10, R14, R15, L10, …), restart or crash',
                examples: ['R14'],
              },
              count: { type: 'integer', minimum: 1 },
            }),
          },
          dynos: {
            type: 'array',
            description: "each dyno's latest memory sample (current state, whatever the range)",
            items: strict({
              dyno: { type: 'string' },
              process_type: { type: 'string' },
              last_sample_at: time,
              memory_total_mb: { type: 'number' },
              memory_rss_mb: { type: 'number' },
              memory_swap_mb: { type: 'number' },
              memory_quota_mb: { type: 'number' },
              load_1m: nullableNumber,
            }),
          },
        }),
      },
    },
    security: [{ bearer: [] }, { basic: [] }],
    paths: {
      '/api/v1/apps': {
        get: {
          summary:
            'apps with data (router or dyno): latest window, requests, rpm and error rate over a range',
          parameters: [
            instant('since', 'range start, default -15m'),
            instant('until', 'range end, default now'),
          ],
          responses: { '200': ok('Apps', 'apps, most recently seen first'), ...common },
        },
      },
      '/api/v1/apps/{app}/routes': {
        get: {
          summary: 'per-route table over a range (default the last hour)',
          parameters: [
            appParam,
            instant('since', 'range start, default -1h'),
            instant('until', 'range end, default now'),
          ],
          responses: {
            '200': ok('Routes', 'routes, busiest first'),
            '404': errorResponse('no data for the app, or not visible to this token'),
            ...common,
          },
        },
      },
      '/api/v1/apps/{app}/series': {
        get: {
          summary: 'time series of the app or one route, folded to a step by merging histograms',
          parameters: [
            appParam,
            instant('since', 'range start, default -1h'),
            instant('until', 'range end, default now'),
            stepParam,
            {
              name: 'route',
              in: 'query',
              required: false,
              description: 'one route, e.g. GET /users/:id; the whole app when absent',
              schema: { type: 'string' },
            },
            {
              name: 'metrics',
              in: 'query',
              required: false,
              description: `comma-separated groups: ${SERIES_GROUPS.join(',')} (default all)`,
              schema: { type: 'string' },
            },
          ],
          responses: {
            '200': ok('Series', 'Heroku Metrics shape'),
            '404': errorResponse('no data for the app, or not visible to this token'),
            ...common,
          },
        },
      },
      '/api/v1/apps/{app}/dynos': {
        get: {
          summary:
            'dyno memory and load per process type at the steps of /series, platform events (R14, restarts…) and the dynos now',
          parameters: [
            appParam,
            instant('since', 'range start, default -1h'),
            instant('until', 'range end, default now'),
            stepParam,
          ],
          responses: {
            '200': ok('Dynos', 'empty data, events and dynos when the app sends no log-runtime-metrics'),
            '404': errorResponse('no data for the app, or not visible to this token'),
            ...common,
          },
        },
      },
    },
  };
}
