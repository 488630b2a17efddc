// Which entries a read or a subscription wants. Empty fields do not restrict.
//
//   EntryFilter f;
//   f.stream = "JPN-KOR";
//   f.cameo_roots = {14, 17};
//   if (f.Matches(recorded)) ...
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/strong_types.h"
#include "domain/entry.h"

namespace detente {

struct EntryFilter {
  std::vector<std::string> actors;  // source or target among these
  std::string stream;               // canonical "JPN-KOR"
  std::optional<DayNumber> occurred_from;  // event overlaps [from, to]
  std::optional<DayNumber> occurred_to;
  std::vector<int> cameo_roots;  // 1..20
  std::vector<std::string> tags;

  bool empty() const;
  // Retractions carry no date, code or tags: they match when their stream
  // (and actors) match, so that readers learn about them.
  bool Matches(const RecordedEntry& e) const;
};

}  // namespace detente
