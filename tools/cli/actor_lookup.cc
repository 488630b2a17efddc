#include "tools/cli/actor_lookup.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/actors.h"
#include "domain/date.h"

namespace detente::cli {
namespace {

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

absl::StatusOr<std::string> ResolveActorArgument(const std::string& text) {
  const std::string upper = absl::AsciiStrToUpper(text);
  if (const Actor* a = ResolveActor(upper)) return std::string(a->code);
  if (const Actor* a = FindActorByName(text)) return std::string(a->code);
  // Suggest the closest codes and names.
  const std::string lower = absl::AsciiStrToLower(text);
  std::vector<std::pair<size_t, const Actor*>> scored;
  for (const Actor& a : AllActors()) {
    const size_t by_code = EditDistance(upper, std::string(a.code));
    std::string name = absl::AsciiStrToLower(std::string(a.name));
    size_t by_name = EditDistance(lower, name);
    if (name.find(lower) != std::string::npos && lower.size() >= 3) by_name = 0;
    scored.push_back({std::min(by_code, by_name), &a});
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> hints;
  for (size_t i = 0; i < scored.size() && hints.size() < 4; ++i) {
    hints.push_back(absl::StrCat(scored[i].second->code, " (",
                                 scored[i].second->name, ")"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown country code \"", text, "\"; did you mean ",
                   absl::StrJoin(hints, ", "), "?"));
}

absl::Status CheckDateArgument(const std::string& option,
                               const std::string& text) {
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<EventDate> d = EventDate::Parse(text);
  if (d.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(option, ": ", d.status().message(),
                   " (dates are YYYY, YYYY-MM or YYYY-MM-DD)"));
}

}  // namespace detente::cli
