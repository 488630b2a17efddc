// Latency samples and their percentiles. Not thread-safe: one recorder per
// thread, merged at the end.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace detente::bench {

class Latencies {
 public:
  void Add(double micros) {
    samples_.push_back(micros);
    sorted_ = false;
  }
  void Merge(const Latencies& o) {
    samples_.insert(samples_.end(), o.samples_.begin(), o.samples_.end());
  }
  size_t count() const { return samples_.size(); }
  // q in [0, 1]; 0 when empty. Sorts the samples.
  double Percentile(double q) {
    if (samples_.empty()) return 0;
    if (!sorted_) {
      std::sort(samples_.begin(), samples_.end());
      sorted_ = true;
    }
    size_t i = static_cast<size_t>(q * static_cast<double>(samples_.size()));
    return samples_[std::min(i, samples_.size() - 1)];
  }
  void Reserve(size_t n) { samples_.reserve(n); }

 private:
  std::vector<double> samples_;
  bool sorted_ = false;
};

}  // namespace detente::bench
