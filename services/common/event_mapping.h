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

// Text fields as received; ValidateEntry checks them.
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
