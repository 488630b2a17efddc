#include "services/common/event_mapping.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/field_violation.h"
#include "detente/v1/event.pb.h"
#include "detente/v1/ingest.pb.h"
#include "domain/actors.h"
#include "domain/cameo.h"

namespace detente {

RawEntry FromProto(const v1::Event& e) { return RawEntryFrom(e); }

void ToProto(const RawEntry& r, v1::Event* out) {
  out->set_event_id(r.event_id);
  // A plain event leaves kind unspecified (which means an event), as in
  // the JSONL the command line writes and reads.
  if (r.kind == EntryKind::kCorrection) out->set_kind(v1::ENTRY_KIND_CORRECTION);
  if (r.kind == EntryKind::kRetraction) out->set_kind(v1::ENTRY_KIND_RETRACTION);
  out->set_subject_event_id(r.subject_event_id);
  out->set_occurred_on(r.occurred_on);
  out->set_source(r.source);
  out->set_target(r.target);
  out->set_event_code(r.event_code);
  if (r.goldstein) out->set_goldstein(*r.goldstein);
  out->set_weight(r.weight);
  if (r.tone) out->set_tone(*r.tone);
  for (const std::string& t : r.tags) out->add_tags(t);
  out->set_title(r.title);
  out->set_summary(r.summary);
  out->set_source_name(r.source_name);
  out->set_source_url(r.source_url);
}

void ToProto(const RecordedEntry& r, v1::RecordedEvent* out) {
  const Entry& e = r.entry;
  v1::Event* ev = out->mutable_event();
  ev->set_event_id(e.event_id.ToString());
  switch (e.kind) {
    case EntryKind::kEvent:
      ev->set_kind(v1::ENTRY_KIND_EVENT);
      break;
    case EntryKind::kCorrection:
      ev->set_kind(v1::ENTRY_KIND_CORRECTION);
      break;
    case EntryKind::kRetraction:
      ev->set_kind(v1::ENTRY_KIND_RETRACTION);
      break;
  }
  if (!e.subject_event_id.is_nil()) {
    ev->set_subject_event_id(e.subject_event_id.ToString());
  }
  const EventData& d = e.data;
  if (e.kind != EntryKind::kRetraction) {
    ev->set_occurred_on(d.occurred_on.ToString());
    ev->set_source(d.source);
    ev->set_target(d.target);
    ev->set_event_code(d.event_code);
    ev->set_goldstein(r.goldstein);
    ev->set_weight(d.weight);
    if (d.tone) ev->set_tone(*d.tone);
    for (const std::string& t : d.tags) ev->add_tags(t);
    ev->set_title(d.title);
    ev->set_source_name(d.source_name);
    ev->set_source_url(d.source_url);
  }
  ev->set_summary(d.summary);
  out->set_position(r.position.value());
  out->set_stream(r.stream);
  out->set_stream_revision(r.stream_revision.value());
  out->mutable_recorded_at()->set_seconds(r.recorded_at_micros / 1000000);
  out->mutable_recorded_at()->set_nanos(
      static_cast<int32_t>(r.recorded_at_micros % 1000000) * 1000);
  out->set_quad_class(static_cast<v1::QuadClass>(r.quad_class));
  out->set_subject_position(r.subject_position.value());
}

absl::StatusOr<RecordedEntry> FromProto(const v1::RecordedEvent& in) {
  RecordedEntry r;
  const v1::Event& e = in.event();
  auto bad = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("entry at position ",
                                            in.position(), ": bad ", what));
  };
  absl::StatusOr<Uuid> id = Uuid::Parse(e.event_id());
  if (!id.ok()) return bad("event_id");
  r.entry.event_id = *id;
  r.entry.kind = EntryKindFromWire(static_cast<int>(e.kind()));
  if (!e.subject_event_id().empty()) {
    absl::StatusOr<Uuid> subject = Uuid::Parse(e.subject_event_id());
    if (!subject.ok()) return bad("subject_event_id");
    r.entry.subject_event_id = *subject;
  }
  EventData& d = r.entry.data;
  if (r.entry.kind != EntryKind::kRetraction) {
    absl::StatusOr<EventDate> date = EventDate::Parse(e.occurred_on());
    if (!date.ok()) return bad("occurred_on");
    d.occurred_on = *date;
    d.source = e.source();
    d.target = e.target();
    d.event_code = e.event_code();
    d.weight = e.weight() == 0 ? 1 : e.weight();
    if (e.has_tone()) d.tone = e.tone();
    d.tags.assign(e.tags().begin(), e.tags().end());
    d.title = e.title();
    d.source_name = e.source_name();
    d.source_url = e.source_url();
    r.goldstein = e.goldstein();
  }
  d.summary = e.summary();
  r.position = Position(in.position());
  r.stream = in.stream();
  r.stream_revision = StreamRevision(in.stream_revision());
  r.recorded_at_micros = in.recorded_at().seconds() * 1000000 +
                         in.recorded_at().nanos() / 1000;
  r.quad_class = static_cast<QuadClass>(in.quad_class());
  r.subject_position = Position(in.subject_position());
  return r;
}

absl::StatusOr<EntryFilter> FilterFromProto(const v1::EventFilter& f,
                                            absl::string_view prefix) {
  EntryFilter out;
  std::vector<FieldViolation> v;
  auto field = [&](auto&&... parts) { return absl::StrCat(prefix, parts...); };
  for (int i = 0; i < f.actors_size(); ++i) {
    const Actor* a = ResolveActor(f.actors(i));
    if (a == nullptr) {
      v.push_back({field("actors[", i, "]"),
                   absl::StrCat("unknown CAMEO actor code \"", f.actors(i), "\"")});
    } else {
      out.actors.emplace_back(a->code);
    }
  }
  if (!f.stream().empty()) {
    std::vector<std::string> parts = absl::StrSplit(f.stream(), '-');
    const Actor* a = parts.size() == 2 ? ResolveActor(parts[0]) : nullptr;
    const Actor* b = parts.size() == 2 ? ResolveActor(parts[1]) : nullptr;
    if (a == nullptr || b == nullptr || a == b) {
      v.push_back({field("stream"),
                   absl::StrCat("\"", f.stream(),
                                "\" is not a pair of two different CAMEO "
                                "codes such as \"JPN-KOR\"")});
    } else {
      out.stream = StreamName(a->code, b->code);
    }
  }
  auto date = [&](const std::string& text, absl::string_view name,
                  bool last) -> std::optional<DayNumber> {
    if (text.empty()) return std::nullopt;
    absl::StatusOr<EventDate> d = EventDate::Parse(text);
    if (!d.ok()) {
      v.push_back({field(name), std::string(d.status().message())});
      return std::nullopt;
    }
    return last ? d->last_day() : d->first_day();
  };
  out.occurred_from = date(f.occurred_from(), "occurred_from", false);
  out.occurred_to = date(f.occurred_to(), "occurred_to", true);
  for (int i = 0; i < f.cameo_roots_size(); ++i) {
    int root = CameoRoot(f.cameo_roots(i));
    if (root < 1 || root > 20 || f.cameo_roots(i).size() != 2) {
      v.push_back({field("cameo_roots[", i, "]"),
                   absl::StrCat("\"", f.cameo_roots(i),
                                "\" is not a CAMEO root (\"01\" to \"20\")")});
    } else {
      out.cameo_roots.push_back(root);
    }
  }
  out.tags.assign(f.tags().begin(), f.tags().end());
  if (!v.empty()) return InvalidArgumentWithViolations(std::move(v));
  return out;
}

}  // namespace detente
