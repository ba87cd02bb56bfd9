import http from 'node:http';
import https from 'node:https';
import { RoutemeterError } from '../errors/routemeter-error.js';
import type { LogplexBatch } from './logplex-batch.js';

/**
 * POSTs logplex batches over keep-alive connections, as logplex does: the drain URL's
 * userinfo becomes `Authorization: Basic`, and an answer slower than `timeoutMs`
 * (logplex: 5 s) counts as a failure.
 */
export interface DrainClient {
  post(batch: LogplexBatch): Promise<number>;
  close(): void;
}

export interface DrainClientOptions {
  /** `http(s)://user:pass@host:port/logs` */
  url: string;
  /** max concurrent connections */
  connections: number;
  timeoutMs?: number;
}

export function createDrainClient(opts: DrainClientOptions): DrainClient {
  const url = new URL(opts.url);
  const secure = url.protocol === 'https:';
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets: opts.connections })
    : new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  const request = secure ? https.request : http.request;
  const authorization =
    url.username !== ''
      ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
      : undefined;
  const timeoutMs = opts.timeoutMs ?? 5000;

  return {
    post(batch) {
      return new Promise<number>((resolve, reject) => {
        const headers: Record<string, string> = { ...batch.headers };
        if (authorization) headers.authorization = authorization;
        const req = request(
          {
            agent,
            method: 'POST',
            hostname: url.hostname,
            port: url.port,
            path: `${url.pathname}${url.search}`,
            headers,
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
            res.on('error', reject);
          },
        );
        req.setTimeout(timeoutMs, () =>
          req.destroy(new RoutemeterError('RM_ERR_TIMEOUT', `no answer within ${timeoutMs} ms`)),
        );
        req.on('error', reject);
        req.end(batch.body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
