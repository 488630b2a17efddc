// The read models after a storage failure of their own database (a full
// disk, a write error, a failed fsync of any file: the write-ahead log, the
// manifest, flushed or ingested tables). RocksDB keeps such an error and
// refuses every later write until the database is reopened, so the store
// reopens itself at the next Apply: while the fault lasts each Apply fails
// with UNAVAILABLE and queries keep answering from what was committed; once
// it clears, the next Apply succeeds, and the store ends equal, key for key,
// to one that never failed (also after closing and opening it again).
#include <gtest/gtest.h>
#include <rocksdb/env.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "eventlog/faulty_fs.h"
#include "projections/read_model_store.h"
#include "projections/test_history.h"

namespace detente {
namespace {

namespace fs = std::filesystem;

// The versions of every stream a view sees, counted.
size_t VersionsSeen(const ReadModelStore& store) {
  std::unique_ptr<ReadView> view = store.View();
  size_t n = 0;
  for (const std::string& stream : store.Streams()) {
    absl::Status s = view->ForEachVersion(stream, DayNumber(-719162),
                                          DayNumber(2932896),
                                          [&](const PairVersion&) {
                                            ++n;
                                            return true;
                                          });
    EXPECT_TRUE(s.ok()) << s;
  }
  return n;
}

TEST(StorageErrorTest, TheStoreReopensItselfOnceTheFaultClears) {
  const uint64_t seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  testing::History h = testing::RandomHistory(rng, 3000, 10);
  auto slice = [&](size_t from, size_t to) {
    return std::vector<RecordedEntry>(h.all.begin() + from,
                                      h.all.begin() + to);
  };

  for (testing::Fault fault :
       {testing::Fault::kNoSpace, testing::Fault::kWriteError,
        testing::Fault::kSyncError}) {
    SCOPED_TRACE("fault " + std::to_string(static_cast<int>(fault)));
    // Every file the database writes fails: the disk is full.
    auto file_system =
        std::make_shared<testing::FaultyFs>(rocksdb::FileSystem::Default());
    std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(file_system);
    const std::string path = testing::TempPath("storage-error");
    auto opened = ReadModelStore::Open(
        {.path = path, .ingest_min_entries = 500, .env = env.get()});
    ASSERT_TRUE(opened.ok()) << opened.status();
    std::unique_ptr<ReadModelStore> store = *std::move(opened);
    ASSERT_TRUE(store->Apply(slice(0, 800), Position(800)).ok());
    ASSERT_TRUE(store->Apply(slice(800, 900), Position(900)).ok());
    const size_t versions_before = VersionsSeen(*store);
    ASSERT_GT(versions_before, 0u);

    // A reader queries all along: the reopens wait for its views to end,
    // and its views never see the checkpoint go back.
    std::atomic<bool> stop{false};
    std::atomic<int> reads{0};
    std::thread reader([&] {
      Position seen;
      while (!stop) {
        const Position at = store->View()->position();
        EXPECT_GE(at, seen);
        seen = at;
        EXPECT_GE(VersionsSeen(*store), versions_before);
        ++reads;
      }
    });

    file_system->fault = fault;
    // Small batches through the memtables (whose write-ahead log is not
    // synced: a failing fsync lets them through until a table batch syncs
    // it), then a table batch, then the same again: the second round makes
    // the store try to reopen while the fault lasts.
    size_t failures = 0;
    for (int round = 0; round < 2; ++round) {
      for (auto [from, to] : {std::pair<size_t, size_t>{900, 950},
                              {950, 1000},
                              {1000, 1700}}) {
        const Position cp = store->checkpoint();
        const absl::Status s = store->Apply(slice(from, to), Position(to));
        if (s.ok()) {
          EXPECT_EQ(store->checkpoint(), Position(to));
          continue;
        }
        ++failures;
        EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
        // A failed batch may still come back whole when the store reopens
        // (it reached the write-ahead log but its fsync failed); never a
        // part of one.
        const Position now = store->checkpoint();
        EXPECT_TRUE(now == cp || now == Position(to))
            << cp.value() << " -> " << now.value();
        // Queries keep answering, at the store's checkpoint.
        EXPECT_EQ(store->View()->position(), now);
        EXPECT_GE(VersionsSeen(*store), versions_before);
      }
    }
    EXPECT_GE(failures, 2u);
    stop = true;
    reader.join();
    EXPECT_GT(reads.load(), 0);

    EXPECT_FALSE(store->StorageHealth().ok());

    file_system->fault = testing::Fault::kNone;
    // With nothing to apply (the follower at an idle head), the store
    // reopens its database all the same.
    const absl::Status retried = store->Apply({}, Position());
    ASSERT_TRUE(retried.ok()) << retried;
    EXPECT_TRUE(store->StorageHealth().ok()) << store->StorageHealth();
    // The follower resumes from the checkpoint; Apply skips what it holds.
    const absl::Status resumed =
        store->Apply(slice(900, 1700), Position(1700));
    ASSERT_TRUE(resumed.ok()) << resumed;
    ASSERT_TRUE(store->Apply(slice(1700, 2400), Position(2400)).ok());
    ASSERT_TRUE(store->Apply(slice(2400, 3000), Position(3000)).ok());
    EXPECT_EQ(store->checkpoint(), Position(3000));

    const std::string ref_path = testing::TempPath("storage-error-ref");
    auto ref = ReadModelStore::Open({.path = ref_path});
    ASSERT_TRUE(ref.ok());
    ASSERT_TRUE((*ref)->Apply(h.all, Position(h.all.size())).ok());
    const auto expected = (*ref)->DumpForTest();
    EXPECT_EQ(store->DumpForTest(), expected);
    EXPECT_EQ(VersionsSeen(*store), VersionsSeen(**ref));

    store.reset();
    auto again = ReadModelStore::Open({.path = path});
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ((*again)->checkpoint(), Position(3000));
    EXPECT_EQ((*again)->DumpForTest(), expected);
    again->reset();
    ref->reset();
    fs::remove_all(path);
    fs::remove_all(ref_path);
  }
}

}  // namespace
}  // namespace detente
