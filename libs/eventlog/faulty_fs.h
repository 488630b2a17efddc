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

// What a write (or, with `sync`, a sync) meets under `fault`: the injected
// error, or OK after the delay of kSlow.
inline rocksdb::IOStatus Injected(Fault fault, bool sync) {
  if (!sync && fault == Fault::kNoSpace) {
    return rocksdb::IOStatus::NoSpace("injected: no space left on device");
  }
  if (!sync && fault == Fault::kWriteError) {
    return rocksdb::IOStatus::IOError("injected: write error");
  }
  if (sync && fault == Fault::kSyncError) {
    return rocksdb::IOStatus::IOError("injected: fsync error");
  }
  if (fault == Fault::kSlow) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return rocksdb::IOStatus::OK();
}

class FaultyFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultyFile(std::unique_ptr<rocksdb::FSWritableFile> f,
             const std::atomic<Fault>& fault)
      : FSWritableFileOwnerWrapper(std::move(f)), fault_(fault) {}
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = Injected(fault_, /*sync=*/false);
    return s.ok() ? FSWritableFileOwnerWrapper::Append(data, o, dbg) : s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = Injected(fault_, /*sync=*/false);
    return s.ok() ? FSWritableFileOwnerWrapper::Append(data, o, info, dbg) : s;
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o,
                         rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = Injected(fault_, /*sync=*/true);
    return s.ok() ? FSWritableFileOwnerWrapper::Sync(o, dbg) : s;
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o,
                          rocksdb::IODebugContext* dbg) override {
    return Sync(o, dbg);
  }

 private:
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
    rocksdb::IOStatus s = Injected(fault_, /*sync=*/false);
    return s.ok() ? FSRandomRWFileOwnerWrapper::Write(offset, data, o, dbg) : s;
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o,
                         rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = Injected(fault_, /*sync=*/true);
    return s.ok() ? FSRandomRWFileOwnerWrapper::Sync(o, dbg) : s;
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
