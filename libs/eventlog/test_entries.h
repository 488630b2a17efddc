// Helpers for eventlog tests: build valid entries without the wire format.
#pragma once

#include <string>

#include "domain/entry.h"

namespace detente::testing {

inline Entry MakeEvent(const std::string& source, const std::string& target,
                       const std::string& date = "2021-05-03",
                       const std::string& code = "036") {
  Entry e;
  e.event_id = Uuid::Random();
  e.kind = EntryKind::kEvent;
  e.data.occurred_on = EventDate::Parse(date).value();
  e.data.source = source;
  e.data.target = target;
  e.data.event_code = code;
  e.data.title = source + " -> " + target + " " + code;
  return e;
}

inline Entry MakeCorrection(const Uuid& subject, Entry replacement) {
  replacement.kind = EntryKind::kCorrection;
  replacement.subject_event_id = subject;
  return replacement;
}

inline Entry MakeRetraction(const Uuid& subject) {
  Entry e;
  e.event_id = Uuid::Random();
  e.kind = EntryKind::kRetraction;
  e.subject_event_id = subject;
  e.data.summary = "withdrawn";
  return e;
}

}  // namespace detente::testing
