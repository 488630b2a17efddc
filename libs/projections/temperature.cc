#include "projections/temperature.h"

#include <cmath>

namespace detente {
namespace {

// Running decayed sums at day `now`.
class DecayedSums {
 public:
  DecayedSums(const KernelParams& p, const DecayState& s = {})
      : params_(p), s_(s) {}

  void AdvanceTo(DayNumber day) {
    if (s_.started && day > s_.now) {
      const double f =
          std::exp2(-double(day.value() - s_.now.value()) / params_.half_life);
      s_.heat *= f;
      s_.warmth *= f;
    }
    s_.now = day;
    s_.started = true;
  }
  void Add(const DayTotals& d) {
    AdvanceTo(d.day);
    s_.heat += d.weight_sum;
    s_.warmth += d.goldstein_sum;
  }
  double heat() const { return s_.heat; }
  double temperature() const {
    const double denominator = params_.prior + s_.heat;
    return denominator > 0 ? s_.warmth / denominator : 0;
  }
  bool started() const { return s_.started; }
  const DecayState& state() const { return s_; }

 private:
  const KernelParams& params_;
  DecayState s_;
};

}  // namespace

void DayTotals::Count(double weight, double goldstein, QuadClass quad,
                      int sign) {
  events += sign;
  weight_sum += sign * weight;
  goldstein_sum += sign * (weight * goldstein);
  const int q = static_cast<int>(quad);
  if (q >= 1 && q <= 4) quad_counts[q - 1] += sign;
  if (events == 0) {
    // Exactly nothing, not the rounding left by adding and removing.
    weight_sum = goldstein_sum = 0;
  }
}

void DayTotals::Add(const DayTotals& other) {
  events += other.events;
  weight_sum += other.weight_sum;
  goldstein_sum += other.goldstein_sum;
  for (int q = 0; q < 4; ++q) quad_counts[q] += other.quad_counts[q];
}

std::vector<DayTotals> TotalsByDay(std::span<const Contribution> events) {
  std::vector<DayTotals> out;
  for (const Contribution& c : events) {
    if (out.empty() || out.back().day != c.day) {
      out.emplace_back();
      out.back().day = c.day;
    }
    out.back().Count(c.weight, c.goldstein, c.quad, +1);
  }
  return out;
}

void AddDay(DecayState& s, const DayTotals& d, const KernelParams& params) {
  DecayedSums sums(params, s);
  sums.Add(d);
  s = sums.state();
}

std::vector<SeriesPoint> ComputeSeries(std::span<const DayTotals> days,
                                       std::span<const Period> periods,
                                       const KernelParams& params) {
  return ComputeSeries(days, periods, params, DecayState());
}

std::vector<SeriesPoint> ComputeSeries(std::span<const DayTotals> days,
                                       std::span<const Period> periods,
                                       const KernelParams& params,
                                       const DecayState& before) {
  std::vector<SeriesPoint> out;
  out.reserve(periods.size());
  DecayedSums sums(params, before);
  size_t next = 0;       // first day not yet added to the sums
  size_t in_period = 0;  // first day that may fall in the current period
  for (const Period& p : periods) {
    SeriesPoint point;
    point.period = p;
    while (next < days.size() && days[next].day <= p.end) {
      sums.Add(days[next++]);
    }
    while (in_period < days.size() && days[in_period].day < p.start) {
      ++in_period;
    }
    for (size_t i = in_period; i < days.size() && days[i].day <= p.end; ++i) {
      const DayTotals& d = days[i];
      point.events += d.events;
      point.weight_sum += d.weight_sum;
      point.goldstein_sum += d.goldstein_sum;
      for (int q = 0; q < 4; ++q) point.quad_counts[q] += d.quad_counts[q];
    }
    if (sums.started()) {
      sums.AdvanceTo(p.end);
      point.heat = sums.heat();
      point.temperature = sums.temperature();
    }
    out.push_back(point);
  }
  return out;
}

std::vector<SeriesPoint> ComputeSeries(std::span<const Contribution> events,
                                       std::span<const Period> periods,
                                       const KernelParams& params) {
  return ComputeSeries(TotalsByDay(events), periods, params);
}

TemperatureAt ComputeAt(std::span<const DayTotals> days, DayNumber t,
                        const KernelParams& params) {
  DecayedSums sums(params);
  for (const DayTotals& d : days) {
    if (d.day > t) break;
    sums.Add(d);
  }
  if (!sums.started()) return {};
  sums.AdvanceTo(t);
  return {sums.temperature(), sums.heat()};
}

TemperatureAt ComputeAt(std::span<const Contribution> events, DayNumber t,
                        const KernelParams& params) {
  return ComputeAt(TotalsByDay(events), t, params);
}

}  // namespace detente
