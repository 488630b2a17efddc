#include "tools/bench/encoded_batches.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "detente/v1/ingest.pb.h"
#include "services/common/event_mapping.h"
#include "tools/bench/scenarios.h"

namespace detente::bench {
namespace {

constexpr int kLengthDelimited = 2;
constexpr int kVarint = 0;

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutTag(int field, int wire_type, std::string* out) {
  PutVarint(static_cast<uint64_t>(field) << 3 | wire_type, out);
}

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// The offset at which two serializations of one message that differ only
// in one field's value (of the same length) first differ: that value's
// first byte.
size_t FirstDifference(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) {
    throw std::logic_error("encoded_batches: the two encodings differ in size");
  }
  const auto m = std::mismatch(a.begin(), a.end(), b.begin());
  if (m.first == a.end()) {
    throw std::logic_error("encoded_batches: the two encodings are the same");
  }
  return static_cast<size_t>(m.first - a.begin());
}

}  // namespace

EncodedBatches::EncodedBatches(const SynthEvents& gen,
                               const BenchConfig& config)
    : gen_(gen), events_(config.events), pool_(kPoolSize) {
  for (size_t i = 0; i < pool_.size(); ++i) {
    v1::Event e;
    ToProto(gen.Make(i), &e);
    // Two ids (and dates) of the same length: where the encodings differ
    // is where each use writes its own.
    e.set_event_id(std::string(36, '0'));
    if (config.dates_across_log) e.set_occurred_on(std::string(10, '0'));
    const std::string zeros = e.SerializeAsString();
    e.set_event_id(std::string(36, '1'));
    const std::string id_ones = e.SerializeAsString();
    Template& t = pool_[i];
    t.id_at = FirstDifference(zeros, id_ones);
    if (config.dates_across_log) {
      e.set_occurred_on(std::string(10, '1'));
      t.date_at = FirstDifference(id_ones, e.SerializeAsString());
    }
    t.bytes = zeros;
  }
}

void EncodedBatches::Encode(uint64_t batch_id, uint64_t first, int n,
                            int result_detail, std::string* out) const {
  // AppendRequest: entries (1) one after the other, then result_detail (4).
  size_t batch_bytes = 0;
  for (int i = 0; i < n; ++i) {
    const size_t size = pool_[(first + i) % pool_.size()].bytes.size();
    batch_bytes += 1 + VarintSize(size) + size;
  }
  if (result_detail != 0) batch_bytes += 1 + VarintSize(result_detail);

  out->clear();
  out->reserve(batch_bytes + 24);
  // AppendStreamRequest: batch (1), then batch_id (2), in field order as
  // protobuf writes them.
  PutTag(v1::AppendStreamRequest::kBatchFieldNumber, kLengthDelimited, out);
  PutVarint(batch_bytes, out);
  std::string id;
  id.reserve(36);
  for (int i = 0; i < n; ++i) {
    const uint64_t index = first + i;
    const Template& t = pool_[index % pool_.size()];
    PutTag(v1::AppendRequest::kEntriesFieldNumber, kLengthDelimited, out);
    PutVarint(t.bytes.size(), out);
    const size_t at = out->size();
    out->append(t.bytes);
    gen_.EventIdInto(index, &id);
    std::memcpy(out->data() + at + t.id_at, id.data(), 36);
    if (t.date_at != std::string::npos) {
      const std::string& date = gen_.DateAcross(index, events_);
      std::memcpy(out->data() + at + t.date_at, date.data(), 10);
    }
  }
  if (result_detail != 0) {
    PutTag(v1::AppendRequest::kResultDetailFieldNumber, kVarint, out);
    PutVarint(static_cast<uint64_t>(result_detail), out);
  }
  if (batch_id != 0) {
    PutTag(v1::AppendStreamRequest::kBatchIdFieldNumber, kVarint, out);
    PutVarint(batch_id, out);
  }
}

}  // namespace detente::bench
