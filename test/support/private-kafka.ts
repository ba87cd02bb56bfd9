import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

/**
 * A single-node KRaft broker of the test's own, on free ports, for fault tests that stop,
 * restart or kill a broker (never the shared one: five other engineers and the rest of the
 * suite use it). Configured by `scripts/stack.sh properties`, as the shared broker is (replication
 * factor 1 everywhere, 2-core thread counts), with its data in a temporary folder.
 *
 *   const kafka = await startPrivateKafka();   // format + start, resolves once it answers metadata
 *   await kafka.stop();                        // SIGTERM, waits for the exit (SIGKILL after 30 s)
 *   await kafka.start();                       // again, same ports and data
 *   await kafka.close();                       // stop and delete the data (register with onTestFinished)
 *
 * The jars: PRIVATE_KAFKA_LIBS, or `scripts/stack.sh libs` (resolves them into this clone's
 * .stack/ on a clean clone, as CI has; cached after the first time).
 */
export interface PrivateKafka {
  /** `kafka://127.0.0.1:<port>`, for KAFKA_URL */
  url: string;
  broker: string;
  port: number;
  running(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** SIGKILL, no orderly shutdown */
  kill(): Promise<void>;
  close(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const READY_TIMEOUT_MS = 120_000;

export function kafkaLibs(): string {
  const given = process.env.PRIVATE_KAFKA_LIBS;
  if (given) return given;
  const out = execFileSync('bash', [join(ROOT, 'scripts/stack.sh'), 'libs'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 900_000,
  });
  return out.trim().split('\n').pop() as string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** The shared broker's configuration (scripts/stack.sh), with this broker's ports and folder. */
function serverProperties(dir: string, port: number, controllerPort: number): string {
  return execFileSync(
    'bash',
    [join(ROOT, 'scripts/stack.sh'), 'properties', String(port), String(controllerPort), join(dir, 'data')],
    { encoding: 'utf8' },
  );
}

const LOG4J = (file: string) => `status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = ${file}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.file.ref = file
`;

async function waitReady(broker: string, proc: ChildProcess): Promise<void> {
  const until = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`private broker exited with ${proc.exitCode} during start`);
    const admin = new Kafka({
      brokers: [broker],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      await admin.listTopics();
      await admin.disconnect();
      return;
    } catch {
      await admin.disconnect().catch(() => {});
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(`private broker ${broker} not ready in ${READY_TIMEOUT_MS} ms`);
}

export async function startPrivateKafka(opts: { heap?: string } = {}): Promise<PrivateKafka> {
  const libs = kafkaLibs();
  const dir = mkdtempSync(join(tmpdir(), 'rm-private-kafka-'));
  const port = await freePort();
  let controllerPort = await freePort();
  while (controllerPort === port) controllerPort = await freePort();
  const props = join(dir, 'server.properties');
  const log4j = join(dir, 'log4j2.properties');
  writeFileSync(props, serverProperties(dir, port, controllerPort));
  writeFileSync(log4j, LOG4J(join(dir, 'kafka.log')));
  const cp = `${libs}/*`;
  const clusterId = randomBytes(16).toString('base64url').replace(/^-/, 'A');
  execFileSync(
    'java',
    [
      '-Xmx256m',
      `-Dlog4j2.configurationFile=${log4j}`,
      '-cp',
      cp,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      props,
    ],
    { stdio: 'ignore', timeout: 120_000 },
  );
  const broker = `127.0.0.1:${port}`;
  let proc: ChildProcess | null = null;

  const start = async () => {
    if (proc && proc.exitCode === null) return;
    const heap = (opts.heap ?? '-Xmx384m -Xms128m').split(' ');
    proc = spawn(
      'java',
      [
        ...heap,
        '-XX:+UseG1GC',
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        `-Dkafka.logs.dir=${dir}`,
        `-Dlog4j2.configurationFile=${log4j}`,
        '-cp',
        cp,
        'kafka.Kafka',
        props,
      ],
      { stdio: 'ignore' },
    );
    await waitReady(broker, proc);
  };
  const exited = (p: ChildProcess) =>
    p.exitCode !== null || p.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((r) => p.once('exit', () => r()));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    p.kill(signal);
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    await exited(p);
    clearTimeout(timer);
  };

  await start();
  return {
    url: `kafka://${broker}`,
    broker,
    port,
    running: () => proc !== null && proc.exitCode === null && proc.signalCode === null,
    start,
    stop: () => stop('SIGTERM'),
    kill: () => stop('SIGKILL'),
    async close() {
      await stop('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
