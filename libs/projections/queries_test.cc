// Hand-computed answers for corrections, retractions, as-of positions,
// directed vs undirected, groups and timelines (docs/temperature.md).
#include "projections/queries.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "domain/date.h"
#include "eventlog/record_codec.h"
#include "projections/test_history.h"

namespace detente {
namespace {

DayNumber D(int y, int m, int d) { return ToDayNumber({y, m, d}); }

class QueriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = testing::TempPath("queries");
    auto store = ReadModelStore::Open({.path = path_});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    // GDELT scores: 036 +4, 111 -2, 057 +8, 040 +1.
    p1_ = h_.Event("KOR", "JPN", "2021-05-03", "036", {"diplomacy"});
    p2_ = h_.Event("JPN", "KOR", "2021-06", "111", {"history"});
    p3_ = h_.Correction(p1_, "KOR", "JPN", "2021-05-03", "057");
    p4_ = h_.Retraction(p2_);
    p5_ = h_.Event("USA", "KOR", "2021-05-10", "040");
    ASSERT_TRUE(store_->Apply(h_.all, Position(5)).ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(path_);
  }
  double TempAt(const std::string& stream, DayNumber day, uint64_t as_of,
                const std::string& directed = "") {
    SeriesQuery q;
    q.streams = {stream};
    q.filter.as_of = Position(as_of);
    q.filter.directed_source = directed;
    q.from = day;
    q.to = day;
    q.resolution = Resolution::kDay;
    auto a = ComputeSeriesAnswer(*store_->View(), q, D(2026, 1, 1));
    EXPECT_TRUE(a.ok()) << a.status();
    return a.ok() ? a->points.at(0).temperature : NAN;
  }

  std::string path_;
  std::unique_ptr<ReadModelStore> store_;
  testing::History h_;
  RecordedEntry p1_, p2_, p3_, p4_, p5_;
};

TEST_F(QueriesTest, AsOfPositionsSeeOnlyWhatWasKnownThen) {
  const DayNumber june1 = D(2021, 6, 1);  // 29 days after May 3
  const double k = std::pow(2.0, -29.0 / 90.0);
  EXPECT_NEAR(TempAt("JPN-KOR", D(2021, 5, 3), 1), 2.0, 1e-12);
  // The month-precision event counts on June 1.
  EXPECT_NEAR(TempAt("JPN-KOR", june1, 2), (4 * k - 2) / (1 + k + 1), 1e-12);
  // After the correction: the event counts once, with its latest version.
  EXPECT_NEAR(TempAt("JPN-KOR", june1, 3), (8 * k - 2) / (1 + k + 1), 1e-12);
  // After the retraction: the retracted event no longer counts.
  EXPECT_NEAR(TempAt("JPN-KOR", june1, 4), 8 * k / (1 + k), 1e-12);
  EXPECT_NEAR(TempAt("JPN-KOR", june1, 0), 8 * k / (1 + k), 1e-12);
  // As of a position beyond the store: capped at the store's position.
  EXPECT_NEAR(TempAt("JPN-KOR", june1, 99), 8 * k / (1 + k), 1e-12);
}

// The fixture applied its five entries in one batch. Here each is a batch
// of its own, with a reopen in between, so the correction and the
// retraction find their subjects in the store: in the subjects' entry
// copies, since an event never corrected or retracted has no id-index key.
TEST_F(QueriesTest, SubjectsOfEarlierBatchesAreFoundInTheStore) {
  store_.reset();
  std::filesystem::remove_all(path_);
  auto open = [&] {
    auto store = ReadModelStore::Open({.path = path_});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  };
  open();
  for (const RecordedEntry& e : h_.all) {
    ASSERT_TRUE(store_->Apply({e}, e.position).ok());
    store_.reset();
    open();
  }
  const DayNumber june1 = D(2021, 6, 1);
  const double k = std::pow(2.0, -29.0 / 90.0);
  EXPECT_NEAR(TempAt("JPN-KOR", june1, 3), (8 * k - 2) / (1 + k + 1), 1e-12);
  EXPECT_NEAR(TempAt("JPN-KOR", june1, 0), 8 * k / (1 + k), 1e-12);
  // Id-index keys for the corrected and the retracted event only.
  std::vector<std::string> ids;
  for (const auto& [key, value] : store_->DumpForTest()) {
    if (key[0] == 'x') ids.push_back(key);
  }
  EXPECT_EQ(ids.size(), 2u);
  // A second correction of the corrected event: found through its 'x' key.
  RecordedEntry again = h_.Correction(p1_, "KOR", "JPN", "2021-05-03", "040");
  ASSERT_TRUE(store_->Apply({again}, again.position).ok());
  EXPECT_NEAR(TempAt("JPN-KOR", june1, 0), 1 * k / (1 + k), 1e-12);
  EXPECT_NEAR(TempAt("JPN-KOR", june1, 5), 8 * k / (1 + k), 1e-12);
}

TEST_F(QueriesTest, DirectedCountsOnlyOneWay) {
  const DayNumber june1 = D(2021, 6, 1);
  const double k = std::pow(2.0, -29.0 / 90.0);
  EXPECT_NEAR(TempAt("JPN-KOR", june1, 2, "KOR"), 4 * k / (1 + k), 1e-12);
  EXPECT_NEAR(TempAt("JPN-KOR", june1, 2, "JPN"), -2.0 / 2.0, 1e-12);
}

TEST_F(QueriesTest, GroupPoolsEveryEventWithinTheGroup) {
  SeriesQuery q;
  q.streams = {"JPN-KOR", "JPN-USA", "KOR-USA"};
  q.from = q.to = D(2021, 5, 10);
  q.resolution = Resolution::kDay;
  auto a = ComputeSeriesAnswer(*store_->View(), q, D(2026, 1, 1));
  ASSERT_TRUE(a.ok());
  const double k = std::pow(2.0, -7.0 / 90.0);
  EXPECT_NEAR(a->points[0].temperature, (8 * k + 1) / (1 + k + 1), 1e-12);
  EXPECT_EQ(a->position, Position(5));
}

TEST_F(QueriesTest, SeriesDefaultsStartAtTheFirstEvent) {
  SeriesQuery q;
  q.streams = {"JPN-KOR"};
  q.resolution = Resolution::kMonth;
  q.to = D(2021, 7, 31);
  auto a = ComputeSeriesAnswer(*store_->View(), q, D(2026, 1, 1));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->from, D(2021, 5, 3));
  ASSERT_EQ(a->points.size(), 3u);  // May, June, July
  EXPECT_EQ(a->points[0].events, 1u);
  EXPECT_EQ(a->points[1].events, 0u);  // the June event is retracted
  // Unknown pair: one empty point at `to`.
  q.streams = {"CHN-RUS"};
  q.to = D(2021, 7, 31);
  a = ComputeSeriesAnswer(*store_->View(), q, D(2026, 1, 1));
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->points.size(), 1u);
  EXPECT_EQ(a->points[0].temperature, 0.0);
}

