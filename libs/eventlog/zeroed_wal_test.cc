// The write-ahead log written into zeros (zeroed_wal.h): what the file
// holds on disk as it is written and when it is closed, and that RocksDB
// recovers every synced write from a log a crash left ending in zeros.
#include "eventlog/zeroed_wal.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/utilities/checkpoint.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "domain/uuid.h"
#include "eventlog/rocks_event_log.h"
#include "eventlog/test_entries.h"

namespace detente {
namespace {

namespace fs = std::filesystem;

std::string Contents(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// A database at `path` (created if missing) whose WAL is written into
// zeros, or, with `zeroed` false, read back through plain files; null if
// RocksDB refuses to open it.
std::unique_ptr<rocksdb::DB> Open(
    const fs::path& path, bool zeroed,
    rocksdb::WALRecoveryMode mode =
        rocksdb::WALRecoveryMode::kPointInTimeRecovery) {
  rocksdb::Options o;
  o.create_if_missing = zeroed;
  o.env = zeroed ? ZeroedWalEnv() : rocksdb::Env::Default();
  o.wal_recovery_mode = mode;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(o, path.string(), &raw).ok()) return nullptr;
  return std::unique_ptr<rocksdb::DB>(raw);
}

class ZeroedWalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("detente-zeroed-wal-" + Uuid::Random().ToString());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
};

TEST_F(ZeroedWalTest, AppendsLandInZerosAheadAndCloseCutsThemOff) {
  auto zfs = NewZeroedWalFileSystem(rocksdb::FileSystem::Default());
  const fs::path wal = dir_ / "000007.log";
  std::unique_ptr<rocksdb::FSWritableFile> f;
  ASSERT_TRUE(
      zfs->NewWritableFile(wal.string(), rocksdb::FileOptions(), &f, nullptr)
          .ok());
  const rocksdb::IOOptions io;
  std::string expected;
  auto append = [&](const std::string& s) {
    ASSERT_TRUE(f->Append(s, io, nullptr).ok());
    ASSERT_TRUE(f->Sync(io, nullptr).ok());
    expected += s;
    EXPECT_EQ(f->GetFileSize(io, nullptr), expected.size());
  };

  append("abc");
  // One chunk on disk: the record, then zeros.
  EXPECT_EQ(fs::file_size(wal), kWalZeroChunk);
  std::string on_disk = Contents(wal);
  EXPECT_EQ(on_disk.substr(0, 3), "abc");
  EXPECT_EQ(on_disk.find_first_not_of('\0', 3), std::string::npos);

  // Small appends up to the chunk's end stay inside it.
  const std::string record(1000, 'r');
  while (expected.size() + record.size() <= kWalZeroChunk) append(record);
  EXPECT_EQ(fs::file_size(wal), kWalZeroChunk);
  // One crossing its end zeroes the next chunk.
  append(record);
  EXPECT_EQ(fs::file_size(wal), 2 * kWalZeroChunk);
  on_disk = Contents(wal);
  EXPECT_EQ(on_disk.substr(0, expected.size()), expected);
  EXPECT_EQ(on_disk.find_first_not_of('\0', expected.size()),
            std::string::npos);

  // A bulk append past the zeros extends the file by itself only.
  const std::string bulk(2 * kWalZeroChunk, 'b');
  append(bulk);
  EXPECT_EQ(fs::file_size(wal), expected.size());
  append("tail");
  EXPECT_GT(fs::file_size(wal), expected.size());

  // Closed cleanly, the file holds the records and nothing else.
  ASSERT_TRUE(f->Close(io, nullptr).ok());
  EXPECT_EQ(Contents(wal), expected);
}

TEST_F(ZeroedWalTest, FilesOtherThanTheLogAreLeftAsTheyAre) {
  auto zfs = NewZeroedWalFileSystem(rocksdb::FileSystem::Default());
  for (const char* name :
       {"000008.sst", "MANIFEST-000001", "LOG", "000009.logx", "a.log.old"}) {
    const fs::path p = dir_ / name;
    std::unique_ptr<rocksdb::FSWritableFile> f;
    ASSERT_TRUE(
        zfs->NewWritableFile(p.string(), rocksdb::FileOptions(), &f, nullptr)
            .ok());
    ASSERT_TRUE(f->Append("xyz", rocksdb::IOOptions(), nullptr).ok());
    ASSERT_TRUE(f->Flush(rocksdb::IOOptions(), nullptr).ok());
    EXPECT_EQ(fs::file_size(p), 3u) << name;
    ASSERT_TRUE(f->Close(rocksdb::IOOptions(), nullptr).ok());
  }
}

// While a WAL is open, the file system gives its size as the bytes
// appended, not the zeros ahead; closed, the file is that size.
TEST_F(ZeroedWalTest, AnOpenLogsSizeIsItsBytesAppended) {
  auto zfs = NewZeroedWalFileSystem(rocksdb::FileSystem::Default());
  const fs::path wal = dir_ / "000011.log";
  const rocksdb::IOOptions io;
  std::unique_ptr<rocksdb::FSWritableFile> f;
  ASSERT_TRUE(
      zfs->NewWritableFile(wal.string(), rocksdb::FileOptions(), &f, nullptr)
          .ok());
  ASSERT_TRUE(f->Append("abcde", io, nullptr).ok());
  EXPECT_EQ(fs::file_size(wal), kWalZeroChunk);
  uint64_t size = 0;
  ASSERT_TRUE(zfs->GetFileSize(wal.string(), io, &size, nullptr).ok());
  EXPECT_EQ(size, 5u);
  // The same file by another spelling of its path.
  ASSERT_TRUE(
      zfs->GetFileSize((dir_ / "." / "000011.log").string(), io, &size, nullptr)
          .ok());
  EXPECT_EQ(size, 5u);
  std::vector<rocksdb::FileAttributes> children;
  ASSERT_TRUE(
      zfs->GetChildrenFileAttributes(dir_.string(), io, &children, nullptr)
          .ok());
  ASSERT_EQ(children.size(), 1u);
  EXPECT_EQ(children[0].size_bytes, 5u);

  ASSERT_TRUE(f->Close(io, nullptr).ok());
  EXPECT_EQ(fs::file_size(wal), 5u);
  // A log no one has open (as a crash leaves it) is its bytes on disk.
  {
    std::ofstream(dir_ / "000012.log", std::ios::binary)
        << std::string(7, '\0');
  }
  ASSERT_TRUE(
      zfs->GetFileSize((dir_ / "000012.log").string(), io, &size, nullptr)
          .ok());
  EXPECT_EQ(size, 7u);
}

// Checkpoints (the log's online backups) taken while synced writes go on
// copy the live WAL up to its bytes appended: each is a prefix of the
// writes, without a gap, and its copy of the WAL ends at a record.
TEST_F(ZeroedWalTest, CheckpointsDuringWritesArePrefixesOfTheWrites) {
  std::unique_ptr<rocksdb::DB> db = Open(dir_ / "live", /*zeroed=*/true);
  ASSERT_NE(db, nullptr);
  auto key = [](int i) {
    char k[16];
    std::snprintf(k, sizeof(k), "k%08d", i);
    return std::string(k);
  };
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    rocksdb::WriteOptions sync;
    sync.sync = true;
    for (int i = 0; !stop.load(); ++i) {
      if (!db->Put(sync, key(i), std::string(200 + i % 300, 'v')).ok()) return;
      written.store(i + 1);
    }
  });
  constexpr int kCheckpoints = 12;
  for (int c = 0; c < kCheckpoints; ++c) {
    while (written.load() < 200 * (c + 1)) std::this_thread::yield();
    rocksdb::Checkpoint* cp = nullptr;
    ASSERT_TRUE(rocksdb::Checkpoint::Create(db.get(), &cp).ok());
    // No flush first, so the copy of the WAL holds every write (the log's
    // backups flush first and copy the WAL of the writes since).
    ASSERT_TRUE(
        cp->CreateCheckpoint((dir_ / ("cp" + std::to_string(c))).string(),
                             /*log_size_for_flush=*/UINT64_MAX)
            .ok());
    delete cp;
  }
  stop.store(true);
  writer.join();
  const int total = written.load();
  db.reset();

  for (int c = 0; c < kCheckpoints; ++c) {
    SCOPED_TRACE(c);
    const fs::path dir = dir_ / ("cp" + std::to_string(c));
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() != ".log" || fs::file_size(e.path()) == 0) {
        continue;
      }
      EXPECT_EQ(Contents(e.path()).back(), 'v') << e.path();
    }
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(
        rocksdb::DB::OpenForReadOnly(rocksdb::Options(), dir.string(), &raw)
            .ok());
    std::unique_ptr<rocksdb::DB> copy(raw);
    std::unique_ptr<rocksdb::Iterator> it(
        copy->NewIterator(rocksdb::ReadOptions()));
    int n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
      ASSERT_EQ(it->key().ToString(), key(n));
    }
    ASSERT_TRUE(it->status().ok());
    EXPECT_GE(n, 200 * (c + 1));
    EXPECT_LE(n, total);
  }
}

