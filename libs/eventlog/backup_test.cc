// EventLog::Backup on the RocksDB log: the copy is a log of its own whose
// head is the one reported and whose entries are the live log's first
// `head` entries, also while appends run; and the directory rules.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/field_violation.h"
#include "eventlog/record_codec.h"
#include "eventlog/rocks_event_log.h"
#include "eventlog/test_entries.h"
#include "eventlog/verify.h"

namespace detente {
namespace {

namespace fs = std::filesystem;
using ::detente::testing::MakeEvent;
using ::detente::testing::MakeRetraction;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("detente-backup-test-" + Uuid::Random().ToString());
    fs::create_directories(root_);
    auto log = OpenRocksEventLog({.path = (root_ / "log").string()});
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = std::move(*log);
  }
  void TearDown() override {
    log_.reset();
    fs::remove_all(root_);
  }

  static std::vector<RecordedEntry> ReadAll(EventLog& log, Position to = {}) {
    return testing::ReadAllEntries(log, {.to = to});
  }

  // The stored form of each entry: equal bytes, equal entries.
  static std::vector<std::string> Encoded(const std::vector<RecordedEntry>& v) {
    std::vector<std::string> out;
    for (const RecordedEntry& e : v) out.push_back(EncodeRecord(e));
    return out;
  }

  // Opens `dir` as a log and checks it against the live log up to `head`.
  void ExpectCopyOf(const std::string& dir, Position head) {
    auto report = VerifyRocksEventLog(dir);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->ok()) << ::testing::PrintToString(report->problems);
    EXPECT_EQ(report->head, head.value());
    EXPECT_EQ(report->entries, head.value());
    auto copy = OpenRocksEventLog({.path = dir});
    ASSERT_TRUE(copy.ok()) << copy.status();
    EXPECT_EQ((*copy)->Head(), head);
    std::vector<RecordedEntry> copied = ReadAll(**copy);
    std::vector<RecordedEntry> live = ReadAll(*log_, head);
    ASSERT_EQ(copied.size(), head.value());
    EXPECT_EQ(Encoded(copied), Encoded(live));
  }

  static std::vector<std::string> Violations(const absl::Status& s) {
    std::vector<std::string> fields;
    for (const FieldViolation& v : GetFieldViolations(s)) {
      fields.push_back(v.field);
    }
    return fields;
  }

  fs::path root_;
  std::unique_ptr<EventLog> log_;
};

TEST_F(BackupTest, CopyOfAQuietLogHasItsHeadAndEntries) {
  AppendResult a = log_->Append({{MakeEvent("KOR", "JPN"),
                                  MakeEvent("USA", "JPN")}}).value();
  log_->Append({{MakeRetraction(a.outcomes[0].event_id)}}).value();
  const std::string dir = (root_ / "backups" / "one").string();  // parents too
  absl::StatusOr<BackupInfo> info = log_->Backup(dir);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->head, Position(3));
  EXPECT_EQ(info->entry_count, 3u);
  EXPECT_EQ(info->directory, dir);
  EXPECT_GT(info->files, 0u);
  EXPECT_GT(info->bytes, 0u);
  EXPECT_TRUE(info->hard_linked);  // same filesystem as the log
  EXPECT_GE(info->duration, absl::ZeroDuration());
  EXPECT_FALSE(fs::exists(fs::path(dir) / ".detente-backup-incomplete"));
  ExpectCopyOf(dir, Position(3));

  // The copy is independent: appends to the live log do not reach it.
  log_->Append({{MakeEvent("FRA", "DEU")}}).value();
  ExpectCopyOf(dir, Position(3));
}

TEST_F(BackupTest, CopyOfAnEmptyLogIsAnEmptyLog) {
  const std::string dir = (root_ / "empty").string();
  absl::StatusOr<BackupInfo> info = log_->Backup(dir);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->head, Position(0));
  ExpectCopyOf(dir, Position(0));
}

