#include "eventlog/zeroed_wal.h"

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"

namespace detente {
namespace {

// Read as zeros without being touched: BSS pages map to the zero page.
alignas(4096) const char kZeros[1u << 16] = {};

bool IsWalFile(const std::string& name) {
  return absl::EndsWith(name, ".log");  // RocksDB passes whole paths
}

std::string Normal(const std::string& path) {
  return std::filesystem::path(path).lexically_normal().string();
}

// The WAL files open for writing, by path, with the bytes appended to each:
// the size the file system answers for them. The zeros ahead are not the
// file's content, and a reader that took them for it (a checkpoint copying
// the live WAL while appends continue) could copy zeros where an append
// was about to land and, further on, an append that followed it: a log
// with a gap. Up to the bytes appended, a copy is a prefix of the log.
class OpenWals {
 public:
  std::shared_ptr<std::atomic<uint64_t>> Add(const std::string& path) {
    auto size = std::make_shared<std::atomic<uint64_t>>(0);
    std::lock_guard lock(mu_);
    sizes_[Normal(path)] = size;
    return size;
  }
  void Remove(const std::string& path,
              const std::shared_ptr<std::atomic<uint64_t>>& size) {
    std::lock_guard lock(mu_);
    auto it = sizes_.find(Normal(path));
    if (it != sizes_.end() && it->second == size) sizes_.erase(it);
  }
  std::optional<uint64_t> Size(const std::string& path) const {
    std::lock_guard lock(mu_);
    auto it = sizes_.find(Normal(path));
    if (it == sizes_.end()) return std::nullopt;
    return it->second->load(std::memory_order_acquire);
  }

 private:
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<std::atomic<uint64_t>>>
      sizes_;
};

// A WAL file over two files of the wrapped file system (see zeroed_wal.h):
// a random-access one that writes in place, and the writable one RocksDB
// would have written, kept to cut the file (file systems need not support
// cutting a file by its name; RocksDB 7.8's own does not). Whatever that
// file system is (a test's power-cut ledger or fault injector, a user's)
// sees every byte written and every sync. Appends come from one thread at a
// time (RocksDB's write group leader); Sync may come from another
// (IsSyncThreadSafe below).
class ZeroedWalFile : public rocksdb::FSWritableFile {
 public:
  ZeroedWalFile(std::unique_ptr<rocksdb::FSRandomRWFile> file,
                std::unique_ptr<rocksdb::FSWritableFile> cutter,
                std::string path, const rocksdb::FileOptions& o,
                std::shared_ptr<OpenWals> open_wals)
      : rocksdb::FSWritableFile(o),
        file_(std::move(file)),
        cutter_(std::move(cutter)),
        path_(std::move(path)),
        open_wals_(std::move(open_wals)),
        size_(open_wals_->Add(path_)) {}
  ~ZeroedWalFile() override {
    if (file_ != nullptr) {
      Close(rocksdb::IOOptions(), nullptr).PermitUncheckedError();
    }
  }

  using rocksdb::FSWritableFile::Append;
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& io,
                           rocksdb::IODebugContext* dbg) override {
    const uint64_t at = size_->load(std::memory_order_relaxed);
    const uint64_t end = at + data.size();
    if (end > filled_ && data.size() < kWalBulkAppend) {
      // Zeros from the end of this append to the next chunk boundary,
      // written before the data so that a failure leaves nothing of the
      // append behind.
      const uint64_t target = (end / kWalZeroChunk + 1) * kWalZeroChunk;
      const uint64_t from = std::max(filled_, end);
      filled_ = target;  // a failure may leave any part: Close cuts it
      for (uint64_t off = from; off < target;) {
        const size_t n = static_cast<size_t>(
            std::min<uint64_t>(target - off, sizeof(kZeros)));
        rocksdb::IOStatus s =
            file_->Write(off, rocksdb::Slice(kZeros, n), io, dbg);
        if (!s.ok()) return s;
        off += n;
      }
    }
    filled_ = std::max(filled_, end);
    rocksdb::IOStatus s = file_->Write(at, data, io, dbg);
    if (!s.ok()) return s;
    size_->store(end, std::memory_order_release);
    return rocksdb::IOStatus::OK();
  }

  rocksdb::IOStatus Truncate(uint64_t size, const rocksdb::IOOptions& io,
                             rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = cutter_->Truncate(size, io, dbg);
    if (!s.ok()) return s;
    size_->store(size, std::memory_order_release);
    filled_ = size;
    return s;
  }

