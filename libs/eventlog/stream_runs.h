// The stream index of format version 5 (keys.h, docs/storage-format.md):
// each 'r' key holds a run of one stream's positions, with consecutive
// revisions, as a StreamRun (storage.proto). The log's index writes a
// stream's entries of one chunk as runs of at most kMaxStreamRun, the first
// keyed by the stream's first position in the chunk; a reader of a stream
// decodes the runs its range touches.
//
// One key per run instead of one per entry (version 4): at 10M entries in
// 1,770 streams, ~40k keys instead of 10M, which the compactions of the
// default column family no longer rewrite over and over
// (docs/benchmarks.md, round 18).
//
//   RETURN_IF_ERROR(PutStreamRuns("JPN-KOR", revision, positions, put));
//   StreamRunReader r(db, family, "JPN-KOR", lo, hi, /*backward=*/false);
//   for (;;) {
//     ASSIGN_OR_RETURN(std::optional<uint64_t> p, r.Peek());
//     if (!p) break;
//     ...;
//     r.Next();
//   }
//
// Private to libs/eventlog.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Iterator;
class Slice;
}  // namespace rocksdb

namespace detente {

// Entries per run at most: a read that starts inside a run decodes it
// whole (~4 bytes and a few nanoseconds per entry).
inline constexpr size_t kMaxStreamRun = 4096;

// A decoded 'r' key and value.
struct StreamRun {
  uint64_t first_revision = 0;
  std::vector<uint64_t> positions;  // ascending; [0] is the key's
};

// The value of a run of `positions` (ascending, at least one) whose first
// has `first_revision`, written into `out` (replacing its content).
void EncodeStreamRun(std::string* out, uint64_t first_revision,
                     absl::Span<const uint64_t> positions);
// Decodes the value of the run whose key names `first`. DATA_LOSS when it
// is malformed (a gap of 0, a position past 2^64, an unknown field).
absl::Status DecodeStreamRun(uint64_t first, absl::string_view value,
                             StreamRun* out);

// Calls put(key, value) for the runs that hold `positions` (ascending) of
// `stream`, revisions from `first_revision`: runs of kMaxStreamRun from the
// first, in key order. Stops at put's first error.
absl::Status PutStreamRuns(
    absl::string_view stream, uint64_t first_revision,
    absl::Span<const uint64_t> positions,
    const std::function<absl::Status(const std::string& key,
                                     const std::string& value)>& put);

// The positions of one stream within [lo, hi] that its runs in `family`
// hold: ascending, or with `backward` descending. Reads one consistent view
// of the database (one iterator).
class StreamRunReader {
 public:
  StreamRunReader(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* family,
                  absl::string_view stream, uint64_t lo, uint64_t hi,
                  bool backward);
  ~StreamRunReader();
  StreamRunReader(const StreamRunReader&) = delete;
  StreamRunReader& operator=(const StreamRunReader&) = delete;

  // The next position, or nullopt after the last. DATA_LOSS for a
  // malformed key or run, or runs that overlap; the database's errors. An
  // error stays: every later call returns it.
  absl::StatusOr<std::optional<uint64_t>> Peek();
  // Past the position Peek returned.
  void Next() { ++taken_; }

 private:
  absl::StatusOr<std::optional<uint64_t>> PeekOnce();
  // Decodes the run under the iterator (none when it is not valid).
  absl::Status LoadRun();

  const std::string stream_;
  const uint64_t lo_, hi_;
  const bool backward_;
  std::string lower_, upper_;  // the iterator's bounds
  std::unique_ptr<rocksdb::Slice> lower_slice_, upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
  bool started_ = false;
  absl::Status status_;
  StreamRun run_;
  // run_.positions[begin_, end_) are within [lo, hi]; taken_ of them read
  // (from begin_ forward, or from end_ backward).
  size_t begin_ = 0, end_ = 0, taken_ = 0;
};

}  // namespace detente
