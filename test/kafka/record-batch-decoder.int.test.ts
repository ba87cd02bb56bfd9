import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigResourceTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createLineGenerator } from '../../src/gen/line-generator.js';
import { type AbortedTransaction, RecordBatchDecoder } from '../../src/kafka/record-batch-decoder.js';
import { createByteRange, findRecordHeader } from '../../src/kafka/record-header.js';
import { kafkaBrokers, useTopic, withAdmin } from '../support/kafka.js';
import { kafkaLibs } from '../support/private-kafka.js';

/**
 * Batches written by Kafka's Java producer (kafka-clients from the stack's jars, driven by
 * test/kafka/java/RecordsProducer.java) with every codec, and a Java transaction aborted
 * between two committed ones (the broker writes the ABORT/COMMIT control batches), read
 * back as raw bytes from the broker's log segment (`<log.dirs>/<topic>-0/*.log` holds the
 * batches exactly as a Fetch serves them) and decoded. The aborted transactions come from
 * the segment's transaction index (`*.txnindex`, what the broker answers a READ_COMMITTED
 * Fetch from): entries of
 *
 *   version int16 | producerId int64 | firstOffset int64 | lastOffset int64 | lastStableOffset int64
 */
const JAVA_PRODUCER = fileURLToPath(new URL('./java/RecordsProducer.java', import.meta.url));
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const CODEC_IDS: Record<string, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

interface Produced {
  key: string;
  value: string;
  app: string;
  codec: number;
  aborted: boolean;
}

function runJavaProducer(topic: string, input: string): Promise<string> {
  const libs = kafkaLibs();
  return new Promise((resolve, reject) => {
    const child = spawn('java', ['-Xmx256m', '-cp', `${libs}/*`, JAVA_PRODUCER, kafkaBrokers()[0]!, topic], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`java producer exited ${code}: ${err.slice(-3000)}`)),
    );
    child.stdin.end(input);
  });
}

async function logDir(): Promise<string> {
  return withAdmin(async (admin) => {
    const cluster = await admin.describeCluster();
    const res = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.BROKER, name: String(cluster.brokers[0]!.nodeId) }],
    });
    const entries = res.resources[0]!.configEntries;
    const dirs =
      entries.find((e) => e.configName === 'log.dirs')?.configValue ??
      entries.find((e) => e.configName === 'log.dir')?.configValue;
    if (!dirs) throw new Error('the broker reports no log.dirs');
    return dirs.split(',')[0]!;
  });
}

function readTxnIndex(dir: string): AbortedTransaction[] {
  const out: AbortedTransaction[] = [];
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith('.txnindex'))
    .sort()) {
    const b = readFileSync(join(dir, name));
    for (let p = 0; p + 34 <= b.length; p += 34) {
      out.push({
        producerId: Number(b.readBigInt64BE(p + 2)),
        firstOffset: Number(b.readBigInt64BE(p + 10)),
      });
    }
  }
  return out;
}

describe('RecordBatchDecoder on batches written by the Java producer, read from the broker log', () => {
  it('decodes every codec and skips the aborted transaction and the markers', async () => {
    const topic = await useTopic('decoder-java');
    const gen = createLineGenerator({ seed: 11, appOutputRate: 0 });
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const produced: Produced[] = [];
    const input: string[] = [];
    const send = (codec: string, aborted: boolean) => {
      for (let i = 0; i < 120; i++) {
        const g = gen();
        // Values of every size, from empty to several KB, so that batches hold 1 to many records.
        const value = i % 17 === 0 ? '' : i % 29 === 0 ? g.line.repeat(20) : g.line;
        const r = {
          key: g.app,
          value,
          app: randomBytes(6).toString('hex'),
          codec: CODEC_IDS[codec]!,
          aborted,
        };
        produced.push(r);
        input.push(`${b64(r.key)} ${b64(r.value)} ${b64(r.app)}`);
      }
    };
    for (const codec of CODECS) {
      input.push(`#producer ${codec}`);
      send(codec, false);
    }
    const txId = `rm-test-${randomBytes(4).toString('hex')}`;
    input.push(`#producer lz4 ${txId}`, '#begin');
    send('lz4', false);
    input.push('#commit', '#begin');
    send('lz4', true);
    input.push('#abort', '#begin');
    send('lz4', false);
    input.push('#commit');
    expect(await runJavaProducer(topic, `${input.join('\n')}\n`)).toContain('ok');

    const dir = join(await logDir(), `${topic}-0`);
    const segments = readdirSync(dir)
      .filter((n) => n.endsWith('.log'))
      .sort();
    const bytes = Buffer.concat(segments.map((n) => readFileSync(join(dir, n))));
    const aborted = readTxnIndex(dir);
    expect(aborted).toHaveLength(1);

    const seen: Produced[] = [];
    const app = createByteRange();
    let lastOffset = -1;
    const decoder = new RecordBatchDecoder({
      onRecord(buf, vs, ve, offset, timestampMs, view) {
        expect(offset).toBeGreaterThan(lastOffset);
        lastOffset = offset;
        expect(Math.abs(timestampMs - Date.now())).toBeLessThan(3_600_000);
        expect(findRecordHeader(buf, view.headersStart, view.headersEnd, Buffer.from('app'), app)).toBe(true);
        seen.push({
          key: buf.toString('utf8', view.keyStart, view.keyEnd),
          value: buf.toString('utf8', vs, ve),
          app: buf.toString('utf8', app.start, app.end),
          codec: view.codec,
          aborted: false,
        });
      },
    });
    const res = await decoder.decode({
      buf: bytes,
      start: 0,
      end: bytes.length,
      fetchOffset: 0,
      abortedTransactions: aborted,
    });
    expect(res.stopReason).toBe('end');
    expect(res.crcErrors).toBe(0);
    expect(res.error).toBeNull();
    expect(res.skippedAborted).toBe(120);
    expect(res.skippedControl).toBe(3); // commit, abort, commit markers
    expect(seen).toEqual(produced.filter((p) => !p.aborted));
    // Several batches per codec: the Java producer's own batching, not one batch per run.
    expect(res.batches).toBeGreaterThan(CODECS.length + 6);

    // READ_UNCOMMITTED (no aborted list): the aborted records too, the markers still not.
    seen.length = 0;
    lastOffset = -1;
    const all = await decoder.decode({ buf: bytes, start: 0, end: bytes.length, fetchOffset: 0 });
    expect(all.records).toBe(produced.length);
    expect(seen.map((s) => s.value)).toEqual(produced.map((p) => p.value));
  });
});