TEST_F(QueriesTest, TimelineAppliesCorrectionsAndMarksRetractions) {
  TimelineQuery q;
  q.streams = {"JPN-KOR"};
  auto page = ComputeTimeline(*store_->View(), q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].entry.position, Position(3));
  EXPECT_EQ(page->items[0].original, Position(1));
  EXPECT_TRUE(page->items[0].corrected);
  EXPECT_EQ(page->items[0].entry.entry.data.event_code, "057");

  q.include_retracted = true;
  page = ComputeTimeline(*store_->View(), q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_TRUE(page->items[1].retracted);
  EXPECT_EQ(page->items[1].original, Position(2));

  q.filter.as_of = Position(2);  // before the correction and retraction
  page = ComputeTimeline(*store_->View(), q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_FALSE(page->items[0].corrected);
  EXPECT_EQ(page->items[0].entry.entry.data.event_code, "036");
  EXPECT_FALSE(page->items[1].retracted);
}

// A correction must say where its subject is (the ingestion service sends
// subject_position); one without it is refused and nothing of its batch is
// applied.
TEST_F(QueriesTest, ACorrectionWithoutItsSubjectsPositionIsRefused) {
  RecordedEntry event = h_.Event("KOR", "JPN", "2022-01-01", "036");
  RecordedEntry fix = h_.Correction(p5_, "USA", "KOR", "2021-05-11", "040");
  fix.subject_position = Position();
  absl::Status s = store_->Apply({event, fix}, fix.position);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("correction at position 7 came without "
                             "subject_position"),
            std::string::npos)
      << s;
  EXPECT_EQ(store_->checkpoint(), Position(5));
}

