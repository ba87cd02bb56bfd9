import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

/**
 * kafkajs offers no manual `assign()`: a consumer only gets partitions from a
 * group's assigner. Measurement (c') of bench/consume.ts lays kafkajs out the way
 * routemeter did before its partition fetchers: one consumer per partition in a
 * private group of its own with this assigner, which hands exactly one partition
 * to the group's first member (there is only ever one). routemeter itself no longer
 * uses it (src/kafka/partition-fetcher.ts fetches without a group).
 */
export function pinnedPartitionAssigner(topic: string, partition: number): PartitionAssigner {
  return () => ({
    name: 'RoutemeterPinned',
    version: 1,
    async assign({ members }) {
      const sorted = [...members].sort((a, b) => a.memberId.localeCompare(b.memberId));
      return sorted.map((member, i) => ({
        memberId: member.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: i === 0 ? { [topic]: [partition] } : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: 'RoutemeterPinned',
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
      };
    },
  });
}
