import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { RoutemeterError } from '../errors/routemeter-error.js';
import { uncompressSnappyBlock } from './snappy-block.js';

/**
 * The records of a compressed RecordBatch v2 (attributes bits 0-2 = codec) are one
 * compressed blob after the 61-byte header; the records count stays in the header.
 * This module turns that blob back into the records' bytes, bounded by `maxBytes` (a
 * corrupt or hostile size field must not make us allocate gigabytes):
 *
 *   1 gzip    RFC 1952 member                                  node:zlib (sync)
 *   2 snappy  Kafka's xerial framing, as snappy-java and kafkajs-snappy write it:
 *               82 'SNAPPY' 00 | int32 version | int32 compatible | { int32be size | raw snappy block }*
 *             or one raw snappy block (kafkajs-snappy)        snappy-block.ts (sync; snappyjs loops
 *                                                             on some hostile inputs, see there)
 *   3 lz4     LZ4 frame (magic 04 22 4D 18, FLG, BD, [content size], HC, blocks, end mark),
 *             as KafkaLZ4BlockOutputStream and our kafka-codecs.ts write it
 *                                                               lz4js blocks (sync), frame read here
 *   4 zstd    zstd frame                                        @mongodb-js/zstd (async only)
 *
 * The other codec libraries are the ones kafka-codecs.ts registers for kafkajs, loaded on first use.
 * Errors thrown here are RoutemeterErrors: RM_ERR_RECORD_BATCH_UNSUPPORTED for a codec
 * this process cannot run, RM_ERR_RECORD_BATCH_CORRUPT for bytes the codec rejects.
 */
const require = createRequire(import.meta.url);

export const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/** zstd has no synchronous decompressor on Node 20: the decoder stops before such a batch. */
export function codecNeedsAsync(codec: number): boolean {
  return codec === 4;
}

function corrupt(codec: number, why: string, cause?: unknown): RoutemeterError {
  return new RoutemeterError('RM_ERR_RECORD_BATCH_CORRUPT', `${CODEC_NAMES[codec] ?? codec}: ${why}`, {
    cause,
  });
}

function unsupported(codec: number, cause?: unknown): RoutemeterError {
  return new RoutemeterError(
    'RM_ERR_RECORD_BATCH_UNSUPPORTED',
    `record batch codec ${CODEC_NAMES[codec] ?? `#${codec}`} cannot be decompressed here`,
    { cause },
  );
}

/** Decompresses gzip, snappy or lz4 records; throws a RoutemeterError (the decoder catches it). */
export function decompressSync(codec: number, src: Buffer, maxBytes: number): Buffer {
  switch (codec) {
    case 1:
      try {
        return gunzipSync(src, { maxOutputLength: maxBytes });
      } catch (err) {
        throw corrupt(codec, (err as Error).message, err);
      }
    case 2:
      return snappy(src, maxBytes);
    case 3:
      return lz4(src, maxBytes);
    default:
      throw unsupported(codec);
  }
}

let zstdModule: { decompress(data: Buffer): Promise<Buffer> } | null = null;

/** Any codec, zstd included. */
export async function decompressAsync(codec: number, src: Buffer, maxBytes: number): Promise<Buffer> {
  if (codec !== 4) return decompressSync(codec, src, maxBytes);
  try {
    zstdModule ??= require('@mongodb-js/zstd') as { decompress(data: Buffer): Promise<Buffer> };
  } catch (err) {
    throw unsupported(codec, err);
  }
  let out: Buffer;
  try {
    out = await zstdModule.decompress(src);
  } catch (err) {
    throw corrupt(codec, (err as Error).message, err);
  }
  if (out.length > maxBytes) throw corrupt(codec, `more than ${maxBytes} bytes decompressed`);
  return out;
}

// --- snappy -------------------------------------------------------------------------

const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00];

