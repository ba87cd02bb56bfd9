import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createLineGenerator } from '../../src/gen/line-generator.js';
import { registerAllCodecs, registerCodec } from '../../src/kafka/kafka-codecs.js';

const { CompressionCodecs, CompressionTypes } = kafkajs;

describe('kafka codecs', () => {
  it('registers every codec this platform can load', () => {
    expect(registerAllCodecs().sort()).toEqual(['gzip', 'lz4', 'snappy', 'zstd']);
    expect(registerCodec('none')).toBe(CompressionTypes.None);
  });

  it.each(['gzip', 'snappy', 'lz4', 'zstd'] as const)('%s round-trips drain payloads', async (name) => {
    const type = registerCodec(name);
    const codec = CompressionCodecs[type as keyof typeof CompressionCodecs]();
    const gen = createLineGenerator({ seed: 9 });
    const text = Array.from({ length: 2000 }, () => gen().line).join('\n');
    for (const payload of [
      Buffer.from(text),
      Buffer.alloc(0),
      Buffer.from('x'),
      Buffer.alloc(5 * 1024 * 1024, 7),
    ]) {
      const compressed: Buffer = await codec.compress({ buffer: payload });
      expect(Buffer.compare(await codec.decompress(compressed), payload)).toBe(0);
    }
  });

  it('writes LZ4 frames with the block-independence flag Kafka requires', async () => {
    const codec = CompressionCodecs[registerCodec('lz4') as keyof typeof CompressionCodecs]();
    const frame: Buffer = await codec.compress({ buffer: Buffer.from('hello hello hello hello') });
    expect(frame.readUInt32LE(0)).toBe(0x184d2204);
    expect(frame[4]! & 0x20).toBe(0x20);
  });
});