// The follower passes records as the log stored them. A record that does
// not decode (cut in its last field), or lacks what the commit writes (the
// stream: a record body alone), is refused with its position named, and
// nothing of its batch is applied.
TEST_F(QueriesTest, ARecordThatDoesNotDecodeIsRefused) {
  const auto before = store_->DumpForTest();
  RecordedEntry event = h_.Event("KOR", "JPN", "2022-01-01", "036");
  RecordedEntry next = h_.Event("KOR", "JPN", "2022-01-02", "036");
  const std::string good = EncodeRecord(event);
  const std::string whole = EncodeRecord(next);
  for (const auto& [bad, reason] :
       {std::pair{whole.substr(0, whole.size() - 1), "not a StoredEntry"},
        std::pair{EncodeRecordBody(next.entry, next.goldstein,
                                   next.quad_class),
                  "no stream"}}) {
    absl::Status s = store_->ApplyRecords(
        {{event.position, good}, {next.position, bad}}, next.position);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    EXPECT_NE(s.message().find("entry at position 7"), std::string::npos)
        << s;
    EXPECT_NE(s.message().find(reason), std::string::npos) << s;
    EXPECT_EQ(store_->checkpoint(), Position(5));
    EXPECT_EQ(store_->DumpForTest(), before);
  }
}

// The entry's copy is the record as given, byte for byte: a field of a
// later writer, which this build does not know, is kept.
TEST_F(QueriesTest, TheEntryCopyIsTheRecordAsTheLogStoredIt) {
  RecordedEntry event = h_.Event("KOR", "JPN", "2022-01-01", "036");
  std::string record = EncodeRecord(event);
  record += std::string("\x98\x06\x01", 3);  // field 99, varint 1
  ASSERT_TRUE(
      store_->ApplyRecords({{event.position, record}}, event.position).ok());
  std::string copy;
  for (const auto& [key, value] : store_->DumpForTest()) {
    if (key[0] == 'd' && key.back() == 6) copy = value;
  }
  EXPECT_EQ(copy, record);
  auto read = store_->View()->Entry(event.position);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->entry.event_id, event.entry.event_id);
  EXPECT_EQ(read->stream, "JPN-KOR");
  // It counts: the corrected event (+8, 243 days before) and it (+4).
  const double k = std::pow(2.0, -243.0 / 90.0);
  EXPECT_NEAR(TempAt("JPN-KOR", D(2022, 1, 1), 6), (8 * k + 4) / (1 + k + 1),
              1e-12);
}

TEST_F(QueriesTest, TimelinePagesInDateOrder) {
  TimelineQuery q;
  q.streams = {"JPN-KOR", "KOR-USA"};
  q.page_size = 1;
  auto first = ComputeTimeline(*store_->View(), q);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->items.size(), 1u);
  EXPECT_TRUE(first->more);
  EXPECT_EQ(first->items[0].day, D(2021, 5, 3));
  q.after = {{first->items[0].day, first->items[0].original}};
  auto second = ComputeTimeline(*store_->View(), q);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->items.size(), 1u);
  EXPECT_EQ(second->items[0].day, D(2021, 5, 10));
  EXPECT_FALSE(second->more);
}

TEST_F(QueriesTest, MoversRankChanges) {
  auto m = ComputeMovers(*store_->View(), store_->Streams(), D(2021, 5, 1),
                         D(2021, 5, 10), {.half_life = 90, .prior = 1},
                         Position(), 10, 0.0);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->warmed.size(), 2u);
  EXPECT_EQ(m->warmed[0].stream, "JPN-KOR");
  EXPECT_EQ(m->warmed[1].stream, "KOR-USA");
  EXPECT_NEAR(m->warmed[1].to_temperature, 0.5, 1e-12);
  EXPECT_TRUE(m->cooled.empty());
}

TEST_F(QueriesTest, StreamDirectoryAndNotModified) {
  EXPECT_EQ(store_->StreamsOf("KOR"),
            (std::vector<std::string>{"JPN-KOR", "KOR-USA"}));
  EXPECT_EQ(store_->LastChanged("JPN-KOR"), Position(4));
  EXPECT_TRUE(UnchangedSince(*store_, {"JPN-KOR"}, Position(4)));
  EXPECT_FALSE(UnchangedSince(*store_, {"JPN-KOR"}, Position(3)));
  EXPECT_FALSE(UnchangedSince(*store_, {"JPN-KOR"}, Position(0)));
  EXPECT_FALSE(UnchangedSince(*store_, {"JPN-KOR"}, Position(6)));
}

}  // namespace
}  // namespace detente
