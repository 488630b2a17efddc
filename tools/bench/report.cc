#include "tools/bench/report.h"

#include <sys/resource.h>

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace detente::bench {
namespace {

std::string Num(double v, const absl::FormatSpec<double>& fmt = "%.0f") {
  return v < 0 ? "-" : absl::StrFormat(fmt, v);
}

std::string Rate(double v) {
  if (v >= 1e6) return absl::StrFormat("%.2fM", v / 1e6);
  if (v >= 1e4) return absl::StrFormat("%.1fk", v / 1e3);
  return absl::StrFormat("%.0f", v);
}

// "  [in = sum of 2 ingest nodes; per process cpu s/peak MiB: ingest-1
// 6.1/300 ingest-2 ... nats-1 ...]" for cluster rows, "" otherwise.
std::string Processes(const Result& r) {
  if (r.processes.empty()) return "";
  int nodes = 0;
  std::string each;
  for (const Result::Process& p : r.processes) {
    nodes += p.name.rfind("ingest-", 0) == 0;
    absl::StrAppend(&each, " ", p.name, " ", Num(p.cpu_s, "%.1f"), "/",
                    Num(p.peak_mib));
  }
  return absl::StrFormat(
      "  [in = sum of %d ingest nodes; per process cpu s/peak MiB:%s]", nodes,
      each);
}

std::string Line(const Result& r) {
  std::string ratio =
      r.floor_ratio > 0
          ? absl::StrFormat("%.2fx %s", r.floor_ratio, r.floor_name)
          : "";
  return absl::StrFormat(
      "%-46s %-11s %-8s %9s %-9s %9s %9s %9s  cpu in/q/cl %s/%s/%s s  "
      "peak in/q %s/%s MiB%s  %s %s",
      r.scenario, r.system, r.durability, Rate(r.rate), r.unit, Num(r.p50_us),
      Num(r.p99_us), Num(r.p999_us), Num(r.ingest_cpu_s, "%.1f"),
      Num(r.query_cpu_s, "%.1f"), Num(r.client_cpu_s, "%.1f"),
      Num(r.ingest_peak_mib), Num(r.query_peak_mib), Processes(r), ratio,
      r.note);
}

}  // namespace

void Report::Add(Result r) {
  std::printf("%s\n", Line(r).c_str());
  std::fflush(stdout);
  results_.push_back(std::move(r));
}

const Result* Report::Find(const std::string& prefix) const {
  for (const Result& r : results_) {
    if (r.scenario.rfind(prefix, 0) == 0) return &r;
  }
  return nullptr;
}

void Report::PrintTable() const {
  std::printf(
      "\n%-46s %-11s %-8s %9s %-9s %9s %9s %9s\n", "scenario", "system",
      "durable", "rate", "unit", "p50 us", "p99 us", "p99.9 us");
  for (const Result& r : results_) std::printf("%s\n", Line(r).c_str());
  std::fflush(stdout);
}

bool Report::WriteTsv(const std::string& path) const {
  std::ofstream f(path);
  for (const Result& r : results_) {
    f << r.scenario << '\t' << r.system << '\t' << r.durability << '\t'
      << absl::StrFormat("%.0f", r.rate) << '\t' << r.unit << '\t'
      << absl::StrFormat("%.0f\t%.0f\t%.0f", r.p50_us, r.p99_us, r.p999_us)
      << '\t' << Num(r.ingest_cpu_s, "%.3f") << '\t'
      << Num(r.query_cpu_s, "%.3f") << '\t' << Num(r.client_cpu_s, "%.3f")
      << '\t' << Num(r.cpu_wall_s, "%.3f") << '\n';
  }
  return static_cast<bool>(f);
}

void CompareToFloor(const Report& report, const std::string& floor,
                    const std::string& floor_name, Result& r) {
  const Result* f = report.Find(floor);
  if (f == nullptr || f->rate <= 0) return;
  const double ratio = r.rate / f->rate;
  if (r.floor_ratio == 0) {
    r.floor_ratio = ratio;
    r.floor_name = floor_name;
    return;
  }
  absl::StrAppend(&r.note, r.note.empty() ? "" : "; ",
                  absl::StrFormat("%.2fx %s", ratio, floor_name));
}

double SelfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace detente::bench
