// What the read models keep per pair and day: the totals of the live events
// of that day, each way (docs/projections.md, 'a' keys). Maintained on apply
// (an event adds, a correction moves, a retraction removes), they answer
// "as of now" series without reading single events.
//
// Apply never reads them: it merges deltas (one per event counted in or out,
// in log order) that the store's merge operator adds to the totals in order,
// one after the other, so the sums are the same whatever the batches.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "projections/pair_version.h"
#include "projections/temperature.h"

namespace detente {

struct PairDay {
  DayNumber day;
  // way[0]: the stream's first actor is the source; way[1]: the second.
  DayTotals way[2];

  // Adds (sign +1) or removes (sign -1) a version's event.
  void Count(const PairVersion& v, int sign) {
    way[v.reversed ? 1 : 0].Count(double(v.weight), v.goldstein, v.quad, sign);
  }
  bool empty() const { return way[0].events == 0 && way[1].events == 0; }
};

// Value encoding (the key holds stream and day): per way be32 events, f64
// weight sum, f64 goldstein sum (bit patterns, be64), 4 x be32 quad counts.
std::string EncodePairDayValue(const PairDay& d);
// Fills both ways (their days from d->day); false when malformed.
bool DecodePairDayValue(absl::string_view in, PairDay* d);

// Appends a version's event, counted in (sign +1) or out (sign -1), to a
// merge operand: u8 flags (bit 0 way, bit 1 out, bits 2-4 quad), be32
// weight, f64 goldstein (bit pattern, be64).
void AppendDayDelta(std::string* operand, const PairVersion& v, int sign);
// Counts an operand's deltas in order; false when malformed.
bool ApplyDayDeltas(absl::string_view operand, PairDay* d);

}  // namespace detente
