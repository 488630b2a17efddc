#include "eventlog/table_ingest.h"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/sst_file_writer.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "eventlog/rocks_status.h"

namespace detente {
namespace {

// In the database's directory, so that the ingestion moves a file by a hard
// link rather than copying it.
constexpr absl::string_view kSuffix = ".sst.ingest";

}  // namespace

absl::Status IngestTables(rocksdb::DB& db, absl::string_view name,
                          const std::vector<TableWrites>& writes,
                          IngestGuard guard) {
  rocksdb::Env& env = *db.GetEnv();
  std::vector<rocksdb::IngestExternalFileArg> args;
  std::vector<std::string> paths;
  absl::Status s = [&]() -> absl::Status {
    for (const TableWrites& w : writes) {
      const rocksdb::Options options = db.GetOptions(w.family);
      const std::string& path = paths.emplace_back(
          absl::StrCat(db.GetName(), "/", name, "-", paths.size(), kSuffix));
      // The file stays in the page cache: RocksDB reads it right back.
      rocksdb::SstFileWriter file(rocksdb::EnvOptions(options), options,
                                  w.family, /*invalidate_page_cache=*/false);
      RETURN_IF_ERROR(FromRocks(file.Open(path), "writing a table file"));
      ASSIGN_OR_RETURN(const uint64_t added, w.fill(file));
      if (added == 0) continue;  // RocksDB refuses an empty file
      RETURN_IF_ERROR(FromRocks(file.Finish(), "writing a table file"));
      auto arg = std::find_if(args.begin(), args.end(), [&](const auto& a) {
        return a.column_family == w.family;
      });
      if (arg == args.end()) {
        arg = args.emplace(args.end());
        arg->column_family = w.family;
        arg->options.move_files = true;
        // Readers of RocksDB >= 5.16 take the sequence number from the
        // manifest: the file is not rewritten.
        arg->options.write_global_seqno = false;
      }
      arg->external_files.push_back(path);
    }
    if (args.empty()) return absl::OkStatus();
    std::unique_lock<std::mutex> lock;
    if (guard.writes != nullptr) lock = std::unique_lock(*guard.writes);
    if (guard.broken != nullptr && guard.broken->load()) {
      return absl::UnavailableError(
          "not ingesting table files: a write to the database failed (until "
          "it reopens)");
    }
    // The keys before, written through the memtables and maybe an unsynced
    // write-ahead log, must not be lost while these survive. RocksDB's
    // flush of a memtable that overlaps the files syncs the log too; this
    // does not rely on it.
    RETURN_IF_ERROR(FromRocks(db.SyncWAL(), "syncing the write-ahead log"));
    return FromRocks(db.IngestExternalFiles(args), "ingesting table files");
  }();
  // Gone already when ingested (moved); through the database's environment,
  // like every other change to its directory.
  for (const std::string& path : paths) {
    env.DeleteFile(path).PermitUncheckedError();
  }
  return s;
}

void RemoveTableFilesLeftOver(rocksdb::DB& db, absl::string_view prefix) {
  rocksdb::Env& env = *db.GetEnv();
  std::vector<std::string> names;
  if (!env.GetChildren(db.GetName(), &names).ok()) return;
  for (const std::string& name : names) {
    if (absl::StartsWith(name, prefix) && absl::EndsWith(name, kSuffix)) {
      env.DeleteFile(absl::StrCat(db.GetName(), "/", name))
          .PermitUncheckedError();
    }
  }
}

}  // namespace detente
