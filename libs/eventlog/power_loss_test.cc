// Power loss: a FileSystem wrapper remembers, for every file the log
// writes, how many bytes were fsynced. "Pulling the plug" copies the
// database directory keeping only those bytes (files never synced come back
// empty), which is what the disk would hold after a power cut. The copy is
// then opened as the log would be after the machine restarts. While it is
// copied, every change to the directory through the wrapper waits, so that
// the copy is one moment's state even while background work (flushes,
// compactions, id index files) creates, renames and deletes files.
//
// In sync durability nothing acknowledged may be lost. In async durability
// only a suffix of recent commits may be lost: what survives is exactly the
// first N entries appended, and the log is consistent. Either way every id
// that survived is known after the restart (a retry is a duplicate) and no
// other: with the id index written in small chunks, also none of an entry
// the power cut took.
#include <gtest/gtest.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "eventlog/rocks_event_log.h"
#include "eventlog/test_entries.h"
#include "eventlog/verify.h"

namespace detente {
namespace {

namespace fs = std::filesystem;
using ::detente::testing::MakeEvent;

// Per-file durable sizes, shared by the wrapper's files.
class SyncLedger {
 public:
  // Held shared by every change to the files, exclusively while the plug
  // is pulled.
  std::shared_mutex& freeze() { return freeze_; }

  void Written(const std::string& path, uint64_t size) {
    std::lock_guard lock(mu_);
    Entry& e = files_[fs::path(path).filename().string()];
    e.written = size;
  }
  void Synced(const std::string& path) {
    std::lock_guard lock(mu_);
    Entry& e = files_[fs::path(path).filename().string()];
    e.synced = e.written;
  }
  // A hard link (an ingested table file) or a rename shares the durable
  // bytes of its source (the directory entry itself is taken as durable).
  void Linked(const std::string& from, const std::string& to) {
    std::lock_guard lock(mu_);
    auto it = files_.find(fs::path(from).filename().string());
    if (it != files_.end())
      files_[fs::path(to).filename().string()] = it->second;
  }
  // Bytes of `name` that survive a power cut; nullopt for files this run
  // never wrote (they were durable before).
  std::optional<uint64_t> Durable(const std::string& name) {
    std::lock_guard lock(mu_);
    auto it = files_.find(name);
    if (it == files_.end()) return std::nullopt;
    return it->second.synced;
  }

 private:
  struct Entry {
    uint64_t written = 0;
    uint64_t synced = 0;
  };
  std::mutex mu_;
  std::map<std::string, Entry> files_;
  std::shared_mutex freeze_;
};

class LedgerFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  LedgerFile(std::unique_ptr<rocksdb::FSWritableFile> f, std::string path,
             SyncLedger& ledger)
      : FSWritableFileOwnerWrapper(std::move(f)),
        path_(std::move(path)),
        ledger_(ledger) {}
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* dbg) override {
    std::shared_lock frozen(ledger_.freeze());
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::Append(data, o, dbg);
    size_ += data.size();
    ledger_.Written(path_, size_);
    return s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo&,
                           rocksdb::IODebugContext* dbg) override {
    return Append(data, o, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o,
                         rocksdb::IODebugContext* dbg) override {
    std::shared_lock frozen(ledger_.freeze());
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::Sync(o, dbg);
    if (s.ok()) ledger_.Synced(path_);
    return s;
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o,
                          rocksdb::IODebugContext* dbg) override {
    std::shared_lock frozen(ledger_.freeze());
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::Fsync(o, dbg);
    if (s.ok()) ledger_.Synced(path_);
    return s;
  }
  rocksdb::IOStatus RangeSync(uint64_t, uint64_t, const rocksdb::IOOptions&,
                              rocksdb::IODebugContext*) override {
    return rocksdb::IOStatus::OK();  // not a durability guarantee
  }

 private:
  std::string path_;
  SyncLedger& ledger_;
  uint64_t size_ = 0;
};

class LedgerFs : public rocksdb::FileSystemWrapper {
 public:
  explicit LedgerFs(SyncLedger& ledger)
      : FileSystemWrapper(rocksdb::FileSystem::Default()), ledger_(ledger) {}
  const char* Name() const override { return "LedgerFs"; }
  rocksdb::IOStatus NewWritableFile(
      const std::string& name, const rocksdb::FileOptions& o,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override {
    std::shared_lock frozen(ledger_.freeze());
    rocksdb::IOStatus s = target()->NewWritableFile(name, o, result, dbg);
    if (s.ok()) {
      ledger_.Written(name, 0);
      result->reset(new LedgerFile(std::move(*result), name, ledger_));
    }
    return s;
  }
  rocksdb::IOStatus DeleteFile(const std::string& name,
                               const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* dbg) override {
    std::shared_lock frozen(ledger_.freeze());
    return target()->DeleteFile(name, o, dbg);
  }
  rocksdb::IOStatus RenameFile(const std::string& from, const std::string& to,
                               const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* dbg) override {
    std::shared_lock frozen(ledger_.freeze());
    rocksdb::IOStatus s = target()->RenameFile(from, to, o, dbg);
    if (s.ok()) ledger_.Linked(from, to);
    return s;
  }
  rocksdb::IOStatus LinkFile(const std::string& from, const std::string& to,
                             const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override {
    std::shared_lock frozen(ledger_.freeze());
    rocksdb::IOStatus s = target()->LinkFile(from, to, o, dbg);
    if (s.ok()) ledger_.Linked(from, to);
    return s;
  }

 private:
  SyncLedger& ledger_;
};

// The directory as a power cut would leave it.
void PullThePlug(const fs::path& from, const fs::path& to, SyncLedger& ledger) {
  std::unique_lock frozen(ledger.freeze());
  fs::create_directories(to);
  for (const auto& f : fs::directory_iterator(from)) {
    const std::string name = f.path().filename().string();
    if (name == "LOCK") continue;
    fs::copy_file(f.path(), to / name);
    if (std::optional<uint64_t> keep = ledger.Durable(name)) {
      fs::resize_file(to / name, std::min<uint64_t>(*keep, fs::file_size(to / name)));
    }
  }
}

// Durability, and the id index's chunk (ids in memory before a file).
class PowerLossTest
    : public ::testing::TestWithParam<std::tuple<Durability, size_t>> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("detente-power-" + Uuid::Random().ToString());
    fs::create_directories(dir_);
    fs_ = std::make_shared<LedgerFs>(ledger_);
    env_ = rocksdb::NewCompositeEnv(fs_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  SyncLedger ledger_;
  std::shared_ptr<LedgerFs> fs_;
  std::unique_ptr<rocksdb::Env> env_;
};

TEST_P(PowerLossTest, AcknowledgedEntriesSurviveOrOnlyASuffixIsLost) {
  const auto [durability, chunk] = GetParam();
  auto log = OpenRocksEventLog({.path = (dir_ / "live").string(),
                                .durability = durability,
                                .id_index_chunk = chunk,
                                .env = env_.get()});
  ASSERT_TRUE(log.ok()) << log.status();
  std::vector<Uuid> acknowledged;
  std::vector<Entry> appended;
  for (int batch = 0; batch < 60; ++batch) {
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
            << acknowledged.size() << " entries survived\n";
}

INSTANTIATE_TEST_SUITE_P(
    Durabilities, PowerLossTest,
    ::testing::Combine(::testing::Values(Durability::kSync, Durability::kAsync),
                       ::testing::Values(size_t{500000}, size_t{16})));

}  // namespace
}  // namespace detente
