// A batch written as table files that cannot be written (a full disk, a
// write error, a failed fsync; of every file, or of the second family's
// only) changes nothing: Apply fails with UNAVAILABLE, the store and
// its checkpoint are as before, no file is left behind, and the same batch
// applies once the fault clears, to the same store as one that never failed.
#include <gtest/gtest.h>
#include <rocksdb/env.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "eventlog/faulty_fs.h"
#include "projections/read_model_store.h"
#include "projections/test_history.h"

namespace detente {
namespace {

namespace fs = std::filesystem;

int FilesBeingIngested(const std::string& dir) {
  int n = 0;
  for (const auto& f : fs::directory_iterator(dir)) {
    if (absl::EndsWith(f.path().filename().string(), ".sst.ingest")) ++n;
  }
  return n;
}

TEST(TableIngestTest, AFailedTableBatchChangesNothingAndAppliesLater) {
  const uint64_t seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  testing::History h = testing::RandomHistory(rng, 2400, 10);
  const std::vector<RecordedEntry> first(h.all.begin(), h.all.begin() + 800);
  const std::vector<RecordedEntry> second(h.all.begin() + 800,
                                          h.all.begin() + 1600);
  const std::vector<RecordedEntry> third(h.all.begin() + 1600, h.all.end());

  // Every table file fails, or only the entry copies' one (family 1),
  // written while the default family's file is written and succeeds.
  for (const std::string failing : {".sst.ingest", "-1.sst.ingest"})
    for (testing::Fault fault :
         {testing::Fault::kNoSpace, testing::Fault::kWriteError,
          testing::Fault::kSyncError}) {
      SCOPED_TRACE("fault " + std::to_string(static_cast<int>(fault)) +
                   " in files ending " + failing);
      auto file_system =
          std::make_shared<testing::FaultyFs>(rocksdb::FileSystem::Default());
      // Only table files fail: the write-ahead log and the database's own
      // files go on.
      file_system->only_names_ending_with = failing;
      std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(file_system);
      const std::string path = testing::TempPath("table-ingest");
      auto store = ReadModelStore::Open(
          {.path = path, .ingest_min_entries = 500, .env = env.get()});
      ASSERT_TRUE(store.ok()) << store.status();
      ASSERT_TRUE((*store)->Apply(first, Position(800)).ok());
      // A small batch through the memtables in between.
      ASSERT_TRUE(
          (*store)
              ->Apply({second.begin(), second.begin() + 100}, Position(900))
              .ok());
      const auto before = (*store)->DumpForTest();

      file_system->fault = fault;
      const absl::Status failed = (*store)->Apply(second, Position(1600));
      EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable) << failed;
      EXPECT_EQ((*store)->checkpoint(), Position(900));
      EXPECT_EQ((*store)->DumpForTest(), before);
      EXPECT_EQ(FilesBeingIngested(path), 0);

      file_system->fault = testing::Fault::kNone;
      ASSERT_TRUE((*store)->Apply(second, Position(1600)).ok());
      ASSERT_TRUE((*store)->Apply(third, Position(h.all.size())).ok());
      EXPECT_EQ((*store)->Applied().tables, 800u + 700u + 800u);
      EXPECT_EQ((*store)->Applied().memtables, 100u);

      const std::string ref_path = testing::TempPath("table-ingest-ref");
      auto ref = ReadModelStore::Open({.path = ref_path});
      ASSERT_TRUE(ref.ok());
      ASSERT_TRUE((*ref)->Apply(h.all, Position(h.all.size())).ok());
      EXPECT_EQ((*store)->DumpForTest(), (*ref)->DumpForTest());
      store->reset();
      ref->reset();
      fs::remove_all(path);
      fs::remove_all(ref_path);
    }
}

}  // namespace
}  // namespace detente
