#include "eventlog/zeroed_wal.h"

#include <fcntl.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
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

rocksdb::IOStatus ErrnoStatus(const std::string& what, const std::string& path,
                              int err) {
  const std::string msg = what + " " + path + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return rocksdb::IOStatus::NoSpace(msg);
  return rocksdb::IOStatus::IOError(msg);
}

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

// A WAL file on a file descriptor of its own (see zeroed_wal.h). Appends
// come from one thread at a time (RocksDB's write group leader); Sync may
// come from another, which fdatasync allows.
class ZeroedWalFile : public rocksdb::FSWritableFile {
 public:
  ZeroedWalFile(int fd, std::string path, const rocksdb::FileOptions& o,
                std::shared_ptr<OpenWals> open_wals)
      : rocksdb::FSWritableFile(o),
        fd_(fd),
        path_(std::move(path)),
        open_wals_(std::move(open_wals)),
        size_(open_wals_->Add(path_)) {}
  ~ZeroedWalFile() override {
    if (fd_ >= 0) {
      Close(rocksdb::IOOptions(), nullptr).PermitUncheckedError();
    }
  }

  using rocksdb::FSWritableFile::Append;
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions&,
                           rocksdb::IODebugContext*) override {
    const uint64_t at = size_->load(std::memory_order_relaxed);
    const uint64_t end = at + data.size();
    if (end > filled_ && data.size() < kWalBulkAppend) {
      // Zeros from the end of this append to the next chunk boundary,
      // written before the data so that a failure leaves nothing of the
      // append behind.
      const uint64_t target = (end / kWalZeroChunk + 1) * kWalZeroChunk;
      for (uint64_t off = std::max(filled_, end); off < target;) {
        const size_t n = static_cast<size_t>(
            std::min<uint64_t>(target - off, sizeof(kZeros)));
        rocksdb::IOStatus s = WriteAll(kZeros, n, off);
        if (!s.ok()) return s;
        off += n;
      }
      filled_ = target;
    }
    rocksdb::IOStatus s = WriteAll(data.data(), data.size(), at);
    if (!s.ok()) return s;
    filled_ = std::max(filled_, end);
    size_->store(end, std::memory_order_release);
    return rocksdb::IOStatus::OK();
  }

  rocksdb::IOStatus Truncate(uint64_t size, const rocksdb::IOOptions&,
                             rocksdb::IODebugContext*) override {
    if (ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return ErrnoStatus("truncate", path_, errno);
    }
    size_->store(size, std::memory_order_release);
    filled_ = size;
    return rocksdb::IOStatus::OK();
  }

  // Cuts the zeros ahead off, so that a file closed cleanly holds its
  // records only.
  rocksdb::IOStatus Close(const rocksdb::IOOptions&,
                          rocksdb::IODebugContext*) override {
    if (fd_ < 0) return rocksdb::IOStatus::OK();
    rocksdb::IOStatus s;
    const uint64_t size = size_->load(std::memory_order_relaxed);
    if (filled_ > size && ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      s = ErrnoStatus("truncate", path_, errno);
    }
    if (close(fd_) != 0 && s.ok()) s = ErrnoStatus("close", path_, errno);
    fd_ = -1;
    open_wals_->Remove(path_, size_);
    return s;
  }

  rocksdb::IOStatus Flush(const rocksdb::IOOptions&,
                          rocksdb::IODebugContext*) override {
    return rocksdb::IOStatus::OK();  // nothing is buffered here
  }

  rocksdb::IOStatus Sync(const rocksdb::IOOptions&,
                         rocksdb::IODebugContext*) override {
    if (fdatasync(fd_) != 0) return ErrnoStatus("fdatasync", path_, errno);
    return rocksdb::IOStatus::OK();
  }

  rocksdb::IOStatus Fsync(const rocksdb::IOOptions&,
                          rocksdb::IODebugContext*) override {
    if (fsync(fd_) != 0) return ErrnoStatus("fsync", path_, errno);
    return rocksdb::IOStatus::OK();
  }

  bool IsSyncThreadSafe() const override { return true; }

  uint64_t GetFileSize(const rocksdb::IOOptions&,
                       rocksdb::IODebugContext*) override {
    return size_->load(std::memory_order_relaxed);
  }

 private:
  rocksdb::IOStatus WriteAll(const char* p, size_t n, uint64_t off) {
    while (n > 0) {
      const ssize_t w = pwrite(fd_, p, n, static_cast<off_t>(off));
      if (w < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("write", path_, errno);
      }
      p += w;
      n -= static_cast<size_t>(w);
      off += static_cast<uint64_t>(w);
    }
    return rocksdb::IOStatus::OK();
  }

  int fd_;
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
    const int fd =
        open(name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus("open", name, errno);
    result->reset(new ZeroedWalFile(fd, name, o, open_wals_));
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
