#include "services/common/recorded_wire.h"

#include <array>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/wire.h"
#include "domain/uuid.h"

namespace detente {
namespace {

void PutUuidText(std::string* out, uint32_t field, absl::string_view bytes16) {
  std::array<uint8_t, 16> b;
  std::memcpy(b.data(), bytes16.data(), 16);
  wire::PutTag(out, field, wire::kLen);
  wire::PutVarint(out, 36);
  Uuid(b).AppendText(out);
}

// detente.v1.Event and RecordedEvent field numbers (event.proto), written in
// field-number order as generated code does.
void PutEvent(const RecordView& v, std::string* out) {
  const bool retraction = v.kind == 3;
  PutUuidText(out, 1, v.event_id);
  if (!retraction) {
    wire::PutStringIfSet(out, 2, v.occurred_on);
    wire::PutStringIfSet(out, 3, v.source);
    wire::PutStringIfSet(out, 4, v.target);
    wire::PutStringIfSet(out, 5, v.event_code);
    wire::PutDouble(out, 6, v.goldstein);  // optional: always present
    wire::PutVarintFieldIfSet(out, 7, v.weight);
    if (v.tone) wire::PutDouble(out, 8, *v.tone);
    for (absl::string_view t : v.tags) wire::PutString(out, 9, t);
    wire::PutStringIfSet(out, 10, v.title);
  }
  wire::PutStringIfSet(out, 11, v.summary);
  if (!retraction) {
    wire::PutStringIfSet(out, 12, v.source_name);
    wire::PutStringIfSet(out, 13, v.source_url);
  }
  wire::PutVarintField(out, 14, v.kind);
  if (!v.subject_event_id.empty()) PutUuidText(out, 15, v.subject_event_id);
}

}  // namespace

absl::Status RecordedEventWriter::Append(uint32_t field, Position position,
                                         absl::string_view record,
                                         std::string* out) {
  if (absl::Status s = DecodeRecordView(record, &view_); !s.ok()) {
    return absl::DataLossError(
        absl::StrCat("entry at position ", position.value(), ": ", s.message()));
  }
  event_.clear();
  PutEvent(view_, &event_);
  recorded_.clear();
  wire::PutString(&recorded_, 1, event_);
  wire::PutVarintFieldIfSet(&recorded_, 2, position.value());
  wire::PutStringIfSet(&recorded_, 3, view_.stream);
  wire::PutVarintFieldIfSet(&recorded_, 4, view_.stream_revision);
  // google.protobuf.Timestamp, always present (possibly empty).
  const int64_t micros = view_.recorded_at_micros;
  const int64_t seconds = micros / 1000000;
  const int32_t nanos = static_cast<int32_t>(micros % 1000000) * 1000;
  std::string ts;
  wire::PutVarintFieldIfSet(&ts, 1, static_cast<uint64_t>(seconds));
  wire::PutVarintFieldIfSet(&ts, 2,
                            static_cast<uint64_t>(static_cast<int64_t>(nanos)));
  wire::PutString(&recorded_, 5, ts);
  wire::PutVarintFieldIfSet(&recorded_, 6, view_.quad_class);
  wire::PutVarintFieldIfSet(&recorded_, 7, view_.subject_position);
  wire::PutString(out, field, recorded_);
  return absl::OkStatus();
}

}  // namespace detente
