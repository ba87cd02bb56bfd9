import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../scripts/redis-cluster.sh', import.meta.url));

/**
 * A private local Redis Cluster (3 primaries + 3 replicas, scripts/redis-cluster.sh) for a
 * test that breaks it: its own folder and free ports, so the shared cluster and the other
 * engineers' servers are never touched. `stop` removes it (register it in afterAll).
 */
export interface PrivateCluster {
  url: string;
  dir: string;
  ports: number[];
  stop(): Promise<void>;
}

export async function startPrivateCluster(basePort: number): Promise<PrivateCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'rm-redis-cluster-'));
  const env = {
    ...process.env,
    REDIS_CLUSTER_BASE_PORT: String(basePort),
    REDIS_CLUSTER_NODE_TIMEOUT: '2000',
  };
  await run('bash', [SCRIPT, 'up', dir], { env, timeout: 120_000 });
  const url = readFileSync(join(dir, 'url'), 'utf8').trim();
  const ports = readFileSync(join(dir, 'ports'), 'utf8').trim().split('\n').map(Number);
  return {
    url,
    dir,
    ports,
    async stop() {
      await run('bash', [SCRIPT, 'down', dir], { timeout: 60_000 }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The pid of one node of a private cluster (from its pid file). */
export function nodePid(cluster: PrivateCluster, port: number): number {
  return Number(readFileSync(join(cluster.dir, `node-${port}`, 'redis.pid'), 'utf8').trim());
}
