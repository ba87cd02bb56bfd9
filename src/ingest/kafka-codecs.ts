import { createRequire } from 'node:module';
import kafkajs, { CompressionTypes } from 'kafkajs';
import { RoutemeterError } from '../errors/routemeter-error.js';

/**
 * kafkajs 2.2.4 ships gzip only; the other codecs of `PRODUCER_COMPRESSION` are
 * plugged in here, each from a package that installs on Node 20 without a native
 * build (bench/drain-codecs.ts measures which one pays off, see docs/drain.md):
 *
 *   snappy  kafkajs-snappy (snappyjs, pure JS)
 *   lz4     lz4js (pure JS, LZ4 frame format as Kafka's KafkaLZ4BlockOutputStream writes it)
 *   zstd    @mongodb-js/zstd 1.x (N-API binary shipped inside the npm package)
 *
 * Codecs are loaded on first use, so a platform without one of them still runs
 * with the others. Registration is process-wide (kafkajs keeps one codec table).
 */
export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

const require = createRequire(import.meta.url);
// kafkajs is CommonJS and Node's ESM loader does not see `CompressionCodecs` as a named export.
const { CompressionCodecs } = kafkajs;

interface KafkaCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

function lz4Codec(): KafkaCodec {
  const lz4 = require('lz4js') as typeof import('lz4js');
  return {
    async compress(encoder) {
      return Buffer.from(lz4.compress(encoder.buffer));
    },
    async decompress(buffer) {
      return Buffer.from(lz4.decompress(buffer));
    },
  };
}

function zstdCodec(): KafkaCodec {
  const zstd = require('@mongodb-js/zstd') as {
    compress(data: Buffer, level?: number): Promise<Buffer>;
    decompress(data: Buffer): Promise<Buffer>;
  };
  return {
    compress: (encoder) => zstd.compress(encoder.buffer, 3),
    decompress: (buffer) => zstd.decompress(buffer),
  };
}

const registered = new Set<CompressionName>();

/** Makes `name` usable by kafkajs (both ways: producers and consumers) and returns its kafkajs type. */
export function registerCodec(name: CompressionName): CompressionTypes {
  try {
    switch (name) {
      case 'none':
        return CompressionTypes.None;
      case 'gzip':
        return CompressionTypes.GZIP;
      case 'snappy':
        if (!registered.has(name)) {
          const codec = require('kafkajs-snappy') as () => KafkaCodec;
          CompressionCodecs[CompressionTypes.Snappy] = codec;
        }
        registered.add(name);
        return CompressionTypes.Snappy;
      case 'lz4':
        if (!registered.has(name)) {
          const codec = lz4Codec();
          CompressionCodecs[CompressionTypes.LZ4] = () => codec;
        }
        registered.add(name);
        return CompressionTypes.LZ4;
      case 'zstd':
        if (!registered.has(name)) {
          const codec = zstdCodec();
          CompressionCodecs[CompressionTypes.ZSTD] = () => codec;
        }
        registered.add(name);
        return CompressionTypes.ZSTD;
    }
  } catch (err) {
    throw new RoutemeterError('RM_ERR_CONFIG', `PRODUCER_COMPRESSION: codec ${name} could not be loaded`, {
      cause: err,
    });
  }
  throw new RoutemeterError('RM_ERR_CONFIG', `PRODUCER_COMPRESSION: unknown codec ${String(name)}`);
}

/** Registers every codec that loads, so a consumer can read topics written with any of them. */
export function registerAllCodecs(): CompressionName[] {
  const ok: CompressionName[] = [];
  for (const name of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    try {
      registerCodec(name);
      ok.push(name);
    } catch {
      // a codec that cannot load on this platform is simply not offered
    }
  }
  return ok;
}
