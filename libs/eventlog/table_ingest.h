// Writing keys as table files rather than through the memtables: each
// group of keys, already in order, goes into one table file (RocksDB's
// SstFileWriter) in the database's directory, and the files are ingested
// together (IngestExternalFiles), atomically across the column families.
// The event log's index (log_index.h) writes its chunks this way, and the
// read models their catch-up batches (docs/projections.md, "Catch-up as
// table files"): no memtable inserts and no write-ahead log.
//
//   std::vector<TableWrites> w = {{family, [&](rocksdb::SstFileWriter& f)
//       -> absl::StatusOr<uint64_t> {
//     RETURN_IF_ERROR(FromRocks(f.Put(key, value), "..."));
//     return 1;
//   }}};
//   RETURN_IF_ERROR(IngestTables(db, "batch-42", w));
//
// Used by libs/eventlog and libs/projections; includes no RocksDB header.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class SstFileWriter;
}  // namespace rocksdb

namespace detente {

struct TableWrites {
  rocksdb::ColumnFamilyHandle* family;
  // Adds the file's keys, in strictly increasing order, and returns how
  // many. May add none: then there is no file. Two files for one family
  // must not overlap. Each file's `fill` runs on a thread of its own, all at
  // once: they may read what they share, never change it. It reports
  // failures as its status and never throws.
  std::function<absl::StatusOr<uint64_t>(rocksdb::SstFileWriter&)> fill;
};

// For a database with other writers.
struct IngestGuard {
  // Held around the database's writes (the sync and the ingestion), not
  // around the files' writing. The owner's other writers hold it too.
  std::mutex* writes = nullptr;
  // Read under `writes`: a write to the database failed, so nothing more
  // is written (UNAVAILABLE) until the owner reopens it. Syncing a
  // write-ahead log whose append failed aborts the process in Debian's
  // RocksDB build (its assertions are on).
  const std::atomic<bool>* broken = nullptr;
};

// Writes the files (`name`-<index>.sst.ingest, `name` unique among
// concurrent calls) and ingests them all, or none: after a failure or a
// crash the database is as it was. Before the ingestion it syncs the
// write-ahead log, so that keys written earlier through the memtables (in
// async durability, not synced) survive a crash whenever these do. The
// files are deleted when done.
absl::Status IngestTables(rocksdb::DB& db, absl::string_view name,
                          const std::vector<TableWrites>& writes,
                          IngestGuard guard = {});

// Deletes the files whose name starts with `prefix` that a crash left in
// the database's directory before their ingestion (RocksDB ignores them).
void RemoveTableFilesLeftOver(rocksdb::DB& db, absl::string_view prefix);

}  // namespace detente
