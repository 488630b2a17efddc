// The log's column families, and the migration of version-1 logs (every key
// in the default column family, docs/storage-format.md), version-2 logs
// (every 'i' key written with its entry, no id index mark), version-3 logs
// and version-4 logs (an 's' key per entry instead of runs). The older logs
// are made from current ones with RocksDB directly, as the layout of their
// version describes them.
#include "eventlog/log_db.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <filesystem>
#include <map>
#include <set>

#include "eventlog/keys.h"
#include "eventlog/record_codec.h"
#include "eventlog/rocks_event_log.h"
#include "eventlog/stream_runs.h"
#include "eventlog/test_entries.h"
#include "eventlog/verify.h"

namespace detente {
namespace {

using ::detente::testing::MakeCorrection;
using ::detente::testing::MakeEvent;
using ::detente::testing::MakeRetraction;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Families(const std::string& path) {
  std::vector<std::string> names;
  EXPECT_TRUE(
      rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
  return names;
}

// The keys of one column family, in order.
std::vector<std::pair<std::string, std::string>> Dump(
    rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family) {
  std::vector<std::pair<std::string, std::string>> out;
  std::unique_ptr<rocksdb::Iterator> it(
      db.NewIterator(rocksdb::ReadOptions(), family));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace_back(it->key().ToString(), it->value().ToString());
  }
  EXPECT_TRUE(it->status().ok());
  return out;
}

// The stream runs of the default family (format version 5), decoded, by
// stream in key order. Fails the test on a malformed run or on any 's' key
// (version 5 has none).
std::map<std::string, std::vector<StreamRun>> Runs(LogDb& d) {
  std::map<std::string, std::vector<StreamRun>> out;
  for (const auto& [k, v] : Dump(d.db(), d.meta())) {
    EXPECT_NE(k[0], keys::kStreamTag);
    if (k[0] != keys::kStreamRunTag) continue;
    std::optional<keys::StreamRunKeyParts> key = keys::DecodeStreamRunKey(k);
    EXPECT_TRUE(key.has_value());
    if (!key) continue;
    StreamRun run;
    EXPECT_TRUE(DecodeStreamRun(key->first.value(), v, &run).ok());
    out[std::string(key->stream)].push_back(std::move(run));
  }
  return out;
}

// The positions the runs hold, all streams together.
uint64_t PositionsInRuns(LogDb& d) {
  uint64_t n = 0;
  for (const auto& [stream, runs] : Runs(d)) {
    for (const StreamRun& run : runs) n += run.positions.size();
  }
  return n;
}

class LogDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("detente-logdb-test-" + Uuid::Random().ToString());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path() const { return dir_.string(); }

  // The log's database, to change as an older version or a crash would
  // have left it (the log closed); null after a failure.
  std::unique_ptr<LogDb> OpenDb() {
    auto db = OpenLogDb(MakeLogDbOptions(1u << 20, nullptr), path(),
                        LogDbMode::kReadWrite);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? *std::move(db) : nullptr;
  }

  std::unique_ptr<EventLog> MustOpen() {
    auto log = OpenRocksEventLog({.path = path()});
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *std::move(log) : nullptr;
  }

  // A log with events on several streams, a correction and a retraction.
  void WriteHistory() {
    std::unique_ptr<EventLog> log = MustOpen();
    ASSERT_NE(log, nullptr);
    std::vector<Entry> batch;
    for (int i = 0; i < 300; ++i) {
      batch.push_back(MakeEvent(i % 3 == 0 ? "KOR" : "USA",
                                i % 2 == 0 ? "JPN" : "CHN",
                                absl::StrCat(1960 + i % 60, "-05-03")));
    }
    first_ = batch[0];
    ASSERT_TRUE(log->Append({batch, {}}).ok());
    ASSERT_TRUE(log->Append({{MakeCorrection(batch[1].event_id,
                                             MakeEvent("USA", "CHN", "1999")),
                              MakeRetraction(batch[2].event_id)},
                             {}})
                    .ok());
    for (const RecordedEntry& e : testing::ReadAllEntries(*log)) {
      before_.push_back(EncodeRecord(e));
    }
    ASSERT_EQ(before_.size(), 302u);
  }

