#include "eventlog/table_ingest.h"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/sst_file_writer.h>

#include <algorithm>
#include <system_error>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "eventlog/rocks_status.h"

namespace detente {
namespace {

// In the database's directory, so that the ingestion moves a file by a hard
// link rather than copying it.
constexpr absl::string_view kSuffix = ".sst.ingest";

// Writes one file; false when `fill` added no key (there is then no file).
absl::StatusOr<bool> WriteTable(rocksdb::DB& db, const TableWrites& w,
                                const std::string& path) {
  const rocksdb::Options options = db.GetOptions(w.family);
  // The file stays in the page cache: RocksDB reads it right back.
  rocksdb::SstFileWriter file(rocksdb::EnvOptions(options), options, w.family,
                              /*invalidate_page_cache=*/false);
  RETURN_IF_ERROR(FromRocks(file.Open(path), "writing a table file"));
  ASSIGN_OR_RETURN(const uint64_t added, w.fill(file));
  if (added == 0) return false;  // RocksDB refuses an empty file
  RETURN_IF_ERROR(FromRocks(file.Finish(), "writing a table file"));
  return true;
}

}  // namespace

absl::Status IngestTables(rocksdb::DB& db, absl::string_view name,
                          const std::vector<TableWrites>& writes,
                          IngestGuard guard) {
  rocksdb::Env& env = *db.GetEnv();
  std::vector<std::string> paths;
  for (size_t i = 0; i < writes.size(); ++i) {
    paths.push_back(absl::StrCat(db.GetName(), "/", name, "-", i, kSuffix));
  }
  // Each file on a thread of its own, the first on this one: the files'
  // compression and filters are most of an ingestion's work, and the
  // caller (the read models' apply thread, the log's index thread) is the
  // one thread its pipeline waits for.
  std::vector<absl::StatusOr<bool>> written(writes.size(), false);
  {
    std::vector<std::jthread> threads;
    threads.reserve(writes.size());
    for (size_t i = 1; i < writes.size(); ++i) {
      auto write = [&, i] { written[i] = WriteTable(db, writes[i], paths[i]); };
      try {
        threads.emplace_back(write);
      } catch (const std::system_error&) {
        write();  // no thread to be had (a limit): on this one, in turn
      }
    }
    if (!writes.empty()) written[0] = WriteTable(db, writes[0], paths[0]);
  }
  absl::Status s = [&]() -> absl::Status {
    std::vector<rocksdb::IngestExternalFileArg> args;
    for (size_t i = 0; i < writes.size(); ++i) {
      RETURN_IF_ERROR(written[i].status());
      if (!*written[i]) continue;
      auto arg = std::find_if(args.begin(), args.end(), [&](const auto& a) {
        return a.column_family == writes[i].family;
      });
      if (arg == args.end()) {
        arg = args.emplace(args.end());
        arg->column_family = writes[i].family;
        arg->options.move_files = true;
        // Readers of RocksDB >= 5.16 take the sequence number from the
        // manifest: the file is not rewritten.
        arg->options.write_global_seqno = false;
      }
      arg->external_files.push_back(paths[i]);
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
