// Property: read models built incrementally, in random batch sizes, with
// resumed (overlapping) batches and reopens in between, equal the read
// models of a one-shot rebuild, for histories with late events, corrections
// and retractions; and the same whether batches are written through the
// memtables or as ingested table files (ingest_min_entries), or a mix.
#include <gtest/gtest.h>

#include <filesystem>

#include "domain/date.h"
#include "projections/queries.h"
#include "projections/test_history.h"

namespace detente {
namespace {

TEST(RebuildEqualityTest, IncrementalEqualsRebuild) {
  const uint64_t seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 5; ++round) {
    testing::History h = testing::RandomHistory(rng, 1500);
    const std::string full_path = testing::TempPath("rebuild-full");
    const std::string tables_path = testing::TempPath("rebuild-tables");
    const std::string inc_path = testing::TempPath("rebuild-inc");
    // One batch through the memtables, and one as table files.
    auto full =
        ReadModelStore::Open({.path = full_path, .ingest_min_entries = 0});
    ASSERT_TRUE(full.ok());
    ASSERT_TRUE(
        (*full)->Apply(h.all, Position(h.all.size())).ok());
    auto tables =
        ReadModelStore::Open({.path = tables_path, .ingest_min_entries = 1});
    ASSERT_TRUE(tables.ok());
    ASSERT_TRUE((*tables)->Apply(h.all, Position(h.all.size())).ok());

    // Batches of 100 entries or more are ingested, about half of them.
    const ReadModelStoreOptions inc_options = {.path = inc_path,
                                               .ingest_min_entries = 100};
    auto inc = ReadModelStore::Open(inc_options);
    ASSERT_TRUE(inc.ok());
    size_t at = 0;
    int table_batches = 0;
    while (at < h.all.size()) {
      // A resumed subscription may repeat up to a few entries.
      size_t start = at - std::min<size_t>(at, rng() % 4);
      size_t end = std::min(h.all.size(), at + 1 + rng() % 200);
      std::vector<RecordedEntry> batch(h.all.begin() + start,
                                       h.all.begin() + end);
      ASSERT_TRUE((*inc)->Apply(batch, Position(end)).ok());
      at = end;
      if (end - start >= 100) ++table_batches;
      if (rng() % 10 == 0) {  // restart
        inc->reset();
        inc = ReadModelStore::Open(inc_options);
        ASSERT_TRUE(inc.ok());
        ASSERT_EQ((*inc)->checkpoint(), Position(at));
      }
    }
    EXPECT_GT(table_batches, 0);
    EXPECT_EQ((*tables)->Applied().tables, h.all.size());
    EXPECT_EQ((*full)->Applied().tables, 0u);
    EXPECT_EQ((*full)->DumpForTest(), (*inc)->DumpForTest());
    EXPECT_EQ((*full)->DumpForTest(), (*tables)->DumpForTest());
    EXPECT_EQ((*full)->Streams(), (*inc)->Streams());
    EXPECT_EQ((*full)->Streams(), (*tables)->Streams());

    SeriesQuery q;
    q.streams = (*full)->Streams();
    q.from = ToDayNumber({1960, 1, 1});
    q.to = ToDayNumber({2023, 12, 31});
    q.resolution = Resolution::kQuarter;
    q.filter.as_of = Position(1 + rng() % h.all.size());
    auto a = ComputeSeriesAnswer(*(*full)->View(), q, q.to.value());
    auto b = ComputeSeriesAnswer(*(*inc)->View(), q, q.to.value());
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->points.size(), b->points.size());
    for (size_t i = 0; i < a->points.size(); ++i) {
      EXPECT_EQ(a->points[i].temperature, b->points[i].temperature);
      EXPECT_EQ(a->points[i].events, b->points[i].events);
    }
    full->reset();
    tables->reset();
    inc->reset();
    std::filesystem::remove_all(full_path);
    std::filesystem::remove_all(tables_path);
    std::filesystem::remove_all(inc_path);
  }
}

}  // namespace
}  // namespace detente
