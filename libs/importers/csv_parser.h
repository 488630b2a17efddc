// CSV files with a header row of the Event's field names (snake_case as in
// event.proto, or the JSON names: occurredOn): event_id, occurred_on, source,
// target, event_code, goldstein, weight, tone, tags, title, summary,
// source_name, source_url, kind, subject_event_id. Columns may come in any
// order and any subset; empty cells leave the field unset. tags are separated
// by ';' or '|'; kind is EVENT, CORRECTION or RETRACTION (any case, with or
// without the ENTRY_KIND_ prefix). Quoting per RFC 4180 (csv_split.h).
#pragma once

#include <vector>

#include "importers/csv_split.h"
#include "importers/row_parser.h"

namespace detente::importers {

class CsvParser : public RowParser {
 public:
  // INVALID_ARGUMENT when the header names an unknown column.
  absl::StatusOr<std::optional<RowResult>> Parse(
      absl::string_view line) override;
  std::optional<RowResult> Finish() override;

 private:
  RowResult ParseRecord(const std::vector<std::string>& cells) const;

  CsvRecordBuilder builder_;
  bool have_header_ = false;
  std::vector<int> columns_;  // field number of each column
};

}  // namespace detente::importers
