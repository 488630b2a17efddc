#include "eventlog/record_codec.h"

#include "absl/strings/str_cat.h"
#include "common/wire.h"

namespace detente {
namespace {

// StoredEntry's field numbers (storage.proto).
enum Field : uint32_t {
  kEventId = 1,
  kKind = 2,
  kSubjectEventId = 3,
  kOccurredOn = 4,
  kSource = 5,
  kTarget = 6,
  kEventCode = 7,
  kGoldsteinOverride = 8,
  kGoldstein = 9,
  kWeight = 10,
  kTone = 11,
  kTags = 12,
  kTitle = 13,
  kSummary = 14,
  kSourceName = 15,
  kSourceUrl = 16,
  kStream = 17,
  kStreamRevision = 18,
  kRecordedAtMicros = 19,
  kQuadClass = 20,
};

absl::string_view Bytes(const Uuid& id) {
  return {reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size()};
}

}  // namespace

std::string EncodeRecordBody(const Entry& entry, double goldstein,
                             QuadClass quad_class) {
  const EventData& d = entry.data;
  std::string out;
  out.reserve(128 + d.title.size() + d.summary.size() + d.source_name.size() +
              d.source_url.size());
  wire::PutString(&out, kEventId, Bytes(entry.event_id));
  wire::PutVarintFieldIfSet(&out, kKind, static_cast<uint32_t>(entry.kind));
  if (!entry.subject_event_id.is_nil()) {
    wire::PutString(&out, kSubjectEventId, Bytes(entry.subject_event_id));
  }
  if (entry.kind != EntryKind::kRetraction) {
    wire::PutStringIfSet(&out, kOccurredOn, d.occurred_on.ToString());
    wire::PutStringIfSet(&out, kSource, d.source);
    wire::PutStringIfSet(&out, kTarget, d.target);
    wire::PutStringIfSet(&out, kEventCode, d.event_code);
    if (d.goldstein) wire::PutDouble(&out, kGoldsteinOverride, *d.goldstein);
    if (goldstein != 0) wire::PutDouble(&out, kGoldstein, goldstein);
    wire::PutVarintFieldIfSet(&out, kWeight, d.weight);
    if (d.tone) wire::PutDouble(&out, kTone, *d.tone);
    for (const std::string& t : d.tags) wire::PutString(&out, kTags, t);
    wire::PutStringIfSet(&out, kTitle, d.title);
  }
  wire::PutStringIfSet(&out, kSummary, d.summary);
  if (entry.kind != EntryKind::kRetraction) {
    wire::PutStringIfSet(&out, kSourceName, d.source_name);
    wire::PutStringIfSet(&out, kSourceUrl, d.source_url);
  }
  wire::PutVarintFieldIfSet(&out, kQuadClass,
                            static_cast<uint32_t>(quad_class));
  return out;
}

void AppendRecordCommit(absl::string_view stream, StreamRevision revision,
                        int64_t recorded_at_micros, std::string* record) {
  wire::PutStringIfSet(record, kStream, stream);
  wire::PutVarintFieldIfSet(record, kStreamRevision, revision.value());
  wire::PutVarintFieldIfSet(record, kRecordedAtMicros,
                            static_cast<uint64_t>(recorded_at_micros));
}

std::string EncodeRecord(const RecordedEntry& e) {
  std::string out = EncodeRecordBody(
      e.entry, e.entry.kind == EntryKind::kRetraction ? 0 : e.goldstein,
      e.entry.kind == EntryKind::kRetraction ? QuadClass::kUnspecified
                                             : e.quad_class);
  AppendRecordCommit(e.stream, e.stream_revision, e.recorded_at_micros, &out);
  return out;
}

absl::Status DecodeRecordView(absl::string_view value, RecordView* out) {
  std::vector<absl::string_view> tags = std::move(out->tags);
  tags.clear();
  *out = RecordView();
  wire::Reader r(value);
  auto corrupt = [](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("stored entry: ", what));
  };
  while (r.Next()) {
    const uint32_t type = r.type();
    auto want = [&](wire::WireType t) { return type == t; };
    switch (r.field()) {
      case kEventId:
        if (!want(wire::kLen)) return corrupt("bad event_id");
        out->event_id = r.bytes();
        break;
      case kKind:
        if (!want(wire::kVarint)) return corrupt("bad kind");
        out->kind = static_cast<uint32_t>(r.varint());
        break;
      case kSubjectEventId:
        if (!want(wire::kLen)) return corrupt("bad subject_event_id");
        out->subject_event_id = r.bytes();
        break;
      case kOccurredOn:
      case kSource:
      case kTarget:
      case kEventCode:
      case kTags:
      case kTitle:
      case kSummary:
      case kSourceName:
      case kSourceUrl:
      case kStream: {
        if (!want(wire::kLen)) return corrupt("a text field is not text");
        const absl::string_view b = r.bytes();
        switch (r.field()) {
          case kOccurredOn: out->occurred_on = b; break;
          case kSource: out->source = b; break;
          case kTarget: out->target = b; break;
          case kEventCode: out->event_code = b; break;
          case kTags: tags.push_back(b); break;
          case kTitle: out->title = b; break;
          case kSummary: out->summary = b; break;
          case kSourceName: out->source_name = b; break;
          case kSourceUrl: out->source_url = b; break;
          default: out->stream = b; break;
        }
        break;
      }
      case kGoldsteinOverride:
      case kGoldstein:
      case kTone:
        if (!want(wire::kFixed64)) return corrupt("a score is not a double");
        if (r.field() == kGoldsteinOverride) {
          out->goldstein_override = r.as_double();
        } else if (r.field() == kGoldstein) {
          out->goldstein = r.as_double();
        } else {
          out->tone = r.as_double();
        }
        break;
      case kWeight:
      case kStreamRevision:
      case kRecordedAtMicros:
      case kQuadClass:
        if (!want(wire::kVarint)) return corrupt("a number is not a varint");
        if (r.field() == kWeight) {
          out->weight = static_cast<uint32_t>(r.varint());
        } else if (r.field() == kStreamRevision) {
          out->stream_revision = r.varint();
        } else if (r.field() == kRecordedAtMicros) {
          out->recorded_at_micros = static_cast<int64_t>(r.varint());
        } else {
          out->quad_class = static_cast<uint32_t>(r.varint());
        }
        break;
      default:
        break;  // an unknown field of a later writer: skipped
    }
  }
  out->tags = std::move(tags);
  if (!r.ok()) return corrupt("not a StoredEntry");
  if (out->event_id.size() != 16) return corrupt("bad event_id");
  if (!out->subject_event_id.empty() && out->subject_event_id.size() != 16) {
    return corrupt("bad subject_event_id");
  }
  if (out->kind < 1 || out->kind > 3) return corrupt("bad kind");
  if (out->quad_class > 4) return corrupt("bad quad_class");
  return absl::OkStatus();
}

