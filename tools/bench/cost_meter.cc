// CostMeter (scenarios.h): CPU seconds and peak RSS of the processes under
// test during one scenario, from /proc (proc_stats.h).
#include <chrono>

#include "tools/bench/proc_stats.h"
#include "tools/bench/scenarios.h"

namespace detente::bench {
namespace {

// CPU seconds now, after resetting the peak RSS; 0 when not measured.
double Begin(pid_t pid) {
  if (pid <= 0) return 0;
  ResetPeakRss(pid);
  return SampleProc(pid).cpu_seconds;
}

Result::Process End(const std::string& name, pid_t pid, double cpu0) {
  Result::Process p{.name = name};
  if (pid <= 0) return p;
  ProcSample s = SampleProc(pid);
  if (!s.ok) return p;
  p.cpu_s = s.cpu_seconds - cpu0;
  p.peak_mib = static_cast<double>(s.peak_bytes) / (1 << 20);
  return p;
}

}  // namespace

CostMeter::CostMeter(const BenchContext& c) : c_(c) {
  if (c.ingest_nodes.empty()) {
    ingest_cpu_.push_back(Begin(c.ingest.pid));
  } else {
    for (const ServiceHandle& n : c.ingest_nodes) {
      ingest_cpu_.push_back(Begin(n.pid));
    }
  }
  for (const SideProcess& p : c.side_processes)
    side_cpu_.push_back(Begin(p.pid));
  query_cpu_ = Begin(c.query.pid);
  self_cpu_ = SelfCpuSeconds();
  start_ = std::chrono::steady_clock::now();
}

void CostMeter::Finish(Result& r) const {
  if (c_.ingest_nodes.size() <= 1 && c_.side_processes.empty()) {
    // One node: the ingest columns are its own (the format of issue 6).
    Result::Process p = End("ingest-1", c_.ingest.pid, ingest_cpu_[0]);
    r.ingest_cpu_s = p.cpu_s;
    r.ingest_peak_mib = p.peak_mib;
  } else {
    double cpu = 0, peak = 0;
    bool measured = false;
    for (size_t i = 0; i < c_.ingest_nodes.size(); ++i) {
      r.processes.push_back(End("ingest-" + std::to_string(i + 1),
                                c_.ingest_nodes[i].pid, ingest_cpu_[i]));
      const Result::Process& p = r.processes.back();
      if (p.cpu_s < 0) continue;
      measured = true;
      cpu += p.cpu_s;
      peak += p.peak_mib;
    }
    if (measured) {
      r.ingest_cpu_s = cpu;
      r.ingest_peak_mib = peak;
    }
    for (size_t i = 0; i < c_.side_processes.size(); ++i) {
      r.processes.push_back(End(c_.side_processes[i].name,
                                c_.side_processes[i].pid, side_cpu_[i]));
    }
  }
  if (c_.query.pid > 0) {
    Result::Process p = End("query", c_.query.pid, query_cpu_);
    r.query_cpu_s = p.cpu_s;
    r.query_peak_mib = p.peak_mib;
  }
  r.client_cpu_s = SelfCpuSeconds() - self_cpu_;
  r.cpu_wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_)
          .count();
}

}  // namespace detente::bench
