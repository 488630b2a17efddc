// Waiting for a service's storage to settle (scenarios 2c and 5e).
#include <httplib.h>

#include <chrono>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "tools/bench/scenarios.h"
#include "tools/bench/service_process.h"

namespace detente::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// A sample's value in Prometheus text; -1 when absent.
double MetricValue(const std::string& text, const std::string& name) {
  const std::string lines = "\n" + text;  // the first line too
  const std::string start = "\n" + name + " ";
  const size_t at = lines.find(start);
  if (at == std::string::npos) return -1;
  const size_t from = at + start.size();
  double v = -1;
  if (!absl::SimpleAtod(lines.substr(from, lines.find('\n', from) - from),
                        &v)) {
    return -1;
  }
  return v;
}

struct SettleWait {
  enum Outcome { kSettled, kTimedOut, kNoGauges } outcome = kNoGauges;
  double seconds = 0;  // waited until the quiet 3 s began, or in all
  double timeout = 0;
};

SettleWait Wait(const ServiceHandle& s, double timeout_seconds) {
  SettleWait w{.timeout = timeout_seconds};
  const std::pair<std::string, int> address = SplitHostPort(s.http_address);
  if (address.second == 0) return w;
  httplib::Client http(address.first, address.second);
  const auto start = Clock::now();
  bool quiet = false;
  Clock::time_point quiet_since;
  int failed_gets = 0;
  while (Seconds(Clock::now() - start) < timeout_seconds) {
    auto r = http.Get("/metrics");
    if (!r || r->status != 200) {
      // A busy service may miss one; not 20 in a row (5 s).
      if (++failed_gets >= 20) return w;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      continue;
    }
    failed_gets = 0;
    const double pending =
        MetricValue(r->body, "detente_storage_pending_compaction_bytes");
    const double running =
        MetricValue(r->body, "detente_storage_running_compactions");
    if (pending < 0 || running < 0) return w;  // no such gauges
    if (pending == 0 && running == 0) {
      if (!quiet) quiet_since = Clock::now();
      quiet = true;
      if (Seconds(Clock::now() - quiet_since) >= 3) {
        w.outcome = SettleWait::kSettled;
        w.seconds = Seconds(quiet_since - start);
        return w;
      }
    } else {
      quiet = false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  w.outcome = SettleWait::kTimedOut;
  w.seconds = Seconds(Clock::now() - start);
  return w;
}

}  // namespace

std::optional<double> WaitStorageSettled(BenchContext& c,
                                         const ServiceHandle& s,
                                         const std::string& scenario,
                                         const std::string& system) {
  const SettleWait wait = Wait(s, 600);
  Result r{
      .scenario = scenario, .system = system, .durability = "-", .unit = "s"};
  r.rate = wait.seconds;
  switch (wait.outcome) {
    case SettleWait::kSettled:
      r.note = absl::StrFormat(
          "%.1f s waited, after the rows above, until no compaction was "
          "pending or running",
          wait.seconds);
      break;
    case SettleWait::kTimedOut:
      r.note = absl::StrFormat("DID NOT SETTLE within %.0f s", wait.timeout);
      break;
    case SettleWait::kNoGauges:
      r.note =
          "no storage gauges on its /metrics (an older binary?): the settled "
          "rows are skipped";
      break;
  }
  c.report->Add(r);
  if (wait.outcome != SettleWait::kSettled) return std::nullopt;
  return wait.seconds;
}

}  // namespace detente::bench
