// Prometheus metrics of detente-ingest (docs/operations.md lists them).
// prometheus-cpp stays out of this header.
#pragma once

#include <cstddef>
#include <memory>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace prometheus {
class Registry;
}

namespace detente {

class IngestMetrics {
 public:
  explicit IngestMetrics(prometheus::Registry& registry);
  ~IngestMetrics();

  // One Append call or AppendStream batch, with its outcome.
  void RecordAppend(const absl::Status& status, size_t entries,
                    size_t appended, size_t duplicates, absl::Duration latency);
  // One group commit of the log: its size and the time of its write (and
  // fsync, in sync durability).
  void RecordCommit(size_t entries, size_t batches, absl::Duration write);
  // Cluster mode: the publish of one group commit to the stream, and the
  // races with other nodes it lost first.
  void RecordReplication(absl::Duration publish, size_t lost_races);
  void SetHead(uint64_t head);
  void SubscriberStarted();
  void SubscriberEnded();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace detente