absl::StatusOr<RecordedEntry> DecodeRecord(Position position,
                                           absl::string_view value) {
  RecordView v;
  if (absl::Status s = DecodeRecordView(value, &v); !s.ok()) {
    return absl::DataLossError(
        absl::StrCat("entry at position ", position.value(), ": ", s.message()));
  }
  RecordedEntry e;
  e.position = position;
  Entry& entry = e.entry;
  entry.event_id = *Uuid::FromBytes(v.event_id);
  entry.kind = static_cast<EntryKind>(v.kind);
  if (!v.subject_event_id.empty()) {
    entry.subject_event_id = *Uuid::FromBytes(v.subject_event_id);
  }
  EventData& d = entry.data;
  if (entry.kind != EntryKind::kRetraction) {
    absl::StatusOr<EventDate> date = EventDate::Parse(v.occurred_on);
    if (!date.ok()) {
      return absl::DataLossError(absl::StrCat(
          "entry at position ", position.value(), ": bad occurred_on"));
    }
    d.occurred_on = *date;
    d.source = std::string(v.source);
    d.target = std::string(v.target);
    d.event_code = std::string(v.event_code);
    d.goldstein = v.goldstein_override;
    d.weight = v.weight;
    d.tone = v.tone;
    d.tags.reserve(v.tags.size());
    for (absl::string_view t : v.tags) d.tags.emplace_back(t);
    d.title = std::string(v.title);
    d.source_name = std::string(v.source_name);
    d.source_url = std::string(v.source_url);
  }
  d.summary = std::string(v.summary);
  e.goldstein = v.goldstein;
  e.stream = std::string(v.stream);
  e.stream_revision = StreamRevision(v.stream_revision);
  e.recorded_at_micros = v.recorded_at_micros;
  e.quad_class = static_cast<QuadClass>(v.quad_class);
  return e;
}

}  // namespace detente
