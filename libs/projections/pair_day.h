// What the read models keep per pair and day: the totals of the live events
// of that day, each way (docs/projections.md, 'a' keys). Maintained on apply
// (an event adds, a correction moves, a retraction removes), they answer
// "as of now" series without reading single events.
//
// Apply never reads them: it merges deltas (one per event counted in or out,
// in log order) that the store's merge operator adds to the totals in order,
// one after the other, so the sums are the same whatever the batches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

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

// A stream's days packed for the query service's day cache: ~17 bytes for
// a day with events one way, ~32 both ways, against sizeof(PairDay) = 88,
// so that --day-cache-mb holds five times the days (a 10M-event log with
// dates over 59 years: 5.0M pair-days, 442 MB as PairDays). Lossless: the
// days read back equal the days appended, bit for bit.
//
// Per day: a varint of its distance from the day before (zigzag; the first
// from day 0), a flags byte (bits 0 and 1: way 0 or 1 present, that is not
// all zeros; bits 2 and 3: that way's weight sum is a whole number, packed
// as a varint), then per present way varints of its events and four quad
// counts, its weight sum (varint, or the double's 8 bytes) and the 8 bytes
// of its Goldstein sum.
//
//   PackedDays p;
//   p.Append(day);                    // in increasing day order
//   p.ForEach([](const PairDay& d) { ... });
class PackedDays {
 public:
  // The most bytes one day takes.
  static constexpr size_t kMaxDayBytes = 5 + 1 + 2 * (5 + 4 * 5 + 10 + 8);

  // Days in increasing order.
  void Append(const PairDay& d);
  void Reserve(size_t bytes) { data_.reserve(bytes); }
  void ShrinkToFit() { data_.shrink_to_fit(); }

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // The packed bytes, and what the buffer holds (its capacity).
  size_t packed_bytes() const { return data_.size(); }
  size_t held_bytes() const { return data_.capacity(); }

  // Reads the days in order.
  class Reader {
   public:
    explicit Reader(const PackedDays& days)
        : p_(reinterpret_cast<const uint8_t*>(days.data_.data())),
          end_(p_ + days.data_.size()) {}
    // The next day; false after the last.
    bool Next(PairDay* d);

   private:
    const uint8_t* p_;
    const uint8_t* end_;
    int32_t day_ = 0;
  };

  template <typename F>
  void ForEach(F&& f) const {
    Reader r(*this);
    PairDay d;
    while (r.Next(&d)) f(static_cast<const PairDay&>(d));
  }
  std::vector<PairDay> Unpack() const;

 private:
  std::string data_;
  size_t count_ = 0;
  int32_t last_day_ = 0;
};

}  // namespace detente
