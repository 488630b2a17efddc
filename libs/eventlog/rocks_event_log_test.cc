#include "eventlog/rocks_event_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/field_violation.h"
#include "eventlog/keys.h"
#include "eventlog/log_db.h"
#include "eventlog/record_codec.h"
#include "eventlog/storage.pb.h"
#include "eventlog/test_entries.h"
#include "eventlog/verify.h"

namespace detente {
namespace {

using ::detente::testing::MakeCorrection;
using ::detente::testing::MakeEvent;
using ::detente::testing::MakeRetraction;
using ::testing::HasSubstr;

class RocksEventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("detente-log-test-" + Uuid::Random().ToString());
    Open();
  }
  void TearDown() override {
    log_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    log_.reset();
    auto log = OpenRocksEventLog({.path = dir_.string()});
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = std::move(*log);
  }
  AppendResult MustAppend(std::vector<Entry> entries,
                          ExpectedRevision expected = {}) {
    auto r = log_->Append({std::move(entries), expected});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : AppendResult{};
  }
  std::vector<RecordedEntry> ReadAll(ReadRequest req = {}) {
    return testing::ReadAllEntries(*log_, req);
  }
  // Replaces the stored record at `p` by what `edit` makes of it, behind the
  // log's back (the log must be closed): records of an older writer, or
  // damage for --verify to find.
  void RewriteStoredRecord(Position p,
                           const std::function<void(std::string*)>& edit) {
    auto db = OpenLogDb(MakeLogDbOptions(1u << 20, nullptr), dir_.string(),
                        LogDbMode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.status();
    const std::string key = keys::EntryKey(p);
    std::string value;
    ASSERT_TRUE((*db)
                    ->db()
                    .Get(rocksdb::ReadOptions(), (*db)->entries(), key, &value)
                    .ok());
    edit(&value);
    ASSERT_TRUE((*db)
                    ->db()
                    .Put(rocksdb::WriteOptions(), (*db)->entries(), key, value)
                    .ok());
  }

  std::filesystem::path dir_;
  std::unique_ptr<EventLog> log_;
};

TEST_F(RocksEventLogTest, PositionsAreGaplessFromOneAcrossBatchesAndReopen) {
  AppendResult a = MustAppend({MakeEvent("KOR", "JPN"), MakeEvent("JPN", "KOR"),
                               MakeEvent("USA", "JPN")});
  EXPECT_EQ(a.first, Position(1));
  EXPECT_EQ(a.last, Position(3));
  EXPECT_EQ(a.head, Position(3));
  EXPECT_EQ(a.outcomes[1].stream, "JPN-KOR");
  EXPECT_EQ(a.outcomes[1].stream_revision, StreamRevision(1));
  EXPECT_EQ(a.outcomes[2].stream, "JPN-USA");
  EXPECT_EQ(a.outcomes[2].stream_revision, StreamRevision(0));
  Open();
  EXPECT_EQ(log_->Head(), Position(3));
  AppendResult b = MustAppend({MakeEvent("KOR", "JPN")});
  EXPECT_EQ(b.first, Position(4));
  EXPECT_EQ(b.outcomes[0].stream_revision, StreamRevision(2));
  std::vector<RecordedEntry> all = ReadAll();
  ASSERT_EQ(all.size(), 4u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].position, Position(i + 1));
  }
  auto info = log_->Info();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->entry_count, 4u);
  EXPECT_EQ(info->stream_count, 2u);
  EXPECT_EQ(info->durability, "sync");
  EXPECT_GT(info->disk_bytes, 0u);
}

TEST_F(RocksEventLogTest, StoresTheEffectiveScoreAndQuadClass) {
  Entry e = MakeEvent("KOR", "JPN", "2019-07", "172");
  Entry overridden = MakeEvent("KOR", "JPN", "1965", "057");
  overridden.data.goldstein = 9.5;
  MustAppend({e, overridden});
  std::vector<RecordedEntry> all = ReadAll();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].quad_class, QuadClass::kMaterialConflict);
  EXPECT_DOUBLE_EQ(all[0].goldstein, -5.0);  // GDELT's score for 172
  EXPECT_EQ(all[0].entry.data.occurred_on.ToString(), "2019-07");
  EXPECT_EQ(all[1].quad_class, QuadClass::kVerbalCooperation);
  EXPECT_DOUBLE_EQ(all[1].goldstein, 9.5);
  EXPECT_EQ(all[1].entry.event_id, overridden.event_id);
  EXPECT_GT(all[1].recorded_at_micros, 1700000000000000);
}

