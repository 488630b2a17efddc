// Power loss of the read models: they are written without fsync (they can
// be re-derived from the log), except that a batch written as table files
// is durable once applied, and it must never be durable ahead of the
// batches before it, which went through the memtables and an unsynced
// write-ahead log (eventlog/table_ingest.h syncs that log first; RocksDB's
// flush of the overlapping memtable does too, so the test passes without that
// sync: it checks the outcome, not the means). After a power cut
// (eventlog/power_cut.h) the store's checkpoint C is at least the last table
// batch's, and the store is exactly the store of the log's first C entries:
// so the catch-up that resumes from C counts every entry exactly once.
#include <gtest/gtest.h>
#include <rocksdb/env.h>

#include <filesystem>
#include <iostream>

#include "eventlog/power_cut.h"
#include "projections/read_model_store.h"
#include "projections/test_history.h"

namespace detente {
namespace {

namespace fs = std::filesystem;
using ::detente::testing::LedgerFs;
using ::detente::testing::PullThePlug;
using ::detente::testing::SyncLedger;

std::vector<std::pair<std::string, std::string>> DumpOfPrefix(
    const std::vector<RecordedEntry>& all, uint64_t n, const fs::path& path) {
  auto store = ReadModelStore::Open({.path = path, .ingest_min_entries = 0});
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return {};
  if (n > 0) {
    std::vector<RecordedEntry> prefix(all.begin(), all.begin() + n);
    EXPECT_TRUE((*store)->Apply(prefix, Position(n)).ok());
  }
  return (*store)->DumpForTest();
}

TEST(ReadModelPowerLossTest, TheCheckpointSurvivesOnlyWithEverythingBeforeIt) {
  const uint64_t seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const fs::path dir = ::detente::testing::TempPath("read-model-power");
  SyncLedger ledger;
  auto file_system = std::make_shared<LedgerFs>(ledger);
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(file_system);

  testing::History h = testing::RandomHistory(rng, 5000, 10);
  auto store = ReadModelStore::Open({.path = (dir / "live").string(),
                                     .ingest_min_entries = 400,
                                     .env = env.get()});
  ASSERT_TRUE(store.ok()) << store.status();
  struct Cut {
    fs::path path;
    uint64_t applied;      // the checkpoint when the plug was pulled
    uint64_t last_tables;  // the last batch written as tables, 0: none
    // Right after a table batch that followed memtable batches: where a
    // lost write-ahead log would leave the checkpoint ahead of the data.
    bool tables_after_memtables;
  };
  std::vector<Cut> cuts;
  uint64_t at = 0, last_tables = 0;
  bool memtables_since_tables = false;
  while (at < h.all.size()) {
    // Mostly small batches through the memtables, now and then a big one
    // written as table files.
    const size_t size = rng() % 4 == 0 ? 400 + rng() % 300 : 1 + rng() % 120;
    const uint64_t end = std::min<uint64_t>(h.all.size(), at + size);
    std::vector<RecordedEntry> batch(h.all.begin() + at, h.all.begin() + end);
    ASSERT_TRUE((*store)->Apply(batch, Position(end)).ok());
    const bool tables = end - at >= 400;
    const bool tables_after_memtables = tables && memtables_since_tables;
    if (tables) last_tables = end;
    memtables_since_tables = !tables;
    at = end;
    if (tables || rng() % 3 == 0) {
      const fs::path to = dir / ("cut-" + std::to_string(cuts.size()));
      PullThePlug(dir / "live", to, ledger);
      cuts.push_back({to, at, last_tables, tables_after_memtables});
    }
  }
  ASSERT_GT((*store)->Applied().tables, 0u);
  ASSERT_GT((*store)->Applied().memtables, 0u);
  store->reset();

  int tables_after_memtables = 0;
  for (size_t i = 0; i < cuts.size(); ++i) {
    SCOPED_TRACE("cut " + std::to_string(i));
    const Cut& cut = cuts[i];
    std::vector<std::pair<std::string, std::string>> survived;
    uint64_t checkpoint = 0;
    {
      auto after = ReadModelStore::Open({.path = cut.path.string()});
      ASSERT_TRUE(after.ok()) << after.status();
      checkpoint = (*after)->checkpoint().value();
      survived = (*after)->DumpForTest();
    }
    EXPECT_LE(checkpoint, cut.applied);
    EXPECT_GE(checkpoint, cut.last_tables);
    if (cut.tables_after_memtables) ++tables_after_memtables;
    EXPECT_EQ(survived,
              DumpOfPrefix(h.all, checkpoint, cut.path.string() + "-ref"));
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GT(tables_after_memtables, 0);
  std::cout << cuts.size() << " power cuts, " << tables_after_memtables
            << " right after a table batch that followed memtable batches\n";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace detente