  // The stream index as versions 2 to 4 wrote it: each run's positions as
  // 's' keys (-> be64(revision)) instead of the 'r' key.
  void RunsToStreamKeys(LogDb& d, rocksdb::WriteBatch& wb) {
    for (const auto& [k, v] : Dump(d.db(), d.meta())) {
      if (k[0] != keys::kStreamRunTag) continue;
      std::optional<keys::StreamRunKeyParts> key = keys::DecodeStreamRunKey(k);
      ASSERT_TRUE(key.has_value());
      StreamRun run;
      ASSERT_TRUE(DecodeStreamRun(key->first.value(), v, &run).ok());
      for (size_t i = 0; i < run.positions.size(); ++i) {
        std::string revision;
        keys::PutBigEndian64(&revision, run.first_revision + i);
        ASSERT_TRUE(
            wb.Put(d.meta(),
                   keys::StreamKey(key->stream, Position(run.positions[i])),
                   revision)
                .ok());
      }
      ASSERT_TRUE(wb.Delete(d.meta(), k).ok());
    }
  }

  // The layout of version 4: an 's' key per entry, the mark at `mark`; with
  // `keep_runs`, the runs too (a migration to 5 cut off after its
  // ingestion).
  void DowngradeToVersion4(uint64_t mark, bool keep_runs = false) {
    std::unique_ptr<LogDb> db = OpenDb();
    ASSERT_NE(db, nullptr);
    LogDb& d = *db;
    rocksdb::WriteBatch wb;
    ASSERT_NO_FATAL_FAILURE(RunsToStreamKeys(d, wb));
    for (const auto& [k, v] : Dump(d.db(), d.meta())) {
      // As RunsToStreamKeys found them (the batch deletes them first).
      if (keep_runs && k[0] == keys::kStreamRunTag) {
        ASSERT_TRUE(wb.Put(d.meta(), k, v).ok());
      }
    }
    ASSERT_TRUE(wb.Put(d.meta(), keys::MetaKey("format_version"), "4").ok());
    std::string value;
    keys::PutBigEndian64(&value, mark);
    ASSERT_TRUE(wb.Put(d.meta(), keys::MetaKey(keys::kIdsThrough), value).ok());
    ASSERT_TRUE(d.db().Write(rocksdb::WriteOptions(), &wb).ok());
    size_t stream_keys = 0;
    for (const auto& [k, v] : Dump(d.db(), d.meta())) {
      stream_keys += k[0] == keys::kStreamTag;
    }
    EXPECT_EQ(stream_keys, 302u);
    ASSERT_TRUE(d.Close().ok());
  }

  // Moves every key back into the default column family and drops the
  // others: the layout of version 1. With `leave_moved` > 0, that many 'e'
  // keys stay in "entries" (a migration interrupted after its first chunk).
  void DowngradeToVersion1(size_t leave_moved = 0) {
    std::unique_ptr<LogDb> db = OpenDb();
    ASSERT_NE(db, nullptr);
    LogDb& d = *db;
    rocksdb::WriteBatch wb;
    ASSERT_NO_FATAL_FAILURE(RunsToStreamKeys(d, wb));
    size_t kept = 0;
    for (rocksdb::ColumnFamilyHandle* family : {d.entries(), d.ids()}) {
      for (const auto& [k, v] : Dump(d.db(), family)) {
        if (family == d.entries() && kept < leave_moved) {
          ++kept;
          continue;
        }
        ASSERT_TRUE(wb.Put(d.meta(), k, v).ok());
        ASSERT_TRUE(wb.Delete(family, k).ok());
      }
    }
    ASSERT_TRUE(wb.Put(d.meta(), keys::MetaKey("format_version"), "1").ok());
    ASSERT_TRUE(wb.Delete(d.meta(), keys::MetaKey(keys::kIdsThrough)).ok());
    ASSERT_TRUE(d.db().Write(rocksdb::WriteOptions(), &wb).ok());
    if (leave_moved == 0) {
      ASSERT_TRUE(d.db().DropColumnFamily(d.entries()).ok());
      ASSERT_TRUE(d.db().DropColumnFamily(d.ids()).ok());
    }
    ASSERT_TRUE(d.Close().ok());
  }

