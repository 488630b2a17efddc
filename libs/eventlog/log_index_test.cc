// The log's index of format version 5 (log_index.h) through the event log:
// ids and the entries of each stream, in memory (also a chunk whose files
// could not be written) and in the database, are all found, each once;
// writing the files is retried after a failure; a reopen reads back the
// index past the mark, as a crash leaves it.
#include "eventlog/log_index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "absl/time/clock.h"
#include "eventlog/faulty_fs.h"
#include "eventlog/keys.h"
#include "eventlog/log_db.h"
#include "eventlog/rocks_event_log.h"
#include "eventlog/storage.pb.h"
#include "eventlog/stream_runs.h"
#include "eventlog/test_entries.h"
#include "eventlog/verify.h"

namespace detente {
namespace {

using ::detente::testing::MakeCorrection;
using ::detente::testing::MakeEvent;
using ::detente::testing::MakeRetraction;

class LogIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("detente-ids-test-" + Uuid::Random().ToString());
  }
  void TearDown() override {
    log_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open(size_t chunk, rocksdb::Env* env = nullptr) {
    log_.reset();
    auto log = OpenRocksEventLog(
        {.path = dir_.string(), .id_index_chunk = chunk, .env = env});
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = std::move(*log);
  }
  // `n` events in batches of 5, on three pairs.
  void AppendEvents(int n) {
    for (int b = 0; b < n / 5; ++b) {
      std::vector<Entry> batch;
      for (int i = 0; i < 5; ++i) {
        batch.push_back(
            MakeEvent(i % 3 == 0 ? "KOR" : "USA", i % 2 == 0 ? "JPN" : "CHN"));
      }
      auto r = log_->Append({batch, {}});
      ASSERT_TRUE(r.ok()) << r.status();
      for (const EntryOutcome& o : r->outcomes) {
        ASSERT_FALSE(o.duplicate);
        events_.push_back(batch[&o - r->outcomes.data()]);
        positions_.push_back(o.position);
        revisions_.push_back(o.stream_revision);
        streams_[o.stream].push_back(o.position);
        stream_of_.push_back(o.stream);
      }
    }
  }
  // Every event appended so far, again: each one a duplicate at its
  // position, and found by Get.
  void ExpectAllKnown() {
    for (size_t i = 0; i < events_.size(); i += 5) {
      std::vector<Entry> batch(
          events_.begin() + i,
          events_.begin() + std::min(i + 5, events_.size()));
      auto r = log_->Append({batch, {}});
      ASSERT_TRUE(r.ok()) << r.status();
      for (size_t k = 0; k < batch.size(); ++k) {
        EXPECT_TRUE(r->outcomes[k].duplicate) << "event " << i + k;
        EXPECT_EQ(r->outcomes[k].position, positions_[i + k]) << i + k;
        EXPECT_EQ(r->outcomes[k].stream_revision, revisions_[i + k]) << i + k;
      }
    }
    ExpectStreamsRead();
    for (size_t i = 0; i < events_.size(); ++i) {
      auto got = log_->Get(events_[i].event_id);
      ASSERT_TRUE(got.ok()) << got.status();
      ASSERT_TRUE(got->has_value()) << "event " << i;
      EXPECT_EQ((*got)->position, positions_[i]);
    }
  }
  // Each stream read whole, forward and backward, in pages of 7 and from
  // the middle: its positions in order, each once, with their revisions;
  // and the log's count of entries per stream.
  void ExpectStreamsRead() {
    auto info = log_->Info();
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->stream_count, streams_.size());
    for (const auto& [stream, positions] : streams_) {
      for (bool backward : {false, true}) {
        for (size_t start : {size_t{0}, positions.size() / 2}) {
          ReadRequest req;
          req.filter.stream = stream;
          req.backward = backward;
          req.max_entries = 7;
          std::vector<Position> expected(positions.begin() + start,
                                         positions.end());
          if (backward) {
            expected.assign(positions.rbegin() + start, positions.rend());
          }
          if (start > 0) req.from = expected[0];
          std::vector<Position> got;
          for (const RecordedEntry& e : testing::ReadAllEntries(*log_, req)) {
            got.push_back(e.position);
            EXPECT_EQ(e.stream, stream);
            const auto at =
                std::find(positions.begin(), positions.end(), e.position);
            EXPECT_EQ(e.stream_revision.value(),
                      static_cast<uint64_t>(at - positions.begin()));
          }
          EXPECT_EQ(got, expected)
              << stream << (backward ? " backward" : " forward") << " from "
              << start;
        }
      }
    }
  }
  // The log's database, to change as a crash or a bug would have left it
  // (the log closed); null after a failure.
  std::unique_ptr<LogDb> OpenDb() {
    auto db = OpenLogDb(MakeLogDbOptions(1u << 20, nullptr), dir_.string(),
                        LogDbMode::kReadWrite);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? *std::move(db) : nullptr;
  }
  // The mark and the 'i' keys as a read-only open sees them (the log may be
  // open: read-only opens take no lock).
  struct OnDisk {
    uint64_t mark = 0;
    size_t ids = 0;
  };
  OnDisk ReadDisk() {
    OnDisk d;
    auto db = OpenLogDb(MakeLogDbOptions(1u << 20, nullptr), dir_.string(),
                        LogDbMode::kReadOnly);
    EXPECT_TRUE(db.ok()) << db.status();
    if (!db.ok()) return d;
    std::string v;
    if ((*db)
            ->db()
            .Get(rocksdb::ReadOptions(), (*db)->meta(),
                 keys::MetaKey(keys::kIdsThrough), &v)
            .ok()) {
      d.mark = keys::GetBigEndian64(v).value_or(0);
    }
    std::unique_ptr<rocksdb::Iterator> it(
        (*db)->db().NewIterator(rocksdb::ReadOptions(), (*db)->ids()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++d.ids;
    return d;
  }
  // Replaces the stream index with the runs that ingestions of chunks
  // ending at `chunk_ends` would have written (each chunk's runs of a
  // stream keyed by its first position in the chunk), without the events
  // `missing` (indexes into events_).
  void RewriteStreamIndex(LogDb& d, rocksdb::WriteBatch& wb,
                          const std::vector<uint64_t>& chunk_ends,
                          const std::set<size_t>& missing = {}) {
    ASSERT_TRUE(wb.DeleteRange(d.meta(), std::string(1, keys::kStreamRunTag),
                               std::string(1, keys::kStreamRunTag + 1))
                    .ok());
    uint64_t after = 0;
    for (uint64_t end : chunk_ends) {
      for (const auto& [stream, unused] : streams_) {
        std::vector<uint64_t> positions;
        uint64_t first_revision = 0;
        for (size_t i = 0; i < events_.size(); ++i) {
          const uint64_t p = positions_[i].value();
          if (stream_of_[i] != stream || p <= after || p > end ||
              missing.contains(i)) {
            continue;
          }
          if (positions.empty()) first_revision = revisions_[i].value();
          positions.push_back(p);
        }
        ASSERT_TRUE(
            PutStreamRuns(stream, first_revision, positions,
                          [&](const std::string& k, const std::string& v) {
                            EXPECT_TRUE(wb.Put(d.meta(), k, v).ok());
                            return absl::OkStatus();
                          })
                .ok());
      }
      after = end;
    }
  }
  void ExpectSound() {
    auto report = VerifyRocksEventLog(dir_.string());
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->ok()) << report->problems[0];
  }

  std::filesystem::path dir_;
  std::unique_ptr<EventLog> log_;
  std::vector<Entry> events_;
  std::vector<Position> positions_;
  std::vector<StreamRevision> revisions_;
  std::map<std::string, std::vector<Position>> streams_;
  std::vector<std::string> stream_of_;  // by event
};

TEST_F(LogIndexTest, IdsAreFoundInMemoryAndInTheDatabase) {
  Open(/*chunk=*/50);
  AppendEvents(300);
  // The index thread writes a file once 50 ids wait: wait for most of them.
  // (Only the mark is read here: a read-only open beside a running writer
  // reads the manifest and then the write-ahead log, and may see a mark
  // whose file came after its manifest.)
  OnDisk disk;
  for (int i = 0; i < 200 && (disk = ReadDisk()).mark < 250; ++i) {
    absl::SleepFor(absl::Milliseconds(25));
  }
  ASSERT_GE(disk.mark, 250u);
  // Ids 1..250 and more are in the database now, the rest in memory.
  ExpectAllKnown();
  // Subjects from the database (the first event) and from memory (the last).
  auto r = log_->Append(
      {{MakeCorrection(events_.front().event_id, MakeEvent("KOR", "JPN")),
        MakeRetraction(events_.back().event_id)},
       {}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->first, Position(301));
  for (const EntryOutcome& o : r->outcomes) {
    streams_[o.stream].push_back(o.position);
  }
  ExpectStreamsRead();
  // Closing writes what memory holds.
  log_.reset();
  disk = ReadDisk();
  EXPECT_EQ(disk.mark, 302u);
  EXPECT_EQ(disk.ids, 302u);
  ExpectSound();
  Open(/*chunk=*/500000);
  ExpectAllKnown();
}

// The id filter (id_filter.h): after a Load it is filled from the index's
// files a slice at a time, and only then spares them the lookups of ids
// they lack; every id of the log is still found, whether it was in the
// files, in memory, or reached the files after the Load.
TEST_F(LogIndexTest, TheIdFilterIsFilledFromTheFilesAndSparesTheirLookups) {
  Open(/*chunk=*/100);
  AppendEvents(2000);
  log_.reset();  // closing writes every id into the files
  ASSERT_EQ(ReadDisk().ids, 2000u);

  std::unique_ptr<LogDb> db = OpenDb();
  ASSERT_NE(db, nullptr);
  LogIndex index;
  ASSERT_TRUE(index.Load(*db).ok());
  auto ask = [&](const std::vector<Uuid>& ids) {
    std::vector<std::pair<Uuid, size_t>> asked;
    for (size_t i = 0; i < ids.size(); ++i) asked.emplace_back(ids[i], i);
    std::sort(asked.begin(), asked.end());
    std::vector<std::optional<keys::IdValue>> out(ids.size());
    EXPECT_TRUE(index.GetMany(*db, asked, out).ok());
    return out;
  };
  std::vector<Uuid> known;
  for (const Entry& e : events_) known.push_back(e.event_id);
  std::vector<Uuid> unknown;
  for (int i = 0; i < 2000; ++i) unknown.push_back(Uuid::Random());
  auto expect_known = [&] {
    std::vector<std::optional<keys::IdValue>> out = ask(known);
    for (size_t i = 0; i < known.size(); ++i) {
      ASSERT_TRUE(out[i].has_value()) << i;
      EXPECT_EQ(out[i]->position, positions_[i]);
    }
  };

  // Not filled yet: every id not in memory is looked up in the files.
  EXPECT_TRUE(index.filter_pending());
  expect_known();
  EXPECT_EQ(index.family_lookups(), 2000u);
  for (const auto& v : ask(unknown)) EXPECT_FALSE(v.has_value());
  EXPECT_EQ(index.family_lookups(), 4000u);

  // Filled in slices of 300: seven calls for 2,000 ids.
  int calls = 0;
  absl::StatusOr<bool> filled = false;
  while (filled.ok() && !*filled && calls < 100) {
    filled = index.FillFilter(*db, 300);
    ++calls;
  }
  ASSERT_TRUE(filled.ok()) << filled.status();
  EXPECT_EQ(calls, 7);
  EXPECT_FALSE(index.filter_pending());

  // The known ids still all go to the files (and are found); of the
  // unknown ones only the filter's false positives (~1%) do.
  expect_known();
  EXPECT_EQ(index.family_lookups(), 6000u);
  for (const auto& v : ask(unknown)) EXPECT_FALSE(v.has_value());
  EXPECT_LT(index.family_lookups(), 6000u + 60u);
  const uint64_t before = index.family_lookups();
  for (int i = 0; i < 200; ++i) {
    absl::StatusOr<std::optional<keys::IdValue>> one =
        index.Get(*db, unknown[i]);
    ASSERT_TRUE(one.ok());
    EXPECT_FALSE(one->has_value());
  }
  EXPECT_LT(index.family_lookups(), before + 20u);

  // Ids added after the Load, then written into the files: found there.
  std::vector<Uuid> later;
  for (uint64_t i = 0; i < 50; ++i) {
    later.push_back(Uuid::Random());
    index.Add(
        {{later.back(), 2001 + i, EntryKind::kEvent, "KOR-JPN", 1000 + i}});
  }
  std::mutex writes;
  std::atomic<bool> broken{false};
  ASSERT_TRUE(index.Ingest(*db, writes, broken).ok());
  EXPECT_EQ(index.in_memory(), 0u);
  std::vector<std::optional<keys::IdValue>> out = ask(later);
  for (size_t i = 0; i < later.size(); ++i) {
    ASSERT_TRUE(out[i].has_value()) << i;
    EXPECT_EQ(out[i]->position, Position(2001 + i));
  }

  // A Load (as a reopen does) starts the fill again; until it is done the
  // files are asked; afterwards every id is found.
  ASSERT_TRUE(index.Load(*db).ok());
  EXPECT_TRUE(index.filter_pending());
  const uint64_t at_load = index.family_lookups();
  for (const auto& v : ask(unknown)) EXPECT_FALSE(v.has_value());
  EXPECT_EQ(index.family_lookups(), at_load + 2000u);
  filled = index.FillFilter(*db, 1000000);
  ASSERT_TRUE(filled.ok() && *filled);
  expect_known();
  for (const auto& v : ask(later)) EXPECT_TRUE(v.has_value());
}

// Ids read back into memory by a Load (past the mark, as after a crash)
// reach the files only after the filter is filled: the Load put them in it.
TEST_F(LogIndexTest, TheIdFilterHoldsTheIdsALoadReadBack) {
  Open(/*chunk=*/500000);
  AppendEvents(100);
  log_.reset();
  std::unique_ptr<LogDb> db = OpenDb();
  ASSERT_NE(db, nullptr);
  {
    // As a crash before the second half's ingestion leaves it.
    rocksdb::WriteBatch wb;
    for (size_t i = 50; i < 100; ++i) {
      ASSERT_TRUE(wb.Delete(db->ids(), keys::IdKey(events_[i].event_id)).ok());
    }
    std::string mark;
    keys::PutBigEndian64(&mark, 50);
    ASSERT_TRUE(
        wb.Put(db->meta(), keys::MetaKey(keys::kIdsThrough), mark).ok());
    ASSERT_TRUE(db->db().Write(rocksdb::WriteOptions(), &wb).ok());
  }
  LogIndex index;
  ASSERT_TRUE(index.Load(*db).ok());
  EXPECT_EQ(index.in_memory(), 50u);
  absl::StatusOr<bool> filled = index.FillFilter(*db, 1000);
  ASSERT_TRUE(filled.ok() && *filled);
  std::mutex writes;
  std::atomic<bool> broken{false};
  ASSERT_TRUE(index.Ingest(*db, writes, broken).ok());
  EXPECT_EQ(index.in_memory(), 0u);
  for (size_t i = 0; i < 100; ++i) {
    absl::StatusOr<std::optional<keys::IdValue>> v =
        index.Get(*db, events_[i].event_id);
    ASSERT_TRUE(v.ok()) << v.status();
    ASSERT_TRUE(v->has_value()) << i;
    EXPECT_EQ((*v)->position, positions_[i]);
  }
}

// A full disk (or any failure) while an id index file is written: the ids
// stay in memory, in the chunk being written and in the next, and are all
// found; appends go on; the file is written once the fault clears.
TEST_F(LogIndexTest, WhileTheFilesCannotBeWrittenIdsStayInMemory) {
  auto fs = std::make_shared<testing::FaultyFs>(rocksdb::FileSystem::Default());
  fs->only_names_ending_with = ".sst.ingest";
  fs->fault = testing::Fault::kNoSpace;
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  Open(/*chunk=*/50, env.get());
  AppendEvents(300);
  absl::SleepFor(absl::Milliseconds(300));  // failed attempts meanwhile
  ExpectAllKnown();
  auto info = log_->Info();
  ASSERT_TRUE(info.ok());
  EXPECT_GT(info->memory.id_index, 300u * 32);
  EXPECT_EQ(ReadDisk().mark, 0u);
  EXPECT_TRUE(log_->StorageHealth().ok());  // appends are not affected

  fs->fault = testing::Fault::kNone;
  OnDisk disk;
  for (int i = 0; i < 200 && (disk = ReadDisk()).mark < 250; ++i) {
    absl::SleepFor(absl::Milliseconds(25));
  }
  EXPECT_GE(disk.mark, 250u);  // retried within a second or two
  ExpectAllKnown();
  log_.reset();
  disk = ReadDisk();
  EXPECT_EQ(disk.mark, 300u);
  EXPECT_EQ(disk.ids, 300u);
  ExpectSound();
}

// The log's database alone, its write-ahead log on a file system that fails
// on demand, and an id index holding `ids` ids of one stream.
struct FaultyLogDb {
  FaultyLogDb(const std::filesystem::path& dir, int ids)
      : fs(std::make_shared<testing::FaultyFs>(
            rocksdb::FileSystem::Default())) {
    fs->only_names_ending_with = ".log";
    env = rocksdb::NewCompositeEnv(fs);
    auto opened = OpenLogDb(MakeLogDbOptions(1u << 20, env.get()), dir.string(),
                            LogDbMode::kReadWrite);
    EXPECT_TRUE(opened.ok()) << opened.status();
    if (!opened.ok()) return;
    db = *std::move(opened);
    EXPECT_TRUE(index.Load(*db).ok());
    for (int i = 1; i <= ids; ++i) {
      index.Add({{Uuid::Random(), uint64_t(i), EntryKind::kEvent, stream,
                  uint64_t(i - 1)}});
    }
  }
  ~FaultyLogDb() {
    if (db) db->Close().PermitUncheckedError();
  }
  std::shared_ptr<testing::FaultyFs> fs;
  std::unique_ptr<rocksdb::Env> env;
  std::unique_ptr<LogDb> db;
  const std::string stream = "JPN-KOR";
  LogIndex index;
};

// After a write of the log failed (its write-ahead log append met an I/O
// error), the index writes nothing until the log reopens: syncing that
// write-ahead log aborts the process in Debian's RocksDB build, whose
// assertions are on (seen with `broken` false here), which a committer's
// failed write racing the index thread could do. The ids stay in memory
// and no file is left.
TEST_F(LogIndexTest, NothingIsIngestedAfterAFailedWriteOfTheLog) {
  FaultyLogDb log(dir_, 2);
  ASSERT_TRUE(log.db != nullptr);
  // Not synced, as in --durability async.
  log.fs->fault = testing::Fault::kWriteError;
  EXPECT_FALSE(
      log.db->db()
          .Put(rocksdb::WriteOptions(), log.db->meta(), keys::MetaKey("x"), "y")
          .ok());
  log.fs->fault = testing::Fault::kNone;

  std::mutex writes;
  std::atomic<bool> broken{true};
  const absl::Status s = log.index.Ingest(*log.db, writes, broken);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(log.index.in_memory(), 2u);
  for (const auto& f : std::filesystem::directory_iterator(dir_)) {
    EXPECT_FALSE(f.path().string().ends_with(".ingest")) << f.path();
  }
}

// The mark's own write fails (its write-ahead log append): the index
// breaks the log (`broken`), and its retry writes nothing. Without that,
// the retry synced the failed write-ahead log and the process aborted.
TEST_F(LogIndexTest, AFailedMarkBreaksTheLog) {
  FaultyLogDb log(dir_, 1);
  ASSERT_TRUE(log.db != nullptr);
  // The file and its ingestion succeed (no append to the write-ahead log);
  // the synced write of the mark does not.
  log.fs->fault = testing::Fault::kWriteError;
  std::mutex writes;
  std::atomic<bool> broken{false};
  absl::Status s = log.index.Ingest(*log.db, writes, broken);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE(broken);
  log.fs->fault = testing::Fault::kNone;
  s = log.index.Ingest(*log.db, writes, broken);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(log.index.in_memory(), 1u);
}

// A crash leaves the index past the mark only in its entries (the files
// were never written), or in the database with the mark behind it (the
// crash came between the ingestion and the mark), and maybe a half-written
// file.
TEST_F(LogIndexTest, AReopenReadsBackTheIndexPastTheMark) {
  Open(/*chunk=*/500000);
  AppendEvents(200);
  log_.reset();
  {
    std::unique_ptr<LogDb> db = OpenDb();
    ASSERT_NE(db, nullptr);
    LogDb& d = *db;
    // The keys of 121..200 never written; those of 101..120 written (and
    // the streams' counts through 120) but the mark at 100.
    rocksdb::WriteBatch wb;
    std::map<std::string, uint64_t> counts;
    for (size_t i = 0; i < 200; ++i) {
      const std::string& id = stream_of_[i];
      if (i < 120) {
        counts[id] = revisions_[i].value() + 1;
        continue;
      }
      ASSERT_TRUE(wb.Delete(d.ids(), keys::IdKey(events_[i].event_id)).ok());
    }
    ASSERT_NO_FATAL_FAILURE(RewriteStreamIndex(d, wb, {100, 120}));
    ASSERT_EQ(counts.size(), streams_.size());
    for (const auto& [stream, count] : counts) {
      std::string value;
      keys::PutBigEndian64(&value, count);
      ASSERT_TRUE(wb.Put(d.meta(), keys::StreamHeadKey(stream), value).ok());
    }
    std::string mark;
    keys::PutBigEndian64(&mark, 100);
    ASSERT_TRUE(wb.Put(d.meta(), keys::MetaKey(keys::kIdsThrough), mark).ok());
    ASSERT_TRUE(d.db().Write(rocksdb::WriteOptions(), &wb).ok());
    ASSERT_TRUE(d.Close().ok());
  }
  std::ofstream(dir_ / "id-index-200-s.sst.ingest") << "half a file";
  ExpectSound();
  Open(/*chunk=*/500000);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "id-index-200-s.sst.ingest"));
  ExpectAllKnown();
  // The count of each stream is its head's, not the stale 'h' key's.
  for (const auto& [stream, positions] : streams_) {
    const std::string source = stream.substr(4), target = stream.substr(0, 3);
    auto r = log_->Append({{MakeEvent(source, target)},
                           {ExpectedRevision::Kind::kExact,
                            StreamRevision(positions.size() - 1)}});
    ASSERT_TRUE(r.ok()) << stream << ": " << r.status();
    EXPECT_EQ(r->outcomes[0].stream, stream);
    EXPECT_EQ(r->outcomes[0].stream_revision.value(), positions.size());
  }
  log_.reset();
  const OnDisk disk = ReadDisk();
  EXPECT_EQ(disk.mark, 200u + streams_.size());
  EXPECT_EQ(disk.ids, 200u + streams_.size());
  ExpectSound();
}

