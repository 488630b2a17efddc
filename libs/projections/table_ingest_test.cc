// A batch written as table files that cannot be written (a full disk, a
// write error, a failed fsync; of every file, or of the second family's
// only) changes nothing: Apply fails with UNAVAILABLE, the store and
// its checkpoint are as before, no file is left behind, and the same batch
// applies once the fault clears, to the same store as one that never failed.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/table_properties.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

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

// The store holds what one that applied the whole history at once holds;
// then both are closed and removed.
void ExpectAsAppliedAtOnceThenRemove(std::unique_ptr<ReadModelStore>& store,
                                     const std::string& path,
                                     const testing::History& h) {
  const std::string ref_path = testing::TempPath("table-ingest-ref");
  auto ref = ReadModelStore::Open({.path = ref_path});
  ASSERT_TRUE(ref.ok()) << ref.status();
  ASSERT_TRUE((*ref)->Apply(h.all, Position(h.all.size())).ok());
  EXPECT_EQ(store->DumpForTest(), (*ref)->DumpForTest());
  store.reset();
  ref->reset();
  fs::remove_all(path);
  fs::remove_all(ref_path);
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

      ExpectAsAppliedAtOnceThenRemove(*store, path, h);
    }
}

// A catch-up's table batches each leave a level-0 file, which the store lets
// pile up (32) while they come; once eight batches in a row went through the
// memtables, the eighth waits for the compactions to merge them, so that
// they are not merged beside the first queries after the catch-up; unless
// the follower is stopping. The compaction is made slow (each write of a
// table file 100 ms), so that it is still running when an Apply that did
// not wait returns.
void CatchUpThenEightMemtableBatches(bool stopping) {
  const uint64_t seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  testing::History h = testing::RandomHistory(rng, 1280, 10);
  const std::string path = testing::TempPath("table-ingest-drain");
  auto file_system =
      std::make_shared<testing::FaultyFs>(rocksdb::FileSystem::Default());
  file_system->only_names_ending_with = ".sst";  // not the ingested ones
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(file_system);
  auto store = ReadModelStore::Open(
      {.path = path, .ingest_min_entries = 100, .env = env.get()});
  ASSERT_TRUE(store.ok()) << store.status();
  size_t at = 0;
  for (int i = 0; i < 12; ++i, at += 100) {  // 12 table batches
    ASSERT_TRUE((*store)
                    ->Apply({h.all.begin() + at, h.all.begin() + at + 100},
                            Position(at + 100))
                    .ok());
  }
  EXPECT_EQ((*store)->Applied().tables, 1200u);
  // The first files go to the levels below (RocksDB ingests a file as low
  // as nothing overlaps it); the rest stay at level 0.
  const uint64_t files = (*store)->Level0FilesForTest();
  ASSERT_GE(files, 4u);
  file_system->fault = testing::Fault::kSlow;
  for (int i = 0; i < 7; ++i, at += 10) {  // through the memtables
    ASSERT_TRUE((*store)
                    ->Apply({h.all.begin() + at, h.all.begin() + at + 10},
                            Position(at + 10))
                    .ok());
  }
  EXPECT_EQ((*store)->Level0FilesForTest(), files) << "merged too early";
  (*store)->SetStopping(stopping);
  ASSERT_TRUE(
      (*store)
          ->Apply({h.all.begin() + at, h.all.end()}, Position(h.all.size()))
          .ok());
  // As the catch-up ends the pairs' day totals are read into the cache
  // (but not by a stopping follower): a query's first read of a pair then
  // scans nothing.
  const uint64_t scans = (*store)->DayScanCountForTest();
  {
    std::unique_ptr<ReadView> view = (*store)->View();
    for (const std::string& stream : (*store)->Streams()) {
      ASSERT_TRUE(view->Days(stream).ok());
    }
  }
  if (stopping) {
    EXPECT_GT((*store)->DayScanCountForTest(), scans) << "warmed";
  } else {
    EXPECT_EQ((*store)->DayScanCountForTest(), scans) << "not warmed";
  }
  if (stopping) {
    EXPECT_EQ((*store)->Level0FilesForTest(), files) << "waited";
  } else {
    EXPECT_LT((*store)->Level0FilesForTest(), 4u);
  }
  (*store)->SetStopping(false);
  EXPECT_EQ((*store)->Applied().memtables, 80u);
  file_system->fault = testing::Fault::kNone;
  ExpectAsAppliedAtOnceThenRemove(*store, path, h);
}