TEST_F(RocksEventLogTest, IdempotentAcrossReopenWithOriginalPositions) {
  std::vector<Entry> batch = {MakeEvent("KOR", "JPN"), MakeEvent("USA", "KOR")};
  MustAppend(batch);
  MustAppend({MakeEvent("CHN", "JPN")});
  Open();
  AppendResult retry = MustAppend(batch);
  EXPECT_EQ(retry.first, Position(0));
  EXPECT_EQ(retry.last, Position(0));
  EXPECT_TRUE(retry.outcomes[0].duplicate);
  EXPECT_EQ(retry.outcomes[0].position, Position(1));
  EXPECT_EQ(retry.outcomes[1].position, Position(2));
  EXPECT_EQ(retry.outcomes[1].stream, "KOR-USA");
  EXPECT_EQ(log_->Head(), Position(3));
  // A mixed batch writes only the new entry.
  Entry fresh = MakeEvent("KOR", "JPN");
  AppendResult mixed = MustAppend({batch[0], fresh});
  EXPECT_TRUE(mixed.outcomes[0].duplicate);
  EXPECT_FALSE(mixed.outcomes[1].duplicate);
  EXPECT_EQ(mixed.first, Position(4));
  EXPECT_EQ(mixed.last, Position(4));
  EXPECT_EQ(ReadAll().size(), 4u);
}

TEST_F(RocksEventLogTest, AssignsIdsWhenAbsent) {
  Entry e = MakeEvent("KOR", "JPN");
  e.event_id = Uuid();
  AppendResult r = MustAppend({e});
  EXPECT_FALSE(r.outcomes[0].event_id.is_nil());
  auto got = log_->Get(r.outcomes[0].event_id);
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->position, Position(1));
}

TEST_F(RocksEventLogTest, SameIdTwiceInABatchIsRejectedAndNothingWritten) {
  Entry e = MakeEvent("KOR", "JPN");
  auto r = log_->Append({{MakeEvent("USA", "JPN"), e, e}, {}});
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<FieldViolation> v = GetFieldViolations(r.status());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].field, "entries[2].event_id");
  EXPECT_THAT(v[0].description, HasSubstr("entries[1]"));
  EXPECT_EQ(log_->Head(), Position(0));

  // Every repeat, in entry order, each with its first occurrence.
  const Entry a = MakeEvent("KOR", "JPN"), b = MakeEvent("USA", "JPN"),
              c = MakeEvent("CHN", "JPN");
  r = log_->Append({{a, b, a, c, b, a}, {}});
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  v = GetFieldViolations(r.status());
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].field, "entries[2].event_id");
  EXPECT_THAT(v[0].description, HasSubstr("(also entries[0])"));
  EXPECT_EQ(v[1].field, "entries[4].event_id");
  EXPECT_THAT(v[1].description, HasSubstr("(also entries[1])"));
  EXPECT_EQ(v[2].field, "entries[5].event_id");
  EXPECT_THAT(v[2].description, HasSubstr("(also entries[0])"));
  EXPECT_THAT(v[2].description, HasSubstr(a.event_id.ToString()));
  EXPECT_EQ(log_->Head(), Position(0));
}

TEST_F(RocksEventLogTest, BatchSizeIsBounded) {
  EXPECT_EQ(log_->Append({}).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<Entry> big;
  for (int i = 0; i < 10001; ++i) big.push_back(MakeEvent("KOR", "JPN"));
  auto r = log_->Append({big, {}});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetFieldViolations(r.status())[0].field, "entries");
  big.pop_back();
  EXPECT_TRUE(log_->Append({big, {}}).ok());
  EXPECT_EQ(log_->Head(), Position(10000));
}

