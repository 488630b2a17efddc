#include "eventlog/log_db.h"

#include <rocksdb/cache.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/write_batch.h>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "eventlog/keys.h"
#include "eventlog/rocks_logger.h"
#include "eventlog/rocks_status.h"
#include "eventlog/rocks_tuning.h"
#include "eventlog/stream_runs.h"
#include "eventlog/table_ingest.h"
#include "eventlog/zeroed_wal.h"
#include "spdlog/spdlog.h"

namespace detente {
namespace {

constexpr char kEntriesFamily[] = "entries";
constexpr char kIdsFamily[] = "ids";

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
  RETURN_IF_ERROR(FromRocks(
      db.db().Put(sync, db.meta(), keys::MetaKey("format_version"), "2"),
      "writing the format version"));
  // Drop the moved keys' tombstones from the default column family.
  const rocksdb::Slice begin("e"), end("j");
  RETURN_IF_ERROR(FromRocks(db.db().CompactRange(rocksdb::CompactRangeOptions(),
                                                 db.meta(), &begin, &end),
                            "compacting after the migration"));
  spdlog::info("event log: now format version 2");
  return absl::OkStatus();
}

// Version 2 -> 4: version 2 wrote every entry's 'i', 's' and 'h' keys with
// the entry, so the index's mark is the head. One synced batch with the
// version (then 4 -> 5).
absl::Status MigrateFromVersion2(LogDb& db) {
  std::unique_ptr<rocksdb::Iterator> it(
      db.db().NewIterator(rocksdb::ReadOptions(), db.entries()));
  it->SeekForPrev(keys::EntryKey(Position(UINT64_MAX)));
  uint64_t head = 0;
  if (it->Valid()) {
    std::optional<Position> p =
        keys::DecodeEntryKey({it->key().data(), it->key().size()});
    if (!p) return absl::DataLossError("malformed key in the log");
    head = p->value();
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "finding the head"));
  std::string mark;
  keys::PutBigEndian64(&mark, head);
  rocksdb::WriteBatch wb;
  RETURN_IF_ERROR(FromRocks(
      wb.Put(db.meta(), keys::MetaKey(keys::kIdsThrough), mark), "migrating"));
  RETURN_IF_ERROR(FromRocks(
      wb.Put(db.meta(), keys::MetaKey("format_version"), "4"), "migrating"));
  rocksdb::WriteOptions sync;
  sync.sync = true;
  RETURN_IF_ERROR(FromRocks(db.db().Write(sync, &wb), "migrating the log"));
  spdlog::info(
      "event log: format version 2 -> 4: the index holds entries 1..{}; "
      "later entries' keys are written in sorted chunks",
      head);
  return absl::OkStatus();
}

// Version 3 -> 4: version 3 wrote every 's' and 'h' key with its entry, so
// they are complete and the mark still holds for all three indexes; only
// the version changes (so that an older build refuses the log instead of
// missing the stream index of its latest entries).
absl::Status MigrateFromVersion3(LogDb& db) {
  rocksdb::WriteOptions sync;
  sync.sync = true;
  RETURN_IF_ERROR(FromRocks(
      db.db().Put(sync, db.meta(), keys::MetaKey("format_version"), "4"),
      "migrating the log"));
  spdlog::info(
      "event log: format version 3 -> 4: the stream index of later entries "
      "is written in sorted chunks");
  return absl::OkStatus();
}

