#include "tools/bench/grpc_floor.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "detente/v1/ingest.grpc.pb.h"
#include "detente/v1/query.grpc.pb.h"
#include "tools/bench/closed_loop.h"
#include "tools/bench/grpc_echo.h"
#include "tools/bench/ingest_nodes.h"
#include "tools/bench/proc_stats.h"
#include "tools/bench/service_process.h"

namespace detente::bench {
namespace {

constexpr const char* kFloor = "0g gRPC floor: ";

// CPU seconds of `pid` and of this process across a loop.
struct Cpu {
  explicit Cpu(pid_t pid)
      : pid_(pid),
        server0_(SampleProc(pid).cpu_seconds),
        self0_(SelfCpuSeconds()) {}
  double server() const { return SampleProc(pid_).cpu_seconds - server0_; }
  double self() const { return SelfCpuSeconds() - self0_; }
  pid_t pid_;
  double server0_, self0_;
};

void Add(BenchContext& c, const std::string& name, const LoopStats& s,
         const Cpu& cpu, bool ingest, std::string note) {
  Result r{.scenario = absl::StrCat(kFloor, name),
           .system = "grpc echo",
           .durability = "-",
           .unit = ingest ? "events/s" : "req/s"};
  r.rate = static_cast<double>(s.calls - s.errors) / s.seconds;
  Latencies l = s.latencies;
  r.SetLatencies(l);
  (ingest ? r.ingest_cpu_s : r.query_cpu_s) = cpu.server();
  r.client_cpu_s = cpu.self();
  r.note = std::move(note);
  if (s.errors > 0)
    absl::StrAppend(&r.note, "; ERRORS ", s.errors, ": ", s.first_error);
  c.report->Add(r);
}

}  // namespace

void RunGrpcFloor(BenchContext& c, const std::string& echo_bin,
                  const std::string& log_path) {
  const std::string address = FreeLoopbackAddress();
  // Scenario 3's replay, of at most 1M events.
  const uint64_t read_events =
      std::clamp<uint64_t>(c.config.events / 1000, 1, 1000) * 1000;
  ChildProcess echo = ChildProcess::Start(
      echo_bin, {address, std::to_string(read_events)}, log_path);
  if (echo.pid() <= 0 || !WaitForListener(address, 15)) {
    Result r{.scenario = absl::StrCat(kFloor, "echo server"),
             .system = "grpc echo",
             .durability = "-"};
    r.note = "ERROR: the echo server did not start (log: " + log_path + ")";
    c.report->Add(r);
    return;
  }
  std::shared_ptr<grpc::Channel> channel = MakeChannel(address);
  channel->WaitForConnected(std::chrono::system_clock::now() +
                            std::chrono::seconds(10));

  // Scenario 1's streams and windows, for at most 300 batches.
  {
    PrepareLoad(c);  // the encoded pool, before the clock starts
    const uint64_t batches =
        std::clamp<uint64_t>(c.config.events / 1000, 1, 300);
    Cpu cpu(echo.pid());
    LoadOutcome o = LoadBatches(c, {channel}, batches);
    Result r{.scenario = absl::StrCat(kFloor, "AppendStream x1000"),
             .system = "grpc echo",
             .durability = "-"};
    r.rate = static_cast<double>(o.events) / o.seconds;
    r.SetLatencies(o.latencies);
    r.ingest_cpu_s = cpu.server();
    r.client_cpu_s = cpu.self();
    r.note = absl::StrCat(c.config.load_streams, " streams, window ",
                          c.config.load_window, ", ", batches,
                          " batches; canned answers: no validation, no log");
    if (o.errors > 0) {
      absl::StrAppend(&r.note, "; ERRORS ", o.errors, ": ", o.first_error);
    }
    c.report->Add(r);
  }

  auto ingest = v1::IngestService::NewStub(channel);
  std::atomic<uint64_t> next{0};
  for (int concurrency : {1, c.config.concurrent_appenders}) {
    Cpu cpu(echo.pid());
    ClosedLoop<v1::AppendRequest, v1::AppendResponse> loop(
        [&](grpc::ClientContext* ctx, const v1::AppendRequest* q,
            v1::AppendResponse* r, std::function<void(grpc::Status)> done) {
          ingest->async()->Append(ctx, q, r, std::move(done));
        },
        [&](v1::AppendRequest& q, size_t) {
          FillBatch(c, next.fetch_add(1), 1, &q);
        });
    LoopStats s = loop.Run(concurrency, c.config.seconds);
    Add(c,
        absl::StrCat("Append x1, ", concurrency,
                     concurrency == 1 ? " client" : " clients"),
        s, cpu, true, "canned answers: no validation, no log");
  }

  for (ReplayClient client : {ReplayClient::kDecodes, ReplayClient::kBytes}) {
    const bool bytes = client == ReplayClient::kBytes;
    Cpu cpu(echo.pid());
    ReplayOutcome o =
        ReplayAll({.address = address, .channel = channel}, "", client);
    LoopStats s{.calls = o.events, .seconds = o.seconds, .latencies = o.gaps};
    if (!o.status.ok()) {
      s.errors = 1;
      s.first_error = o.status.error_message();
    }
    Add(c,
        bytes ? "Read (events as bytes) of the whole log"
              : "Read of the whole log",
        s, cpu, true,
        absl::StrCat(o.events,
                     " events in canned messages of 1000; latency = "
                     "gap between messages"));
  }

  auto query = v1::QueryService::NewStub(channel);
  struct Variant {
    const char* name;
    v1::Resolution res;
    bool columns, poll;
  };
  const CannedSeries sizes = MakeCannedSeries();
  std::atomic<uint64_t> draw{0};
  for (const Variant& v :
       {Variant{"series, 120 points", v1::RESOLUTION_MONTH, false, false},
        Variant{"series, 3652 points", v1::RESOLUTION_DAY, false, false},
        Variant{"series as columns, 3652 points", v1::RESOLUTION_DAY, true,
                false},
        Variant{"series, not_modified", v1::RESOLUTION_MONTH, false, true}}) {
    Cpu cpu(echo.pid());
    ClosedLoop<v1::GetTemperatureRequest, v1::GetTemperatureResponse> loop(
        [&](grpc::ClientContext* ctx, const v1::GetTemperatureRequest* q,
            v1::GetTemperatureResponse* r,
            std::function<void(grpc::Status)> done) {
          query->async()->GetTemperature(ctx, q, r, std::move(done));
        },
        [&](v1::GetTemperatureRequest& q, size_t slot) {
          q.Clear();
          FillSeries(c, v.poll ? slot : draw.fetch_add(1), v.res, q);
          if (v.poll) q.mutable_options()->set_if_changed_since(12345678);
          if (v.columns) {
            q.mutable_options()->set_layout(v1::SERIES_LAYOUT_COLUMNS);
          }
        });
    LoopStats s = loop.Run(c.config.query_concurrency, c.config.seconds);
    const size_t bytes = v.poll ? sizes.not_modified->size()
                         : v.res != v1::RESOLUTION_DAY ? sizes.monthly->size()
                         : v.columns ? sizes.daily_columns->size()
                                     : sizes.daily->size();
    Add(c, v.name, s, cpu, false,
        absl::StrFormat("%d in flight; canned answers of %d bytes",
                        c.config.query_concurrency, bytes));
  }
  echo.Stop();
}

}  // namespace detente::bench
