// Field rules for entries, independent of the log's state. The log adds the
// rules that need state (subject exists, expected revision, duplicates).
//
// Raw input comes in as text (RawEntry, filled by a service from its wire
// format) and leaves as a typed Entry, or as field violations naming the
// field ("occurred_on", "tags[2]") and the reason.
//
//   ValidationContext ctx{.today = TodayUtc()};
//   absl::StatusOr<Entry> e = ValidateEntry(raw, ctx);
//   // !ok(): INVALID_ARGUMENT carrying FieldViolations
//   //        (common/field_violation.h)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/field_violation.h"
#include "common/strong_types.h"
#include "domain/entry.h"

namespace detente {

// Limits, in one place (documented in docs/api.md).
inline constexpr int kMaxTags = 16;
inline constexpr int kMaxTagLength = 32;
inline constexpr int kMaxTitleChars = 300;
inline constexpr int kMaxSummaryChars = 4000;
inline constexpr int kMaxSourceNameChars = 300;
inline constexpr int kMaxSourceUrlChars = 2048;
inline constexpr int kMaxBatchEntries = 10000;

// An entry as received: text fields exactly as the client sent them.
struct RawEntry {
  std::string event_id;  // may be empty
  EntryKind kind = EntryKind::kEvent;
  std::string subject_event_id;
  std::string occurred_on;
  std::string source;
  std::string target;
  std::string event_code;
  std::optional<double> goldstein;
  uint32_t weight = 0;  // 0 = default 1
  std::optional<double> tone;
  std::vector<std::string> tags;
  std::string title;
  std::string summary;
  std::string source_name;
  std::string source_url;
};

struct ValidationContext {
  // The service's current UTC date; occurred_on may be at most today + 1.
  DayNumber today;
};

// Checks every rule and reports every violation (field names relative to the
// entry: "occurred_on", "tags[2]", "subject_event_id"). On success the entry
// is typed and canonical (upper-case actor codes resolved through aliases,
// lower-case UUIDs, weight defaulted). event_id stays nil when absent.
absl::StatusOr<Entry> ValidateEntry(const RawEntry& raw,
                                    const ValidationContext& ctx);
// The same, taking the texts of `raw` instead of copying them (what is left
// in `raw` is unspecified).
absl::StatusOr<Entry> ValidateEntry(RawEntry&& raw,
                                    const ValidationContext& ctx);

// Effective Goldstein score: the override, or the CAMEO table's score.
double EffectiveGoldstein(const EventData& data);

// True when `s` is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(absl::string_view s);
// Number of Unicode code points in valid UTF-8 `s`.
size_t Utf8Length(absl::string_view s);

}  // namespace detente