  // The log reads, finds ids and appends as before the downgrade, in the
  // layout of the current version.
  void ExpectMigrated() {
    std::unique_ptr<EventLog> log = MustOpen();
    ASSERT_NE(log, nullptr);
    std::vector<std::string> after;
    for (const RecordedEntry& e : testing::ReadAllEntries(*log)) {
      after.push_back(EncodeRecord(e));
    }
    EXPECT_EQ(after, before_);
    ReadRequest by_stream;
    by_stream.filter.stream = "JPN-KOR";
    EXPECT_EQ(testing::ReadAllEntries(*log, by_stream).size(), 50u);
    auto got = log->Get(first_.event_id);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->position, Position(1));
    // The id index still knows every id: the same batch again is a
    // duplicate, not new entries.
    auto again = log->Append({{first_}, {}});
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_TRUE(again->outcomes[0].duplicate);
    auto next = log->Append({{MakeEvent("KOR", "JPN")}, {}});
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_EQ(next->first, Position(303));
    auto info = log->Info();
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->format_version, keys::kFormatVersion);
    log.reset();

    auto report = VerifyRocksEventLog(path());
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->ok()) << report->problems[0];
    EXPECT_EQ(report->entries, 303u);
    EXPECT_THAT(Families(path()),
                UnorderedElementsAre("default", "entries", "ids"));
    auto db = OpenLogDb(MakeLogDbOptions(1u << 20, nullptr), path(),
                        LogDbMode::kReadOnly);
    ASSERT_TRUE(db.ok()) << db.status();
    for (const auto& [k, v] : Dump((*db)->db(), (*db)->meta())) {
      EXPECT_NE(k[0], keys::kEntryTag);
      EXPECT_NE(k[0], keys::kIdTag);
    }
    EXPECT_EQ(PositionsInRuns(**db), 303u);
    EXPECT_EQ(Dump((*db)->db(), (*db)->entries()).size(), 303u);
    EXPECT_EQ(Dump((*db)->db(), (*db)->ids()).size(), 303u);
  }

  std::filesystem::path dir_;
  Entry first_;
  std::vector<std::string> before_;
};

// Reads the id index's mark; 0 when absent.
uint64_t IdsThrough(LogDb& db) {
  std::string v;
  rocksdb::Status s = db.db().Get(rocksdb::ReadOptions(), db.meta(),
                                  keys::MetaKey(keys::kIdsThrough), &v);
  if (s.IsNotFound()) return 0;
  EXPECT_TRUE(s.ok()) << s.ToString();
  return keys::GetBigEndian64(v).value_or(UINT64_MAX);
}

TEST_F(LogDbTest, ANewLogHasItsColumnFamiliesAndVersion5) {
  WriteHistory();
  EXPECT_THAT(Families(path()),
              UnorderedElementsAre("default", "entries", "ids"));
  auto db = OpenLogDb(MakeLogDbOptions(1u << 20, nullptr), path(),
                      LogDbMode::kReadOnly);
  ASSERT_TRUE(db.ok()) << db.status();
  std::string version;
  ASSERT_TRUE((*db)
                  ->db()
                  .Get(rocksdb::ReadOptions(), (*db)->meta(),
                       keys::MetaKey("format_version"), &version)
                  .ok());
  EXPECT_EQ(version, "5");
  EXPECT_EQ(Dump((*db)->db(), (*db)->entries()).size(), 302u);
  // Closing the log wrote the ids it held in memory, and the stream index:
  // one run for each of the four streams.
  EXPECT_EQ(Dump((*db)->db(), (*db)->ids()).size(), 302u);
  EXPECT_EQ(IdsThrough(**db), 302u);
  std::map<std::string, std::vector<StreamRun>> runs = Runs(**db);
  ASSERT_EQ(runs.size(), 4u);
  // JPN-KOR: the events i % 6 == 0 of the first batch, at positions 1, 7, ...
  ASSERT_EQ(runs["JPN-KOR"].size(), 1u);
  const StreamRun& run = runs["JPN-KOR"][0];
  ASSERT_EQ(run.positions.size(), 50u);
  EXPECT_EQ(run.first_revision, 0u);
  for (size_t k = 0; k < 50; ++k) EXPECT_EQ(run.positions[k], 1 + 6 * k);
}

