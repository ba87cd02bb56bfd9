import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { exited } from '../support/child-process.js';
import { useTopic, waitFor } from '../support/kafka.js';
import { cliCommands, MAIN, subcommandOf } from './cli-commands.js';
import { type Container, KUBERNETES_DIR, renderKustomization } from './kustomize-render.js';

/**
 * The manifests' probes against the real processes: each Deployment's subcommand is started
 * as the pod would start it (the port variable the manifest sets, pointed at a free port;
 * the local Kafka and Redis instead of the Secret), then its liveness and readiness paths are
 * requested until ready, and SIGTERM must end it within the pod's grace period.
 */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function status(port: number, path: string): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return 0; // not listening yet
  }
}

type Pod = {
  terminationGracePeriodSeconds: number;
  containers: Array<
    Container & {
      livenessProbe: { httpGet: { path: string } };
      readinessProbe: { httpGet: { path: string } };
    }
  >;
};

const objects = renderKustomization(join(KUBERNETES_DIR, 'base'));
const pods = objects
  .filter((o) => o.kind === 'Deployment')
  .map((d) => (d as unknown as { spec: { template: { spec: Pod } } }).spec.template.spec);

describe('deploy/kubernetes probes against the real processes', () => {
  const commands = cliCommands();
  it.each(pods.map((pod) => [subcommandOf(pod.containers[0]!.command!.slice(2).join(' '))!, pod] as const))(
    '%s: liveness and readiness answer on the manifest’s port; SIGTERM ends it within the grace period',
    async (sub, pod) => {
      if (!commands.includes(sub)) {
        // `routemeter serve` arrives with branch read-side; until then there is nothing to start
        expect(sub).toBe('serve');
        return;
      }
      const c = pod.containers[0]!;
      const portEnv = c.env!.find((e) => e.value !== undefined && /PORT$/.test(e.name))!;
      const port = await freePort();
      const topic = await useTopic(`k8s-probe-${sub}`, 1);
      const child = spawn(process.execPath, [MAIN, sub], {
        env: {
          PATH: process.env.PATH,
          KAFKA_URL: process.env.KAFKA_URL,
          REDIS_URL: process.env.REDIS_URL,
          ROUTER_TOPIC: topic,
          PLATFORM_TOPIC: '',
          CONSUMER_GROUP: `${topic}-group`,
          REDIS_PREFIX: `${topic}:`,
          DRAIN_USERS: 'probe:secret',
          API_ALLOW_OPEN: 'true',
          LOG_LEVEL: 'warn',
          [portEnv.name]: String(port),
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      onTestFinished(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      await waitFor(async () => (await status(port, c.livenessProbe.httpGet.path)) === 200, {
        timeoutMs: 60_000,
        intervalMs: 200,
        message: `${sub}: ${c.livenessProbe.httpGet.path} answers 200 on ${portEnv.name}`,
      });
      await waitFor(async () => (await status(port, c.readinessProbe.httpGet.path)) === 200, {
        timeoutMs: 60_000,
        intervalMs: 200,
        message: `${sub}: ${c.readinessProbe.httpGet.path} answers 200 once it serves`,
      });
      const t0 = Date.now();
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
      expect(Date.now() - t0).toBeLessThan(pod.terminationGracePeriodSeconds * 1000);
    },
  );
});
