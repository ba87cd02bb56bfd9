import { createRequire } from 'node:module';
import kafkajs, { CompressionTypes } from 'kafkajs';
import { RoutemeterError } from '../errors/routemeter-error.js';

/**
 * kafkajs 2.2.4 ships gzip only; the other codecs of `PRODUCER_COMPRESSION` are
 * plugged in here, each from a package that installs on Node 20 without a native
 * build (bench/drain-codecs.ts measures which one pays off, see docs/drain.md):
 *
 *   snappy  kafkajs-snappy (snappyjs, pure JS)
 *   lz4     lz4js blocks (pure JS) in the LZ4 frame Kafka accepts (see lz4Codec)
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

/**
 * LZ4 frames as Kafka reads them (KafkaLZ4BlockInputStream): version 01 with the
 * block-independence flag set, which Kafka requires ("Dependent block stream is
 * unsupported", measured) and lz4js's own `compress` does not set. Blocks are up to
 * 4 MB, each compressed with a fresh hash table so that none refers to another.
 *
 *   magic 04 22 4D 18 | FLG 0x60 | BD 0x70 | HC | { u32le size (bit 31: stored) | data }* | u32le 0
 */
const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK = 4 * 1024 * 1024;

function lz4Codec(): KafkaCodec {
  const lz4 = require('lz4js') as typeof import('lz4js');
  const xxh32 = require('lz4js/xxh32.js') as {
    hash(seed: number, src: Uint8Array, index: number, length: number): number;
  };
  const compress = (src: Buffer): Buffer => {
    const blocks = Math.max(1, Math.ceil(src.length / LZ4_BLOCK));
    const dst = Buffer.allocUnsafe(7 + blocks * (4 + lz4.compressBound(Math.min(LZ4_BLOCK, src.length))) + 4);
    dst.writeUInt32LE(LZ4_MAGIC, 0);
    dst[4] = 0x60; // version 01, block independence
    dst[5] = 7 << 4; // max block size 4 MB
    dst[6] = (xxh32.hash(0, dst, 4, 2) >>> 8) & 0xff;
    let d = 7;
    const block = Buffer.allocUnsafe(lz4.compressBound(Math.min(LZ4_BLOCK, Math.max(1, src.length))));
    for (let s = 0; s < src.length; s += LZ4_BLOCK) {
      const size = Math.min(LZ4_BLOCK, src.length - s);
      const n = lz4.compressBlock(src, block, s, size, new Uint32Array(1 << 16));
      if (n === 0 || n >= size) {
        dst.writeUInt32LE((0x80000000 | size) >>> 0, d);
        src.copy(dst, d + 4, s, s + size);
        d += 4 + size;
      } else {
        dst.writeUInt32LE(n, d);
        block.copy(dst, d + 4, 0, n);
        d += 4 + n;
      }
    }
    dst.writeUInt32LE(0, d);
    return dst.subarray(0, d + 4);
  };
  return {
    async compress(encoder) {
      return compress(encoder.buffer);
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

/**
 * Registers every codec that loads, so a consumer can read topics written with any of
 * them. A codec that cannot load on this platform (a native module missing) is not
 * offered, and `onUnavailable` says why: records written with it would then fail to
 * decode, and the log is where an operator finds the reason.
 */
export function registerAllCodecs(
  onUnavailable: (codec: CompressionName, err: unknown) => void = () => {},
): CompressionName[] {
  const ok: CompressionName[] = [];
  for (const name of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    try {
      registerCodec(name);
      ok.push(name);
    } catch (err) {
      onUnavailable(name, (err as { cause?: unknown }).cause ?? err);
    }
  }
  return ok;
}
