#include "services/common/recorded_wire.h"

#include <array>
#include <cassert>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/wire.h"
#include "domain/uuid.h"

namespace detente {
namespace {

// The fields of an Event, a Timestamp and a RecordedEvent (event.proto), in
// field-number order as generated code writes them, emitted to a Sink: a
// Sizer that adds up their wire size, or a Writer that writes them into
// room sized by it. One list of fields for both passes, so the sizes and
// the bytes cannot disagree.
struct Sizer {
  static constexpr bool kWrites = false;
  size_t n = 0;

  void Varint(uint32_t f, uint64_t v) {
    n += wire::TagSize(f) + wire::VarintSize(v);
  }
  void String(uint32_t f, absl::string_view s) {
    n += wire::TagSize(f) + wire::VarintSize(s.size()) + s.size();
  }
  void Double(uint32_t f, double) { n += wire::TagSize(f) + 8; }
  void UuidText(uint32_t f, absl::string_view) {
    n += wire::TagSize(f) + 1 + 36;
  }
  // A length-delimited field of `size` bytes (its contents included).
  void Nested(uint32_t f, size_t size) {
    n += wire::TagSize(f) + wire::VarintSize(size) + size;
  }
};

struct Writer {
  static constexpr bool kWrites = true;
  char* p;

  void Varint(uint32_t f, uint64_t v) {
    p = wire::WriteVarint(wire::WriteTag(p, f, wire::kVarint), v);
  }
  void String(uint32_t f, absl::string_view s) {
    p = wire::WriteVarint(wire::WriteTag(p, f, wire::kLen), s.size());
    p = wire::WriteBytes(p, s);
  }
  void Double(uint32_t f, double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof(bits));
    p = wire::WriteFixed64(wire::WriteTag(p, f, wire::kFixed64), bits);
  }
  // `bytes16`: 16 bytes (DecodeRecordView checks the ids' lengths).
  void UuidText(uint32_t f, absl::string_view bytes16) {
    std::array<uint8_t, 16> b;
    std::memcpy(b.data(), bytes16.data(), 16);
    p = wire::WriteVarint(wire::WriteTag(p, f, wire::kLen), 36);
    p = Uuid(b).WriteText(p);
  }
  // The header only: the contents follow.
  void Nested(uint32_t f, size_t size) {
    p = wire::WriteVarint(wire::WriteTag(p, f, wire::kLen), size);
  }
};

template <typename Sink>
void StringIfSet(Sink& s, uint32_t f, absl::string_view v) {
  if (!v.empty()) s.String(f, v);
}
template <typename Sink>
void VarintIfSet(Sink& s, uint32_t f, uint64_t v) {
  if (v != 0) s.Varint(f, v);
}

// detente.v1.Event.
template <typename Sink>
void EmitEvent(const RecordView& v, Sink& s) {
  const bool retraction = v.kind == 3;
  s.UuidText(1, v.event_id);
  if (!retraction) {
    StringIfSet(s, 2, v.occurred_on);
    StringIfSet(s, 3, v.source);
    StringIfSet(s, 4, v.target);
    StringIfSet(s, 5, v.event_code);
    s.Double(6, v.goldstein);  // optional: always present
    VarintIfSet(s, 7, v.weight);
    if (v.tone) s.Double(8, *v.tone);
    for (absl::string_view t : v.tags) s.String(9, t);
    StringIfSet(s, 10, v.title);
  }
  StringIfSet(s, 11, v.summary);
  if (!retraction) {
    StringIfSet(s, 12, v.source_name);
    StringIfSet(s, 13, v.source_url);
  }
  s.Varint(14, v.kind);
  // A nil subject is none (as ToProto has it).
  if (!v.subject_event_id.empty() &&
      v.subject_event_id !=
          absl::string_view("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16)) {
    s.UuidText(15, v.subject_event_id);
  }
}

// google.protobuf.Timestamp of the recording time.
struct Recorded {
  int64_t seconds;
  int32_t nanos;
};
Recorded RecordedAt(int64_t micros) {
  return {micros / 1000000, static_cast<int32_t>(micros % 1000000) * 1000};
}
template <typename Sink>
void EmitTimestamp(Recorded t, Sink& s) {
  VarintIfSet(s, 1, static_cast<uint64_t>(t.seconds));
  VarintIfSet(s, 2, static_cast<uint64_t>(static_cast<int64_t>(t.nanos)));
}

// detente.v1.RecordedEvent, given its nested messages' sizes.
template <typename Sink>
void EmitRecordedEvent(const RecordView& v, Position position,
                       size_t event_size, size_t timestamp_size, Sink& s) {
  s.Nested(1, event_size);
  if constexpr (Sink::kWrites) EmitEvent(v, s);
  VarintIfSet(s, 2, position.value());
  StringIfSet(s, 3, v.stream);
  VarintIfSet(s, 4, v.stream_revision);
  s.Nested(5, timestamp_size);  // always present (possibly empty)
  if constexpr (Sink::kWrites)
    EmitTimestamp(RecordedAt(v.recorded_at_micros), s);
  VarintIfSet(s, 6, v.quad_class);
  VarintIfSet(s, 7, v.subject_position);
}

}  // namespace

absl::Status RecordedEventWriter::Append(uint32_t field, Position position,
                                         absl::string_view record,
                                         std::string* out) {
  if (absl::Status s = DecodeRecordView(record, &view_); !s.ok()) {
    return absl::DataLossError(
        absl::StrCat("entry at position ", position.value(), ": ", s.message()));
  }
  Sizer event, timestamp, recorded;
  EmitEvent(view_, event);
  EmitTimestamp(RecordedAt(view_.recorded_at_micros), timestamp);
  EmitRecordedEvent(view_, position, event.n, timestamp.n, recorded);
  const size_t start = out->size();
  out->resize(start + wire::TagSize(field) + wire::VarintSize(recorded.n) +
              recorded.n);
  Writer w{out->data() + start};
  w.Nested(field, recorded.n);
  EmitRecordedEvent(view_, position, event.n, timestamp.n, w);
  // The sizes and the bytes come from the same emit functions, so they
  // agree (SameBytesAsTheGeneratedCode, fuzz_codecs).
  assert(w.p == out->data() + out->size());
  return absl::OkStatus();
}

}  // namespace detente