TEST_F(BackupTest, CopyCutWhileAppendsRunEndsAtTheReportedHead) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> acknowledged{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 3; ++w) {
    writers.emplace_back([&] {
      while (!stop) {
        std::vector<Entry> batch;
        for (int i = 0; i < 20; ++i) batch.push_back(MakeEvent("KOR", "JPN"));
        auto r = log_->Append({std::move(batch)});
        ASSERT_TRUE(r.ok()) << r.status();
        acknowledged += 20;
      }
    });
  }
  while (acknowledged < 2000) std::this_thread::yield();
  std::vector<BackupInfo> backups;
  for (int i = 0; i < 3; ++i) {
    const std::string dir = (root_ / ("b" + std::to_string(i))).string();
    absl::StatusOr<BackupInfo> info = log_->Backup(dir);
    ASSERT_TRUE(info.ok()) << info.status();
    backups.push_back(*info);
  }
  stop = true;
  for (std::thread& t : writers) t.join();
  // Appends went on meanwhile: the backups are cut at growing heads, each a
  // whole number of batches, and the live log went past them.
  for (size_t i = 0; i < backups.size(); ++i) {
    EXPECT_GE(backups[i].head.value(), 2000u);
    EXPECT_EQ(backups[i].head.value() % 20, 0u);
    if (i > 0) {
      EXPECT_GE(backups[i].head, backups[i - 1].head);
    }
    EXPECT_LE(backups[i].head, log_->Head());
  }
  EXPECT_GT(log_->Head(), backups.front().head);
  for (const BackupInfo& b : backups) ExpectCopyOf(b.directory, b.head);
}

TEST_F(BackupTest, AnEmptyExistingDirectoryIsUsedAsItIs) {
  log_->Append({{MakeEvent("KOR", "JPN")}}).value();
  const fs::path dir = root_ / "mountpoint";
  fs::create_directories(dir);
  absl::StatusOr<BackupInfo> info = log_->Backup(dir.string() + "/");
  ASSERT_TRUE(info.ok()) << info.status();
  ExpectCopyOf(dir.string(), Position(1));
}

TEST_F(BackupTest, RefusesANonEmptyDirectoryAndLeavesItAlone) {
  const fs::path dir = root_ / "busy";
  fs::create_directories(dir);
  std::ofstream(dir / "keep.txt") << "precious";
  absl::StatusOr<BackupInfo> info = log_->Backup(dir.string());
  ASSERT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument)
      << info.status();
  EXPECT_THAT(Violations(info.status()), ElementsAre("directory"));
  EXPECT_THAT(info.status().message(), HasSubstr("not empty"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()),
            1);
}

TEST_F(BackupTest, RefusesAFileTheLogItselfAndAPlaceInsideTheLog) {
  std::ofstream(root_ / "file") << "x";
  for (const fs::path& bad :
       {root_ / "file", root_ / "log", root_ / "log/", root_ / "log" / "inner",
        root_ / "other" / ".." / "log" / "x"}) {
    absl::StatusOr<BackupInfo> info = log_->Backup(bad.string());
    ASSERT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument)
        << bad << ": " << info.status();
    EXPECT_THAT(Violations(info.status()), ElementsAre("directory")) << bad;
  }
  EXPECT_FALSE(fs::exists(root_ / "log" / "inner"));
  absl::StatusOr<BackupInfo> empty = log_->Backup("");
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(BackupTest, AFileInThePathIsAFailedPrecondition) {
  std::ofstream(root_ / "plain") << "x";
  absl::StatusOr<BackupInfo> info = log_->Backup((root_ / "plain" / "b").string());
  EXPECT_EQ(info.status().code(), absl::StatusCode::kFailedPrecondition)
      << info.status();
}

TEST_F(BackupTest, AClosedLogIsUnavailable) {
  log_->Close();
  absl::StatusOr<BackupInfo> info = log_->Backup((root_ / "late").string());
  EXPECT_EQ(info.status().code(), absl::StatusCode::kUnavailable)
      << info.status();
  EXPECT_FALSE(fs::exists(root_ / "late"));
}

}  // namespace
}  // namespace detente
