// A one-line progress bar on stderr for long loads: percentage of bytes
// read (when the total is known), rows read, events per second and ETA,
// redrawn at most ten times a second. Draws nothing unless enabled (the
// caller enables it when stderr is a terminal). Not thread-safe.
//
//   Progress p(isatty(STDERR_FILENO), total_bytes);
//   p.Update(rows, bytes);  // cheap; redraws when 100 ms have passed
//   p.Clear();              // before writing other lines to stderr
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace detente::cli {

class Progress {
 public:
  Progress(bool enabled, std::optional<uint64_t> total_bytes);
  void Update(uint64_t rows, uint64_t bytes_done);
  void Clear();

  // The bar's text for the given state (exposed for tests).
  static std::string Render(uint64_t rows, uint64_t bytes_done,
                            std::optional<uint64_t> total_bytes,
                            double seconds);

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  std::optional<uint64_t> total_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_draw_{};
  bool drawn_ = false;
};

}  // namespace detente::cli