TEST_F(RocksEventLogTest, ExpectedRevision) {
  using K = ExpectedRevision::Kind;
  MustAppend({MakeEvent("KOR", "JPN")}, {K::kNoStream, {}});
  auto again = log_->Append({{MakeEvent("KOR", "JPN")}, {K::kNoStream, {}}});
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(again.status().message(),
              HasSubstr("expected no stream, actual revision 0"));
  MustAppend({MakeEvent("JPN", "KOR"), MakeEvent("KOR", "JPN")},
             {K::kExact, StreamRevision(0)});
  auto stale = log_->Append(
      {{MakeEvent("KOR", "JPN")}, {K::kExact, StreamRevision(0)}});
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(stale.status().message(),
              HasSubstr("JPN-KOR: expected revision 0, actual revision 2"));
  auto mixed = log_->Append({{MakeEvent("KOR", "JPN"), MakeEvent("USA", "JPN")},
                             {K::kExact, StreamRevision(2)}});
  EXPECT_EQ(mixed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(log_->Head(), Position(3));
  MustAppend({MakeEvent("KOR", "JPN")}, {K::kExact, StreamRevision(2)});
}

TEST_F(RocksEventLogTest, RetryOfACommittedBatchSkipsTheRevisionCheck) {
  using K = ExpectedRevision::Kind;
  std::vector<Entry> batch = {MakeEvent("KOR", "JPN")};
  MustAppend(batch, {K::kNoStream, {}});
  AppendResult retry = MustAppend(batch, {K::kNoStream, {}});
  EXPECT_TRUE(retry.outcomes[0].duplicate);
}

TEST_F(RocksEventLogTest, CorrectionsAndRetractions) {
  Entry original = MakeEvent("KOR", "JPN", "2019-07-01", "172");
  MustAppend({original});
  Entry fixed = MakeCorrection(original.event_id,
                               MakeEvent("JPN", "KOR", "2019-07-04", "172"));
  Entry retraction = MakeRetraction(original.event_id);
  AppendResult r = MustAppend({fixed, retraction});
  EXPECT_EQ(r.outcomes[0].stream, "JPN-KOR");
  EXPECT_EQ(r.outcomes[1].stream, "JPN-KOR");
  EXPECT_EQ(r.outcomes[1].stream_revision, StreamRevision(2));

  auto check = [&](Entry e, const std::string& field,
                   const std::string& text) {
    auto bad = log_->Append({{e}, {}});
    ASSERT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
    std::vector<FieldViolation> v = GetFieldViolations(bad.status());
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].field, field);
    EXPECT_THAT(v[0].description, HasSubstr(text));
  };
  check(MakeRetraction(Uuid::Random()), "entries[0].subject_event_id",
        "is not in the log");
  check(MakeRetraction(retraction.event_id), "entries[0].subject_event_id",
        "is a retraction");
  check(MakeRetraction(fixed.event_id), "entries[0].subject_event_id",
        "is a correction");
  check(MakeCorrection(original.event_id, MakeEvent("KOR", "USA")),
        "entries[0].target", "keeps the pair");
  EXPECT_EQ(log_->Head(), Position(3));
}

TEST_F(RocksEventLogTest, ACorrectionMayNameAnEventEarlierInItsBatch) {
  Entry e = MakeEvent("KOR", "JPN");
  Entry c = MakeCorrection(e.event_id, MakeEvent("KOR", "JPN", "2020"));
  AppendResult r = MustAppend({e, c});
  EXPECT_EQ(r.last, Position(2));
  // ... but not one later in the batch.
  Entry e2 = MakeEvent("KOR", "JPN");
  auto bad = log_->Append({{MakeRetraction(e2.event_id), e2}, {}});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(log_->Head(), Position(2));
}

// The subject's position of every correction and retraction, in position
// order (0 for events), as each way of reading gives it.
class SubjectPositions {
 public:
  explicit SubjectPositions(EventLog& log) : log_(log) {}

