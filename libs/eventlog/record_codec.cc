#include "eventlog/record_codec.h"

#include <cstring>

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
  kSubjectPosition = 21,
};

absl::string_view Bytes(const Uuid& id) {
  return {reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size()};
}

}  // namespace

namespace {

// EncodeRecordBody runs twice over the fields: with a Sizer for the exact
// size, then with a Writer into a buffer of that size (no append per field).
class Sizer {
 public:
  void Varint(uint64_t v) { n_ += wire::VarintSize(v); }
  void Bytes(absl::string_view s) { n_ += s.size(); }
  void Fixed64(uint64_t) { n_ += 8; }
  size_t size() const { return n_; }

 private:
  size_t n_ = 0;
};

class Writer {
 public:
  explicit Writer(char* p) : p_(p) {}
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      *p_++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p_++ = static_cast<char>(v);
  }
  void Bytes(absl::string_view s) {
    if (!s.empty()) std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void Fixed64(uint64_t v) {
    for (int i = 0; i < 8; ++i) *p_++ = static_cast<char>(v >> (8 * i));
  }
  const char* end() const { return p_; }

 private:
  char* p_;
};

// The same bytes as wire::PutString etc. (common/wire.h).
template <typename Sink>
void PutVarintField(Sink& s, uint32_t field, uint64_t v) {
  if (v == 0) return;
  s.Varint((static_cast<uint64_t>(field) << 3) | wire::kVarint);
  s.Varint(v);
}
template <typename Sink>
void PutString(Sink& s, uint32_t field, absl::string_view v) {
  s.Varint((static_cast<uint64_t>(field) << 3) | wire::kLen);
  s.Varint(v.size());
  s.Bytes(v);
}
template <typename Sink>
void PutStringIfSet(Sink& s, uint32_t field, absl::string_view v) {
  if (!v.empty()) PutString(s, field, v);
}
template <typename Sink>
void PutDouble(Sink& s, uint32_t field, double d) {
  s.Varint((static_cast<uint64_t>(field) << 3) | wire::kFixed64);
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof(bits));
  s.Fixed64(bits);
}

template <typename Sink>
void EncodeBody(Sink& s, const Entry& entry, absl::string_view occurred_on,
                double goldstein, QuadClass quad_class) {
  const EventData& d = entry.data;
  PutString(s, kEventId, Bytes(entry.event_id));
  PutVarintField(s, kKind, static_cast<uint32_t>(entry.kind));
  if (!entry.subject_event_id.is_nil()) {
    PutString(s, kSubjectEventId, Bytes(entry.subject_event_id));
  }
  if (entry.kind != EntryKind::kRetraction) {
    PutStringIfSet(s, kOccurredOn, occurred_on);
    PutStringIfSet(s, kSource, d.source);
    PutStringIfSet(s, kTarget, d.target);
    PutStringIfSet(s, kEventCode, d.event_code);
    if (d.goldstein) PutDouble(s, kGoldsteinOverride, *d.goldstein);
    if (goldstein != 0) PutDouble(s, kGoldstein, goldstein);
    PutVarintField(s, kWeight, d.weight);
    if (d.tone) PutDouble(s, kTone, *d.tone);
    for (const std::string& t : d.tags) PutString(s, kTags, t);
    PutStringIfSet(s, kTitle, d.title);
  }
  PutStringIfSet(s, kSummary, d.summary);
  if (entry.kind != EntryKind::kRetraction) {
    PutStringIfSet(s, kSourceName, d.source_name);
    PutStringIfSet(s, kSourceUrl, d.source_url);
  }
  PutVarintField(s, kQuadClass, static_cast<uint32_t>(quad_class));
}

}  // namespace

std::string EncodeRecordBody(const Entry& entry, double goldstein,
                             QuadClass quad_class) {
  const std::string occurred_on = entry.kind != EntryKind::kRetraction
                                      ? entry.data.occurred_on.ToString()
                                      : std::string();
  Sizer sizer;
  EncodeBody(sizer, entry, occurred_on, goldstein, quad_class);
  std::string out;
  // Room for what AppendRecordCommit adds (stream, revision, time).
  out.reserve(sizer.size() + 48);
  out.resize(sizer.size());
  Writer writer(out.data());
  EncodeBody(writer, entry, occurred_on, goldstein, quad_class);
  return out;
}

void AppendRecordCommit(absl::string_view stream, StreamRevision revision,
                        int64_t recorded_at_micros, Position subject_position,
                        std::string* record) {
  wire::PutStringIfSet(record, kStream, stream);
  wire::PutVarintFieldIfSet(record, kStreamRevision, revision.value());
  wire::PutVarintFieldIfSet(record, kRecordedAtMicros,
                            static_cast<uint64_t>(recorded_at_micros));
  AppendSubjectPosition(subject_position, record);
}

void AppendSubjectPosition(Position subject_position, std::string* record) {
  wire::PutVarintFieldIfSet(record, kSubjectPosition, subject_position.value());
}

std::optional<absl::string_view> SubjectLackingPosition(
    absl::string_view record) {
  // The committer writes the event id (1 + 1 + 16 bytes), then the kind:
  // events, nearly all records, are told without a scan.
  if (record.size() > 19 && record[0] == static_cast<char>(kEventId << 3 | 2) &&
      record[1] == 16 && record[18] == static_cast<char>(kKind << 3) &&
      record[19] == static_cast<char>(EntryKind::kEvent)) {
    return std::nullopt;
  }
  wire::Reader r(record);
  uint64_t kind = 0;
  absl::string_view subject;
  while (r.Next()) {
    switch (r.field()) {
      case kKind:
        if (r.type() == wire::kVarint) kind = r.varint();
        break;
      case kSubjectEventId:
        if (r.type() == wire::kLen) subject = r.bytes();
        break;
      case kSubjectPosition:
        return std::nullopt;
      default:
        break;
    }
  }
  if (!r.ok() || kind == static_cast<uint64_t>(EntryKind::kEvent) ||
      subject.size() != 16) {
    return std::nullopt;  // an event, or damage that decoding reports
  }
  return subject;
}

std::string EncodeRecord(const RecordedEntry& e) {
  std::string out = EncodeRecordBody(
      e.entry, e.entry.kind == EntryKind::kRetraction ? 0 : e.goldstein,
      e.entry.kind == EntryKind::kRetraction ? QuadClass::kUnspecified
                                             : e.quad_class);
  AppendRecordCommit(e.stream, e.stream_revision, e.recorded_at_micros,
                     e.subject_position, &out);
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
      case kSubjectPosition:
        if (!want(wire::kVarint)) return corrupt("a number is not a varint");
        if (r.field() == kSubjectPosition) {
          out->subject_position = r.varint();
        } else if (r.field() == kWeight) {
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
  e.subject_position = Position(v.subject_position);
  return e;
}

}  // namespace detente
