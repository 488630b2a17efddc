#include "common/field_violation.h"

#include <optional>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace detente {
namespace {

constexpr absl::string_view kPayloadUrl =
    "type.detente.dev/detente.FieldViolations";

// Payload encoding: "field\x1f" "description\x1e" per violation. Neither
// separator can occur in a field path; descriptions have them removed.
std::string Clean(absl::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\x1e' || c == '\x1f') c = ' ';
  }
  return out;
}

}  // namespace

void PrefixFields(absl::string_view prefix, std::vector<FieldViolation>& v) {
  for (FieldViolation& f : v) f.field = absl::StrCat(prefix, f.field);
}

absl::Status InvalidArgumentWithViolations(std::vector<FieldViolation> v) {
  return StatusWithViolations(absl::StatusCode::kInvalidArgument,
                              std::move(v));
}

absl::Status StatusWithViolations(absl::StatusCode code,
                                  std::vector<FieldViolation> v) {
  std::string message;
  std::string payload;
  constexpr size_t kMaxInMessage = 5;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i < kMaxInMessage) {
      absl::StrAppend(&message, i == 0 ? "" : "; ", v[i].field, ": ",
                      v[i].description);
    }
    absl::StrAppend(&payload, Clean(v[i].field), "\x1f",
                    Clean(v[i].description), "\x1e");
  }
  if (v.size() > kMaxInMessage) {
    absl::StrAppend(&message, "; and ", v.size() - kMaxInMessage,
                    " more (see the BadRequest details)");
  }
  absl::Status status(code, message);
  status.SetPayload(kPayloadUrl, absl::Cord(payload));
  return status;
}

std::vector<FieldViolation> GetFieldViolations(const absl::Status& status) {
  std::vector<FieldViolation> out;
  auto payload = status.GetPayload(kPayloadUrl);  // absl::optional
  if (!payload) return out;
  std::string text(*payload);
  for (absl::string_view record :
       absl::StrSplit(text, '\x1e', absl::SkipEmpty())) {
    std::pair<std::string, std::string> parts =
        absl::StrSplit(record, absl::MaxSplits('\x1f', 1));
    out.push_back({std::move(parts.first), std::move(parts.second)});
  }
  return out;
}

}  // namespace detente
