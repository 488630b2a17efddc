// The interface every importer implements: one input line in, at most one
// outcome out. An outcome is an entry to append, a skip (a row the source
// may legitimately hold but Detente cannot represent: no country on one
// side, the same country on both, an unknown country name) counted by
// reason, or a reject (a malformed row) reported with its line.
//
//   std::unique_ptr<RowParser> p = MakeRowParser(Format::kGdelt);
//   absl::StatusOr<std::optional<RowResult>> r = p->Parse(line);
//   // !ok(): the file cannot be read in this format (a bad CSV header).
//   // nullopt: nothing to report (a header, a blank line, or the first
//   //          line of a quoted CSV field that continues on the next line).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "domain/validation.h"
#include "importers/format.h"

namespace detente::importers {

struct RowResult {
  enum class Kind { kEntry, kSkip, kReject };
  Kind kind = Kind::kEntry;
  RawEntry entry;      // kEntry
  std::string reason;  // kSkip, kReject: "no target country"
  // Lines the row spans before the current one (multi-line CSV records).
  int extra_lines = 0;

  static RowResult Entry(RawEntry e);
  static RowResult Skip(std::string reason);
  static RowResult Reject(std::string reason);
};

// Parsers are stateful (headers, pending CSV records): one per file.
class RowParser {
 public:
  virtual ~RowParser() = default;
  virtual absl::StatusOr<std::optional<RowResult>> Parse(
      absl::string_view line) = 0;
  // Called at the end of the file: a pending unterminated record, if any.
  virtual std::optional<RowResult> Finish() { return std::nullopt; }
};

// A parser for csv, gdelt or icews (jsonl is parsed by the command line,
// which owns the protobuf JSON mapping). nullptr for kJsonl.
std::unique_ptr<RowParser> MakeRowParser(Format format);

}  // namespace detente::importers
