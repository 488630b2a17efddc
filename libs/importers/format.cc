#include "importers/format.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace detente::importers {
namespace {

bool LooksLikeGdelt(absl::string_view line) {
  const auto tabs = std::count(line.begin(), line.end(), '\t');
  return tabs == 56 || tabs == 57 || tabs == 60;
}

bool LooksLikeIcews(absl::string_view line) {
  return absl::StartsWith(line, "Event ID\tEvent Date");
}

}  // namespace

std::string FormatName(Format f) {
  switch (f) {
    case Format::kJsonl:
      return "jsonl";
    case Format::kCsv:
      return "csv";
    case Format::kGdelt:
      return "gdelt";
    case Format::kIcews:
      return "icews";
  }
  return "?";
}

std::optional<Format> ParseFormatName(absl::string_view name) {
  for (Format f :
       {Format::kJsonl, Format::kCsv, Format::kGdelt, Format::kIcews}) {
    if (name == FormatName(f)) return f;
  }
  return std::nullopt;
}

std::optional<Format> GuessFormat(absl::string_view file_name,
                                  absl::string_view first_line) {
  std::string name = absl::AsciiStrToLower(file_name);
  absl::string_view n = name;
  absl::ConsumeSuffix(&n, ".gz");
  absl::string_view line = absl::StripLeadingAsciiWhitespace(first_line);
  if (LooksLikeIcews(line)) return Format::kIcews;
  if (LooksLikeGdelt(line)) return Format::kGdelt;
  if (absl::EndsWith(n, ".jsonl") || absl::EndsWith(n, ".json")) {
    return Format::kJsonl;
  }
  if (absl::StartsWith(line, "{")) return Format::kJsonl;
  if (absl::EndsWith(n, ".csv")) return Format::kCsv;
  if (absl::StrContains(line, "occurred_on") && absl::StrContains(line, ",")) {
    return Format::kCsv;
  }
  return std::nullopt;
}

}  // namespace detente::importers