  std::vector<uint64_t> Decoded(ReadRequest req = {}) {
    std::vector<uint64_t> out;
    for (const RecordedEntry& e : testing::ReadAllEntries(log_, req)) {
      out.push_back(e.subject_position.value());
    }
    return out;
  }
  std::vector<uint64_t> Encoded(ReadRequest req = {}) {
    req.encoded = true;
    auto page = log_.Read(req);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<uint64_t> out;
    if (!page.ok()) return out;
    EXPECT_TRUE(page->end);
    for (size_t i = 0; i < page->encoded.size(); ++i) {
      auto e = DecodeRecord(page->encoded.items[i].position,
                            page->encoded.record(i));
      EXPECT_TRUE(e.ok()) << e.status();
      out.push_back(e.ok() ? e->subject_position.value() : 99);
    }
    return out;
  }
  uint64_t ById(const Uuid& id) {
    auto e = log_.Get(id);
    EXPECT_TRUE(e.ok() && e->has_value());
    return e.ok() && e->has_value() ? (*e)->subject_position.value() : 99;
  }

 private:
  EventLog& log_;
};

TEST_F(RocksEventLogTest, CorrectionsAndRetractionsCarryTheirSubjectsPosition) {
  Entry a = MakeEvent("KOR", "JPN", "2019-07-01");
  Entry b = MakeEvent("USA", "JPN", "2019-07-02");
  MustAppend({a, b});
  Entry fix_a =
      MakeCorrection(a.event_id, MakeEvent("JPN", "KOR", "2019-07-04"));
  MustAppend({fix_a});
  // Subjects earlier in the same batch, and in an earlier batch.
  Entry d = MakeEvent("KOR", "USA", "2020");
  Entry drop_d = MakeRetraction(d.event_id);
  Entry drop_b = MakeRetraction(b.event_id);
  MustAppend({d, drop_d, drop_b});
  const std::vector<uint64_t> want = {0, 0, 1, 0, 4, 2};

  SubjectPositions read(*log_);
  EXPECT_EQ(read.Decoded(), want);
  EXPECT_EQ(read.Encoded(), want);
  EXPECT_EQ(read.Encoded({.filter = {.stream = "KOR-USA"}}),
            (std::vector<uint64_t>{0, 4}));
  EXPECT_EQ(read.ById(drop_b.event_id), 2u);
  EXPECT_EQ(read.ById(a.event_id), 0u);

  // Records stored before subject_position existed: the reads take it from
  // the id index, and --verify accepts them.
  log_.reset();
  for (uint64_t p : {3, 5, 6}) {
    RewriteStoredRecord(Position(p), [](std::string* value) {
      storage::v1::StoredEntry old;
      ASSERT_TRUE(old.ParseFromString(*value));
      ASSERT_NE(old.subject_position(), 0u);
      old.clear_subject_position();
      *value = old.SerializeAsString();
    });
  }
  auto verified = VerifyRocksEventLog(dir_.string());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->ok());
  Open();
  SubjectPositions old_read(*log_);
  EXPECT_EQ(old_read.Decoded(), want);
  EXPECT_EQ(old_read.Encoded(), want);
  EXPECT_EQ(old_read.Decoded({.backward = true}),
            std::vector<uint64_t>(want.rbegin(), want.rend()));
  EXPECT_EQ(old_read.ById(drop_b.event_id), 2u);

  // A stored position that disagrees with the subject's is reported.
  log_.reset();
  RewriteStoredRecord(Position(3), [](std::string* value) {
    AppendSubjectPosition(Position(2), value);
  });
  auto bad = VerifyRocksEventLog(dir_.string());
  ASSERT_TRUE(bad.ok()) << bad.status();
  ASSERT_FALSE(bad->ok());
  EXPECT_THAT(
      bad->problems[0],
      HasSubstr("position 3: subject_position 2, but the subject is at 1"));
}

