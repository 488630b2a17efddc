#include "projections/temperature.h"

#include <cmath>

namespace detente {
namespace {

// Running decayed sums at day `now`.
class DecayedSums {
 public:
  explicit DecayedSums(const KernelParams& p) : params_(p) {}

  void AdvanceTo(DayNumber day) {
    if (started_ && day > now_) {
      const double f =
          std::exp2(-double(day.value() - now_.value()) / params_.half_life);
      heat_ *= f;
      warmth_ *= f;
    }
    now_ = day;
    started_ = true;
  }
  void Add(const Contribution& c) {
    AdvanceTo(c.day);
    heat_ += c.weight;
    warmth_ += c.weight * c.goldstein;
  }
  double heat() const { return heat_; }
  double temperature() const {
    const double denominator = params_.prior + heat_;
    return denominator > 0 ? warmth_ / denominator : 0;
  }
  bool started() const { return started_; }

 private:
  const KernelParams& params_;
  DayNumber now_;
  bool started_ = false;
  double heat_ = 0;
  double warmth_ = 0;  // sum of w * g * k
};

}  // namespace

std::vector<SeriesPoint> ComputeSeries(std::span<const Contribution> events,
                                       std::span<const Period> periods,
                                       const KernelParams& params) {
  std::vector<SeriesPoint> out;
  out.reserve(periods.size());
  DecayedSums sums(params);
  size_t next = 0;  // first event not yet added to the sums
  size_t in_period = 0;  // first event that may fall in the current period
  for (const Period& p : periods) {
    SeriesPoint point;
    point.period = p;
    while (next < events.size() && events[next].day <= p.end) {
      sums.Add(events[next++]);
    }
    while (in_period < events.size() && events[in_period].day < p.start) {
      ++in_period;
    }
    for (size_t i = in_period; i < events.size() && events[i].day <= p.end;
         ++i) {
      const Contribution& c = events[i];
      ++point.events;
      point.weight_sum += c.weight;
      point.goldstein_sum += c.weight * c.goldstein;
      const int q = static_cast<int>(c.quad);
      if (q >= 1 && q <= 4) ++point.quad_counts[q - 1];
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

TemperatureAt ComputeAt(std::span<const Contribution> events, DayNumber t,
                        const KernelParams& params) {
  DecayedSums sums(params);
  for (const Contribution& c : events) {
    if (c.day > t) break;
    sums.Add(c);
  }
  if (!sums.started()) return {};
  sums.AdvanceTo(t);
  return {sums.temperature(), sums.heat()};
}

}  // namespace detente
