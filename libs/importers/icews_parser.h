// ICEWS coded event data: tab-separated, 20 columns, a header row ("Event
// ID\tEvent Date\tSource Name\t..."); countries are given by name and
// missing values are written "NA". Columns are found by their header names.
//
// Mapping (docs/importing.md): occurred_on = Event Date; source/target =
// Source Country/Target Country through FindActorByName (an unknown name
// skips the row with reason `unknown country name "X"`); event_code = CAMEO
// Code; goldstein = Intensity; source_name = Publisher; event_id =
// UuidV5(kImportNamespace, "icews:<Event ID>:<Event Date>"); title =
// "<Source Name> -> <Target Name>: <CAMEO description>"; tags = ["icews"].
#pragma once

#include <array>

#include "importers/row_parser.h"

namespace detente::importers {

class IcewsParser : public RowParser {
 public:
  // INVALID_ARGUMENT when the first line is not an ICEWS header.
  absl::StatusOr<std::optional<RowResult>> Parse(
      absl::string_view line) override;

 private:
  RowResult ParseRow(const std::vector<absl::string_view>& f) const;

  bool have_header_ = false;
  size_t columns_ = 0;
  // Index of each needed column (order of kIcewsColumns in the .cc).
  std::array<size_t, 9> index_{};
};

}  // namespace detente::importers