// A database written through the zeroed log and copied while open (what a
// kill -9 leaves: the page cache's bytes, the log's zeros ahead included)
// opens with every synced write, in our recovery mode and the strictest.
TEST_F(ZeroedWalTest, ALogACrashLeftEndingInZerosRecoversEverySyncedWrite) {
  for (auto mode : {rocksdb::WALRecoveryMode::kPointInTimeRecovery,
                    rocksdb::WALRecoveryMode::kAbsoluteConsistency}) {
    SCOPED_TRACE(static_cast<int>(mode));
    const fs::path live = dir_ / "live", crashed = dir_ / "crashed";
    std::unique_ptr<rocksdb::DB> db = Open(live, /*zeroed=*/true, mode);
    ASSERT_NE(db, nullptr);
    rocksdb::WriteOptions sync;
    sync.sync = true;
    constexpr int kWrites = 3000;  // ~1.5 chunks of log
    for (int i = 0; i < kWrites; ++i) {
      ASSERT_TRUE(db->Put(sync, "k" + std::to_string(i),
                          std::string(100 + i % 700, 'a' + i % 26))
                      .ok());
    }
    fs::copy(live, crashed, fs::copy_options::recursive);
    db.reset();

    // The copied log ends in zeros after its last record.
    int logs = 0;
    for (const auto& e : fs::directory_iterator(crashed)) {
      if (e.path().extension() != ".log") continue;
      ++logs;
      EXPECT_EQ(fs::file_size(e.path()) % kWalZeroChunk, 0u);
      const std::string bytes = Contents(e.path());
      EXPECT_EQ(bytes.back(), '\0');
    }
    EXPECT_EQ(logs, 1);

    db = Open(crashed, /*zeroed=*/false, mode);  // read with plain files
    ASSERT_NE(db, nullptr);
    for (int i = 0; i < kWrites; ++i) {
      std::string v;
      ASSERT_TRUE(
          db->Get(rocksdb::ReadOptions(), "k" + std::to_string(i), &v).ok())
          << i;
      EXPECT_EQ(v, std::string(100 + i % 700, 'a' + i % 26)) << i;
    }
    db.reset();
    fs::remove_all(live);
    fs::remove_all(crashed);
  }
}

