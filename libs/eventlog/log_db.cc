#include "eventlog/log_db.h"

#include <rocksdb/cache.h>
#include <rocksdb/write_batch.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "eventlog/keys.h"
#include "eventlog/rocks_logger.h"
#include "eventlog/rocks_status.h"
#include "eventlog/rocks_tuning.h"
#include "spdlog/spdlog.h"

namespace detente {
namespace {

constexpr char kEntriesFamily[] = "entries";
constexpr char kIdsFamily[] = "ids";

absl::Status Unavailable(const std::string& path, const rocksdb::Status& s) {
  return absl::UnavailableError(
      absl::StrCat("cannot open the event log at ", path, ": ", s.ToString()));
}

bool IsEmpty(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf) {
  std::unique_ptr<rocksdb::Iterator> it(
      db.NewIterator(rocksdb::ReadOptions(), cf));
  it->SeekToFirst();
  return !it->Valid() && it->status().ok();
}

// Version 1 -> 2: moves every 'e' and 'i' key of the default column family
// into its own, a chunk at a time; each chunk's puts and deletes are one
// synced batch, so a crash leaves every key in exactly one place and the
// next open moves the rest. The version changes last.
absl::Status MigrateFromVersion1(LogDb& db) {
  spdlog::info(
      "event log: format version 1 -> 2: moving the entries and the id "
      "index into column families of their own");
  rocksdb::WriteOptions sync;
  sync.sync = true;
  for (const auto& [tag, to] : {std::pair{keys::kEntryTag, db.entries()},
                                std::pair{keys::kIdTag, db.ids()}}) {
    const std::string lower(1, tag);
    const std::string upper(1, static_cast<char>(tag + 1));
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db.db().NewIterator(ro, db.meta()));
    rocksdb::WriteBatch wb;
    uint64_t moved = 0;
    for (it->Seek(lower); it->Valid(); it->Next()) {
      RETURN_IF_ERROR(
          FromRocks(wb.Put(to, it->key(), it->value()), "migrating"));
      RETURN_IF_ERROR(FromRocks(wb.Delete(db.meta(), it->key()), "migrating"));
      ++moved;
      if (wb.GetDataSize() >= (8u << 20)) {
        RETURN_IF_ERROR(
            FromRocks(db.db().Write(sync, &wb), "migrating the log"));
        wb.Clear();
      }
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "migrating the log"));
    if (wb.Count() > 0) {
      RETURN_IF_ERROR(FromRocks(db.db().Write(sync, &wb), "migrating the log"));
    }
    spdlog::info("event log: moved {} '{}' keys", moved, tag);
  }
  RETURN_IF_ERROR(
      FromRocks(db.db().Put(sync, db.meta(), keys::MetaKey("format_version"),
                            std::to_string(keys::kFormatVersion)),
                "writing the format version"));
  // Drop the moved keys' tombstones from the default column family.
  const rocksdb::Slice begin("e"), end("j");
  RETURN_IF_ERROR(FromRocks(db.db().CompactRange(rocksdb::CompactRangeOptions(),
                                                 db.meta(), &begin, &end),
                            "compacting after the migration"));
  spdlog::info("event log: now format version {}", keys::kFormatVersion);
  return absl::OkStatus();
}

// Checks (and for a new log writes) the format version; migrates version 1.
absl::Status CheckFormat(LogDb& db) {
  std::string value;
  rocksdb::Status s = db.db().Get(rocksdb::ReadOptions(), db.meta(),
                                  keys::MetaKey("format_version"), &value);
  if (s.IsNotFound()) {
    if (!IsEmpty(db.db(), db.meta()) || !IsEmpty(db.db(), db.entries()) ||
        !IsEmpty(db.db(), db.ids())) {
      return absl::FailedPreconditionError(
          "the directory holds a RocksDB database that is not a Detente log "
          "(no format version)");
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return FromRocks(db.db().Put(wo, db.meta(), keys::MetaKey("format_version"),
                                 std::to_string(keys::kFormatVersion)),
                     "writing the format version");
  }
  RETURN_IF_ERROR(FromRocks(s, "reading the format version"));
  if (value == "1") return MigrateFromVersion1(db);
  if (value != std::to_string(keys::kFormatVersion)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the log has format version ", value,
                     "; this build reads versions 1 (migrated when opened) "
                     "and ",
                     keys::kFormatVersion));
  }
  return absl::OkStatus();
}

}  // namespace

