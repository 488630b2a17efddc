// The relation temperature kernel (docs/temperature.md), pure arithmetic.
//
// For events i with day d_i, Goldstein score g_i and weight w_i, a day t, a
// half-life h (days) and a prior strength c >= 0:
//
//   k_i(t)         = 2^(-(t - d_i) / h)   if d_i <= t, else 0
//   heat(t)        = sum_i w_i * k_i(t)
//   temperature(t) = sum_i w_i * g_i * k_i(t) / (c + heat(t))
//
// Events on the same day decay alike, so the kernel works on per-day totals
// (DayTotals): the read models keep them per pair and day, and a series costs
// O(days with events + periods) whatever the number of events.
//
//   std::vector<DayTotals> days = TotalsByDay(events);  // or from the store
//   std::vector<SeriesPoint> s = ComputeSeries(days, periods, {.half_life =
//   90});
#pragma once

#include <span>
#include <vector>

#include "common/strong_types.h"
#include "domain/cameo.h"
#include "projections/periods.h"

namespace detente {

struct Contribution {
  DayNumber day;
  double weight = 1;
  double goldstein = 0;
  QuadClass quad = QuadClass::kUnspecified;
};

// The events of one day, summed: all the kernel needs of them.
struct DayTotals {
  DayNumber day;
  uint32_t events = 0;
  double weight_sum = 0;
  double goldstein_sum = 0;                // sum of w * g
  uint32_t quad_counts[4] = {0, 0, 0, 0};  // verbal coop .. material conflict

  // Adds (sign +1) or removes (sign -1) one event of this day.
  void Count(double weight, double goldstein, QuadClass quad, int sign);
  // Adds another day's totals (same day).
  void Add(const DayTotals& other);
};

// Per-day totals of events sorted by day, in day order (days without events
// left out).
std::vector<DayTotals> TotalsByDay(std::span<const Contribution> events);

struct KernelParams {
  double half_life = 90;  // days, > 0
  double prior = 1;       // >= 0
};

struct SeriesPoint {
  Period period;
  double temperature = 0;
  double heat = 0;
  uint32_t events = 0;
  double weight_sum = 0;
  double goldstein_sum = 0;                // sum of w * g
  uint32_t quad_counts[4] = {0, 0, 0, 0};  // verbal coop .. material conflict
};

// One point per period, evaluated at each period's last day. `days` must be
// sorted by day, one entry per day; days before the first period count
// through decay. O(days + periods).
std::vector<SeriesPoint> ComputeSeries(std::span<const DayTotals> days,
                                       std::span<const Period> periods,
                                       const KernelParams& params);

// The decayed sums after some days (heat and warmth at the last day added).
// A series of the days from its first period's start on, begun from the
// state of the days before it, equals the series of all the days bit for
// bit: the same additions, in the same order.
struct DecayState {
  DayNumber now;
  bool started = false;
  double heat = 0;
  double warmth = 0;  // sum of w * g * k
};
// Adds a day later than those in `s`.
void AddDay(DecayState& s, const DayTotals& d, const KernelParams& params);
// `days` all on or after periods.front().start; `before`: the days before.
std::vector<SeriesPoint> ComputeSeries(std::span<const DayTotals> days,
                                       std::span<const Period> periods,
                                       const KernelParams& params,
                                       const DecayState& before);
// The same from single events sorted by day (their per-day totals).
std::vector<SeriesPoint> ComputeSeries(std::span<const Contribution> events,
                                       std::span<const Period> periods,
                                       const KernelParams& params);

struct TemperatureAt {
  double temperature = 0;
  double heat = 0;
};

// The temperature and heat at day t (events after t do not count).
TemperatureAt ComputeAt(std::span<const DayTotals> days, DayNumber t,
                        const KernelParams& params);
TemperatureAt ComputeAt(std::span<const Contribution> events, DayNumber t,
                        const KernelParams& params);

}  // namespace detente