TEST(TableIngestTest, TheFilesOfACatchUpAreMergedBeforeItGoesOn) {
  CatchUpThenEightMemtableBatches(/*stopping=*/false);
}

TEST(TableIngestTest, AStoppingFollowerDoesNotWaitForThem) {
  CatchUpThenEightMemtableBatches(/*stopping=*/true);
}

// A follower that reaches the head right after its table batches (its last
// entries came in fewer than eight messages) says so (CaughtUp): the
// compactions start, and the pairs' day totals are read into the cache, so
// that a query's first read of a pair scans nothing.
TEST(TableIngestTest, ACatchUpThatEndsAtTheHeadFillsTheDayCache) {
  std::mt19937_64 rng(3);
  testing::History h = testing::RandomHistory(rng, 1200, 10);
  const std::string path = testing::TempPath("table-ingest-caught-up");
  auto store = ReadModelStore::Open({.path = path, .ingest_min_entries = 100});
  ASSERT_TRUE(store.ok()) << store.status();
  for (size_t at = 0; at < h.all.size(); at += 100) {
    ASSERT_TRUE((*store)
                    ->Apply({h.all.begin() + at, h.all.begin() + at + 100},
                            Position(at + 100))
                    .ok());
  }
  ASSERT_EQ((*store)->Applied().tables, 1200u);
  (*store)->CaughtUp();
  const uint64_t scans = (*store)->DayScanCountForTest();
  std::unique_ptr<ReadView> view = (*store)->View();
  ASSERT_FALSE((*store)->Streams().empty());
  for (const std::string& stream : (*store)->Streams()) {
    ASSERT_TRUE(view->Days(stream).ok());
  }
  EXPECT_EQ((*store)->DayScanCountForTest(), scans) << "not warmed";
  view.reset();
  ExpectAsAppliedAtOnceThenRemove(*store, path, h);
}

// GCC says so with macros, clang with __has_feature.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define DETENTE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define DETENTE_SANITIZED 1
#endif
#endif

// Thread creation refused on demand, as at a limit on threads (EAGAIN):
// std::thread then throws std::system_error. Through pthread_create below.
std::atomic<bool> refuse_threads{false};
std::atomic<int> threads_refused{0};

