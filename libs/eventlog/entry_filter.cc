#include "eventlog/entry_filter.h"

#include <algorithm>

#include "absl/strings/str_split.h"

namespace detente {
namespace {

bool Contains(const std::vector<std::string>& v, absl::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

bool EntryFilter::empty() const {
  return actors.empty() && stream.empty() && !occurred_from &&
         !occurred_to && cameo_roots.empty() && tags.empty();
}

bool EntryFilter::Matches(const RecordedEntry& e) const {
  if (!stream.empty() && e.stream != stream) return false;
  if (!actors.empty()) {
    // The stream names both actors, also for retractions.
    std::pair<absl::string_view, absl::string_view> pair =
        absl::StrSplit(e.stream, absl::MaxSplits('-', 1));
    if (!Contains(actors, pair.first) && !Contains(actors, pair.second)) {
      return false;
    }
  }
  if (e.entry.kind == EntryKind::kRetraction) return true;
  const EventData& d = e.entry.data;
  if (occurred_from && d.occurred_on.last_day() < *occurred_from) return false;
  if (occurred_to && d.occurred_on.first_day() > *occurred_to) return false;
  if (!cameo_roots.empty() &&
      std::find(cameo_roots.begin(), cameo_roots.end(),
                CameoRoot(d.event_code)) == cameo_roots.end()) {
    return false;
  }
  if (!tags.empty() &&
      std::none_of(d.tags.begin(), d.tags.end(), [&](const std::string& t) {
        return Contains(tags, t);
      })) {
    return false;
  }
  return true;
}

}  // namespace detente