  // Cuts the zeros ahead off, so that a file closed cleanly holds its
  // records only.
  rocksdb::IOStatus Close(const rocksdb::IOOptions& io,
                          rocksdb::IODebugContext* dbg) override {
    if (file_ == nullptr) return rocksdb::IOStatus::OK();
    rocksdb::IOStatus s;
    const uint64_t size = size_->load(std::memory_order_relaxed);
    if (filled_ > size) s = cutter_->Truncate(size, io, dbg);
    for (rocksdb::IOStatus closed :
         {file_->Close(io, dbg), cutter_->Close(io, dbg)}) {
      if (s.ok()) s = closed;
    }
    file_.reset();
    cutter_.reset();
    open_wals_->Remove(path_, size_);
    return s;
  }

  rocksdb::IOStatus Flush(const rocksdb::IOOptions& io,
                          rocksdb::IODebugContext* dbg) override {
    return file_->Flush(io, dbg);
  }

  rocksdb::IOStatus Sync(const rocksdb::IOOptions& io,
                         rocksdb::IODebugContext* dbg) override {
    return file_->Sync(io, dbg);
  }

  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& io,
                          rocksdb::IODebugContext* dbg) override {
    return file_->Fsync(io, dbg);
  }

  // The wrapped file's Sync may come from another thread than its Write:
  // true of RocksDB's own file system (fdatasync) and of the tests' wrappers
  // (power_cut.h, faulty_fs.h). The cutter never preallocates (RocksDB's
  // calls to do so reach this file, not it), so its Close cuts nothing.
  bool IsSyncThreadSafe() const override { return true; }

  uint64_t GetFileSize(const rocksdb::IOOptions&,
                       rocksdb::IODebugContext*) override {
    return size_->load(std::memory_order_relaxed);
  }

 private:
  std::unique_ptr<rocksdb::FSRandomRWFile> file_;
  std::unique_ptr<rocksdb::FSWritableFile> cutter_;
  const std::string path_;
  const std::shared_ptr<OpenWals> open_wals_;
  // Bytes appended; shared with open_wals_ until the file is closed.
  const std::shared_ptr<std::atomic<uint64_t>> size_;
  uint64_t filled_ = 0;  // bytes in the file: appended and zeros
};

class ZeroedWalFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit ZeroedWalFileSystem(std::shared_ptr<rocksdb::FileSystem> base)
      : FileSystemWrapper(std::move(base)) {}
  const char* Name() const override { return "DetenteZeroedWal"; }

  rocksdb::IOStatus NewWritableFile(
      const std::string& name, const rocksdb::FileOptions& o,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override {
    if (!IsWalFile(name) || o.use_direct_writes || o.use_mmap_writes) {
      return target()->NewWritableFile(name, o, result, dbg);
    }
    // Made (or emptied) as RocksDB's own WAL files are, then written in
    // place through a random-access file of the same file system.
    std::unique_ptr<rocksdb::FSWritableFile> made;
    rocksdb::IOStatus s = target()->NewWritableFile(name, o, &made, dbg);
    if (!s.ok()) return s;
    std::unique_ptr<rocksdb::FSRandomRWFile> file;
    s = target()->NewRandomRWFile(name, o, &file, dbg);
    if (!s.ok()) {
      made->Close(o.io_options, dbg).PermitUncheckedError();
      return s;
    }
    result->reset(new ZeroedWalFile(std::move(file), std::move(made), name, o,
                                    open_wals_));
    return rocksdb::IOStatus::OK();
  }

  // An open WAL's size is its bytes appended (OpenWals above).
  rocksdb::IOStatus GetFileSize(const std::string& name,
                                const rocksdb::IOOptions& o, uint64_t* size,
                                rocksdb::IODebugContext* dbg) override {
    if (IsWalFile(name)) {
      if (std::optional<uint64_t> open = open_wals_->Size(name)) {
        *size = *open;
        return rocksdb::IOStatus::OK();
      }
    }
    return target()->GetFileSize(name, o, size, dbg);
  }

  rocksdb::IOStatus GetChildrenFileAttributes(
      const std::string& dir, const rocksdb::IOOptions& o,
      std::vector<rocksdb::FileAttributes>* result,
      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s =
        target()->GetChildrenFileAttributes(dir, o, result, dbg);
    if (!s.ok()) return s;
    for (rocksdb::FileAttributes& f : *result) {
      if (!IsWalFile(f.name)) continue;
      if (std::optional<uint64_t> open = open_wals_->Size(dir + "/" + f.name)) {
        f.size_bytes = *open;
      }
    }
    return s;
  }

 private:
  const std::shared_ptr<OpenWals> open_wals_ = std::make_shared<OpenWals>();
};

}  // namespace

std::shared_ptr<rocksdb::FileSystem> NewZeroedWalFileSystem(
    std::shared_ptr<rocksdb::FileSystem> base) {
  return std::make_shared<ZeroedWalFileSystem>(std::move(base));
}

rocksdb::Env* ZeroedWalEnv() {
  static rocksdb::Env* const env =
      rocksdb::NewCompositeEnv(
          NewZeroedWalFileSystem(rocksdb::FileSystem::Default()))
          .release();
  return env;
}

}  // namespace detente