// The files of a batch are written on threads of their own; when no thread
// can be had, on the applying thread, one after the other, and the batch is
// the same. The day totals' compaction, which also has a thread of its own,
// waits for a later batch.
TEST(TableIngestTest, WithoutThreadsTheFilesAreWrittenInTurn) {
#ifdef DETENTE_SANITIZED
  GTEST_SKIP() << "the sanitizers intercept pthread_create themselves";
#endif
  const uint64_t seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  testing::History h = testing::RandomHistory(rng, 1600, 10);
  // One entry first: its day total is one operand, so that any batch after
  // it doubles the operands (how many a batch adds depends on its days).
  const std::vector<RecordedEntry> first(h.all.begin(), h.all.begin() + 1);
  const std::vector<RecordedEntry> second(h.all.begin() + 1,
                                          h.all.begin() + 400);
  const std::vector<RecordedEntry> third(h.all.begin() + 400, h.all.end());
  // Opened before threads are refused: RocksDB starts its background
  // threads as a database opens. The day totals are compacted after the
  // first batch, and again once their operands have doubled, but not
  // after a batch of table files (a catch-up's own compactions merge them).
  const std::string path = testing::TempPath("table-ingest-nothreads");
  auto store = ReadModelStore::Open({.path = path,
                                     .first_day_totals_compaction = 1,
                                     .ingest_min_entries = 500});
  ASSERT_TRUE(store.ok()) << store.status();

  ASSERT_TRUE((*store)->Apply(first, Position(1)).ok());
  // Until that first compaction is done (a running one is not restarted).
  for (int i = 0; i < 500 && !(*store)->Compactions().settled(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE((*store)->Compactions().settled());
  threads_refused = 0;
  refuse_threads = true;
  // Through the memtables: the operands double, and the compaction's thread
  // is refused.
  absl::Status s = (*store)->Apply(second, Position(400));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(threads_refused.load(), 1);
  // As table files: one thread per column family but the first, refused.
  s = (*store)->Apply(third, Position(1600));
  refuse_threads = false;
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(threads_refused.load(), 3);
  EXPECT_EQ((*store)->Applied().tables, 1200u);
  EXPECT_EQ((*store)->Applied().memtables, 400u);
  EXPECT_EQ(FilesBeingIngested(path), 0);

  ExpectAsAppliedAtOnceThenRemove(*store, path, h);
}

// The store's table files are LZ4's in every column family (since round
// 28): those a batch writes as tables, and those RocksDB writes from its
// memtables (here: the recovery's flush when the store is opened again).
// RocksDB records each block's compression, so older Snappy files still
// read, as the event log's LogDbTest.EntriesAreLz4AndSnappyFilesStillRead
// shows for the same RocksDB.
TEST(TableIngestTest, TheTablesAreLz4) {
  std::mt19937_64 rng(28);
  testing::History h = testing::RandomHistory(rng, 2400, 10);
  const std::string path = testing::TempPath("table-ingest-lz4");
  {
    auto store =
        ReadModelStore::Open({.path = path, .ingest_min_entries = 500});
    ASSERT_TRUE(store.ok()) << store.status();
    // A batch written as table files, then a small one through the
    // memtables and the write-ahead log.
    const std::vector<RecordedEntry> big(h.all.begin(), h.all.end() - 10);
    const std::vector<RecordedEntry> small(h.all.end() - 10, h.all.end());
    ASSERT_TRUE((*store)->Apply(big, Position(big.size())).ok());
    ASSERT_TRUE((*store)->Apply(small, Position(h.all.size())).ok());
    EXPECT_GT((*store)->Applied().tables, 0u);
    EXPECT_GT((*store)->Applied().memtables, 0u);
  }
  {  // Opened again: the recovery flushes the small batch to a file.
    auto store = ReadModelStore::Open({.path = path});
    ASSERT_TRUE(store.ok()) << store.status();
  }
  std::vector<std::string> names;
  ASSERT_TRUE(
      rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& n : names) families.push_back({n, {}});
  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  ASSERT_TRUE(rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), path, families,
                                           &handles, &raw)
                  .ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  // Family name -> its files' compressions.
  std::map<std::string, std::multiset<std::string>> compressions;
  for (rocksdb::ColumnFamilyHandle* family : handles) {
    rocksdb::TablePropertiesCollection tables;
    ASSERT_TRUE(db->GetPropertiesOfAllTables(family, &tables).ok());
    for (const auto& [file, props] : tables) {
      compressions[family->GetName()].insert(props->compression_name);
    }
    ASSERT_TRUE(db->DestroyColumnFamilyHandle(family).ok());
  }
  db.reset();
  EXPECT_EQ(compressions.size(), 3u);  // default, details, ids: each has files
  for (const auto& [family, names] : compressions) {
    EXPECT_EQ(names.count("LZ4"), names.size()) << family;
  }
  // More than one file where the small batch's flush came on top of the
  // batch's tables.
  size_t files = 0;
  for (const auto& [family, names] : compressions) files += names.size();
  EXPECT_GT(files, compressions.size());
  fs::remove_all(path);
}

}  // namespace
}  // namespace detente

#ifndef DETENTE_SANITIZED
// Interposes the C library's: the test binary's definition comes first.
extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attr,
                              void* (*start)(void*), void* arg) noexcept {
  using Real =
      int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
  static const Real real =
      reinterpret_cast<Real>(dlsym(RTLD_NEXT, "pthread_create"));
  if (detente::refuse_threads.load()) {
    detente::threads_refused.fetch_add(1);
    return EAGAIN;
  }
  return real(thread, attr, start, arg);
}
#endif
