// Tests only: a RocksDB file system whose writable files fail on demand
// (ENOSPC, write errors, fsync errors), for the storage-failure tests of the
// log and of cluster mode's local copies; or are slow (each write and fsync
// takes 100 ms more), to make a background job observably slow. Files
// written in place (the zeroed WAL's, zeroed_wal.h) fail alike.
#pragma once

#include <rocksdb/file_system.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"

namespace detente::testing {

enum class Fault { kNone, kNoSpace, kWriteError, kSyncError, kSlow };

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
    if (fault_ == Fault::kSlow) Slow();
    return FSWritableFileOwnerWrapper::Append(data, o, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    if (fault_ == Fault::kNoSpace || fault_ == Fault::kWriteError) {
      return Append(data, o, dbg);
    }
    if (fault_ == Fault::kSlow) Slow();
    return FSWritableFileOwnerWrapper::Append(data, o, info, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o,
                         rocksdb::IODebugContext* dbg) override {
    if (fault_ == Fault::kSyncError) {
      return rocksdb::IOStatus::IOError("injected: fsync error");
    }
    if (fault_ == Fault::kSlow) Slow();
    return FSWritableFileOwnerWrapper::Sync(o, dbg);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o,
                          rocksdb::IODebugContext* dbg) override {
    return Sync(o, dbg);
  }

 private:
  friend class FaultyRWFile;
  static void Slow() {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::atomic<Fault>& fault_;
};

// A file written in place (the zeroed WAL's, zeroed_wal.h), failing alike.
class FaultyRWFile : public rocksdb::FSRandomRWFileOwnerWrapper {
 public:
  FaultyRWFile(std::unique_ptr<rocksdb::FSRandomRWFile> f,
               const std::atomic<Fault>& fault)
      : FSRandomRWFileOwnerWrapper(std::move(f)), fault_(fault) {}
  rocksdb::IOStatus Write(uint64_t offset, const rocksdb::Slice& data,
                          const rocksdb::IOOptions& o,
                          rocksdb::IODebugContext* dbg) override {
    if (fault_ == Fault::kNoSpace) {
      return rocksdb::IOStatus::NoSpace("injected: no space left on device");
    }
    if (fault_ == Fault::kWriteError) {
      return rocksdb::IOStatus::IOError("injected: write error");
    }
    if (fault_ == Fault::kSlow) FaultyFile::Slow();
    return FSRandomRWFileOwnerWrapper::Write(offset, data, o, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o,
                         rocksdb::IODebugContext* dbg) override {
    if (fault_ == Fault::kSyncError) {
      return rocksdb::IOStatus::IOError("injected: fsync error");
    }
    if (fault_ == Fault::kSlow) FaultyFile::Slow();
    return FSRandomRWFileOwnerWrapper::Sync(o, dbg);
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
    return Wrapped<FaultyFile>(
        name, target()->NewWritableFile(name, o, result, dbg), result);
  }
  rocksdb::IOStatus NewRandomRWFile(
      const std::string& name, const rocksdb::FileOptions& o,
      std::unique_ptr<rocksdb::FSRandomRWFile>* result,
      rocksdb::IODebugContext* dbg) override {
    return Wrapped<FaultyRWFile>(
        name, target()->NewRandomRWFile(name, o, result, dbg), result);
  }
  std::atomic<Fault> fault{Fault::kNone};
  // When set (before the files are made), only files whose names end so
  // fail.
  std::string only_names_ending_with;

 private:
  // The file `opened` made, failing on demand if its name is chosen.
  template <typename Faulty, typename File>
  rocksdb::IOStatus Wrapped(const std::string& name, rocksdb::IOStatus opened,
                            std::unique_ptr<File>* result) {
    if (opened.ok() && absl::EndsWith(name, only_names_ending_with)) {
      result->reset(new Faulty(std::move(*result), fault));
    }
    return opened;
  }
};

}  // namespace detente::testing