// Version 4 -> 5: packs the 's' keys of the entries up to the mark into
// runs ('r' keys, stream_runs.h), ingested as one table file; then one
// synced batch deletes every 's' key and writes the version. The 's' keys
// past the mark (an ingestion whose mark a crash cut off) are dropped: the
// entries past the mark are indexed again from memory (log_index.h), in
// runs that start past the mark. A crash before the batch leaves version 4
// and its 's' keys, and the next open writes the same runs again.
absl::Status MigrateFromVersion4(LogDb& db) {
  std::string value;
  rocksdb::Status s = db.db().Get(rocksdb::ReadOptions(), db.meta(),
                                  keys::MetaKey(keys::kIdsThrough), &value);
  uint64_t mark = 0;
  if (!s.IsNotFound()) {
    RETURN_IF_ERROR(FromRocks(s, "reading the index's mark"));
    std::optional<uint64_t> m = keys::GetBigEndian64(value);
    if (!m) return absl::DataLossError("corrupt id index mark");
    mark = *m;
  }
  spdlog::info(
      "event log: format version 4 -> 5: packing the stream index of entries "
      "1..{} into runs",
      mark);
  constexpr absl::string_view kFilePrefix = "format-5-";
  // The range of version 4's 's' keys.
  const std::string begin(1, keys::kStreamTag);
  const std::string end(1, keys::kStreamTag + 1);
  RemoveTableFilesLeftOver(db.db(), kFilePrefix);
  uint64_t packed = 0, dropped = 0, malformed = 0, runs = 0;
  const std::vector<TableWrites> tables = {
      {db.meta(),
       [&](rocksdb::SstFileWriter& file) -> absl::StatusOr<uint64_t> {
         auto put = [&](const std::string& key, const std::string& value) {
           ++runs;
           return FromRocks(file.Put(key, value), "writing the stream runs");
         };
         rocksdb::Slice upper_slice(end);
         rocksdb::ReadOptions ro;
         ro.iterate_upper_bound = &upper_slice;
         std::unique_ptr<rocksdb::Iterator> it(
             db.db().NewIterator(ro, db.meta()));
         // One stream's positions with consecutive revisions from `first`,
         // a run at a time (the splits PutStreamRuns would make).
         std::string stream;
         uint64_t first = 0;
         std::vector<uint64_t> positions;
         auto flush = [&]() -> absl::Status {
           if (positions.empty()) return absl::OkStatus();
           RETURN_IF_ERROR(PutStreamRuns(stream, first, positions, put));
           first += positions.size();
           positions.clear();
           return absl::OkStatus();
         };
         for (it->Seek(begin); it->Valid(); it->Next()) {
           const absl::string_view key(it->key().data(), it->key().size());
           std::optional<Position> p = keys::DecodeStreamKeyPosition(key);
           std::optional<uint64_t> revision = keys::GetBigEndian64(
               absl::string_view(it->value().data(), it->value().size()));
           if (!p || !revision || p->value() == 0) {
             ++malformed;  // reported below
             continue;
           }
           if (p->value() > mark) {
             ++dropped;
             continue;
           }
           ++packed;
           const absl::string_view name = key.substr(2, key.size() - 10);
           if (name != stream || *revision != first + positions.size()) {
             RETURN_IF_ERROR(flush());
             stream.assign(name.data(), name.size());
             first = *revision;
           }
           positions.push_back(p->value());
           if (positions.size() == kMaxStreamRun) RETURN_IF_ERROR(flush());
         }
         RETURN_IF_ERROR(FromRocks(it->status(), "reading the stream index"));
         RETURN_IF_ERROR(flush());
         return runs;
       }},
  };
  RETURN_IF_ERROR(
      IngestTables(db.db(), absl::StrCat(kFilePrefix, "runs"), tables));
  rocksdb::WriteBatch wb;
  RETURN_IF_ERROR(
      FromRocks(wb.DeleteRange(db.meta(), begin, end), "migrating"));
  RETURN_IF_ERROR(FromRocks(wb.Put(db.meta(), keys::MetaKey("format_version"),
                                   std::to_string(keys::kFormatVersion)),
                            "migrating"));
  rocksdb::WriteOptions sync;
  sync.sync = true;
  RETURN_IF_ERROR(FromRocks(db.db().Write(sync, &wb), "migrating the log"));
  spdlog::info(
      "event log: now format version {}: {} stream index keys packed into {} "
      "runs; {} keys past the mark dropped (their entries are indexed again "
      "from the log)",
      keys::kFormatVersion, packed, runs, dropped);
  if (malformed > 0) {
    spdlog::error(
        "event log: {} malformed stream index keys were dropped: reads of "
        "their streams may miss entries; run detente-ingest --verify",
        malformed);
  }
  // Drop the 's' keys and their tombstone now rather than in the
  // compactions to come. The migration is done: a failure here is not the
  // open's.
  const rocksdb::Slice begin_slice(begin), end_slice(end);
  rocksdb::Status compacted = db.db().CompactRange(
      rocksdb::CompactRangeOptions(), db.meta(), &begin_slice, &end_slice);
  if (!compacted.ok()) {
    spdlog::warn(
        "event log: compacting the old stream index away failed ({}); "
        "RocksDB's compactions will drop it in time",
        compacted.ToString());
  }
  return absl::OkStatus();
}

// Checks (and for a new log writes) the format version; migrates versions 1
// to 4, each step after the other.
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
  if (value == "1") {
    RETURN_IF_ERROR(MigrateFromVersion1(db));
    value = "2";
  }
  if (value == "2") {
    RETURN_IF_ERROR(MigrateFromVersion2(db));
    value = "4";
  }
  if (value == "3") {
    RETURN_IF_ERROR(MigrateFromVersion3(db));
    value = "4";
  }
  if (value == "4") return MigrateFromVersion4(db);
  if (value != std::to_string(keys::kFormatVersion)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the log has format version ", value,
                     "; this build reads versions 1 to 4 (migrated when "
                     "opened) and ",
                     keys::kFormatVersion));
  }
  return absl::OkStatus();
}

}  // namespace