TEST_F(RocksEventLogTest, ReadsForwardsBackwardsByStreamAndFiltered) {
  MustAppend({MakeEvent("KOR", "JPN", "1965-06-22", "057"),
              MakeEvent("USA", "KOR", "2021-05", "040"),
              MakeEvent("JPN", "KOR", "2019-07-04", "172"),
              MakeEvent("CHN", "JPN", "1972-09-29", "057"),
              MakeEvent("KOR", "JPN", "2021", "111")});
  std::vector<RecordedEntry> back = ReadAll({.backward = true});
  ASSERT_EQ(back.size(), 5u);
  EXPECT_EQ(back.front().position, Position(5));
  EXPECT_EQ(back.back().position, Position(1));

  std::vector<RecordedEntry> range = ReadAll({.from = Position(2),
                                              .to = Position(3)});
  ASSERT_EQ(range.size(), 2u);
  EXPECT_EQ(range[0].position, Position(2));

  ReadRequest by_stream;
  by_stream.filter.stream = "JPN-KOR";
  std::vector<RecordedEntry> pair = ReadAll(by_stream);
  ASSERT_EQ(pair.size(), 3u);
  EXPECT_EQ(pair[1].position, Position(3));
  by_stream.backward = true;
  pair = ReadAll(by_stream);
  ASSERT_EQ(pair.size(), 3u);
  EXPECT_EQ(pair[0].position, Position(5));

  ReadRequest actor;
  actor.filter.actors = {"USA"};
  EXPECT_EQ(ReadAll(actor).size(), 1u);
  ReadRequest root;
  root.filter.cameo_roots = {5};
  EXPECT_EQ(ReadAll(root).size(), 2u);
  ReadRequest dates;
  dates.filter.occurred_from = EventDate::Parse("2021-05-10")->first_day();
  // 2021-05 (month) and 2021 (year) overlap; 2019 does not.
  EXPECT_EQ(ReadAll(dates).size(), 2u);

  ReadRequest paged;
  paged.max_entries = 2;
  auto page = log_->Read(paged);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->entries.size(), 2u);
  EXPECT_FALSE(page->end);
  EXPECT_EQ(page->next, Position(3));
  EXPECT_EQ(ReadAll(paged).size(), 5u);
}

TEST_F(RocksEventLogTest, SparseFiltersStillMakeProgress) {
  std::vector<Entry> batch;
  for (int i = 0; i < 50; ++i) batch.push_back(MakeEvent("USA", "JPN"));
  MustAppend(batch);
  ReadRequest req;
  req.filter.stream = "";
  req.filter.actors = {"PRK"};
  req.max_scanned = 20;
  auto page = log_->Read(req);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->entries.empty());
  EXPECT_FALSE(page->end);
  EXPECT_EQ(page->considered, Position(20));
  EXPECT_EQ(page->next, Position(21));
}

// Half the threads append through Append (AppendHere: committed on the
// caller's thread when the log is idle), half through AppendAsync (always
// the committer's): either way one writer at a time, no gap, no repeat.
TEST_F(RocksEventLogTest, ConcurrentAppendersAreGroupCommittedWithoutGaps) {
  constexpr int kThreads = 8, kBatches = 40, kPerBatch = 5;
  // Commits under way at once (on_commit runs inside each, on the thread
  // that writes, and lingers there): never more than one. And the threads
  // that wrote.
  std::atomic<int> writing{0}, most_writing{0};
  std::mutex writers_mu;
  std::set<std::thread::id> writers;
  log_.reset();
  auto opened = OpenRocksEventLog(
      {.path = dir_.string(), .on_commit = [&](const CommitStats&) {
         const int now = ++writing;
         int most = most_writing.load();
         while (now > most && !most_writing.compare_exchange_weak(most, now)) {
         }
         {
           std::lock_guard lock(writers_mu);
           writers.insert(std::this_thread::get_id());
         }
         std::this_thread::sleep_for(std::chrono::microseconds(200));
         --writing;
       }});
  ASSERT_TRUE(opened.ok()) << opened.status();
  log_ = std::move(*opened);
  // On an idle log: committed on this thread.
  MustAppend({MakeEvent("KOR", "JPN")});
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<Entry> batch;
        for (int i = 0; i < kPerBatch; ++i) {
          batch.push_back(MakeEvent("KOR", "JPN"));
        }
        absl::StatusOr<AppendResult> r;
        if (t % 2 == 0) {
          r = log_->Append({batch, {}});
        } else {
          std::promise<absl::StatusOr<AppendResult>> answer;
          log_->AppendAsync({batch, {}}, [&](absl::StatusOr<AppendResult> a) {
            answer.set_value(std::move(a));
          });
          r = answer.get_future().get();
        }
        if (!r.ok() || r->last.value() - r->first.value() != kPerBatch - 1) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(most_writing.load(), 1);
  // At least this thread and the committer (AppendAsync's batches).
  EXPECT_GE(writers.size(), 2u);
  EXPECT_TRUE(writers.count(std::this_thread::get_id()));
  std::vector<RecordedEntry> all = ReadAll();
  ASSERT_EQ(all.size(), size_t{kThreads * kBatches * kPerBatch + 1});
  std::set<Uuid> ids;
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].position, Position(i + 1));
    EXPECT_EQ(all[i].stream_revision, StreamRevision(i));
    ids.insert(all[i].entry.event_id);
  }
  EXPECT_EQ(ids.size(), all.size());
  log_->Close();
  auto report = VerifyRocksEventLog(dir_.string());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok()) << report->problems[0];
  EXPECT_EQ(report->entries, all.size());
}

