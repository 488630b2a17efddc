// Conversion between the wire types (detente.v1) and the domain types, in one
// place for every service and tool.
#pragma once

#include "absl/status/statusor.h"
#include "domain/entry.h"
#include "domain/validation.h"
#include "eventlog/entry_filter.h"

namespace detente::v1 {
class Event;
class RecordedEvent;
class EventFilter;
}  // namespace detente::v1

namespace detente {

// Text fields as received; ValidateEntry checks them. Works for any message
// with Event's accessors (detente.v1.Event, and the ingestion service's
// lenient mirror whose text fields are bytes).
// The wire's entry kind (0 and 1 mean an event); an unknown value maps to
// EntryKind 0, which ValidateEntry refuses.
inline EntryKind EntryKindFromWire(int kind) {
  switch (kind) {
    case 2:  // ENTRY_KIND_CORRECTION
      return EntryKind::kCorrection;
    case 3:  // ENTRY_KIND_RETRACTION
      return EntryKind::kRetraction;
    case 0:
    case 1:
      return EntryKind::kEvent;
    default:
      return static_cast<EntryKind>(0);
  }
}

template <typename EventMessage>
RawEntry RawEntryFrom(const EventMessage& e) {
  RawEntry r;
  r.event_id = e.event_id();
  r.kind = EntryKindFromWire(static_cast<int>(e.kind()));
  r.subject_event_id = e.subject_event_id();
  r.occurred_on = e.occurred_on();
  r.source = e.source();
  r.target = e.target();
  r.event_code = e.event_code();
  if (e.has_goldstein()) r.goldstein = e.goldstein();
  r.weight = e.weight();
  if (e.has_tone()) r.tone = e.tone();
  r.tags.assign(e.tags().begin(), e.tags().end());
  r.title = e.title();
  r.summary = e.summary();
  r.source_name = e.source_name();
  r.source_url = e.source_url();
  return r;
}
// The same, taking the texts out of `e` instead of copying them (what is
// left in `e` is unspecified). On an arena too: the strings' characters are
// still their own heap blocks, which move.
template <typename EventMessage>
RawEntry TakeRawEntry(EventMessage& e) {
  RawEntry r;
  r.event_id = std::move(*e.mutable_event_id());
  r.kind = EntryKindFromWire(static_cast<int>(e.kind()));
  r.subject_event_id = std::move(*e.mutable_subject_event_id());
  r.occurred_on = std::move(*e.mutable_occurred_on());
  r.source = std::move(*e.mutable_source());
  r.target = std::move(*e.mutable_target());
  r.event_code = std::move(*e.mutable_event_code());
  if (e.has_goldstein()) r.goldstein = e.goldstein();
  r.weight = e.weight();
  if (e.has_tone()) r.tone = e.tone();
  r.tags.reserve(e.tags_size());
  for (std::string& t : *e.mutable_tags()) r.tags.push_back(std::move(t));
  r.title = std::move(*e.mutable_title());
  r.summary = std::move(*e.mutable_summary());
  r.source_name = std::move(*e.mutable_source_name());
  r.source_url = std::move(*e.mutable_source_url());
  return r;
}
RawEntry FromProto(const v1::Event& e);
// The inverse for tools that build requests from domain entries.
void ToProto(const RawEntry& raw, v1::Event* out);
void ToProto(const RecordedEntry& e, v1::RecordedEvent* out);
// The inverse, for followers of the log (trusted input, still checked):
// DATA_LOSS when an id or date does not parse.
absl::StatusOr<RecordedEntry> FromProto(const v1::RecordedEvent& e);
// Field violations are named `<prefix>actors[1]` etc.
absl::StatusOr<EntryFilter> FilterFromProto(const v1::EventFilter& f,
                                            absl::string_view prefix);

}  // namespace detente
