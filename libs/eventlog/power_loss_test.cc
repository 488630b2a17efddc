// Power loss: the log's directory as a power cut would leave it, keeping
// only the bytes it fsynced (power_cut.h), is opened as the log would be
// after the machine restarts.
//
// In sync durability nothing acknowledged may be lost. In async durability
// only a suffix of recent commits may be lost, never what a close synced:
// what survives is exactly the first N entries appended, and the log is
// consistent. Either way every id
// that survived is known after the restart (a retry is a duplicate) and no
// other: with the id index written in small chunks, also none of an entry
// the power cut took.
#include <gtest/gtest.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <filesystem>
#include <vector>

#include "absl/strings/match.h"
#include "eventlog/power_cut.h"
#include "eventlog/rocks_event_log.h"
#include "eventlog/test_entries.h"
#include "eventlog/verify.h"
#include "eventlog/zeroed_wal.h"

namespace detente {
namespace {

namespace fs = std::filesystem;
using ::detente::testing::LedgerFs;
using ::detente::testing::MakeEvent;
using ::detente::testing::PullThePlug;
using ::detente::testing::SyncLedger;

// A directory for the live log, and the Env it is written through: the
// power-cut ledger, under the zeroed WAL the service writes in sync
// durability (zeroed_wal.h: a cut leaves zeros after its last synced
// record, and zeros where it wrote since) or not (RocksDB's own WAL).
template <typename Param>
class PowerCutFixture : public ::testing::TestWithParam<Param> {
 protected:
  virtual bool ZeroedWal() const = 0;
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("detente-power-" + Uuid::Random().ToString());
    fs::create_directories(dir_);
    fs_ = std::make_shared<LedgerFs>(ledger_);
    env_ = rocksdb::NewCompositeEnv(
        ZeroedWal() ? NewZeroedWalFileSystem(fs_)
                    : std::shared_ptr<rocksdb::FileSystem>(fs_));
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  SyncLedger ledger_;
  std::shared_ptr<LedgerFs> fs_;
  std::unique_ptr<rocksdb::Env> env_;
};

// Durability, the id index's chunk (ids in memory before a file), and
// whether the WAL is the zeroed one.
class PowerLossTest
    : public PowerCutFixture<std::tuple<Durability, size_t, bool>> {
 protected:
  bool ZeroedWal() const override { return std::get<2>(GetParam()); }
};

TEST_P(PowerLossTest, AcknowledgedEntriesSurviveOrOnlyASuffixIsLost) {
  const auto [durability, chunk, zeroed] = GetParam();
  const RocksEventLogOptions options{.path = (dir_ / "live").string(),
                                     .durability = durability,
                                     .id_index_chunk = chunk,
                                     .env = env_.get()};
  auto log = OpenRocksEventLog(options);
  ASSERT_TRUE(log.ok()) << log.status();
  std::vector<Uuid> acknowledged;
  std::vector<Entry> appended;
  // In async durability nothing is synced until the log closes (it syncs
  // its WAL, RocksDB flushes its memtables): halfway, it closes and opens
  // again, so that the cut finds durable entries, which must survive, and
  // unsynced ones after them.
  size_t synced = 0;
  for (int batch = 0; batch < 60; ++batch) {
    if (batch == 30 && durability == Durability::kAsync) {
      (*log)->Close();
      synced = acknowledged.size();
      log = OpenRocksEventLog(options);
      ASSERT_TRUE(log.ok()) << log.status();
    }
    std::vector<Entry> entries;
    for (int i = 0; i < 1 + batch % 7; ++i) {
      entries.push_back(MakeEvent(i % 2 ? "KOR" : "USA", "JPN"));
    }
    auto r = (*log)->Append({entries, {}});
    ASSERT_TRUE(r.ok()) << r.status();
    for (const EntryOutcome& o : r->outcomes) acknowledged.push_back(o.event_id);
    appended.insert(appended.end(), entries.begin(), entries.end());
  }
  // The plug is pulled while the log is open and the process alive.
  PullThePlug(dir_ / "live", dir_ / "after", ledger_);
  (*log)->Close();

  auto reopened = OpenRocksEventLog({.path = (dir_ / "after").string()});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  const uint64_t head = (*reopened)->Head().value();
  if (durability == Durability::kSync) {
    EXPECT_EQ(head, acknowledged.size());
  } else {
    EXPECT_GE(head, synced);
    EXPECT_LE(head, acknowledged.size());
  }
  // What survived is exactly a prefix of what was appended, in order.
  auto page = (*reopened)->Read({.max_entries = 100000});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries.size(), head);
  for (size_t i = 0; i < head; ++i) {
    EXPECT_EQ(page->entries[i].entry.event_id, acknowledged[i]) << i;
  }
  // Every id that survived is a duplicate, every other one new.
  for (size_t i = 0; i < appended.size(); ++i) {
    auto r = (*reopened)->Append({{appended[i]}, {}});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->outcomes[0].duplicate, i < head) << i;
    if (i < head) {
      EXPECT_EQ(r->outcomes[0].position, Position(i + 1));
    }
  }
  // And the log keeps working from there.
  ASSERT_TRUE((*reopened)->Append({{MakeEvent("KOR", "JPN")}, {}}).ok());
  (*reopened)->Close();
  auto report = VerifyRocksEventLog((dir_ / "after").string());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->problems[0];
  std::cout << "durability " << DurabilityName(durability) << ", id index "
            << "chunk " << chunk << ": " << head << " of "
            << acknowledged.size() << " entries survived"
            << (zeroed ? " (zeroed WAL)" : "");
  if (durability == Durability::kAsync) {
    std::cout << ", " << synced << " synced by a close";
  }
  std::cout << "\n";
}

