// Tests only: a power cut, simulated. A RocksDB FileSystem wrapper
// (LedgerFs) remembers, for every file written through it, how many bytes
// were fsynced; PullThePlug copies a database directory keeping only those
// bytes (files never synced come back empty), which is what the disk would
// hold after a power cut. While it copies, every change to the directory
// through the wrapper waits, so that the copy is one moment's state even
// while background work (flushes, compactions, ingested files) creates,
// renames and deletes files. A file written in place (the zeroed WAL's,
// zeroed_wal.h) keeps its synced bytes, and what was written in it since
// its last sync comes back as zeros. Used by the log's and the read
// models' power loss tests.
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
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

namespace detente::testing {

// Per-file durable sizes, shared by the wrapper's files.
class SyncLedger {
 public:
  // Held shared by every change to the files, exclusively while the plug
  // is pulled.
  std::shared_mutex& freeze() { return freeze_; }

  // When set (before the files are made), called with a file's path as a
  // sync of it begins, before anything is synced: a test can pull the plug
  // there, with bytes written and not yet synced.
  std::function<void(const std::string& path)> before_sync;

  // A file (re)created: nothing of it is durable yet.
  void Created(const std::string& path) {
    std::lock_guard lock(mu_);
    files_[Key(path)] = Entry{};
  }
  void Written(const std::string& path, uint64_t size) {
    std::lock_guard lock(mu_);
    Entry& e = files_[Key(path)];
    e.written = size;
  }
  // `sync` of `path` (a file's Sync or Fsync), with the ledger told: the
  // bytes written before it began are durable once it returns OK.
  template <typename Sync>
  rocksdb::IOStatus SyncThrough(const std::string& path, Sync sync) {
    if (before_sync) before_sync(path);
    std::shared_lock frozen(freeze_);
    const Mark mark = Marked(path);
    rocksdb::IOStatus s = sync();
    if (s.ok()) Synced(path, mark);
    return s;
  }
  // A file opened to be written in place: if this run has not written it,
  // its `size` bytes were durable before.
  void Opened(const std::string& path, uint64_t size) {
    std::lock_guard lock(mu_);
    files_.try_emplace(Key(path), Entry{.written = size, .synced = size});
  }
  // `n` bytes written in place at `offset`. Until a sync they are not
  // durable: a power cut leaves zeros there (the file's only writer in
  // place, the zeroed WAL, overwrites zeros or extends the file).
  void WrittenAt(const std::string& path, uint64_t offset, uint64_t n) {
    std::lock_guard lock(mu_);
    Entry& e = files_[Key(path)];
    e.written = std::max(e.written, offset + n);
    e.unsynced.emplace_back(offset, n);
  }
  // A hard link (an ingested table file) or a rename shares the durable
  // bytes of its source (the directory entry itself is taken as durable).
  void Linked(const std::string& from, const std::string& to) {
    std::lock_guard lock(mu_);
    auto it = files_.find(Key(from));
    if (it != files_.end()) {
      files_[Key(to)] = it->second;
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
  // Ranges of `name` written in place since its last sync (offset, bytes).
  std::vector<std::pair<uint64_t, uint64_t>> Unsynced(const std::string& name) {
    std::lock_guard lock(mu_);
    auto it = files_.find(name);
    if (it == files_.end()) return {};
    return it->second.unsynced;
  }

 private:
  struct Entry {
    uint64_t written = 0;
    uint64_t synced = 0;
    std::vector<std::pair<uint64_t, uint64_t>> unsynced;
  };
  // Files are known by name: a copy keeps the names, not the directory.
  static std::string Key(const std::string& path) {
    return std::filesystem::path(path).filename().string();
  }
  // What a sync begun now will make durable: the bytes written so far.
  struct Mark {
    uint64_t written = 0;
    size_t unsynced = 0;
  };
  Mark Marked(const std::string& path) {
    std::lock_guard lock(mu_);
    Entry& e = files_[Key(path)];
    return {e.written, e.unsynced.size()};
  }
  // A sync begun at `mark` returned: what was written before it is
  // durable; what a write from another thread added meanwhile is not.
  void Synced(const std::string& path, const Mark& mark) {
    std::lock_guard lock(mu_);
    Entry& e = files_[Key(path)];
    e.synced = std::max(e.synced, std::min(mark.written, e.written));
    e.unsynced.erase(
        e.unsynced.begin(),
        e.unsynced.begin() + static_cast<std::ptrdiff_t>(
                                 std::min(mark.unsynced, e.unsynced.size())));
  }

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
    return ledger_.SyncThrough(
        path_, [&] { return FSWritableFileOwnerWrapper::Sync(o, dbg); });
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o,
                          rocksdb::IODebugContext* dbg) override {
    return ledger_.SyncThrough(
        path_, [&] { return FSWritableFileOwnerWrapper::Fsync(o, dbg); });
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

// A file written in place (the zeroed WAL's, zeroed_wal.h).
class LedgerRWFile : public rocksdb::FSRandomRWFileOwnerWrapper {
 public:
  LedgerRWFile(std::unique_ptr<rocksdb::FSRandomRWFile> f, std::string path,
               SyncLedger& ledger)
      : FSRandomRWFileOwnerWrapper(std::move(f)),
        path_(std::move(path)),
        ledger_(ledger) {}
  rocksdb::IOStatus Write(uint64_t offset, const rocksdb::Slice& data,
                          const rocksdb::IOOptions& o,
                          rocksdb::IODebugContext* dbg) override {
    std::shared_lock frozen(ledger_.freeze());
    rocksdb::IOStatus s =
        FSRandomRWFileOwnerWrapper::Write(offset, data, o, dbg);
    if (s.ok()) ledger_.WrittenAt(path_, offset, data.size());
    return s;
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o,
                         rocksdb::IODebugContext* dbg) override {
    return ledger_.SyncThrough(
        path_, [&] { return FSRandomRWFileOwnerWrapper::Sync(o, dbg); });
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o,
                          rocksdb::IODebugContext* dbg) override {
    return ledger_.SyncThrough(
        path_, [&] { return FSRandomRWFileOwnerWrapper::Fsync(o, dbg); });
  }

 private:
  std::string path_;
  SyncLedger& ledger_;
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
  rocksdb::IOStatus NewRandomRWFile(
      const std::string& name, const rocksdb::FileOptions& o,
      std::unique_ptr<rocksdb::FSRandomRWFile>* result,
      rocksdb::IODebugContext* dbg) override {
    std::shared_lock frozen(ledger_.freeze());
    rocksdb::IOStatus s = target()->NewRandomRWFile(name, o, result, dbg);
    if (s.ok()) {
      uint64_t size = 0;
      s = target()->GetFileSize(name, o.io_options, &size, dbg);
      if (!s.ok()) return s;
      ledger_.Opened(name, size);
      result->reset(new LedgerRWFile(std::move(*result), name, ledger_));
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
    // What was written in place since the last sync is lost: zeros, as
    // before it was written.
    const auto unsynced = ledger.Unsynced(name);
    if (unsynced.empty()) continue;
    const uint64_t size = fs::file_size(to / name);
    std::fstream file(to / name,
                      std::ios::in | std::ios::out | std::ios::binary);
    for (const auto& [offset, n] : unsynced) {
      if (offset >= size) continue;
      file.seekp(static_cast<std::streamoff>(offset));
      const std::string zeros(std::min(n, size - offset), '\0');
      file.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
    }
  }
}

}  // namespace detente::testing
