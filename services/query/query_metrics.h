// Prometheus metrics of detente-query (docs/operations.md lists them),
// exposed by the HTTP gateway at /metrics. prometheus-cpp stays out of
// this header.
#pragma once

#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventlog/storage_memory.h"

namespace prometheus {
class Registry;
}

namespace detente {

class QueryMetrics {
 public:
  QueryMetrics();
  ~QueryMetrics();

  // kind: "full", "not_modified" or "cached" (answer_cache.h).
  void ObserveQuery(const std::string& method, absl::Duration latency,
                    const char* kind);
  void CountHttp(int status);
  void SetProjection(uint64_t position, uint64_t ingest_head, bool serving);
  // The current store's RocksDB memory, and the bytes of every store on disk.
  void SetStorage(const StorageMemory& memory,
                  const StorageCompactions& compactions, uint64_t disk_bytes);
  // Entries the current store applied through its memtables and as table
  // files (ReadModelStore::Applied).
  void SetApplied(uint64_t through_memtables, uint64_t as_tables);
  // The text exposition format of every metric.
  std::string Render() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Observes one query from construction to destruction.
class QueryTimer {
 public:
  QueryTimer(QueryMetrics* m, const char* method)
      : m_(m), method_(method), start_(absl::Now()) {}
  ~QueryTimer() {
    if (m_) m_->ObserveQuery(method_, absl::Now() - start_, kind);
  }
  const char* kind = "full";

 private:
  QueryMetrics* m_;
  const char* method_;
  absl::Time start_;
};

}  // namespace detente
