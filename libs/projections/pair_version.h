// What the read models keep of one version of an event: enough to compute
// temperatures and filter, without the texts. A correction adds a new
// version and closes the previous one (superseded_at); a retraction closes
// the current version and marks it retracted.
//
// "As of position P", a version counts when
//   version_position <= P  and  (superseded_at == 0 or superseded_at > P).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/strong_types.h"
#include "domain/cameo.h"

namespace detente {

struct PairVersion {
  DayNumber day;              // first day of the event's date
  Position version_position;  // the entry that wrote this version
  Position original_position;
  Position superseded_at;     // 0: still current
  bool retracted_end = false; // closed by a retraction
  bool reversed = false;      // source is the stream's second actor
  QuadClass quad = QuadClass::kUnspecified;
  double goldstein = 0;
  uint32_t weight = 1;
  std::vector<std::string> tags;

  bool LiveAt(Position p) const {
    return version_position <= p &&
           (superseded_at.value() == 0 || superseded_at > p);
  }
  bool RetractedAt(Position p) const {
    return retracted_end && version_position <= p &&
           superseded_at.value() != 0 && superseded_at <= p;
  }
};

// Value encoding of a version (the key holds stream, day and position).
std::string EncodePairVersionValue(const PairVersion& v);
// Fills every field but day and version_position; false when malformed.
bool DecodePairVersionValue(absl::string_view in, PairVersion* v);

}  // namespace detente
