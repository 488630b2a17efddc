// Field violations: the one way libraries report *which* input field is bad
// and why. They travel inside an absl::Status (as a payload) so that
// libraries keep a single error vocabulary; services turn them into
// google.rpc.BadRequest in their one status-conversion function.
//
//   std::vector<FieldViolation> v = ValidateEntry(...);
//   if (!v.empty()) return InvalidArgumentWithViolations(std::move(v));
//   ...
//   for (const FieldViolation& f : GetFieldViolations(status)) ...
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace detente {

struct FieldViolation {
  std::string field;        // e.g. "entries[3].occurred_on"
  std::string description;  // e.g. "2021-02-29 is not a date"

  friend bool operator==(const FieldViolation&,
                         const FieldViolation&) = default;
};

// Prefixes every violation's field with `prefix` (e.g. "entries[3].").
void PrefixFields(absl::string_view prefix, std::vector<FieldViolation>& v);

// An INVALID_ARGUMENT status whose message lists the violations and whose
// payload carries them.
absl::Status InvalidArgumentWithViolations(std::vector<FieldViolation> v);

// Same, with another code (e.g. FAILED_PRECONDITION).
absl::Status StatusWithViolations(absl::StatusCode code,
                                  std::vector<FieldViolation> v);

// The violations carried by `status` (empty when there are none).
std::vector<FieldViolation> GetFieldViolations(const absl::Status& status);

}  // namespace detente
