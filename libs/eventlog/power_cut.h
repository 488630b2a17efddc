// Tests only: a power cut, simulated. A RocksDB FileSystem wrapper
// (LedgerFs) remembers, for every file written through it, how many bytes
// were fsynced; PullThePlug copies a database directory keeping only those
// bytes (files never synced come back empty), which is what the disk would
// hold after a power cut. While it copies, every change to the directory
// through the wrapper waits, so that the copy is one moment's state even
// while background work (flushes, compactions, ingested files) creates,
// renames and deletes files. Used by the log's and the read models' power
// loss tests.
//
//   SyncLedger ledger;
//   auto fs = std::make_shared<LedgerFs>(ledger);
//   std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
//   ... open a database with env.get() in dir/live, write ...
//   PullThePlug(dir / "live", dir / "after", ledger);
#pragma once

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>

namespace detente::testing {

// Per-file durable sizes, shared by the wrapper's files.
class SyncLedger {
 public:
  // Held shared by every change to the files, exclusively while the plug
  // is pulled.
  std::shared_mutex& freeze() { return freeze_; }

  // A file (re)created: nothing of it is durable yet.
  void Created(const std::string& path) {
    std::lock_guard lock(mu_);
    files_[std::filesystem::path(path).filename().string()] = Entry{};
  }
  void Written(const std::string& path, uint64_t size) {
    std::lock_guard lock(mu_);
    Entry& e = files_[std::filesystem::path(path).filename().string()];
    e.written = size;
  }
  void Synced(const std::string& path) {
    std::lock_guard lock(mu_);
    Entry& e = files_[std::filesystem::path(path).filename().string()];
    e.synced = e.written;
  }
  // A hard link (an ingested table file) or a rename shares the durable
  // bytes of its source (the directory entry itself is taken as durable).
  void Linked(const std::string& from, const std::string& to) {
    std::lock_guard lock(mu_);
    auto it = files_.find(std::filesystem::path(from).filename().string());
    if (it != files_.end()) {
      files_[std::filesystem::path(to).filename().string()] = it->second;
    }
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
    if (s.ok()) {
      size_ += data.size();
      ledger_.Written(path_, size_);
    }
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
      ledger_.Created(name);
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
inline void PullThePlug(const std::filesystem::path& from,
                        const std::filesystem::path& to, SyncLedger& ledger) {
  namespace fs = std::filesystem;
  std::unique_lock frozen(ledger.freeze());
  fs::create_directories(to);
  for (const auto& f : fs::directory_iterator(from)) {
    const std::string name = f.path().filename().string();
    if (name == "LOCK") continue;
    fs::copy_file(f.path(), to / name);
    if (std::optional<uint64_t> keep = ledger.Durable(name)) {
      fs::resize_file(to / name,
                      std::min<uint64_t>(*keep, fs::file_size(to / name)));
    }
  }
}

}  // namespace detente::testing
