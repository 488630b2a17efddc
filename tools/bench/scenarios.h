// The benchmark scenarios against running services (issue 6, scenarios
// 1-6). Each adds its results to the report. Clients use gRPC's callback
// API; nothing blocks a gRPC thread.
#pragma once

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tools/bench/report.h"
#include "tools/bench/synth_events.h"

namespace detente::v1 {
class AppendRequest;
class GetTemperatureRequest;
enum Resolution : int;
}

namespace detente::bench {

struct BenchConfig {
  uint64_t events = 1000000;       // scenario 1: events bulk loaded
  int load_streams = 2;            // scenario 1: concurrent AppendStreams
  int load_window = 4;             // scenario 1: batches in flight per stream
  // Loads ask for summary answers (RESULT_DETAIL_SUMMARY), as a bulk loader
  // does; --load-results entries asks for a result per entry.
  bool load_summary = true;
  double seconds = 10;             // timed scenarios (2, 5)
  int concurrent_appenders = 64;   // scenario 2
  int query_concurrency = 8;       // scenario 5
  double mixed_seconds = 20;       // scenario 6
  int pollers = 1000;              // scenario 6
  int poll_interval_ms = 1000;     // scenario 6
  int subscribers = 4;             // scenario 6
  int mixed_writers = 4;           // scenario 6 (batches of 10)
  // Dates rise over the whole log (--dates log) instead of over each pool
  // of 20,000 templates (--dates pool, the default of every round so far:
  // ~20k pair-days at any size).
  bool dates_across_log = false;
  std::string series_from = "2014-01-01";  // scenario 5: ten years
  std::string series_to = "2023-12-31";
};

// One side of the system under test.
struct ServiceHandle {
  std::string address;
  pid_t pid = -1;  // -1: CPU and RSS not measured
  std::shared_ptr<grpc::Channel> channel;
  // The query service's HTTP, or the ingestion service's /metrics (when the
  // bench started it); empty: none.
  std::string http_address;
};

// A process measured beside the services in cluster rows (a NATS server).
struct SideProcess {
  std::string name;  // "nats-1"
  pid_t pid = -1;
};

struct BenchContext {
  BenchConfig config;
  const SynthEvents* gen = nullptr;
  // Next event index to generate: unique ids across scenarios.
  std::atomic<uint64_t> next_index{0};
  // The ingest node that scenarios 3-6 use and the query service follows.
  ServiceHandle ingest;
  // Every ingest node under test, `ingest` first: one, or several nodes of
  // one cluster, over which scenarios 1 and 2 spread their load streams and
  // clients round-robin (ingest_nodes.h).
  std::vector<ServiceHandle> ingest_nodes;
  std::vector<SideProcess> side_processes;
  // How scenarios 1 and 2 label their rows: "detente" and "fsync" for one
  // node; "cluster x2" and "quorum" for two cluster-mode nodes.
  std::string system = "detente";
  std::string durability = "fsync";
  ServiceHandle query;
  Report* report = nullptr;
};

// Fills `req` with events first..first+n-1 of the generator (new ids,
// content from a pool of kPoolSize templates).
void FillBatch(const BenchContext& c, uint64_t first, int n,
               v1::AppendRequest* req);

// Fills `q` with scenario 5's series request: the draw's pair, the ten
// years of `config.series_from`..`series_to`, resolution `res`.
void FillSeries(const BenchContext& c, uint64_t draw, v1::Resolution res,
                v1::GetTemperatureRequest& q);

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address);
// Waits until the ingest service answers GetInfo; false after `seconds`.
bool WaitForIngest(const ServiceHandle& s, double seconds);
uint64_t IngestHead(const ServiceHandle& s);
uint64_t IngestDiskBytes(const ServiceHandle& s);

// A whole-log Read (batches of 1000) on the callback API, to the end; or
// the whole of one stream ("CHN-USA") with `stream`.
struct ReplayOutcome {
  uint64_t events = 0;
  uint64_t last_position = 0;  // of the last event received
  uint64_t bytes = 0;          // of the events (kBytes only)
  double seconds = 0;
  Latencies gaps;  // microseconds between messages
  grpc::Status status;
};
// What the replaying client does with each event: decode it into a
// v1::RecordedEvent, or take it as its bytes (replay_wire.proto), as
// nats_bench takes JetStream's messages.
enum class ReplayClient { kDecodes, kBytes };
ReplayOutcome ReplayAll(const ServiceHandle& ingest,
                        const std::string& stream = "",
                        ReplayClient client = ReplayClient::kDecodes);

void RunBulkLoad(BenchContext& c);          // 1
// `suffix` ends the rows' names.
void RunUnaryAppends(BenchContext& c, const std::string& suffix = "");  // 2
// 2c: waits until the ingestion service's compactions are done (its storage
// gauges), then 2a and 2b again: a bulk load leaves compactions behind, which
// the rows right after it share the CPU and the disk with.
void RunSettledAppends(BenchContext& c);
void RunReplay(BenchContext& c);            // 3
// 4: `start_query` starts detente-query on an empty data dir (filling
// c.query) and returns false when it cannot. With `settle`, then waits
// for the compactions the catch-up left (4s) and reports the rate through
// them too (4b): the query service is caught up when it reaches the head,
// but its compactions go on beside the first queries.
void RunCatchUp(BenchContext& c, const std::function<bool()>& start_query,
                bool settle);
void RunTemperatureQueries(BenchContext& c);  // 5
void RunHttpPolls(BenchContext& c);           // 5d

// Waits up to 600 s until a service's storage has settled: the storage
// gauges on s.http_address's /metrics read no compaction bytes pending and
// none running for 3 s in a row (they refresh every 1-2 s). Adds the row
// `scenario` (of `system`) with the seconds waited, and returns whether it
// settled: the seconds waited, or nothing. Only
// a timeout is an error of the run ("DID NOT SETTLE"): a service without the
// gauges (an older binary) is noted. settle.cc.
std::optional<double> WaitStorageSettled(BenchContext& c,
                                         const ServiceHandle& s,
                                         const std::string& scenario,
                                         const std::string& system);
// 5e: waits until the query service's compactions are done (its storage
// gauges), then 5a and 5b again: a catch-up leaves compactions behind, which
// the rows right after it share the CPU with.
void RunSettledQueries(BenchContext& c);
void RunMixed(BenchContext& c);             // 6

// Samples the services' CPU time and resets their peak RSS; Finish fills
// a result's cpu and peak fields (cost_meter.cc). With several ingest nodes
// the ingest fields are sums over them, and each ingest node and side
// process also gets its own entry in Result::processes.
class CostMeter {
 public:
  explicit CostMeter(const BenchContext& c);
  void Finish(Result& r) const;

 private:
  const BenchContext& c_;
  // CPU seconds at the start, one per ingest node and side process.
  std::vector<double> ingest_cpu_, side_cpu_;
  double query_cpu_ = 0, self_cpu_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace detente::bench
