// Storage failures: injected write and fsync errors and ENOSPC, under the
// zeroed write-ahead log the service writes and under RocksDB's own. An append
// that meets one fails with UNAVAILABLE, nothing of it becomes visible,
// reads keep working, and appends resume once the fault clears.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/env.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <thread>
#include <tuple>

#include "eventlog/faulty_fs.h"
#include "eventlog/rocks_event_log.h"
#include "eventlog/test_entries.h"
#include "eventlog/verify.h"
#include "eventlog/zeroed_wal.h"

namespace detente {
namespace {

using ::detente::testing::AppendHereOnce;
using ::detente::testing::Fault;
using ::detente::testing::FaultyFs;
using ::detente::testing::HereAnswer;
using ::detente::testing::MakeEvent;

// The fault, and whether the write-ahead log is the zeroed one the service
// writes (zeroed_wal.h) or RocksDB's own (a caller's Env).
class FaultInjectionTest
    : public ::testing::TestWithParam<std::tuple<Fault, bool>> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("detente-fault-test-" + Uuid::Random().ToString());
    fs_ = std::make_shared<FaultyFs>(rocksdb::FileSystem::Default());
    env_ = rocksdb::NewCompositeEnv(
        ZeroedWal() ? NewZeroedWalFileSystem(fs_)
                    : std::shared_ptr<rocksdb::FileSystem>(fs_));
    auto log = OpenRocksEventLog(
        {.path = dir_.string(), .env = env_.get(), .storage_retry = retry_});
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = std::move(*log);
  }
  void TearDown() override {
    log_.reset();
    env_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Clears the fault, then gives the log up to 5 s to reopen its storage by
  // itself (no append): its StorageHealth() then.
  absl::Status ClearFaultAndWaitForHealth() {
    fs_->fault = Fault::kNone;
    for (int i = 0; i < 100 && !log_->StorageHealth().ok(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return log_->StorageHealth();
  }
  virtual Fault fault() const { return std::get<0>(GetParam()); }
  virtual bool ZeroedWal() const { return std::get<1>(GetParam()); }
  // How often a broken log reopens its storage by itself.
  absl::Duration retry_ = absl::Milliseconds(50);
  std::filesystem::path dir_;
  std::shared_ptr<FaultyFs> fs_;
  std::unique_ptr<rocksdb::Env> env_;
  std::unique_ptr<EventLog> log_;
};

// A lone append on an idle log is committed on its caller's thread
// (AppendHere). When that write fails and no other append follows, the log
// still reopens its storage by itself once the fault clears.
TEST_P(FaultInjectionTest,
       AFailedWriteOnTheCallersThreadIsRepairedWithoutAppends) {
  ASSERT_TRUE(log_->Append({{MakeEvent("KOR", "JPN")}, {}}).ok());
  fs_->fault = fault();
  HereAnswer failed = AppendHereOnce(*log_, {{MakeEvent("JPN", "KOR")}, {}});
  ASSERT_EQ(failed.thread, std::this_thread::get_id());  // committed here
  EXPECT_EQ(failed.result.status().code(), absl::StatusCode::kUnavailable)
      << failed.result.status();
  EXPECT_EQ(log_->StorageHealth().code(), absl::StatusCode::kUnavailable);

  const absl::Status health = ClearFaultAndWaitForHealth();
  EXPECT_TRUE(health.ok()) << health;
  EXPECT_TRUE(log_->Append({{MakeEvent("KOR", "JPN")}, {}}).ok());
}

TEST_P(FaultInjectionTest, FailsCleanlyKeepsReadingAndResumes) {
  Entry before = MakeEvent("KOR", "JPN");
  ASSERT_TRUE(log_->Append({{before}, {}}).ok());

  fs_->fault = fault();
  Entry lost = MakeEvent("KOR", "JPN");
  auto failed = log_->Append({{lost, MakeEvent("USA", "JPN")}, {}});
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable)
      << failed.status();
  EXPECT_EQ(log_->StorageHealth().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(log_->Head(), Position(1));
  auto read = log_->Read({});
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->entries.size(), 1u);
  auto got = log_->Get(before.event_id);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->has_value());
  // While the fault lasts, appends keep failing cleanly.
  EXPECT_FALSE(log_->Append({{MakeEvent("KOR", "JPN")}, {}}).ok());

  EXPECT_EQ(log_->StorageHealth().code(), absl::StatusCode::kUnavailable);

  // The fault clears: the log reopens its storage by itself, with no append.
  const absl::Status health = ClearFaultAndWaitForHealth();
  ASSERT_TRUE(health.ok()) << health;
  absl::StatusOr<AppendResult> resumed;
  for (int attempt = 0; attempt < 50; ++attempt) {
    resumed = log_->Append({{lost}, {}});
    if (resumed.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  // The failed batch is all or nothing. When the fault struck after the
  // write-ahead log had it (a failed fsync), the reopen replays it: it was
  // never acknowledged, and the retry of its entry is a duplicate.
  const bool replayed =
      fault() == Fault::kSyncError && resumed->outcomes[0].duplicate;
  EXPECT_EQ(resumed->outcomes[0].position, Position(2));
  EXPECT_EQ(log_->Head(), Position(replayed ? 3 : 2));
  if (fault() != Fault::kSyncError) {
    EXPECT_FALSE(resumed->outcomes[0].duplicate);
  }
  log_.reset();
  auto report = VerifyRocksEventLog(dir_.string());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->problems[0];
  EXPECT_EQ(report->entries, replayed ? 3u : 2u);
}

// An older copy of the directory put in place of the live one while the
// service runs (a restore over a running log, a volume swapped): after the
// next failed write, the reopen finds fewer entries than were acknowledged.
// Appending would hand their positions to other events, so appends and reads
// are refused with DATA_LOSS until the directory is put back; then the log
// resumes where it was.
class LostEntriesTest : public FaultInjectionTest {
 protected:
  // Reopens only at appends, so that no reopen races the directory moves.
  LostEntriesTest() { retry_ = absl::ZeroDuration(); }
  Fault fault() const override { return Fault::kWriteError; }
  bool ZeroedWal() const override { return true; }
  // A failed write, then a failed reopen: the log reads through a read-only
  // handle, which writes nothing, so the directory may be moved under it.
  void BreakAndKeepBroken() {
    fs_->fault = Fault::kWriteError;
    ASSERT_FALSE(log_->Append({{MakeEvent("KOR", "JPN")}, {}}).ok());
    ASSERT_FALSE(log_->Append({{MakeEvent("KOR", "JPN")}, {}}).ok());
    fs_->fault = Fault::kNone;
  }
  // Each file of `dir` with its size and modification time.
  static std::map<std::string,
                  std::pair<uintmax_t, std::filesystem::file_time_type>>
  Files(const std::filesystem::path& dir) {
    std::map<std::string, std::pair<uintmax_t, std::filesystem::file_time_type>>
        files;
    for (const auto& f : std::filesystem::directory_iterator(dir)) {
      files[f.path().filename().string()] = {f.file_size(),
                                             f.last_write_time()};
    }
    return files;
  }
};

TEST_F(LostEntriesTest, AReopenThatFindsFewerEntriesThanAcknowledgedRefuses) {
  const std::filesystem::path older = dir_.string() + ".older";
  const std::filesystem::path moved = dir_.string() + ".moved";
  Entry first = MakeEvent("KOR", "JPN");
  ASSERT_TRUE(log_->Append({{first}, {}}).ok());
  ASSERT_TRUE(log_->Backup(older.string()).ok());
  ASSERT_TRUE(
      log_->Append({{MakeEvent("USA", "JPN"), MakeEvent("KOR", "USA")}, {}})
          .ok());
  ASSERT_EQ(log_->Head(), Position(3));

  BreakAndKeepBroken();
  std::filesystem::rename(dir_, moved);
  std::filesystem::rename(older, dir_);
  const auto older_files = Files(dir_);

  Entry refused = MakeEvent("CHN", "JPN");
  auto append = log_->Append({{refused}, {}});
  ASSERT_EQ(append.status().code(), absl::StatusCode::kDataLoss)
      << append.status();
  EXPECT_THAT(append.status().message(),
              ::testing::HasSubstr("ends at position 1 but positions up to 3 "
                                   "were acknowledged"));
  EXPECT_EQ(log_->Head(), Position(3));
  EXPECT_EQ(log_->StorageHealth().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(log_->Read({}).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(log_->Get(first.event_id).status().code(),
            absl::StatusCode::kDataLoss);
  // Nothing was written into the older copy: the reopen only looked at it
  // read-only (a read-write open would add a manifest, an options file, a
  // write-ahead log and a lock file), also when retried.
  EXPECT_EQ(log_->Append({{refused}, {}}).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(Files(dir_), older_files);
  {
    auto report = VerifyRocksEventLog(dir_.string());
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->entries, 1u);
  }

  // The live directory back in place: the next append continues at 4.
  std::filesystem::remove_all(dir_);
  std::filesystem::rename(moved, dir_);
  auto resumed = log_->Append({{refused}, {}});
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->outcomes[0].position, Position(4));
  EXPECT_TRUE(log_->StorageHealth().ok()) << log_->StorageHealth();
  auto read = log_->Read({});
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->entries.size(), 4u);
}

// The directory removed while the service runs: the reopen reports it and
// does not make a new, empty log in its place.
TEST_F(LostEntriesTest, AReopenNeverCreatesANewLog) {
  ASSERT_TRUE(log_->Append({{MakeEvent("KOR", "JPN")}, {}}).ok());
  BreakAndKeepBroken();
  const std::filesystem::path moved = dir_.string() + ".moved";
  std::filesystem::rename(dir_, moved);
  auto append = log_->Append({{MakeEvent("KOR", "JPN")}, {}});
  EXPECT_EQ(append.status().code(), absl::StatusCode::kUnavailable)
      << append.status();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "CURRENT"));
  EXPECT_EQ(log_->Head(), Position(1));
  log_.reset();
  std::filesystem::remove_all(dir_);
  std::filesystem::rename(moved, dir_);
}

std::string ParamName(
    const ::testing::TestParamInfo<std::tuple<Fault, bool>>& info) {
  static constexpr const char* kFaults[] = {"None", "NoSpace", "WriteError",
                                            "SyncError", "Slow"};
  return std::string(kFaults[static_cast<int>(std::get<0>(info.param))]) +
         (std::get<1>(info.param) ? "ZeroedWal" : "RocksDbWal");
}

INSTANTIATE_TEST_SUITE_P(
    Faults, FaultInjectionTest,
    ::testing::Combine(::testing::Values(Fault::kNoSpace, Fault::kWriteError,
                                         Fault::kSyncError),
                       ::testing::Bool()),
    ParamName);

}  // namespace
}  // namespace detente
