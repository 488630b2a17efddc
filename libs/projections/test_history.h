// Test helper: builds RecordedEntry values as the log would return them.
#pragma once

#include <filesystem>
#include <optional>
#include <random>
#include <string>

#include "domain/actors.h"
#include "domain/validation.h"
#include "domain/entry.h"

namespace detente::testing {

class History {
 public:
  RecordedEntry Event(const std::string& source, const std::string& target,
                      const std::string& date, const std::string& code,
                      std::vector<std::string> tags = {}, uint32_t weight = 1,
                      std::optional<double> goldstein = std::nullopt) {
    RecordedEntry r;
    r.entry.event_id = Uuid::Random();
    r.entry.kind = EntryKind::kEvent;
    r.entry.data.weight = weight;
    r.entry.data.goldstein = goldstein;
    Fill(r, source, target, date, code, std::move(tags));
    return Commit(r);
  }
  RecordedEntry Correction(const RecordedEntry& subject,
                           const std::string& source,
                           const std::string& target, const std::string& date,
                           const std::string& code, uint32_t weight = 1,
                           std::optional<double> goldstein = std::nullopt) {
    RecordedEntry r;
    r.entry.event_id = Uuid::Random();
    r.entry.kind = EntryKind::kCorrection;
    r.entry.subject_event_id = subject.entry.event_id;
    r.subject_position = subject.position;
    r.entry.data.weight = weight;
    r.entry.data.goldstein = goldstein;
    Fill(r, source, target, date, code, {});
    return Commit(r);
  }
  RecordedEntry Retraction(const RecordedEntry& subject) {
    RecordedEntry r;
    r.entry.event_id = Uuid::Random();
    r.entry.kind = EntryKind::kRetraction;
    r.entry.subject_event_id = subject.entry.event_id;
    r.subject_position = subject.position;
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

// A random history over five actors: events dated to a day, month or year
// (`years` years from 1965; few years put many events on the same day), with tags, weights 1-4 and some Goldstein overrides, then
// corrections (some reversing the direction) and retractions of earlier
// events.
inline History RandomHistory(std::mt19937_64& rng, int n, int years = 58) {
  const char* actors[] = {"KOR", "JPN", "USA", "CHN", "PRK"};
  const char* codes[] = {"036", "040", "057", "111", "163", "172", "190",
                         "0311"};
  const char* tags[] = {"security", "economy", "history"};
  History h;
  std::vector<RecordedEntry> events;
  auto pick = [&](int k) { return int(rng() % k); };
  auto date = [&] {
    int y = 1965 + pick(years), m = 1 + pick(12), d = 1 + pick(28);
    char buf[40];
    switch (pick(5)) {
      case 0:
        snprintf(buf, sizeof buf, "%04d", y);
        break;
      case 1:
        snprintf(buf, sizeof buf, "%04d-%02d", y, m);
        break;
      default:
        snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    }
    return std::string(buf);
  };
  auto weight = [&] { return uint32_t(1 + pick(4)); };
  auto goldstein = [&]() -> std::optional<double> {
    if (pick(4) != 0) return std::nullopt;
    return -10.0 + double(rng() % 2001) / 100.0;
  };
  for (int i = 0; i < n; ++i) {
    const int roll = pick(100);
    if (roll < 12 && !events.empty()) {
      const RecordedEntry& s = events[pick(int(events.size()))];
      const bool swap = pick(2) == 0;
      h.Correction(s, swap ? s.entry.data.target : s.entry.data.source,
                   swap ? s.entry.data.source : s.entry.data.target, date(),
                   codes[pick(8)], weight(), goldstein());
    } else if (roll < 20 && !events.empty()) {
      h.Retraction(events[pick(int(events.size()))]);
    } else {
      int a = pick(5), b = (a + 1 + pick(4)) % 5;
      std::vector<std::string> t;
      if (pick(2)) t.push_back(tags[pick(3)]);
      events.push_back(h.Event(actors[a], actors[b], date(), codes[pick(8)], t,
                               weight(), goldstein()));
    }
  }
  return h;
}

inline std::string TempPath(const std::string& what) {
  return (std::filesystem::temp_directory_path() /
          ("detente-" + what + "-" + Uuid::Random().ToString()))
      .string();
}

}  // namespace detente::testing