// A last record torn before the zeros (a power cut in the middle of it) is
// what it was before the zeros: kPointInTimeRecovery recovers every write
// before it; kAbsoluteConsistency refuses the log.
TEST_F(ZeroedWalTest, ALastRecordTornBeforeTheZerosIsDroppedAsBefore) {
  const fs::path live = dir_ / "live", torn = dir_ / "torn";
  std::unique_ptr<rocksdb::DB> db = Open(live, /*zeroed=*/true);
  ASSERT_NE(db, nullptr);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  constexpr int kWrites = 100;
  for (int i = 0; i < kWrites; ++i) {
    ASSERT_TRUE(
        db->Put(sync, "k" + std::to_string(i), std::string(300, 'v')).ok());
  }
  fs::copy(live, torn, fs::copy_options::recursive);
  db.reset();

  // Zero the last 16 bytes of the last record, the zeros after it kept.
  fs::path wal;
  for (const auto& e : fs::directory_iterator(torn)) {
    if (e.path().extension() == ".log") wal = e.path();
  }
  ASSERT_FALSE(wal.empty());
  std::string bytes = Contents(wal);
  const size_t end = bytes.find_last_not_of('\0') + 1;
  ASSERT_LT(end, bytes.size());  // zeros follow the records
  std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(end - 16),
            bytes.begin() + static_cast<std::ptrdiff_t>(end), '\0');
  { std::ofstream(wal, std::ios::binary | std::ios::trunc) << bytes; }

  const fs::path strict = dir_ / "strict";
  fs::copy(torn, strict, fs::copy_options::recursive);
  EXPECT_EQ(Open(strict, /*zeroed=*/false,
                 rocksdb::WALRecoveryMode::kAbsoluteConsistency),
            nullptr);
  db = Open(torn, /*zeroed=*/false);
  ASSERT_NE(db, nullptr);
  std::string v;
  for (int i = 0; i < kWrites - 1; ++i) {
    EXPECT_TRUE(
        db->Get(rocksdb::ReadOptions(), "k" + std::to_string(i), &v).ok())
        << i;
  }
  EXPECT_TRUE(
      db->Get(rocksdb::ReadOptions(), "k" + std::to_string(kWrites - 1), &v)
          .IsNotFound());
}

