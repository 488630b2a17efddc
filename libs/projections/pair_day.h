// What the read models keep per pair and day: the totals of the live events
// of that day, each way (docs/projections.md, 'a' keys). Maintained on apply
// (an event adds, a correction moves, a retraction removes), they answer
// "as of now" series without reading single events.
//
// Apply never reads them: it merges deltas (one per event counted in or out,
// in log order) that the store's merge operator adds to the totals in order,
// one after the other, so the sums are the same whatever the batches.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
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

// A day's totals one way (0: the stream's first actor the source, 1: the
// second) or both (-1: way 0 plus way 1). False when they count no event:
// series leave such days out.
inline bool TotalsOf(const PairDay& d, int way, DayTotals* t) {
  *t = d.way[way == 1 ? 1 : 0];
  if (way == -1) t->Add(d.way[1]);
  return t->events != 0;
}

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
// counts, its weight sum (varint, or the double's bits as 8 big-endian
// bytes, as in the stored value) and its Goldstein sum's.
//
//   PackedDays p;
//   p.Append(day);                    // in increasing day order
//   p.ForEach([](const PairDay& d) { ... });
class PackedDays {
 public:
  // Days in increasing order.
  void Append(const PairDay& d);
  void Reserve(size_t bytes) { data_.reserve(bytes); }
  void ShrinkToFit() {
    data_.shrink_to_fit();
    marks_.shrink_to_fit();
  }

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // The packed bytes, and what the buffers hold (their capacity).
  size_t packed_bytes() const { return data_.size(); }
  size_t held_bytes() const {
    return data_.capacity() + marks_.capacity() * sizeof(Mark);
  }

  // The totals of `day` if it is one of the days: a binary search of the
  // marks kept every kMarkEvery days, then at most that many decoded.
  bool Find(DayNumber day, PairDay* d) const;

  // Reads the days in order.
  class Reader {
   public:
    explicit Reader(const PackedDays& days) : Reader(days, 0, 0) {}
    // From the last mark at or before `day` (fewer than kMarkEvery days
    // before it), or from the first day.
    Reader(const PackedDays& days, DayNumber day);
    // The next day; false after the last.
    bool Next(PairDay* d);

   private:
    friend class PackedDays;
    Reader(const PackedDays& days, size_t offset, int32_t day_before)
        : p_(reinterpret_cast<const uint8_t*>(days.data_.data()) + offset),
          end_(reinterpret_cast<const uint8_t*>(days.data_.data()) +
               days.data_.size()),
          day_(day_before) {}
    const uint8_t* p_;
    const uint8_t* end_;
    int32_t day_;
  };

  template <typename F>
  void ForEach(F&& f) const {
    Reader r(*this);
    PairDay d;
    while (r.Next(&d)) f(static_cast<const PairDay&>(d));
  }
  std::vector<PairDay> Unpack() const;

 private:
  static constexpr size_t kMarkEvery = 64;
  struct Mark {
    int32_t day;         // the day that starts here
    int32_t day_before;  // what its distance counts from
    uint32_t offset;
  };
  std::string data_;
  std::vector<Mark> marks_;
  size_t count_ = 0;
  int32_t last_day_ = 0;
};

// A stream's days as the day cache holds them: packed, plus the days that
// Apply's batches changed since, which reads merge in. A change copies the
// changed days, not the packed ones (re-packing a busy pair's ~21k days at
// every batch took the query service's CPU in the mixed run); they are
// packed again once they outnumber an eighth of the packed days.
//
// It also keeps, per series window start, the decayed sums of the days
// before it (DecayedBefore): a 10-year series of a pair with 59 years of
// days then reads 10 years of them, not 59. They stay valid while no day
// before that start changes, so With carries them on for changes after it
// (live events, of recent days).
class StreamDays {
 public:
  // No days; it keeps no decayed sums either.
  StreamDays() : packed_(NoDays()) {}
  explicit StreamDays(std::shared_ptr<const PackedDays> packed)
      : StreamDays(std::move(packed), std::make_shared<Decays>()) {}

  // These days with `changed` (day order, one each) as their new totals;
  // an empty day (no events either way) is one with none left.
  StreamDays With(std::vector<PairDay> changed) const;
  // The totals of `day`: zeros, with the day set, when it has none.
  PairDay Get(DayNumber day) const;

  // The days with events, in day order; `f` may return false to stop.
  template <typename F>
  void ForEach(F&& f) const {
    ForEachFrom(DayNumber(INT32_MIN), std::forward<F>(f));
  }
  // Those on or after `from`.
  template <typename F>
  void ForEachFrom(DayNumber from, F&& f) const {
    PackedDays::Reader r(*packed_, from);
    PairDay p;
    bool more = r.Next(&p);
    while (more && p.day < from) more = r.Next(&p);
    size_t i = static_cast<size_t>(
        std::lower_bound(
            changed_.begin(), changed_.end(), from,
            [](const PairDay& d, DayNumber v) { return d.day < v; }) -
        changed_.begin());
    auto visit = [&f](const PairDay& d) {
      if constexpr (std::is_same_v<decltype(f(d)), bool>) {
        return f(d);
      } else {
        f(d);
        return true;
      }
    };
    while (more || i < changed_.size()) {
      if (i < changed_.size() && (!more || !(p.day < changed_[i].day))) {
        const PairDay& c = changed_[i++];
        if (more && p.day == c.day) more = r.Next(&p);
        if (!c.empty() && !visit(c)) return;
      } else {
        if (!visit(static_cast<const PairDay&>(p))) return;
        more = r.Next(&p);
      }
    }
  }
  std::vector<PairDay> Unpack() const;
  // The decayed sums of the days before `start` (their totals by `way`, as
  // TotalsOf: -1 both ways), folded on the first call for that start, way
  // and half-life and kept with these days (the last kKeptDecays; the
  // sums do not depend on the prior).
  DecayState DecayedBefore(DayNumber start, int way,
                           const KernelParams& params) const;
  // What the packed days (shared with the entry this one came from), the
  // changed ones and the decayed sums kept hold.
  size_t held_bytes() const {
    return packed_->held_bytes() + changed_.capacity() * sizeof(PairDay) +
           (decays_ ? sizeof(Decays) : 0);
  }

 private:
  static constexpr size_t kKeptDecays = 4;
  struct Decay {
    DayNumber start;
    int way = -1;
    double half_life = 0;
    DecayState state;
  };
  struct Decays {
    std::mutex mu;
    Decay kept[kKeptDecays];
    size_t count = 0;  // guarded by mu; the oldest goes first
  };
  StreamDays(std::shared_ptr<const PackedDays> packed,
             std::shared_ptr<Decays> decays)
      : packed_(std::move(packed)), decays_(std::move(decays)) {}
  static const std::shared_ptr<const PackedDays>& NoDays();
  std::shared_ptr<const PackedDays> packed_;
  std::vector<PairDay> changed_;  // day order; an empty one removes its day
  // Shared by copies of these days; With makes a new one. Null: none kept
  // (no days).
  std::shared_ptr<Decays> decays_;
};

}  // namespace detente
