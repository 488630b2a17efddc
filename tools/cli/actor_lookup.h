// Actor arguments of the command line: CAMEO codes, ISO aliases or country
// names ("South Korea"), resolved locally so that a typo gets a helpful
// message with the closest codes and names before any call is made.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace detente::cli {

// The canonical CAMEO code, or INVALID_ARGUMENT "unknown country code "KOE";
// did you mean KOR (South Korea), ...".
absl::StatusOr<std::string> ResolveActorArgument(const std::string& text);

// Checks a date argument ("2021", "2021-05", "2021-05-03"); "" is fine.
absl::Status CheckDateArgument(const std::string& option,
                               const std::string& text);

}  // namespace detente::cli
