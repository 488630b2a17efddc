// GDELT event exports: tab-separated, no header; 2.0 rows have 61 columns,
// 1.0 rows 58 (daily files) or 57 (historical backfile, no SOURCEURL). The
// version is told apart per row by its column count.
//
// Mapping (docs/importing.md): occurred_on = SQLDATE (day precision);
// source/target = Actor1CountryCode/Actor2CountryCode; event_code =
// EventCode (kept as text, leading zeros and all); goldstein =
// GoldsteinScale; weight = NumMentions; tone = AvgTone; source_url =
// SOURCEURL (last column of 61- and 58-column rows); event_id =
// UuidV5(kImportNamespace, "gdelt:<GLOBALEVENTID>"); title =
// "<Actor1Name> -> <Actor2Name>: <CAMEO description>"; tags = ["gdelt"].
#pragma once

#include "importers/row_parser.h"

namespace detente::importers {

class GdeltParser : public RowParser {
 public:
  absl::StatusOr<std::optional<RowResult>> Parse(
      absl::string_view line) override;
};

// The event id GdeltParser gives a GLOBALEVENTID.
std::string GdeltEventId(absl::string_view global_event_id);

}  // namespace detente::importers
