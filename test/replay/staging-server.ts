import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real staging app for the replay's integration tests: HTTP or HTTPS on
 * 127.0.0.1:0, answering each request with the status and after the delay that
 * `behave(path)` decides, and recording what arrived (method, path with query,
 * headers, arrival time on the monotonic clock) and the most requests it ever had
 * in flight at once.
 */
export interface Arrival {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  atMs: number;
}

export interface Behaviour {
  status: number;
  delayMs: number;
  headers?: Record<string, string>;
}

export interface StagingServer {
  url: string;
  arrivals: Arrival[];
  maxInFlight: number;
  close(): Promise<void>;
}

export interface TestCert {
  cert: string;
  key: string;
}

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made now with openssl
 * (installed by scripts/install-test-tools.sh).
 */
export function makeSelfSignedCert(): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'rm-replay-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=routemeter-staging-test',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'pipe' },
    );
    return {
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startStagingServer(
  behave: (path: string, method: string) => Behaviour,
  tls?: TestCert,
): Promise<StagingServer> {
  const state: StagingServer = { url: '', arrivals: [], maxInFlight: 0, close: async () => undefined };
  let inFlight = 0;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    state.arrivals.push({
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      atMs: performance.now(),
    });
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    const b = behave(req.url ?? '/', req.method ?? 'GET');
    req.resume();
    setTimeout(() => {
      inFlight--;
      res.writeHead(b.status, { 'content-type': 'text/plain', ...b.headers });
      res.end(req.method === 'HEAD' ? undefined : `status ${b.status}\n`);
    }, b.delayMs);
  };
  const server = tls
    ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler)
    : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
