// Small field helpers the row parsers share: splitting tab-separated rows,
// missing values, compact dates, numbers, actor pairs and titles.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace detente::importers {

// Fields of a tab-separated line (no quoting: GDELT and ICEWS have none).
std::vector<absl::string_view> SplitTabs(absl::string_view line);

// Empty, or ICEWS's "NA".
bool IsMissing(absl::string_view v);

// "20150218" -> "2015-02-18"; nullopt unless 8 digits.
std::optional<std::string> CompactDateToIso(absl::string_view v);

std::optional<double> ParseDouble(absl::string_view v);

// The skip reason for a pair of canonical CAMEO actor codes ("" = missing):
// "no source country", "no target country", "same country on both sides";
// nullopt when the pair is usable.
std::optional<std::string> PairSkipReason(absl::string_view source,
                                          absl::string_view target);

// A code as the registry knows it (ISO aliases resolved), or nullopt.
std::optional<std::string> CanonicalActor(absl::string_view code);

// "<a> -> <b>: <CAMEO description of code>" (or "<a> -> <b>: <code>" when
// the table lacks the code), cut to the title limit at a character boundary.
std::string MakeTitle(absl::string_view a, absl::string_view b,
                      absl::string_view code);

// `text` cut to at most `max_chars` code points (valid UTF-8 in and out;
// invalid UTF-8 gives "").
std::string CutUtf8(absl::string_view text, size_t max_chars);

// `url` when it is an http(s) URL within the size limit, else "".
std::string HttpUrlOrEmpty(absl::string_view url);

}  // namespace detente::importers
