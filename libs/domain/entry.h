// The event model: what a client appends (Entry) and what the log returns
// (RecordedEntry). Plain structs, no I/O, no protobuf.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/strong_types.h"
#include "domain/cameo.h"
#include "domain/date.h"
#include "domain/uuid.h"

namespace detente {

enum class EntryKind : uint8_t {
  kEvent = 1,       // a new event
  kCorrection = 2,  // full replacement of subject_event_id (same pair)
  kRetraction = 3,  // withdraws subject_event_id
};

// The event's payload. For retractions only `summary` (the reason) is used.
struct EventData {
  EventDate occurred_on;
  std::string source;      // canonical CAMEO code
  std::string target;      // canonical CAMEO code, != source
  std::string event_code;  // CAMEO code text, "036"
  // The override as given; the effective score is in RecordedEntry.
  std::optional<double> goldstein;
  uint32_t weight = 1;  // >= 1
  std::optional<double> tone;
  std::vector<std::string> tags;
  std::string title;
  std::string summary;
  std::string source_name;
  std::string source_url;
};

struct Entry {
  Uuid event_id;  // nil until assigned
  EntryKind kind = EntryKind::kEvent;
  Uuid subject_event_id;  // corrections and retractions only
  EventData data;
};

// An entry as stored: the entry plus what the log assigned.
struct RecordedEntry {
  Entry entry;
  Position position;
  std::string stream;  // "JPN-KOR"
  StreamRevision stream_revision;
  int64_t recorded_at_micros = 0;  // UTC, microseconds since the epoch
  double goldstein = 0;            // effective score (override or table)
  QuadClass quad_class = QuadClass::kUnspecified;
  // Corrections and retractions: the position of subject_event_id (an
  // event, always before them). Position{0} for events.
  Position subject_position;
};

}  // namespace detente
