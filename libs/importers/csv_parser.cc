#include "importers/csv_parser.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "importers/fields.h"

namespace detente::importers {
namespace {

// Field names in event.proto field-number order (index + 1 = number).
constexpr absl::string_view kFields[] = {
    "event_id",  "occurred_on", "source",     "target", "event_code",
    "goldstein", "weight",      "tone",       "tags",   "title",
    "summary",   "source_name", "source_url", "kind",   "subject_event_id"};

// "occurredOn", "Occurred_On" -> "occurredon".
std::string Normalise(absl::string_view name) {
  return absl::AsciiStrToLower(
      absl::StrReplaceAll(absl::StripAsciiWhitespace(name), {{"_", ""}}));
}

int FieldNumber(absl::string_view name) {
  const std::string n = Normalise(name);
  for (size_t i = 0; i < std::size(kFields); ++i) {
    if (Normalise(kFields[i]) == n) return static_cast<int>(i) + 1;
  }
  return 0;
}

std::optional<EntryKind> ParseKind(absl::string_view v) {
  std::string k = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(v));
  absl::string_view s = k;
  absl::ConsumePrefix(&s, "ENTRY_KIND_");
  if (s.empty() || s == "EVENT" || s == "UNSPECIFIED") return EntryKind::kEvent;
  if (s == "CORRECTION") return EntryKind::kCorrection;
  if (s == "RETRACTION") return EntryKind::kRetraction;
  return std::nullopt;
}

}  // namespace

absl::StatusOr<std::optional<RowResult>> CsvParser::Parse(
    absl::string_view line) {
  if (!builder_.pending() && absl::StripAsciiWhitespace(line).empty()) {
    return std::nullopt;
  }
  const int lines_before = builder_.lines();
  if (!builder_.Add(line)) return std::nullopt;
  std::vector<std::string> cells = builder_.Take();
  if (!have_header_) {
    for (const std::string& c : cells) {
      const int number = FieldNumber(c);
      if (number == 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unknown column \"", c,
            "\" in the CSV header (expected field "
            "names of detente.v1.Event: event_id, occurred_on, source, ...)"));
      }
      columns_.push_back(number);
    }
    have_header_ = true;
    return std::nullopt;
  }
  RowResult r = ParseRecord(cells);
  r.extra_lines = lines_before;
  return r;
}

std::optional<RowResult> CsvParser::Finish() {
  if (!builder_.pending()) return std::nullopt;
  RowResult r = RowResult::Reject("unterminated quoted field at end of file");
  r.extra_lines = builder_.lines() - 1;
  builder_.Take();
  return r;
}

RowResult CsvParser::ParseRecord(const std::vector<std::string>& cells) const {
  if (cells.size() != columns_.size()) {
    return RowResult::Reject(absl::StrCat(
        "has ", cells.size(), " columns; the header has ", columns_.size()));
  }
  RawEntry e;
  for (size_t i = 0; i < cells.size(); ++i) {
    const std::string& v = cells[i];
    const absl::string_view t = absl::StripAsciiWhitespace(v);
    const absl::string_view name = kFields[columns_[i] - 1];
    auto bad = [&](absl::string_view what) {
      return RowResult::Reject(
          absl::StrCat(name, ": \"", v, "\" is not ", what));
    };
    switch (columns_[i]) {
      case 1:
        e.event_id = std::string(t);
        break;
      case 2:
        e.occurred_on = std::string(t);
        break;
      case 3:
        e.source = std::string(t);
        break;
      case 4:
        e.target = std::string(t);
        break;
      case 5:
        e.event_code = std::string(t);
        break;
      case 6:
        if (t.empty()) break;
        if (!(e.goldstein = ParseDouble(t))) return bad("a number");
        break;
      case 7:
        if (!t.empty() && !absl::SimpleAtoi(t, &e.weight)) {
          return bad("a count");
        }
        break;
      case 8:
        if (t.empty()) break;
        if (!(e.tone = ParseDouble(t))) return bad("a number");
        break;
      case 9:
        for (absl::string_view tag : absl::StrSplit(t, absl::ByAnyChar(";|"))) {
          tag = absl::StripAsciiWhitespace(tag);
          if (!tag.empty()) e.tags.emplace_back(tag);
        }
        break;
      case 10:
        e.title = v;
        break;
      case 11:
        e.summary = v;
        break;
      case 12:
        e.source_name = v;
        break;
      case 13:
        e.source_url = std::string(t);
        break;
      case 14: {
        std::optional<EntryKind> k = ParseKind(t);
        if (!k) return bad("EVENT, CORRECTION or RETRACTION");
        e.kind = *k;
        break;
      }
      case 15:
        e.subject_event_id = std::string(t);
        break;
    }
  }
  return RowResult::Entry(std::move(e));
}

}  // namespace detente::importers
