#include "tools/cli/progress.h"

#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace detente::cli {
namespace {

std::string Duration(double seconds) {
  const auto s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) {
    return absl::StrFormat("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  }
  return absl::StrFormat("%d:%02d", s / 60, s % 60);
}

}  // namespace

Progress::Progress(bool enabled, std::optional<uint64_t> total_bytes)
    : enabled_(enabled), total_(total_bytes) {}

std::string Progress::Render(uint64_t rows, uint64_t bytes_done,
                             std::optional<uint64_t> total_bytes,
                             double seconds) {
  const double rate = seconds > 0 ? rows / seconds : 0;
  std::string out;
  if (total_bytes && *total_bytes > 0) {
    const double frac =
        std::min(1.0, static_cast<double>(bytes_done) / *total_bytes);
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(frac * kWidth);
    out = absl::StrCat("[", std::string(filled, '#'),
                       std::string(kWidth - filled, '.'), "] ",
                       absl::StrFormat("%3d%%", static_cast<int>(frac * 100)));
    absl::StrAppend(&out, "  ", rows, " rows  ", absl::StrFormat("%.0f", rate),
                    " events/s");
    if (frac > 0.001 && seconds > 0.5) {
      absl::StrAppend(&out, "  ETA ", Duration(seconds * (1 - frac) / frac));
    }
  } else {
    out = absl::StrCat(rows, " rows  ", absl::StrFormat("%.0f", rate),
                       " events/s");
  }
  return out;
}

void Progress::Update(uint64_t rows, uint64_t bytes_done) {
  if (!enabled_) return;
  const Clock::time_point now = Clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  drawn_ = true;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  std::cerr << "\r\033[K" << Render(rows, bytes_done, total_, seconds)
            << std::flush;
}

void Progress::Clear() {
  if (!enabled_ || !drawn_) return;
  std::cerr << "\r\033[K" << std::flush;
  drawn_ = false;
}

}  // namespace detente::cli