// --verify still finds what it found before the mark existed: an id
// missing at or below the mark, and an id twice in the log (which past the
// mark no 'i' key would show).
TEST_F(LogIndexTest, VerifyFindsMissingIdsBelowTheMarkAndRepeatedIds) {
  Open(/*chunk=*/500000);
  AppendEvents(10);
  log_.reset();
  {
    std::unique_ptr<LogDb> db = OpenDb();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->db()
                    .Delete(rocksdb::WriteOptions(), db->ids(),
                            keys::IdKey(events_[3].event_id))
                    .ok());
    // The entry at position 6 gets the id of the one at 5.
    std::string value;
    const std::string key = keys::EntryKey(Position(6));
    ASSERT_TRUE(
        db->db().Get(rocksdb::ReadOptions(), db->entries(), key, &value).ok());
    storage::v1::StoredEntry stored;
    ASSERT_TRUE(stored.ParseFromString(value));
    const auto& id = events_[4].event_id.bytes();
    stored.set_event_id(std::string(id.begin(), id.end()));
    ASSERT_TRUE(db->db()
                    .Put(rocksdb::WriteOptions(), db->entries(), key,
                         stored.SerializeAsString())
                    .ok());
  }
  auto report = VerifyRocksEventLog(dir_.string());
  ASSERT_TRUE(report.ok());
  ASSERT_FALSE(report->ok());
  EXPECT_THAT(report->problems,
              ::testing::Contains(::testing::HasSubstr(
                  "position 4: event_id " + events_[3].event_id.ToString() +
                  " missing from the id index")));
  EXPECT_THAT(report->problems,
              ::testing::Contains(::testing::HasSubstr(
                  "position 6: event_id " + events_[4].event_id.ToString() +
                  " is also at position 5")));
}

