// One line of the benchmark table, and the table itself.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/bench/latency.h"

namespace detente::bench {

struct Result {
  std::string scenario;    // "1 bulk load AppendStream x1000"
  std::string system;      // "detente" or "raw rocksdb"
  std::string durability;  // "fsync" / "no fsync" / "-"
  double rate = 0;
  std::string unit = "events/s";
  double p50_us = 0, p99_us = 0, p999_us = 0;
  // Services' CPU seconds used during the scenario and peak RSS (MiB);
  // negative when not measured.
  double ingest_cpu_s = -1, query_cpu_s = -1, client_cpu_s = -1;
  double ingest_peak_mib = -1, query_peak_mib = -1;
  // Wall seconds over which the CPU columns were measured; negative when
  // not measured.
  double cpu_wall_s = -1;
  // Cluster rows: each process's CPU seconds and peak RSS (MiB); the ingest
  // columns above are then sums over the ingest nodes. Empty for one node.
  struct Process {
    std::string name;  // "ingest-1", "nats-2"
    double cpu_s = -1, peak_mib = -1;
  };
  std::vector<Process> processes;
  // Ratio to the floor (raw RocksDB, same run); 0 when none.
  double floor_ratio = 0;
  std::string floor_name;
  std::string note;

  void SetLatencies(Latencies& l) {
    p50_us = l.Percentile(0.5);
    p99_us = l.Percentile(0.99);
    p999_us = l.Percentile(0.999);
  }
};

class Report {
 public:
  // Prints the line at once (so partial runs are useful) and keeps it.
  void Add(Result r);
  // Finds a result by scenario name prefix; nullptr when absent.
  const Result* Find(const std::string& scenario_prefix) const;
  void PrintTable() const;
  // Tab-separated, one result per line, for tools/peers/run_peers.sh:
  // scenario, system, durability, rate, unit, p50, p99, p99.9 (us), then
  // the CPU seconds of ingest, query and the bench client and the wall
  // seconds they were measured over ("-" when not measured).
  bool WriteTsv(const std::string& path) const;
  const std::vector<Result>& results() const { return results_; }

 private:
  std::vector<Result> results_;
};

// Sets r's floor ratio to `floor` (a row of `report`, by scenario prefix)
// when r has none yet, else appends the ratio to r's note; nothing when the
// row is absent.
void CompareToFloor(const Report& report, const std::string& floor,
                    const std::string& floor_name, Result& r);

// Seconds of CPU this process has used (all threads).
double SelfCpuSeconds();

}  // namespace detente::bench