// Batches that repeat each other's ids, committed in the same groups (the
// committer lingers in on_commit while they queue up): each id is written
// once, every other batch answered with its position as a duplicate, and
// the later batches of a group see the earlier ones' streams and ids.
TEST_F(RocksEventLogTest, BatchesOfAGroupSeeEachOthersIds) {
  constexpr int kThreads = 6, kRounds = 30, kPerBatch = 4;
  log_.reset();
  std::atomic<int> commits{0};
  auto opened = OpenRocksEventLog(
      {.path = dir_.string(), .on_commit = [&](const CommitStats&) {
         ++commits;
         std::this_thread::sleep_for(std::chrono::microseconds(300));
       }});
  ASSERT_TRUE(opened.ok()) << opened.status();
  log_ = std::move(*opened);
  // Round r's batch, the same for every thread: ids fixed by r.
  std::vector<std::vector<Entry>> rounds(kRounds);
  for (auto& batch : rounds) {
    for (int i = 0; i < kPerBatch; ++i) {
      batch.push_back(MakeEvent(i % 2 ? "KOR" : "JPN", "USA"));
    }
  }
  std::vector<std::vector<absl::StatusOr<AppendResult>>> answers(
      kThreads, std::vector<absl::StatusOr<AppendResult>>(kRounds));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        std::promise<absl::StatusOr<AppendResult>> answer;
        log_->AppendAsync({rounds[r], {}}, [&](absl::StatusOr<AppendResult> a) {
          answer.set_value(std::move(a));
        });
        answers[t][r] = answer.get_future().get();
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<RecordedEntry> all = ReadAll();
  ASSERT_EQ(all.size(), size_t{kRounds * kPerBatch});
  std::map<Uuid, RecordedEntry> by_id;
  for (const RecordedEntry& e : all) by_id[e.entry.event_id] = e;
  ASSERT_EQ(by_id.size(), all.size());
  // Revisions per stream, counted from the log in position order.
  std::map<std::string, uint64_t> seen;
  for (const RecordedEntry& e : all) {
    EXPECT_EQ(e.stream_revision, StreamRevision(seen[e.stream]++))
        << "position " << e.position.value();
  }
  for (int r = 0; r < kRounds; ++r) {
    int writers = 0;
    for (int t = 0; t < kThreads; ++t) {
      const absl::StatusOr<AppendResult>& a = answers[t][r];
      ASSERT_TRUE(a.ok()) << a.status();
      ASSERT_EQ(a->outcomes.size(), size_t{kPerBatch});
      if (!a->outcomes[0].duplicate) ++writers;
      for (int i = 0; i < kPerBatch; ++i) {
        const EntryOutcome& o = a->outcomes[i];
        EXPECT_EQ(o.duplicate, a->outcomes[0].duplicate);
        const RecordedEntry& stored = by_id.at(rounds[r][i].event_id);
        EXPECT_EQ(o.position, stored.position);
        EXPECT_EQ(o.stream, stored.stream);
        EXPECT_EQ(o.stream_revision, stored.stream_revision);
      }
    }
    EXPECT_EQ(writers, 1) << "round " << r;
  }
  // Groups of several batches did form.
  EXPECT_LT(commits.load(), kThreads * kRounds);
}