function snappy(src: Buffer, maxBytes: number): Buffer {
  let xerial = src.length >= 16;
  for (let i = 0; xerial && i < 8; i++) xerial = src[i] === XERIAL_MAGIC[i];
  if (!xerial) return snappyBlock(src, 0, src.length, maxBytes);
  const parts: Buffer[] = [];
  let total = 0;
  let p = 16;
  while (p < src.length) {
    if (p + 4 > src.length) throw corrupt(2, 'xerial block size cut short');
    const size = src.readUInt32BE(p);
    p += 4;
    if (p + size > src.length) throw corrupt(2, 'xerial block runs past the batch');
    const part = snappyBlock(src, p, p + size, maxBytes - total);
    total += part.length;
    parts.push(part);
    p += size;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}

function snappyBlock(src: Buffer, start: number, end: number, maxBytes: number): Buffer {
  const out = uncompressSnappyBlock(src, start, end, maxBytes);
  if (out === null) throw corrupt(2, `malformed snappy block or more than ${maxBytes} bytes decompressed`);
  return out;
}

// --- lz4 ----------------------------------------------------------------------------

const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK_SIZES = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];
let lz4js: typeof import('lz4js') | null = null;
let lz4Scratch = Buffer.alloc(0);

function lz4(src: Buffer, maxBytes: number): Buffer {
  try {
    lz4js ??= require('lz4js') as typeof import('lz4js');
  } catch (err) {
    throw unsupported(3, err);
  }
  if (src.length < 7 || src.readUInt32LE(0) !== LZ4_MAGIC) throw corrupt(3, 'not an LZ4 frame');
  const flg = src[4]!;
  if ((flg & 0xc0) !== 0x40) throw corrupt(3, 'unknown LZ4 frame version');
  const blockChecksum = (flg & 0x10) !== 0;
  const contentSize = (flg & 0x08) !== 0;
  const dictId = (flg & 0x01) !== 0;
  const maxBlock = LZ4_BLOCK_SIZES[(src[5]! >> 4) & 7]!;
  if (maxBlock === 0) throw corrupt(3, 'bad LZ4 block size');
  const first = 7 + (contentSize ? 8 : 0) + (dictId ? 4 : 0);
  // Pass 1: walk the blocks (bounded by the input) to size the output.
  let bound = 0;
  let p = first;
  for (;;) {
    if (p + 4 > src.length) throw corrupt(3, 'LZ4 frame cut short');
    const word = src.readUInt32LE(p);
    p += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    bound += word & 0x80000000 ? size : maxBlock;
    p += size + (blockChecksum ? 4 : 0);
    if (p > src.length) throw corrupt(3, 'LZ4 block runs past the batch');
  }
  if (bound > maxBytes) bound = maxBytes;
  // Pass 2: each block into a scratch of the frame's block size (allocating the worst case
  // per batch, 4 MB a block with Kafka's BD, cost more than decompressing), then copied out.
  if (lz4Scratch.length < maxBlock) lz4Scratch = Buffer.allocUnsafe(maxBlock);
  const scratch = lz4Scratch;
  const parts: Buffer[] = [];
  let total = 0;
  p = first;
  for (;;) {
    const word = src.readUInt32LE(p);
    p += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    let part: Buffer;
    if (word & 0x80000000) {
      part = src.subarray(p, p + size);
    } else {
      let n: number;
      try {
        n = lz4js.decompressBlock(src, scratch, p, size, 0);
      } catch (err) {
        throw corrupt(3, (err as Error).message, err);
      }
      if (!(n >= 0 && n <= maxBlock)) throw corrupt(3, 'LZ4 block decompresses past its block size');
      part = scratch.subarray(0, n);
    }
    total += part.length;
    if (total > bound) throw corrupt(3, `more than ${maxBytes} bytes decompressed`);
    parts.push(Buffer.from(part)); // a copy: the scratch is reused by the next block
    p += size + (blockChecksum ? 4 : 0);
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}
