// A RocksDB database opened with its column families: the one thing the event
// log (log_db.h) and the read models (libs/projections) share about opening
// and closing their databases.
//
// Includes RocksDB: for the .cc files of libs/eventlog and libs/projections
// that talk to RocksDB, never for widely included headers.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventlog/storage_memory.h"

namespace detente {

class FamilyDb {
 public:
  // `handles` are those DB::Open gave, the default family's among them.
  // `created` tells whether the open made a new database.
  FamilyDb(std::unique_ptr<rocksdb::DB> db,
           std::vector<rocksdb::ColumnFamilyHandle*> handles,
           bool created = false);
  ~FamilyDb();  // Close()
  FamilyDb(const FamilyDb&) = delete;
  FamilyDb& operator=(const FamilyDb&) = delete;

  rocksdb::DB& db() const { return *db_; }
  // True when OpenFamilyDb found no database at the path and made this one.
  bool created() const { return created_; }
  // The column family of that name; the default one when the database has no
  // such family (an older format opened read-only).
  rocksdb::ColumnFamilyHandle* Find(absl::string_view name) const;
  bool Has(absl::string_view name) const;
  const std::vector<rocksdb::ColumnFamilyHandle*>& families() const {
    return handles_;
  }
  // RocksDB's own estimates, summed over the column families (which share
  // one block cache).
  StorageMemory Memory() const;
  StorageCompactions Compactions() const;

  // Releases the column families and closes the database (idempotent). The
  // first error, if any.
  rocksdb::Status Close();

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned, but default
  bool created_ = false;
};

struct FamilyDbOpen {
  std::string path;
  // Named in errors: "the event log", "the read models".
  std::string what;
  rocksdb::DBOptions db;
  // The families a new database is created with, the default one first. An
  // existing database is opened with the families it has; each gets the
  // options of the family of its name here, else the default one's.
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  bool read_only = false;
  // Also creates the families of `families` an existing database lacks.
  bool add_missing = false;
};

// UNAVAILABLE (naming `what` and the path) when RocksDB cannot open it: in
// use, unreadable, or for read_only, no database there.
absl::StatusOr<std::unique_ptr<FamilyDb>> OpenFamilyDb(const FamilyDbOpen& o);

}  // namespace detente