TEST_F(RocksEventLogTest, AnAppendHereOnAnIdleLogIsAnsweredOnTheCallersThread) {
  MustAppend({MakeEvent("KOR", "JPN")});
  testing::HereAnswer answer =
      testing::AppendHereOnce(*log_, {{MakeEvent("JPN", "KOR")}, {}});
  // Answered on this thread before AppendHere returned, and stored.
  EXPECT_EQ(answer.thread, std::this_thread::get_id());
  ASSERT_TRUE(answer.result.ok()) << answer.result.status();
  EXPECT_EQ(answer.result->first, Position(2));
  EXPECT_EQ(log_->Head(), Position(2));
  Open();
  EXPECT_EQ(ReadAll().size(), 2u);
}

// While the committer writes a group, an AppendHere waits in the queue like
// any append (it does not write beside the committer) and is answered in
// commit order, after that group.
TEST_F(RocksEventLogTest, AnAppendHereDuringACommitJoinsTheQueue) {
  std::mutex mu;
  std::condition_variable cv;
  bool writing = false, release = false;
  log_.reset();
  auto log = OpenRocksEventLog(
      {.path = dir_.string(), .on_commit = [&](const CommitStats&) {
         std::unique_lock lock(mu);
         if (release) return;
         writing = true;
         cv.notify_all();
         // Bounded, so that a regression fails the test rather than hangs.
         cv.wait_for(lock, std::chrono::seconds(10), [&] { return release; });
       }});
  ASSERT_TRUE(log.ok()) << log.status();
  log_ = std::move(*log);

  std::promise<absl::StatusOr<AppendResult>> first;
  log_->AppendAsync(
      {{MakeEvent("KOR", "JPN")}, {}},
      [&](absl::StatusOr<AppendResult> r) { first.set_value(std::move(r)); });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return writing; });  // the committer is in its write
  }
  std::promise<absl::StatusOr<AppendResult>> second;
  std::thread::id second_on;
  log_->AppendHere({{MakeEvent("JPN", "KOR")}, {}},
                   [&](absl::StatusOr<AppendResult> r) {
                     second_on = std::this_thread::get_id();
                     second.set_value(std::move(r));
                   });
  // Returned without an answer: it is queued behind the write under way
  // (which cannot end before `release`).
  std::future<absl::StatusOr<AppendResult>> second_answer = second.get_future();
  EXPECT_EQ(second_answer.wait_for(std::chrono::seconds(0)),
            std::future_status::timeout);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  absl::StatusOr<AppendResult> a = first.get_future().get();
  absl::StatusOr<AppendResult> b = second_answer.get();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->first, Position(1));
  EXPECT_EQ(b->first, Position(2));
  EXPECT_NE(second_on, std::this_thread::get_id());
}

TEST_F(RocksEventLogTest, AppendsAfterCloseAreCancelled) {
  log_->Close();
  EXPECT_EQ(log_->Append({{MakeEvent("KOR", "JPN")}, {}}).status().code(),
            absl::StatusCode::kCancelled);
}

TEST_F(RocksEventLogTest, VerifyFindsAMissingIndexEntry) {
  Entry e = MakeEvent("KOR", "JPN");
  MustAppend({e, MakeEvent("USA", "JPN")});
  log_.reset();
  auto good = VerifyRocksEventLog(dir_.string());
  ASSERT_TRUE(good.ok());
  EXPECT_TRUE(good->ok());
  EXPECT_EQ(good->streams, 2u);
  {
    auto db = OpenLogDb(MakeLogDbOptions(1u << 20, nullptr), dir_.string(),
                        LogDbMode::kReadWrite);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)
                    ->db()
                    .Delete(rocksdb::WriteOptions(), (*db)->ids(),
                            keys::IdKey(e.event_id))
                    .ok());
  }
  auto bad = VerifyRocksEventLog(dir_.string());
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(bad->ok());
  EXPECT_THAT(bad->problems[0], HasSubstr("missing from the id index"));
}

}  // namespace
}  // namespace detente
