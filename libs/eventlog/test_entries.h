// Helpers for eventlog tests: build valid entries without the wire format,
// read a whole log.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "domain/entry.h"
#include "eventlog/event_log.h"

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

// Every entry `req` selects, page after page.
inline std::vector<RecordedEntry> ReadAllEntries(EventLog& log,
                                                 ReadRequest req = {}) {
  std::vector<RecordedEntry> all;
  while (true) {
    auto page = log.Read(req);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    for (auto& e : page->entries) all.push_back(std::move(e));
    if (page->end) break;
    req.from = page->next;
  }
  return all;
}

}  // namespace detente::testing
