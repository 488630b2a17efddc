// The event log's RocksDB database with its column families (format version
// 3, docs/storage-format.md): the entries ('e' keys) and the id index ('i'
// keys) each have a column family of their own; everything else is in the
// default one. Opening a log of version 1 (all keys in the default column
// family) or 2 (every 'i' key written with its entry) migrates it.
//
// Private to libs/eventlog: includes RocksDB.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "eventlog/family_db.h"
#include "eventlog/rocks_tuning.h"

namespace detente {

// The options of the database and of each column family, made once and
// reused when the log is reopened (they share one block cache).
struct LogDbOptions {
  rocksdb::DBOptions db;
  rocksdb::ColumnFamilyOptions meta;     // default: 'm', 'r', 'h'
  rocksdb::ColumnFamilyOptions entries;  // 'e'
  rocksdb::ColumnFamilyOptions ids;      // 'i'
};

// How the write-ahead log's files are written.
enum class WalFiles {
  // Into zeros (zeroed_wal.h): for a log whose every write is synced.
  kZeroed,
  // Appended, RocksDB's own: for a log that does not sync every write. A
  // power cut may keep a later page of a file written in place and lose an
  // earlier one, and RocksDB's reader replays past a hole of zeros.
  kAppended,
};

// `metadata`: where the tables' index and filter blocks live
// (rocks_tuning.h). `env` nullptr: the default Env, with the write-ahead
// log's files written as `wal` says; a caller's Env is used as it is.
LogDbOptions MakeLogDbOptions(
    size_t block_cache_bytes, rocksdb::Env* env,
    TableMetadata metadata = TableMetadata::kOutsideCache,
    WalFiles wal = WalFiles::kZeroed);

class LogDb {
 public:
  // A family the database lacks (a log of version 1 opened read-only) is the
  // default one.
  explicit LogDb(std::unique_ptr<FamilyDb> db);

  rocksdb::DB& db() const { return db_->db(); }
  rocksdb::ColumnFamilyHandle* meta() const {
    return db().DefaultColumnFamily();
  }
  rocksdb::ColumnFamilyHandle* entries() const { return entries_; }
  rocksdb::ColumnFamilyHandle* ids() const { return ids_; }

  StorageMemory Memory() const { return db_->Memory(); }
  StorageCompactions Compactions() const { return db_->Compactions(); }

  // Releases the column families and closes the database (idempotent).
  rocksdb::Status Close() { return db_->Close(); }

 private:
  std::unique_ptr<FamilyDb> db_;
  rocksdb::ColumnFamilyHandle* entries_;
  rocksdb::ColumnFamilyHandle* ids_;
};

enum class LogDbMode {
  // Creates a new log; checks the format version of an existing one and
  // migrates version 1.
  kReadWrite,
  // Opens what is there, without checks (verify, backups, reads while the
  // directory cannot be written). On a log of version 1 entries() and ids()
  // are the default column family.
  kReadOnly,
};

// UNAVAILABLE when RocksDB cannot open the directory (in use, unreadable);
// FAILED_PRECONDITION when it holds another format version or something
// that is not a Detente log (left untouched).
absl::StatusOr<std::unique_ptr<LogDb>> OpenLogDb(const LogDbOptions& options,
                                                 const std::string& path,
                                                 LogDbMode mode);

}  // namespace detente