// Why only a log that syncs every write is written into zeros: a power cut
// may keep a later page of a file written in place and lose an earlier one
// (nothing orders unsynced overwrites), and RocksDB's reader takes the
// zeroed header it meets for padding, skips to the next 32 KiB block and
// replays on: writes after the hole come back without those in it. Here
// every record is 4096 bytes, eight to a block, and the fourth is zeroed.
TEST_F(ZeroedWalTest, RocksDbReplaysPastAHoleOfZeros) {
  const fs::path live = dir_ / "live", holed = dir_ / "holed";
  std::unique_ptr<rocksdb::DB> db = Open(live, /*zeroed=*/true);
  ASSERT_NE(db, nullptr);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  // A record: 7 bytes of header and a WriteBatch of 12 bytes of header,
  // then the put: type, key length, key "k0000", value length (2 bytes).
  constexpr size_t kValue = 4096 - 7 - 12 - 1 - 1 - 5 - 2;
  constexpr int kWrites = 16;  // two blocks
  auto key = [](int i) {
    std::string k = std::to_string(i);
    return "k" + std::string(4 - k.size(), '0') + k;
  };
  for (int i = 0; i < kWrites; ++i) {
    ASSERT_TRUE(db->Put(sync, key(i), std::string(kValue, 'v')).ok());
  }
  fs::copy(live, holed, fs::copy_options::recursive);
  db.reset();

  fs::path wal;
  for (const auto& e : fs::directory_iterator(holed)) {
    if (e.path().extension() == ".log") wal = e.path();
  }
  ASSERT_FALSE(wal.empty());
  std::string bytes = Contents(wal);
  ASSERT_EQ(bytes.find_last_not_of('\0') + 1, kWrites * 4096u);
  std::fill(bytes.begin() + 3 * 4096, bytes.begin() + 4 * 4096, '\0');
  { std::ofstream(wal, std::ios::binary | std::ios::trunc) << bytes; }

  db = Open(holed, /*zeroed=*/false);
  ASSERT_NE(db, nullptr);
  std::string found;
  for (int i = 0; i < kWrites; ++i) {
    std::string v;
    found += db->Get(rocksdb::ReadOptions(), key(i), &v).ok() ? '1' : '0';
  }
  // The first block's writes up to the hole, none after it in that block,
  // and every write of the next block.
  EXPECT_EQ(found, "1110000011111111");
}

// The event log writes its WAL into zeros only when it syncs every write
// (sync durability); in async durability it is RocksDB's own, appended.
TEST_F(ZeroedWalTest, OnlyALogThatSyncsEveryWriteHasItsWalInZeros) {
  for (Durability durability : {Durability::kSync, Durability::kAsync}) {
    SCOPED_TRACE(DurabilityName(durability));
    const fs::path path = dir_ / DurabilityName(durability);
    auto log =
        OpenRocksEventLog({.path = path.string(), .durability = durability});
    ASSERT_TRUE(log.ok()) << log.status();
    ASSERT_TRUE((*log)->Append({{testing::MakeEvent("KOR", "JPN")}, {}}).ok());
    uint64_t wal_bytes = 0;
    for (const auto& e : fs::directory_iterator(path)) {
      if (e.path().extension() == ".log") wal_bytes += fs::file_size(e.path());
    }
    if (durability == Durability::kSync) {
      EXPECT_EQ(wal_bytes, kWalZeroChunk);
    } else {
      EXPECT_GT(wal_bytes, 0u);
      EXPECT_LT(wal_bytes, 4096u);
    }
    (*log)->Close();
  }
}

}  // namespace
}  // namespace detente
