// Helpers for eventlog tests: build valid entries without the wire format,
// read a whole log.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
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

// What an AppendHere answered, and on which thread: a default id when it
// was not answered before AppendHere returned (it was queued).
struct HereAnswer {
  std::thread::id thread;
  absl::StatusOr<AppendResult> result;
};
inline HereAnswer AppendHereOnce(EventLog& log, AppendBatch batch) {
  // Shared: a queued batch is answered later, on the log's thread.
  struct Shared {
    std::mutex mu;
    HereAnswer answer;
  };
  auto shared = std::make_shared<Shared>();
  log.AppendHere(std::move(batch), [shared](absl::StatusOr<AppendResult> r) {
    std::lock_guard lock(shared->mu);
    shared->answer = {std::this_thread::get_id(), std::move(r)};
  });
  std::lock_guard lock(shared->mu);
  if (shared->answer.thread != std::this_thread::get_id()) return HereAnswer();
  return shared->answer;
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
