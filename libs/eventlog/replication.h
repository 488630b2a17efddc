// Cluster mode: the seam between the embedded log and a replicated log.
//
// In cluster mode (docs/cluster.md) the source of truth is a replicated log
// of committed groups (a NATS JetStream stream, libs/jetstream); every
// ingest node keeps a full local copy in its RocksEventLog, which is also
// the index that decides duplicates and expected revisions. The local log
// stays the only writer of its database: its committer thread
//  1. applies the groups other nodes committed (TakeReceived), in order;
//  2. stages the waiting appends against that state, exactly as in the
//     embedded mode (positions, revisions, duplicates, subjects);
//  3. publishes the staged group as the entry following the last one it
//     applied (Publish, a compare-and-set on the replicated log's sequence);
//  4. writes it locally only once the replicated log has stored it, and
//     then answers the appends. When another node's group took that place
//     (ABORTED) it catches up (CatchUp, TakeReceived) and restages.
// So positions stay global, gapless and in commit order across all nodes,
// and an id is new only if no group before it holds it.
//
// The local copy records the sequence of the last group it holds (metadata
// key "replicated_sequence", written in the same RocksDB batch as the
// group), so after a crash it resumes from there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/strong_types.h"

namespace detente {

// One committed group: consecutive entries of the log.
struct ReplicatedGroup {
  // Its place in the replicated log, from 1 (not part of the encoding: the
  // replicated log assigns it).
  uint64_t sequence = 0;
  // Position of records[0]; the others follow without gaps.
  Position first;
  // Full stored records (eventlog/record_codec.h), commit fields included.
  std::vector<std::string> records;
};

// The message that carries a group (docs/storage-format.md, "Replicated
// groups"): a protobuf-encoded ReplicatedGroup of storage.proto.
std::string EncodeReplicatedGroup(const ReplicatedGroup& group);
// The same from views of the records (no copies of them first).
std::string EncodeReplicatedGroup(Position first,
                                  const std::vector<absl::string_view>& records);
// DATA_LOSS when `bytes` is not a well-formed group (no records, a count
// that disagrees with the records, no first position).
absl::StatusOr<ReplicatedGroup> DecodeReplicatedGroup(absl::string_view bytes,
                                                      uint64_t sequence);
// Size of EncodeReplicatedGroup's result for these record sizes.
size_t EncodedGroupSize(Position first, const std::vector<size_t>& record_sizes);

// Implemented by the replicated log's client (libs/jetstream). Called from
// the local log's committer thread only, except Stop.
class Replicator {
 public:
  virtual ~Replicator() = default;

  // Called once, before anything else, with the sequence of the last group
  // the local copy holds (0: none) and a function that wakes the committer
  // when groups have been received. The replicator delivers every group
  // after `applied` through TakeReceived.
  virtual absl::Status Start(uint64_t applied, std::function<void()> wake) = 0;

  // Groups received so far with a sequence above `after`, in order and
  // without gaps (may be empty). Does not wait.
  virtual std::vector<ReplicatedGroup> TakeReceived(uint64_t after) = 0;

  // Forgets what was received and receives again from the group after
  // `applied`: the local copy could not write what it took.
  virtual void Restart(uint64_t applied) = 0;

  // Stores `group` as the entry right after sequence `after` and returns its
  // sequence (after + 1) once the replicated log acknowledged it durably.
  // ABORTED: the entry after `after` is another node's; catch up and
  // restage. UNAVAILABLE: not stored, or not known to be (the group may
  // still appear later through TakeReceived: it is then applied like any
  // other node's group, and a retry of its appends finds duplicates).
  virtual absl::StatusOr<uint64_t> Publish(uint64_t after,
                                           const std::string& encoded_group) = 0;

  // Waits until every group the replicated log holds at the moment of the
  // call has been received (so TakeReceived returns them), up to a deadline
  // of the replicator's: UNAVAILABLE then.
  virtual absl::Status CatchUp(uint64_t after) = 0;

  // The largest encoded group Publish accepts.
  virtual size_t max_group_bytes() const = 0;

  // Stops receiving and wakes whoever waits in CatchUp. Idempotent.
  virtual void Stop() = 0;

  // For GetInfo: what "durable" means here, e.g. "replicated (JetStream
  // stream DETENTE, 3 replicas)".
  virtual std::string durability() const = 0;
};

}  // namespace detente
