// Tests only: a RocksDB file system whose writable files fail on demand
// (ENOSPC, write errors, fsync errors), for the storage-failure tests of the
// log and of cluster mode's local copies.
#pragma once

#include <rocksdb/file_system.h>

#include <atomic>
#include <memory>
#include <string>

namespace detente::testing {

enum class Fault { kNone, kNoSpace, kWriteError, kSyncError };

class FaultyFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultyFile(std::unique_ptr<rocksdb::FSWritableFile> f,
             const std::atomic<Fault>& fault)
      : FSWritableFileOwnerWrapper(std::move(f)), fault_(fault) {}
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* dbg) override {
    if (fault_ == Fault::kNoSpace) {
      return rocksdb::IOStatus::NoSpace("injected: no space left on device");
    }
    if (fault_ == Fault::kWriteError) {
      return rocksdb::IOStatus::IOError("injected: write error");
    }
    return FSWritableFileOwnerWrapper::Append(data, o, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    if (fault_ != Fault::kNone && fault_ != Fault::kSyncError) {
      return Append(data, o, dbg);
    }
    return FSWritableFileOwnerWrapper::Append(data, o, info, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o,
                         rocksdb::IODebugContext* dbg) override {
    if (fault_ == Fault::kSyncError) {
      return rocksdb::IOStatus::IOError("injected: fsync error");
    }
    return FSWritableFileOwnerWrapper::Sync(o, dbg);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o,
                          rocksdb::IODebugContext* dbg) override {
    return Sync(o, dbg);
  }

 private:
  const std::atomic<Fault>& fault_;
};

class FaultyFs : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultyFs(std::shared_ptr<rocksdb::FileSystem> target)
      : FileSystemWrapper(std::move(target)) {}
  const char* Name() const override { return "FaultyFs"; }
  rocksdb::IOStatus NewWritableFile(
      const std::string& name, const rocksdb::FileOptions& o,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(name, o, result, dbg);
    const bool chosen =
        only_names_ending_with.empty() ||
        (name.size() >= only_names_ending_with.size() &&
         name.compare(name.size() - only_names_ending_with.size(),
                      std::string::npos, only_names_ending_with) == 0);
    if (s.ok() && chosen) {
      result->reset(new FaultyFile(std::move(*result), fault));
    }
    return s;
  }
  std::atomic<Fault> fault{Fault::kNone};
  // When set (before the files are made), only files whose names end so
  // fail.
  std::string only_names_ending_with;
};

}  // namespace detente::testing
