// The embedded EventLog on RocksDB (key layout: keys.h,
// docs/storage-format.md).
//
// One committer thread takes every append that arrived meanwhile, assigns
// positions in order, writes their entries in one WriteBatch and, in sync
// durability, one fsync of the write-ahead log, adds their ids, stream
// positions and revisions to the log's index (log_index.h: in memory,
// written in sorted chunks by a thread of its own), and only then publishes
// the new head. An AppendHere that finds the log idle does the same on its
// caller's thread; one writer at a time either way.
// Readers therefore never see position N+1 before N.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventlog/event_log.h"
#include "eventlog/replication.h"
#include "eventlog/rocks_tuning.h"

namespace rocksdb {
class Env;
}

namespace detente {

enum class Durability {
  // Acknowledged after the WAL is fsynced: survives machine crashes.
  kSync,
  // Acknowledged after the WAL is written to the OS: survives a process
  // crash, may lose the last moments on a machine crash or power loss.
  kAsync,
};

// What one group commit did, for metrics.
struct CommitStats {
  size_t entries = 0;  // entries written
  size_t batches = 0;  // client batches in the group (written or rejected)
  absl::Duration write;  // RocksDB Write, including the fsync in sync mode
  // Cluster mode: the wait for the replicated log to store the group, and
  // how many times another node's commit took its place first (each time
  // the group was staged again).
  absl::Duration replicate;
  size_t lost_races = 0;
};

struct RocksEventLogOptions {
  // Directory of the database; created when missing. Required.
  std::string path;
  Durability durability = Durability::kSync;
  // Block cache size in bytes. Default 64 MiB.
  size_t block_cache_bytes = 64u << 20;
  // Where the tables' index and filter blocks live: kInCache bounds the
  // log's memory by block_cache_bytes (rocks_tuning.h).
  TableMetadata table_metadata = TableMetadata::kOutsideCache;
  // Upper bound of entries written by one group commit. Default 100,000.
  size_t max_group_entries = 100000;
  // The log's index takes this many entries into memory before it writes
  // their keys into the database as sorted files (log_index.h; ~50 bytes of
  // memory per entry, up to twice this many while the files are written; an
  // open after a crash reads the index past the last files back from the
  // entries, about twice this many, more if writing the files had been
  // failing). At least 1. The
  // default fills a hash table of 2^19 slots to 86%, below its 7/8 limit:
  // 500,000 would double it.
  size_t id_index_chunk = 450000;
  // Environment for file I/O; nullptr means rocksdb::Env::Default(). Tests
  // pass a fault-injecting one. Not owned; must outlive the log.
  rocksdb::Env* env = nullptr;
  // After a storage failure, how often the log reopens its storage while no
  // append comes (appends always try first). Zero: only at appends.
  absl::Duration storage_retry = absl::Seconds(1);
  // Called after each successful group write, on the thread that wrote it
  // (the committer, or the caller of an AppendHere that committed at once),
  // one call at a time; must be quick. Optional.
  std::function<void(const CommitStats&)> on_commit;
  // Cluster mode (eventlog/replication.h): this log is a node's local copy
  // of a replicated log, which every commit goes through first. nullptr:
  // the embedded log.
  std::shared_ptr<Replicator> replicator;
};

// Opens (or creates) the log. FAILED_PRECONDITION when the directory holds
// another format version or is not a Detente log; UNAVAILABLE when it is in
// use by another process or cannot be read.
absl::StatusOr<std::unique_ptr<EventLog>> OpenRocksEventLog(
    const RocksEventLogOptions& options);

std::string DurabilityName(Durability d);

}  // namespace detente