LogDbOptions MakeLogDbOptions(size_t block_cache_bytes, rocksdb::Env* env) {
  LogDbOptions o;
  o.db.create_if_missing = true;
  if (env != nullptr) o.db.env = env;
  o.db.info_log = MakeRocksLogger();
  o.db.IncreaseParallelism(2);
  o.db.max_background_jobs = 2;
  // A write-ahead log file is deleted once every column family has flushed
  // what it holds; the default family fills its memtable slowly, so without
  // a bound the logs would keep ~4x every memtable's size (~900 MiB). Past
  // this size the families holding the oldest log are flushed.
  o.db.max_total_wal_size = 128u << 20;
  std::shared_ptr<rocksdb::Cache> cache =
      rocksdb::NewLRUCache(block_cache_bytes);
  // Default: metadata, the stream index and the stream heads. Memory only
  // (not persisted, the files are unchanged): each stream's index keys
  // continue their memtable inserts from where that stream's last one went.
  o.meta.memtable_insert_with_hint_prefix_extractor =
      NewStreamInsertHint(std::string(1, keys::kStreamTag));
  o.meta.table_factory = NewTableFactory(cache, /*bloom=*/true);
  o.meta.write_buffer_size = 32u << 20;
  // Entries: appended in key order, so flushed files never overlap and
  // compactions move them down without rewriting them; always read by a
  // key that exists, so no bloom filter.
  o.entries.table_factory = NewTableFactory(cache, /*bloom=*/false);
  o.entries.write_buffer_size = 32u << 20;
  // The id index: random UUIDs, looked up (almost always missing) for
  // every appended entry. A bloom filter in the files and over the
  // memtable's whole keys (memory only).
  o.ids.table_factory = NewTableFactory(cache, /*bloom=*/true);
  o.ids.memtable_whole_key_filtering = true;
  o.ids.memtable_prefix_bloom_size_ratio = 0.05;
  o.ids.write_buffer_size = 48u << 20;
  return o;
}

LogDb::LogDb(std::unique_ptr<rocksdb::DB> db,
             std::vector<rocksdb::ColumnFamilyHandle*> handles)
    : db_(std::move(db)), handles_(std::move(handles)) {
  entries_ = ids_ = db_->DefaultColumnFamily();
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    if (h->GetName() == kEntriesFamily) entries_ = h;
    if (h->GetName() == kIdsFamily) ids_ = h;
  }
}

LogDb::~LogDb() { Close().PermitUncheckedError(); }

rocksdb::Status LogDb::Close() {
  if (!db_) return rocksdb::Status::OK();
  rocksdb::Status first;
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    if (h == db_->DefaultColumnFamily()) continue;
    rocksdb::Status s = db_->DestroyColumnFamilyHandle(h);
    if (first.ok()) first = s;
  }
  handles_.clear();
  rocksdb::Status s = db_->Close();
  db_.reset();
  return first.ok() ? s : first;
}

absl::StatusOr<std::unique_ptr<LogDb>> OpenLogDb(const LogDbOptions& options,
                                                 const std::string& path,
                                                 LogDbMode mode) {
  const bool read_only = mode == LogDbMode::kReadOnly;
  std::vector<std::string> existing;
  const bool exists =
      std::filesystem::exists(std::filesystem::path(path) / "CURRENT");
  if (exists) {
    rocksdb::Status s =
        rocksdb::DB::ListColumnFamilies(options.db, path, &existing);
    if (!s.ok()) return Unavailable(path, s);
  } else if (read_only) {
    return absl::UnavailableError(absl::StrCat("cannot open the event log at ",
                                               path, ": no database there"));
  } else {
    existing = {rocksdb::kDefaultColumnFamilyName, kEntriesFamily, kIdsFamily};
  }
  auto options_of = [&](const std::string& name) {
    if (name == kEntriesFamily) return options.entries;
    if (name == kIdsFamily) return options.ids;
    return options.meta;
  };
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  bool had_entries = false, had_ids = false;
  for (const std::string& name : existing) {
    families.emplace_back(name, options_of(name));
    had_entries |= name == kEntriesFamily;
    had_ids |= name == kIdsFamily;
  }
  rocksdb::DBOptions db_options = options.db;
  db_options.create_missing_column_families = !exists;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      read_only ? rocksdb::DB::OpenForReadOnly(db_options, path, families,
                                               &handles, &raw)
                : rocksdb::DB::Open(db_options, path, families, &handles, &raw);
  if (!s.ok()) return Unavailable(path, s);
  auto log_db = std::make_unique<LogDb>(std::unique_ptr<rocksdb::DB>(raw),
                                        std::move(handles));
  if (read_only) return log_db;
  // A version-1 log gets its column families only once its version is
  // checked: nothing is created in a database that is not a Detente log.
  if (!had_entries || !had_ids) {
    std::string value;
    s = log_db->db().Get(rocksdb::ReadOptions(), log_db->meta(),
                         keys::MetaKey("format_version"), &value);
    if (s.IsNotFound() && !IsEmpty(log_db->db(), log_db->meta())) {
      return absl::FailedPreconditionError(
          "the directory holds a RocksDB database that is not a Detente log "
          "(no format version)");
    }
    if (!s.ok() && !s.IsNotFound()) {
      return FromRocks(s, "reading the format version");
    }
    if (s.ok() && value != "1") {
      return absl::FailedPreconditionError(absl::StrCat(
          "the log has format version ", value,
          " but not its column families; this build reads versions 1 "
          "(migrated when opened) and ",
          keys::kFormatVersion));
    }
    log_db->Close().PermitUncheckedError();
    // Reopen with every family, creating the missing ones.
    if (!had_entries) families.emplace_back(kEntriesFamily, options.entries);
    if (!had_ids) families.emplace_back(kIdsFamily, options.ids);
    db_options.create_missing_column_families = true;
    handles.clear();
    s = rocksdb::DB::Open(db_options, path, families, &handles, &raw);
    if (!s.ok()) return Unavailable(path, s);
    log_db = std::make_unique<LogDb>(std::unique_ptr<rocksdb::DB>(raw),
                                     std::move(handles));
  }
  RETURN_IF_ERROR(CheckFormat(*log_db));
  return log_db;
}

}  // namespace detente