// The zeroed WAL only in sync durability, as the log chooses it
// (log_db.h: a log that does not sync every write appends its WAL).
INSTANTIATE_TEST_SUITE_P(
    Durabilities, PowerLossTest,
    ::testing::Values(std::tuple(Durability::kSync, size_t{500000}, true),
                      std::tuple(Durability::kSync, size_t{16}, true),
                      std::tuple(Durability::kSync, size_t{500000}, false),
                      std::tuple(Durability::kSync, size_t{16}, false),
                      std::tuple(Durability::kAsync, size_t{500000}, false),
                      std::tuple(Durability::kAsync, size_t{16}, false)));

// The plug pulled in the middle of appends, in sync durability: as a sync
// of the write-ahead log begins, its bytes written and not synced (under
// the zeroed WAL they come back as zeros). Every append acknowledged before
// the cut survives, and what survives is a prefix of the appends, the one
// in flight whole or not at all.
class PowerLossDuringAppendsTest : public PowerCutFixture<bool> {
 protected:
  bool ZeroedWal() const override { return GetParam(); }
};

TEST_P(PowerLossDuringAppendsTest, AcknowledgedAppendsSurviveACutMidAppend) {
  auto log = OpenRocksEventLog({.path = (dir_ / "live").string(),
                                .durability = Durability::kSync,
                                .env = env_.get()});
  ASSERT_TRUE(log.ok()) << log.status();
  // One writer: the acknowledged ids are in append order.
  std::vector<Uuid> acknowledged;
  std::vector<size_t> acknowledged_before;  // at each cut
  constexpr int kBatches = 60, kCutEvery = 7;
  int batch = 0;
  ledger_.before_sync = [&](const std::string& path) {
    if (!absl::EndsWith(path, ".log") || batch % kCutEvery != 3) return;
    const fs::path copy =
        dir_ / ("cut" + std::to_string(acknowledged_before.size()));
    acknowledged_before.push_back(acknowledged.size());
    PullThePlug(dir_ / "live", copy, ledger_);
  };
  for (; batch < kBatches; ++batch) {
    std::vector<Entry> entries;
    for (int i = 0; i < 1 + batch % 5; ++i) {
      entries.push_back(MakeEvent(i % 2 ? "KOR" : "USA", "JPN"));
    }
    auto r = (*log)->Append({entries, {}});
    ASSERT_TRUE(r.ok()) << r.status();
    for (const EntryOutcome& o : r->outcomes) {
      acknowledged.push_back(o.event_id);
    }
  }
  ledger_.before_sync = nullptr;
  (*log)->Close();
  ASSERT_EQ(acknowledged_before.size(), 9u);  // batches 3, 10, ..., 59

  for (size_t cut = 0; cut < acknowledged_before.size(); ++cut) {
    SCOPED_TRACE(cut);
    const fs::path copy = dir_ / ("cut" + std::to_string(cut));
    auto reopened = OpenRocksEventLog({.path = copy.string()});
    ASSERT_TRUE(reopened.ok()) << reopened.status();
    const uint64_t head = (*reopened)->Head().value();
    EXPECT_GE(head, acknowledged_before[cut]);
    ASSERT_LE(head, acknowledged.size());
    auto page = (*reopened)->Read({.max_entries = 100000});
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_EQ(page->entries.size(), head);
    for (size_t i = 0; i < head; ++i) {
      ASSERT_EQ(page->entries[i].entry.event_id, acknowledged[i]) << i;
    }
    (*reopened)->Close();
    auto report = VerifyRocksEventLog(copy.string());
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->ok()) << report->problems[0];
  }
}

INSTANTIATE_TEST_SUITE_P(ZeroedWalOrNot, PowerLossDuringAppendsTest,
                         ::testing::Bool());

}  // namespace
}  // namespace detente
