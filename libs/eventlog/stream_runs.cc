#include "eventlog/stream_runs.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/wire.h"
#include "eventlog/keys.h"
#include "eventlog/rocks_status.h"

namespace detente {
namespace {

// StreamRun's fields (storage.proto).
constexpr uint32_t kFirstRevisionField = 1;
constexpr uint32_t kGapsField = 2;

absl::Status Malformed(uint64_t first) {
  return absl::DataLossError(
      absl::StrCat("malformed stream run at position ", first));
}

// The varints of a packed field, each appended to `positions` as a gap
// after its last.
bool ReadGaps(absl::string_view packed, std::vector<uint64_t>& positions) {
  return wire::ForEachPackedVarint(packed, [&](uint64_t gap) {
    const uint64_t last = positions.back();
    if (gap == 0 || gap > UINT64_MAX - last) return false;
    positions.push_back(last + gap);
    return true;
  });
}

}  // namespace

void EncodeStreamRun(std::string* out, uint64_t first_revision,
                     absl::Span<const uint64_t> positions) {
  out->clear();
  wire::PutVarintFieldIfSet(out, kFirstRevisionField, first_revision);
  if (positions.size() < 2) return;
  size_t bytes = 0;
  for (size_t k = 1; k < positions.size(); ++k) {
    bytes += wire::VarintSize(positions[k] - positions[k - 1]);
  }
  wire::PutTag(out, kGapsField, wire::kLen);
  wire::PutVarint(out, bytes);
  for (size_t k = 1; k < positions.size(); ++k) {
    wire::PutVarint(out, positions[k] - positions[k - 1]);
  }
}

absl::Status DecodeStreamRun(uint64_t first, absl::string_view value,
                             StreamRun* out) {
  out->first_revision = 0;
  out->positions.assign(1, first);
  wire::Reader r(value);
  while (r.Next()) {
    if (r.field() == kFirstRevisionField && r.type() == wire::kVarint) {
      out->first_revision = r.varint();
    } else if (r.field() == kGapsField && r.type() == wire::kLen) {
      if (!ReadGaps(r.bytes(), out->positions)) return Malformed(first);
    } else {
      return Malformed(first);
    }
  }
  if (!r.ok()) return Malformed(first);
  return absl::OkStatus();
}

absl::Status PutStreamRuns(
    absl::string_view stream, uint64_t first_revision,
    absl::Span<const uint64_t> positions,
    const std::function<absl::Status(const std::string& key,
                                     const std::string& value)>& put) {
  std::string key, value;
  for (size_t start = 0; start < positions.size(); start += kMaxStreamRun) {
    const absl::Span<const uint64_t> run =
        positions.subspan(start, kMaxStreamRun);
    keys::SetStreamRunKey(&key, stream, Position(run.front()));
    EncodeStreamRun(&value, first_revision + start, run);
    RETURN_IF_ERROR(put(key, value));
  }
  return absl::OkStatus();
}

StreamRunReader::StreamRunReader(rocksdb::DB& db,
                                 rocksdb::ColumnFamilyHandle* family,
                                 absl::string_view stream, uint64_t lo,
                                 uint64_t hi, bool backward)
    : stream_(stream),
      lo_(lo),
      hi_(hi),
      backward_(backward),
      lower_(keys::StreamRunKey(stream, Position(0))),
      // The keys of one stream have one length: this is the first key after
      // hi's (hi + 1 would wrap at 2^64 - 1).
      upper_(keys::StreamRunKey(stream, Position(hi)) + '\0') {
  // Runs whose first position is at most hi: the last of them that starts
  // at or below lo holds lo's place.
  lower_slice_ = std::make_unique<rocksdb::Slice>(lower_);
  upper_slice_ = std::make_unique<rocksdb::Slice>(upper_);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = lower_slice_.get();
  ro.iterate_upper_bound = upper_slice_.get();
  it_.reset(db.NewIterator(ro, family));
}

StreamRunReader::~StreamRunReader() = default;

absl::Status StreamRunReader::LoadRun() {
  // The run read before, to check that this one does not overlap it.
  const bool after_a_run = !run_.positions.empty();
  const uint64_t before_first = after_a_run ? run_.positions.front() : 0;
  const uint64_t before_last = after_a_run ? run_.positions.back() : 0;
  run_.positions.clear();
  begin_ = end_ = taken_ = 0;
  if (!it_->Valid()) {
    return FromRocks(it_->status(), "reading the stream index");
  }
  const rocksdb::Slice key = it_->key();
  std::optional<keys::StreamRunKeyParts> parts =
      keys::DecodeStreamRunKey({key.data(), key.size()});
  if (!parts || parts->stream != stream_) {
    return absl::DataLossError("malformed key in the stream index");
  }
  const rocksdb::Slice value = it_->value();
  RETURN_IF_ERROR(DecodeStreamRun(parts->first.value(),
                                  {value.data(), value.size()}, &run_));
  const std::vector<uint64_t>& p = run_.positions;
  if (after_a_run &&
      (backward_ ? p.back() >= before_first : p.front() <= before_last)) {
    return absl::DataLossError(
        absl::StrCat("the stream index of ", stream_,
                     " has runs that overlap at position ", p.front()));
  }
  begin_ = std::lower_bound(p.begin(), p.end(), lo_) - p.begin();
  end_ = std::upper_bound(p.begin(), p.end(), hi_) - p.begin();
  if (end_ < begin_) end_ = begin_;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<uint64_t>> StreamRunReader::Peek() {
  if (!status_.ok()) return status_;  // errors stay
  absl::StatusOr<std::optional<uint64_t>> next = PeekOnce();
  if (!next.ok()) status_ = next.status();
  return next;
}

absl::StatusOr<std::optional<uint64_t>> StreamRunReader::PeekOnce() {
  if (!started_) {
    started_ = true;
    if (backward_) {
      it_->SeekToLast();
    } else {
      it_->SeekForPrev(keys::StreamRunKey(stream_, Position(lo_)));
      if (!it_->Valid() && it_->status().ok()) it_->SeekToFirst();
    }
    RETURN_IF_ERROR(LoadRun());
  }
  for (;;) {
    if (begin_ + taken_ < end_) {
      return backward_ ? run_.positions[end_ - 1 - taken_]
                       : run_.positions[begin_ + taken_];
    }
    if (!it_->Valid()) return std::nullopt;
    // This run is read. Forward, a run that ends at or past hi is the last;
    // backward, one that starts at or below lo.
    if (!run_.positions.empty() &&
        (backward_ ? run_.positions.front() <= lo_
                   : run_.positions.back() >= hi_)) {
      return std::nullopt;
    }
    backward_ ? it_->Prev() : it_->Next();
    RETURN_IF_ERROR(LoadRun());
  }
}

}  // namespace detente
