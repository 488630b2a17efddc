// The input formats `detente ingest` reads, and guessing one from a file's
// name and first line.
//
//   Format f = GuessFormat("20150218230000.export.CSV.gz", first_line);
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace detente::importers {

enum class Format { kJsonl, kCsv, kGdelt, kIcews };

// "jsonl", "csv", "gdelt", "icews".
std::string FormatName(Format f);
std::optional<Format> ParseFormatName(absl::string_view name);

// The format of a file, from its name (".gz" stripped; .jsonl/.json, .csv,
// .tsv/.tab, any case) and its first line: GDELT exports have no header and
// 57, 58 or 61 tab-separated columns (even when named .CSV); ICEWS files
// start with the header "Event ID\tEvent Date"; a line starting with '{' is
// JSONL. nullopt when neither tells.
std::optional<Format> GuessFormat(absl::string_view file_name,
                                  absl::string_view first_line);

}  // namespace detente::importers