// Version 2 wrote every 'i' key with its entry and had no mark: the
// migration sets the mark to the head, and the ids stay where they are.
TEST_F(LogDbTest, MigratesAVersion2Log) {
  WriteHistory();
  {
    std::unique_ptr<LogDb> db = OpenDb();
    ASSERT_NE(db, nullptr);
    LogDb& d = *db;
    rocksdb::WriteBatch wb;
    ASSERT_NO_FATAL_FAILURE(RunsToStreamKeys(d, wb));
    ASSERT_TRUE(wb.Put(d.meta(), keys::MetaKey("format_version"), "2").ok());
    ASSERT_TRUE(wb.Delete(d.meta(), keys::MetaKey(keys::kIdsThrough)).ok());
    ASSERT_TRUE(d.db().Write(rocksdb::WriteOptions(), &wb).ok());
    ASSERT_TRUE(d.Close().ok());
  }
  // --verify reads version 2 as it is.
  auto report = VerifyRocksEventLog(path());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok()) << report->problems[0];
  {
    std::unique_ptr<LogDb> db = OpenDb();
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(IdsThrough(*db), 302u);
    ASSERT_TRUE(db->Close().ok());
  }
  ExpectMigrated();
}

// Version 3 wrote every 's' and 'h' key with its entry; only the 'i' keys
// past the mark could be missing. Here the mark is at 100: the migration
// changes only the version, the entries past the mark are indexed in
// memory again (their 's' keys both there and in the database), and reads
// of a stream see each entry once.
TEST_F(LogDbTest, MigratesAVersion3Log) {
  WriteHistory();
  {
    std::unique_ptr<LogDb> db = OpenDb();
    ASSERT_NE(db, nullptr);
    LogDb& d = *db;
    rocksdb::WriteBatch wb;
    ASSERT_NO_FATAL_FAILURE(RunsToStreamKeys(d, wb));
    ASSERT_TRUE(wb.Put(d.meta(), keys::MetaKey("format_version"), "3").ok());
    std::string mark;
    keys::PutBigEndian64(&mark, 100);
    ASSERT_TRUE(wb.Put(d.meta(), keys::MetaKey(keys::kIdsThrough), mark).ok());
    size_t deleted = 0;
    for (const auto& [k, v] : Dump(d.db(), d.ids())) {
      std::optional<keys::IdValue> id = keys::DecodeIdValue(v);
      ASSERT_TRUE(id.has_value());
      if (id->position.value() > 100) {
        ASSERT_TRUE(wb.Delete(d.ids(), k).ok());
        ++deleted;
      }
    }
    EXPECT_EQ(deleted, 202u);
    ASSERT_TRUE(d.db().Write(rocksdb::WriteOptions(), &wb).ok());
    EXPECT_EQ(Dump(d.db(), d.meta()).size() - 2 - 4,  // 'm' keys, 'h' keys
              302u);
    ASSERT_TRUE(d.Close().ok());
  }
  // --verify reads version 3 as it is.
  auto report = VerifyRocksEventLog(path());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok()) << report->problems[0];
  ExpectMigrated();
}