LogDbOptions MakeLogDbOptions(size_t block_cache_bytes, rocksdb::Env* env,
                              TableMetadata metadata, WalFiles wal) {
  LogDbOptions o;
  o.db.create_if_missing = true;
  // Without an Env of the caller's (tests inject faults through theirs),
  // the write-ahead log of a log that syncs every write is written into
  // zeros: a synced append then costs no journal commit (zeroed_wal.h).
  o.db.env = env != nullptr             ? env
             : wal == WalFiles::kZeroed ? ZeroedWalEnv()
                                        : rocksdb::Env::Default();
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
  // Default: metadata, the stream index and the stream heads. The last two
  // arrive as ingested files (log_index.h) and are read by ranges (a
  // stream's entries; every head at an open), never looked up by a key that
  // may be missing, so no bloom filter. Its memtable holds a few 'm' keys.
  o.meta.table_factory =
      NewTableFactory(cache, /*bloom_bits_per_key=*/0, metadata);
  o.meta.write_buffer_size = 4u << 20;
  // Entries: appended in key order, so flushed files never overlap and
  // compactions move them down without rewriting them; always read by a
  // key that exists, so no bloom filter.
  o.entries.table_factory =
      NewTableFactory(cache, /*bloom_bits_per_key=*/0, metadata);
  o.entries.write_buffer_size = 32u << 20;
  // LZ4 rather than RocksDB's default Snappy: about as small here (176
  // bytes per event on disk against 177), and a replay decompresses every
  // block it reads (Snappy was 16% of a replay's CPU; round 27 of
  // docs/benchmarks.md). Files written before keep Snappy, which RocksDB
  // reads as before: each block records its compression.
  o.entries.compression = rocksdb::kLZ4Compression;
  // The id index: random UUIDs, looked up (almost always missing) for
  // every appended entry, in each of its files (a dozen at 10M entries), so
  // a bloom filter with few false positives: each one reads a data block
  // (round 16 of docs/benchmarks.md). Its keys arrive as ingested files
  // (log_index.h); only the migration of a version-1 log writes them
  // through the memtable.
  o.ids.table_factory =
      NewTableFactory(cache, /*bloom_bits_per_key=*/16, metadata);
  o.ids.write_buffer_size = 16u << 20;
  return o;
}

LogDb::LogDb(std::unique_ptr<FamilyDb> db)
    : db_(std::move(db)),
      entries_(db_->Find(kEntriesFamily)),
      ids_(db_->Find(kIdsFamily)) {}

absl::StatusOr<std::unique_ptr<LogDb>> OpenLogDb(const LogDbOptions& options,
                                                 const std::string& path,
                                                 LogDbMode mode) {
  FamilyDbOpen open{
      .path = path,
      .what = "the event log",
      .db = options.db,
      .families = {{rocksdb::kDefaultColumnFamilyName, options.meta},
                   {kEntriesFamily, options.entries},
                   {kIdsFamily, options.ids}},
      .read_only = mode == LogDbMode::kReadOnly};
  ASSIGN_OR_RETURN(std::unique_ptr<FamilyDb> db, OpenFamilyDb(open));
  if (open.read_only || (db->Has(kEntriesFamily) && db->Has(kIdsFamily))) {
    auto log_db = std::make_unique<LogDb>(std::move(db));
    if (!open.read_only) RETURN_IF_ERROR(CheckFormat(*log_db));
    return log_db;
  }
  // A version-1 log gets its column families only once its version is
  // checked: nothing is created in a database that is not a Detente log.
  std::string value;
  rocksdb::Status s =
      db->db().Get(rocksdb::ReadOptions(), db->db().DefaultColumnFamily(),
                   keys::MetaKey("format_version"), &value);
  if (s.IsNotFound() && !IsEmpty(db->db(), db->db().DefaultColumnFamily())) {
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
        " but not its column families; this build reads versions 1 to 4 "
        "(migrated when opened) and ",
        keys::kFormatVersion));
  }
  db->Close().PermitUncheckedError();
  // Reopen with every family, creating the missing ones.
  open.add_missing = true;
  ASSIGN_OR_RETURN(db, OpenFamilyDb(open));
  auto log_db = std::make_unique<LogDb>(std::move(db));
  RETURN_IF_ERROR(CheckFormat(*log_db));
  return log_db;
}

}  // namespace detente
