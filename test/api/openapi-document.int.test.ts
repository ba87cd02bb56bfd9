import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateEvents } from '../actors/router-events.js';
import { ingest } from '../query/ingest-events.js';
import { makeDynoLines } from '../support/dyno-lines.js';
import { startTestApi } from './api-fixture.js';
import { flushDynoLines } from './dyno-seed.js';

/**
 * The served OpenAPI document against real answers: every documented response of every
 * path is produced by the running API and validated (ajv, JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1) against the schema the document gives for that status.
 */
type Doc = {
  openapi: string;
  components: { schemas: Record<string, unknown> };
  paths: Record<
    string,
    { get: { responses: Record<string, { content: { 'application/json': { schema: { $ref: string } } } }> } }
  >;
};

const T0 = Math.floor(Date.now() / 600_000) * 600_000 - 1_200_000;
const range = `since=${new Date(T0).toISOString()}&until=${new Date(T0 + 600_000).toISOString()}`;

describe('/api/v1/openapi.json', () => {
  let fx: Awaited<ReturnType<typeof startTestApi>>;
  let doc: Doc;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);

  beforeAll(async () => {
    const cleanups: Array<() => Promise<void>> = [];
    const { events } = generateEvents(2_000, T0, 600_000, 3);
    // dyno lines with R14s, a restart and an R10, so /dynos answers every kind of item
    const dynoLines = makeDynoLines('shop.example.com', {
      startMs: T0,
      minutes: 10,
      seed: 4,
      restartAtMs: T0 + 300_000,
      r10AtMs: T0 + 100_000,
    });
    fx = await startTestApi(
      { API_RATE_LIMIT_PER_MINUTE: '10000', PLATFORM_TOPIC: 'openapi-platform' },
      {
        onCleanup: (fn) => cleanups.unshift(fn),
        seed: async (redis, prefix) => {
          await ingest(redis, prefix, events, 2);
          await flushDynoLines(redis, prefix, 'openapi-platform', dynoLines);
        },
      },
    );
    doc = (await (await fx.get('/api/v1/openapi.json', { token: null })).json()) as Doc;
    ajv.addSchema({ $id: 'openapi.json', components: doc.components });
    return async () => {
      for (const fn of cleanups) await fn();
    };
  });

  /** [documented path, status, a request that must produce that status, send credentials] */
  const cases: Array<[string, string, string, boolean]> = [
    ['/api/v1/apps', '200', `/api/v1/apps?${range}`, true],
    ['/api/v1/apps', '400', '/api/v1/apps?since=-2d', true],
    ['/api/v1/apps', '401', '/api/v1/apps', false],
    ['/api/v1/apps/{app}/routes', '200', `/api/v1/apps/shop.example.com/routes?${range}`, true],
    ['/api/v1/apps/{app}/routes', '404', '/api/v1/apps/none.example.com/routes', true],
    ['/api/v1/apps/{app}/series', '200', `/api/v1/apps/shop.example.com/series?${range}&step=1m`, true],
    ['/api/v1/apps/{app}/series', '400', '/api/v1/apps/shop.example.com/series?step=3s', true],
    ['/api/v1/apps/{app}/dynos', '200', `/api/v1/apps/shop.example.com/dynos?${range}&step=1m`, true],
    ['/api/v1/apps/{app}/dynos', '400', '/api/v1/apps/shop.example.com/dynos?since=-40d', true],
    ['/api/v1/apps/{app}/dynos', '404', '/api/v1/apps/none.example.com/dynos', true],
  ];

  it.each(cases)('%s %s matches the document', async (path, status, url, credentials) => {
    expect(doc.openapi).toBe('3.1.0');
    const documented = doc.paths[path]?.get.responses[status];
    expect(documented, `${path} documents ${status}`).toBeDefined();
    const res = await fx.get(url, credentials ? {} : { token: null });
    expect(res.status).toBe(Number(status));
    const ref = documented!.content['application/json'].schema.$ref;
    const validate = ajv.getSchema(`openapi.json${ref}`);
    expect(validate, ref).toBeDefined();
    const body = await res.json();
    const valid = validate!(body);
    expect(validate!.errors ?? [], JSON.stringify(body).slice(0, 300)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('every path and every schema it references exists', () => {
    for (const [path, item] of Object.entries(doc.paths))
      for (const [status, r] of Object.entries(item.get.responses))
        expect(
          ajv.getSchema(`openapi.json${r.content['application/json'].schema.$ref}`),
          `${path} ${status}`,
        ).toBeDefined();
  });
});