// Version 4 wrote an 's' key per entry, as files a chunk at a time: those
// past the mark may be there (an ingestion whose mark a crash cut off). The
// migration packs the 's' keys up to the mark into runs and drops all of
// them; the entries past the mark are indexed in memory again.
TEST_F(LogDbTest, MigratesAVersion4Log) {
  WriteHistory();
  ASSERT_NO_FATAL_FAILURE(DowngradeToVersion4(/*mark=*/100));
  auto report = VerifyRocksEventLog(path());  // version 4 as it is
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok()) << report->problems[0];
  {
    // A malformed 's' key (no position) does not stop the migration: it is
    // dropped with the rest.
    // (RocksDB directly: an open of the log would migrate it.)
    rocksdb::DB* raw = nullptr;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& name : Families(path())) {
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), path(), families,
                                  &handles, &raw)
                    .ok());
    ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), raw->DefaultColumnFamily(),
                         std::string("s\x07JPN-KOR", 9), "?")
                    .ok());
    for (rocksdb::ColumnFamilyHandle* h : handles) {
      ASSERT_TRUE(raw->DestroyColumnFamilyHandle(h).ok());
    }
    delete raw;
  }
  {
    std::unique_ptr<LogDb> db = OpenDb();
    ASSERT_NE(db, nullptr);
    // The runs hold the entries up to the mark only.
    for (const auto& [stream, runs] : Runs(*db)) {
      for (const StreamRun& run : runs) EXPECT_LE(run.positions.back(), 100u);
    }
    EXPECT_EQ(PositionsInRuns(*db), 100u);
    ASSERT_TRUE(db->Close().ok());
  }
  report = VerifyRocksEventLog(path());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok()) << report->problems[0];
  ExpectMigrated();
}

// A crash between the migration's ingestion of the runs and its batch
// leaves version 4 with both: the next open writes the same runs again.
TEST_F(LogDbTest, ResumesAnInterruptedMigrationFromVersion4) {
  WriteHistory();
  ASSERT_NO_FATAL_FAILURE(
      DowngradeToVersion4(/*mark=*/302, /*keep_runs=*/true));
  ExpectMigrated();
}

// With TableMetadata::kInCache the index and filter blocks of the tables
// are charged to the block cache instead of to each open table. The ids'
// bloom filter alone takes 16 bits per id: for 20,000 ids ~40 KB leave the
// table readers' memory and enter the cache, and the log reads the same.
TEST_F(LogDbTest, IndexAndFilterBlocksCanLiveInTheBlockCache) {
  constexpr int kEvents = 20000;
  {
    std::unique_ptr<EventLog> log = MustOpen();
    ASSERT_NE(log, nullptr);
    for (int b = 0; b < kEvents / 1000; ++b) {
      std::vector<Entry> batch;
      for (int i = 0; i < 1000; ++i) batch.push_back(MakeEvent("KOR", "JPN"));
      ASSERT_TRUE(log->Append({batch, {}}).ok());
    }
  }
  auto open_flushed_and_read = [&](TableMetadata metadata) {
    StorageMemory m;
    auto db = OpenLogDb(MakeLogDbOptions(4u << 20, nullptr, metadata), path(),
                        LogDbMode::kReadWrite);
    EXPECT_TRUE(db.ok()) << db.status();
    if (!db.ok()) return m;
    LogDb& d = **db;
    EXPECT_TRUE(
        d.db()
            .Flush(rocksdb::FlushOptions(), {d.meta(), d.entries(), d.ids()})
            .ok());
    EXPECT_EQ(Dump(d.db(), d.entries()).size(), size_t{kEvents});
    const auto ids = Dump(d.db(), d.ids());
    EXPECT_EQ(ids.size(), size_t{kEvents});
    for (const auto& [k, v] : ids) {  // point lookups go through the filters
      std::string value;
      EXPECT_TRUE(d.db().Get(rocksdb::ReadOptions(), d.ids(), k, &value).ok());
      EXPECT_EQ(value, v);
    }
    m = d.Memory();
    EXPECT_TRUE(d.Close().ok());
    return m;
  };
  const StorageMemory outside =
      open_flushed_and_read(TableMetadata::kOutsideCache);
  const StorageMemory inside = open_flushed_and_read(TableMetadata::kInCache);
  EXPECT_EQ(outside.block_cache_capacity, 4u << 20);
  EXPECT_EQ(inside.block_cache_capacity, 4u << 20);
  const uint64_t filter_bytes = kEvents * 10 / 8;
  EXPECT_GE(outside.table_readers, inside.table_readers + filter_bytes)
      << inside.table_readers;
  EXPECT_GE(inside.block_cache_usage, outside.block_cache_usage + filter_bytes)
      << outside.block_cache_usage;
}

