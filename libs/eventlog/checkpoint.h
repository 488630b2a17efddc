// Online copies of a RocksDB event log (EventLog::Backup): the target
// directory's rules and the RocksDB checkpoint itself. Private to the
// library; rocks_event_log.cc reads the copy's head back and checks it
// against the heads it published.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace rocksdb {
class DB;
}

namespace detente {

// Checks `directory` for a backup of the log at `log_path` and creates it
// (with its parents) when missing; an existing empty directory is kept as
// it is (a mount point works). INVALID_ARGUMENT (violation "directory") when it is empty, not a
// directory, not empty, or inside `log_path`; FAILED_PRECONDITION when it
// cannot be inspected or created.
absl::Status PrepareBackupDirectory(const std::string& directory,
                                    const std::string& log_path);

// Cuts a checkpoint of `db` into `directory` (prepared as above), flushing
// the memtable first (writes that land while the copy is cut come along in
// a short write-ahead log, replayed when the copy is opened). The
// checkpoint is cut into a staging subdirectory and its files are then
// moved up, CURRENT last, so a directory holding CURRENT is complete.
// Writers may go on meanwhile: the copy holds a prefix of the write batches
// (a batch being written is either whole in it or absent). UNAVAILABLE on a
// storage failure (the staging directory is removed).
absl::Status WriteCheckpoint(rocksdb::DB& db, const std::string& directory);

// Files and bytes under `directory` (not recursive: a checkpoint is flat),
// and whether it is on the same filesystem as `log_path`.
struct DirectorySummary {
  uint64_t files = 0;
  uint64_t bytes = 0;
  bool same_filesystem = false;
};
DirectorySummary SummarizeBackup(const std::string& directory,
                                 const std::string& log_path);

// Empties `directory` after a failed backup (best effort).
void ClearBackupDirectory(const std::string& directory);

}  // namespace detente
