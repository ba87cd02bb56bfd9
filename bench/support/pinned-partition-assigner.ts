import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

/**
 * kafkajs offers no manual `assign()`: a consumer only gets partitions from a
 * group's assigner. Each partition consumer therefore joins a private group of
 * its own with this assigner, which hands exactly one partition to the group's
 * first member (there is only ever one). Ownership itself is decided elsewhere:
 * by the supervisor's membership in the real consumer group, and fenced in Redis.
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