// The entries' files are LZ4-compressed; a log whose files are Snappy's
// (every log before round 27) reads as before, and new files beside them
// are LZ4.
TEST_F(LogDbTest, EntriesAreLz4AndSnappyFilesStillRead) {
  auto compressions = [&](LogDb& d) {
    EXPECT_TRUE(d.db().Flush(rocksdb::FlushOptions(), d.entries()).ok());
    rocksdb::TablePropertiesCollection tables;
    EXPECT_TRUE(d.db().GetPropertiesOfAllTables(d.entries(), &tables).ok());
    std::multiset<std::string> names;
    for (const auto& [file, props] : tables) {
      names.insert(props->compression_name);
    }
    return names;
  };
  WriteHistory();
  {  // Its entries rewritten into a Snappy file, as the log wrote them before.
    LogDbOptions o = MakeLogDbOptions(1u << 20, nullptr);
    o.entries.compression = rocksdb::kSnappyCompression;
    auto db = OpenLogDb(o, path(), LogDbMode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.status();
    rocksdb::CompactRangeOptions all;
    all.bottommost_level_compaction =
        rocksdb::BottommostLevelCompaction::kForce;
    ASSERT_TRUE(
        (*db)->db().CompactRange(all, (*db)->entries(), nullptr, nullptr).ok());
    EXPECT_THAT(compressions(**db), ::testing::ElementsAre("Snappy"));
  }
  {
    std::unique_ptr<EventLog> log = MustOpen();
    ASSERT_NE(log, nullptr);
    std::vector<std::string> read;
    for (const RecordedEntry& e : testing::ReadAllEntries(*log)) {
      read.push_back(EncodeRecord(e));
    }
    EXPECT_EQ(read, before_);
    std::vector<Entry> more;
    for (int i = 0; i < 10; ++i) more.push_back(MakeEvent("KOR", "JPN"));
    ASSERT_TRUE(log->Append({more, {}}).ok());
  }
  std::unique_ptr<LogDb> d = OpenDb();
  ASSERT_NE(d, nullptr);
  EXPECT_THAT(compressions(*d), ::testing::ElementsAre("LZ4", "Snappy"));
}

TEST_F(LogDbTest, MigratesAVersion1Log) {
  WriteHistory();
  DowngradeToVersion1();
  // Version 1 as it was: one column family, which plain RocksDB opens.
  EXPECT_THAT(Families(path()), UnorderedElementsAre("default"));
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(
        rocksdb::DB::OpenForReadOnly(rocksdb::Options(), path(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    EXPECT_EQ(Dump(*db, db->DefaultColumnFamily()).size(),
              1 + 302 + 302 + 302 + 4u);  // version, e, i, s, h
  }
  // --verify reads version 1 as it is.
  auto report = VerifyRocksEventLog(path());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok()) << report->problems[0];
  EXPECT_EQ(report->entries, 302u);
  ExpectMigrated();
}

TEST_F(LogDbTest, ResumesAnInterruptedMigration) {
  WriteHistory();
  DowngradeToVersion1(/*leave_moved=*/120);
  EXPECT_THAT(Families(path()),
              UnorderedElementsAre("default", "entries", "ids"));
  ExpectMigrated();
}

TEST_F(LogDbTest, RefusesAForeignDatabaseAndLeavesItUntouched) {
  {
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, path(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "hello", "world").ok());
  }
  auto log = OpenRocksEventLog({.path = path()});
  EXPECT_EQ(log.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(log.status().message(), HasSubstr("not a Detente log"));
  EXPECT_THAT(Families(path()), UnorderedElementsAre("default"));
}

TEST_F(LogDbTest, RefusesALaterVersion) {
  WriteHistory();
  {
    std::unique_ptr<LogDb> db = OpenDb();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->db()
                    .Put(rocksdb::WriteOptions(), db->meta(),
                         keys::MetaKey("format_version"), "6")
                    .ok());
  }
  auto log = OpenRocksEventLog({.path = path()});
  EXPECT_EQ(log.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(log.status().message(), HasSubstr("format version 6"));
}

}  // namespace
}  // namespace detente
