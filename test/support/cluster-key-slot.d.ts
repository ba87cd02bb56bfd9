// cluster-key-slot (ioredis's CRC16 slot function) ships no types.
declare module 'cluster-key-slot' {
  /** the Redis Cluster hash slot (0–16383) of a key, honouring {hash tags} */
  export default function calculateSlot(key: string | Buffer): number;
}
