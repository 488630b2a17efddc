#include "eventlog/record_codec.h"

#include "absl/strings/str_cat.h"
#include "eventlog/storage.pb.h"

namespace detente {

std::string EncodeRecord(const RecordedEntry& e) {
  storage::v1::StoredEntry s;
  const Entry& entry = e.entry;
  const EventData& d = entry.data;
  s.set_event_id(entry.event_id.AsBytes());
  s.set_kind(static_cast<uint32_t>(entry.kind));
  if (!entry.subject_event_id.is_nil()) {
    s.set_subject_event_id(entry.subject_event_id.AsBytes());
  }
  if (entry.kind != EntryKind::kRetraction) {
    s.set_occurred_on(d.occurred_on.ToString());
    s.set_source(d.source);
    s.set_target(d.target);
    s.set_event_code(d.event_code);
    if (d.goldstein) s.set_goldstein_override(*d.goldstein);
    s.set_goldstein(e.goldstein);
    s.set_weight(d.weight);
    if (d.tone) s.set_tone(*d.tone);
    for (const std::string& t : d.tags) s.add_tags(t);
    s.set_title(d.title);
    s.set_source_name(d.source_name);
    s.set_source_url(d.source_url);
  }
  s.set_summary(d.summary);
  s.set_stream(e.stream);
  s.set_stream_revision(e.stream_revision.value());
  s.set_recorded_at_micros(e.recorded_at_micros);
  s.set_quad_class(static_cast<uint32_t>(e.quad_class));
  return s.SerializeAsString();
}

absl::StatusOr<RecordedEntry> DecodeRecord(Position position,
                                           absl::string_view value) {
  storage::v1::StoredEntry s;
  auto corrupt = [&](absl::string_view what) {
    return absl::DataLossError(
        absl::StrCat("entry at position ", position.value(), ": ", what));
  };
  if (!s.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return corrupt("not a StoredEntry");
  }
  RecordedEntry e;
  e.position = position;
  Entry& entry = e.entry;
  absl::StatusOr<Uuid> id = Uuid::FromBytes(s.event_id());
  if (!id.ok()) return corrupt("bad event_id");
  entry.event_id = *id;
  if (s.kind() < 1 || s.kind() > 3) return corrupt("bad kind");
  entry.kind = static_cast<EntryKind>(s.kind());
  if (!s.subject_event_id().empty()) {
    absl::StatusOr<Uuid> subject = Uuid::FromBytes(s.subject_event_id());
    if (!subject.ok()) return corrupt("bad subject_event_id");
    entry.subject_event_id = *subject;
  }
  EventData& d = entry.data;
  if (entry.kind != EntryKind::kRetraction) {
    absl::StatusOr<EventDate> date = EventDate::Parse(s.occurred_on());
    if (!date.ok()) return corrupt("bad occurred_on");
    d.occurred_on = *date;
    d.source = s.source();
    d.target = s.target();
    d.event_code = s.event_code();
    if (s.has_goldstein_override()) d.goldstein = s.goldstein_override();
    d.weight = s.weight();
    if (s.has_tone()) d.tone = s.tone();
    d.tags.assign(s.tags().begin(), s.tags().end());
    d.title = s.title();
    d.source_name = s.source_name();
    d.source_url = s.source_url();
  }
  d.summary = s.summary();
  e.goldstein = s.goldstein();
  e.stream = s.stream();
  e.stream_revision = StreamRevision(s.stream_revision());
  e.recorded_at_micros = s.recorded_at_micros();
  if (s.quad_class() > 4) return corrupt("bad quad_class");
  e.quad_class = static_cast<QuadClass>(s.quad_class());
  return e;
}

}  // namespace detente
