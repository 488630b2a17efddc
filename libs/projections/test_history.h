// Test helper: builds RecordedEntry values as the log would return them.
#pragma once

#include <filesystem>
#include <string>

#include "domain/actors.h"
#include "domain/validation.h"
#include "domain/entry.h"

namespace detente::testing {

class History {
 public:
  RecordedEntry Event(const std::string& source, const std::string& target,
                      const std::string& date, const std::string& code,
                      std::vector<std::string> tags = {}) {
    RecordedEntry r;
    r.entry.event_id = Uuid::Random();
    r.entry.kind = EntryKind::kEvent;
    Fill(r, source, target, date, code, std::move(tags));
    return Commit(r);
  }
  RecordedEntry Correction(const RecordedEntry& subject,
                           const std::string& source,
                           const std::string& target, const std::string& date,
                           const std::string& code) {
    RecordedEntry r;
    r.entry.event_id = Uuid::Random();
    r.entry.kind = EntryKind::kCorrection;
    r.entry.subject_event_id = subject.entry.event_id;
    Fill(r, source, target, date, code, {});
    return Commit(r);
  }
  RecordedEntry Retraction(const RecordedEntry& subject) {
    RecordedEntry r;
    r.entry.event_id = Uuid::Random();
    r.entry.kind = EntryKind::kRetraction;
    r.entry.subject_event_id = subject.entry.event_id;
    r.stream = subject.stream;
    return Commit(r);
  }
  std::vector<RecordedEntry> all;

 private:
  void Fill(RecordedEntry& r, const std::string& source,
            const std::string& target, const std::string& date,
            const std::string& code, std::vector<std::string> tags) {
    EventData& d = r.entry.data;
    d.occurred_on = EventDate::Parse(date).value();
    d.source = source;
    d.target = target;
    d.event_code = code;
    d.tags = std::move(tags);
    d.title = source + ">" + target + " " + code;
    r.stream = StreamName(source, target);
    r.goldstein = EffectiveGoldstein(d);
    r.quad_class = QuadClassOfRoot(CameoRoot(code));
  }
  RecordedEntry Commit(RecordedEntry& r) {
    r.position = Position(all.size() + 1);
    r.recorded_at_micros = 1700000000000000 + int64_t(all.size());
    all.push_back(r);
    return r;
  }
};

inline std::string TempPath(const std::string& what) {
  return (std::filesystem::temp_directory_path() /
          ("detente-" + what + "-" + Uuid::Random().ToString()))
      .string();
}

}  // namespace detente::testing