// The same for the stream index (format version 4, runs since 5): an entry
// missing from its stream's runs or a stream count below the entries up to
// the mark is a problem; past the mark neither is.
TEST_F(LogIndexTest, VerifyFindsMissingStreamKeysAndCountsBelowTheMark) {
  Open(/*chunk=*/500000);
  AppendEvents(20);
  log_.reset();
  const std::string& stream = stream_of_[2];
  uint64_t count_at_10 = 0;
  for (size_t i = 0; i < 10; ++i) count_at_10 += stream_of_[i] == stream;
  std::set<size_t> missing_events;
  auto change = [&](uint64_t mark, uint64_t count, size_t missing) {
    missing_events.insert(missing);
    std::unique_ptr<LogDb> db = OpenDb();
    ASSERT_NE(db, nullptr);
    LogDb& d = *db;
    rocksdb::WriteBatch wb;
    std::string value;
    keys::PutBigEndian64(&value, mark);
    ASSERT_TRUE(wb.Put(d.meta(), keys::MetaKey(keys::kIdsThrough), value).ok());
    value.clear();
    keys::PutBigEndian64(&value, count);
    ASSERT_TRUE(wb.Put(d.meta(), keys::StreamHeadKey(stream), value).ok());
    ASSERT_NO_FATAL_FAILURE(
        RewriteStreamIndex(d, wb, {mark, 20}, missing_events));
    ASSERT_TRUE(d.db().Write(rocksdb::WriteOptions(), &wb).ok());
    ASSERT_TRUE(d.Close().ok());
  };
  // Past the mark: the stream's 's' keys missing and its count that of the
  // mark, as if its entries there had never been ingested.
  size_t past_the_mark = 0;
  for (size_t i = 10; i < 20; ++i) {
    if (stream_of_[i] != stream) continue;
    ASSERT_NO_FATAL_FAILURE(change(10, count_at_10, i));
    ++past_the_mark;
  }
  ASSERT_GT(past_the_mark, 0u);
  ExpectSound();
  // And a reopen reads the index past the mark back: every entry of the
  // stream is read, and its count is raised: the next entry gets the next
  // revision.
  Open(/*chunk=*/500000);
  ExpectStreamsRead();
  const uint64_t count = streams_[stream].size();
  auto r = log_->Append(
      {{MakeEvent(stream.substr(4), stream.substr(0, 3))},
       {ExpectedRevision::Kind::kExact, StreamRevision(count - 1)}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->outcomes[0].stream_revision.value(), count);
  log_.reset();
  ExpectSound();
  // At or below the mark: both are problems.
  ASSERT_NO_FATAL_FAILURE(change(10, count_at_10 - 1, 2));
  auto report = VerifyRocksEventLog(dir_.string());
  ASSERT_TRUE(report.ok());
  EXPECT_THAT(report->problems,
              ::testing::Contains(::testing::HasSubstr(
                  "position 3: missing from the stream index")));
  EXPECT_THAT(report->problems, ::testing::Contains(::testing::HasSubstr(
                                    "stream head of " + stream + " says " +
                                    std::to_string(count_at_10 - 1))));
}

// Runs that overlap, or that do not decode, are problems of their own: each
// reported once, by the run's stream.
TEST_F(LogIndexTest, VerifyFindsRunsThatOverlapOrDoNotDecode) {
  Open(/*chunk=*/500000);
  AppendEvents(20);
  log_.reset();
  const std::string& overlapping = stream_of_[0];
  std::string malformed;
  for (const auto& [stream, positions] : streams_) {
    if (stream != overlapping) malformed = stream;
  }
  ASSERT_FALSE(malformed.empty());
  {
    std::unique_ptr<LogDb> db = OpenDb();
    ASSERT_NE(db, nullptr);
    LogDb& d = *db;
    rocksdb::WriteBatch wb;
    // The overlapping stream's entries from its second one again, as a run
    // of their own.
    const std::vector<Position>& positions = streams_[overlapping];
    ASSERT_GE(positions.size(), 3u);
    std::vector<uint64_t> again;
    for (size_t i = 1; i < positions.size(); ++i) {
      again.push_back(positions[i].value());
    }
    ASSERT_TRUE(PutStreamRuns(overlapping, 1, again,
                              [&](const std::string& k, const std::string& v) {
                                EXPECT_TRUE(wb.Put(d.meta(), k, v).ok());
                                return absl::OkStatus();
                              })
                    .ok());
    ASSERT_TRUE(wb.Put(d.meta(),
                       keys::StreamRunKey(malformed, streams_[malformed][0]),
                       std::string("\x12\x01\x00", 3))
                    .ok());
    ASSERT_TRUE(d.db().Write(rocksdb::WriteOptions(), &wb).ok());
    ASSERT_TRUE(d.Close().ok());
  }
  auto report = VerifyRocksEventLog(dir_.string());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->problems,
              ::testing::Contains(::testing::HasSubstr(
                  "stream index of " + overlapping + ": the run at " +
                  std::to_string(streams_[overlapping][1].value()) +
                  " overlaps the one before")));
  EXPECT_THAT(report->problems,
              ::testing::Contains(::testing::HasSubstr(
                  "stream index of " + malformed + ": malformed stream run")));
}

}  // namespace
}  // namespace detente
