// The relation temperature kernel (docs/temperature.md), pure arithmetic.
//
// For events i with day d_i, Goldstein score g_i and weight w_i, a day t, a
// half-life h (days) and a prior strength c >= 0:
//
//   k_i(t)         = 2^(-(t - d_i) / h)   if d_i <= t, else 0
//   heat(t)        = sum_i w_i * k_i(t)
//   temperature(t) = sum_i w_i * g_i * k_i(t) / (c + heat(t))
//
//   std::vector<Contribution> events = ...;   // sorted by day
//   std::vector<SeriesPoint> s = ComputeSeries(events, periods, {.half_life = 90});
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
  double goldstein_sum = 0;  // sum of w * g
  uint32_t quad_counts[4] = {0, 0, 0, 0};  // verbal coop .. material conflict
};

// One point per period, evaluated at each period's last day. `events` must
// be sorted by day; events before the first period count through decay.
// O(events + periods).
std::vector<SeriesPoint> ComputeSeries(std::span<const Contribution> events,
                                       std::span<const Period> periods,
                                       const KernelParams& params);

struct TemperatureAt {
  double temperature = 0;
  double heat = 0;
};

// The temperature and heat at day t (events after t do not count).
TemperatureAt ComputeAt(std::span<const Contribution> events, DayNumber t,
                        const KernelParams& params);

}  // namespace detente
