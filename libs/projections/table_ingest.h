// Writing a batch of the read models as table files rather than through the
// memtables: each column family's keys, already in order, go into one table
// file (RocksDB's SstFileWriter) in the store's directory, and the files are
// ingested together (IngestExternalFiles), atomically across the families.
// A catch-up far behind the head writes its big batches this way: no
// memtable inserts and no write-ahead log (docs/projections.md, "Catch-up as
// table files").
//
//   std::vector<TableWrites> w = {{family, [&](rocksdb::SstFileWriter& f)
//       -> absl::StatusOr<uint64_t> {
//     RETURN_IF_ERROR(FromRocks(f.Put(key, value), "..."));
//     return 1;
//   }}};
//   RETURN_IF_ERROR(IngestTables(db, "42", w));
#pragma once

#include <functional>
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
  // Adds the family's keys, in strictly increasing order, and returns how
  // many. May add none: the family then gets no file.
  std::function<absl::StatusOr<uint64_t>(rocksdb::SstFileWriter&)> fill;
};

// Writes one file per family and ingests them all, or none: after a failure
// or a crash the database is as it was. Before the ingestion it syncs the
// write-ahead log, so that batches written earlier through the memtables
// (not synced) survive a crash whenever this one does. `tag` names the files
// (unique among concurrent calls); they are deleted when done.
absl::Status IngestTables(rocksdb::DB& db, absl::string_view tag,
                          const std::vector<TableWrites>& writes);

// Deletes the files a crash left in the database's directory before their
// ingestion (RocksDB ignores them).
void RemoveTableFilesLeftOver(rocksdb::DB& db);

}  // namespace detente
