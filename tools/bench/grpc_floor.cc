#include "tools/bench/grpc_floor.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "detente/v1/ingest.grpc.pb.h"
#include "detente/v1/query.grpc.pb.h"
#include "domain/actors.h"
#include "domain/date.h"
#include "services/common/byte_buffers.h"
#include "services/common/process.h"
#include "tools/bench/closed_loop.h"
#include "tools/bench/ingest_nodes.h"
#include "tools/bench/proc_stats.h"
#include "tools/bench/service_process.h"

namespace detente::bench {
namespace {

std::string Iso(DayNumber d) {
  const CivilDay c = FromDayNumber(d);
  return absl::StrFormat("%04d-%02d-%02d", c.year, c.month, c.day);
}

// Canned series answers shaped like scenario 5's: 2014-2023, values of the
// same kinds and magnitudes, counts every month (monthly) and on one day in
// 30 (daily), which gives the size of the real daily answers for the bench's
// busiest pairs (161-167 KB with points, 157 KB as columns).
struct CannedSeries {
  std::shared_ptr<const std::string> monthly, daily, daily_columns,
      not_modified;
};

void FillSpec(v1::Resolution res, v1::GetTemperatureResponse* out) {
  out->set_position(12345678);
  out->set_stream("CHN-USA");
  v1::SeriesSpec* spec = out->mutable_spec();
  spec->set_from("2014-01-01");
  spec->set_to("2023-12-31");
  spec->set_resolution(res);
  spec->set_half_life_days(90);
  spec->set_prior(1);
}

void FillPoint(std::mt19937_64& rng, bool with_events, DayNumber start,
               DayNumber end, v1::TemperaturePoint* p) {
  std::uniform_real_distribution<double> temp(-3, 3), heat(1, 2000);
  p->set_period_start(Iso(start));
  p->set_period_end(Iso(end));
  p->set_temperature(temp(rng));
  p->set_heat(heat(rng));
  if (!with_events) return;
  const uint32_t n = 1 + static_cast<uint32_t>(rng() % 40);
  p->set_events(n);
  p->set_weight_sum(n * 1.5);
  p->set_goldstein_sum(temp(rng) * n);
  p->set_verbal_cooperation(n / 2);
  p->set_material_cooperation(n / 8);
  p->set_verbal_conflict(n / 4);
  p->set_material_conflict(n - n / 2 - n / 8 - n / 4);
}

std::shared_ptr<const std::string> Bytes(const google::protobuf::Message& m) {
  return std::make_shared<const std::string>(m.SerializeAsString());
}

CannedSeries MakeCannedSeries() {
  std::mt19937_64 rng(11);
  CannedSeries out;
  v1::GetTemperatureResponse monthly;
  FillSpec(v1::RESOLUTION_MONTH, &monthly);
  for (int y = 2014; y <= 2023; ++y) {
    for (int m = 1; m <= 12; ++m) {
      FillPoint(rng, true, ToDayNumber({y, m, 1}),
                ToDayNumber({y, m, DaysInMonth(y, m)}), monthly.add_points());
    }
  }
  out.monthly = Bytes(monthly);

  v1::GetTemperatureResponse daily, columns;
  FillSpec(v1::RESOLUTION_DAY, &daily);
  FillSpec(v1::RESOLUTION_DAY, &columns);
  v1::TemperatureColumns* c = columns.mutable_columns();
  for (int32_t d = ToDayNumber({2014, 1, 1}).value();
       d <= ToDayNumber({2023, 12, 31}).value(); ++d) {
    v1::TemperaturePoint* p = daily.add_points();
    FillPoint(rng, rng() % 30 == 0, DayNumber(d), DayNumber(d), p);
    c->add_period_start_day(d);
    c->add_period_end_day(d);
    c->add_temperature(p->temperature());
    c->add_heat(p->heat());
    c->add_events(p->events());
    c->add_weight_sum(p->weight_sum());
    c->add_goldstein_sum(p->goldstein_sum());
    c->add_verbal_cooperation(p->verbal_cooperation());
    c->add_material_cooperation(p->material_cooperation());
    c->add_verbal_conflict(p->verbal_conflict());
    c->add_material_conflict(p->material_conflict());
  }
  out.daily = Bytes(daily);
  out.daily_columns = Bytes(columns);

  v1::GetTemperatureResponse nm;
  nm.set_position(12345678);
  nm.set_not_modified(true);
  nm.set_stream("CHN-USA");
  out.not_modified = Bytes(nm);
  return out;
}

// Parses the request as the query service does, then sends canned bytes.
class EchoQuery final
    : public v1::QueryService::WithRawCallbackMethod_GetTemperature<
          v1::QueryService::CallbackService> {
 public:
  EchoQuery() : canned_(MakeCannedSeries()) {}

  grpc::ServerUnaryReactor* GetTemperature(
      grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    v1::GetTemperatureRequest req;
    if (!ParseBuffer(*request, &req)) {
      reactor->Finish(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "parse"));
      return reactor;
    }
    const v1::SeriesOptions& o = req.options();
    const std::shared_ptr<const std::string>& body =
        o.if_changed_since() != 0                 ? canned_.not_modified
        : o.resolution() != v1::RESOLUTION_DAY    ? canned_.monthly
        : o.layout() == v1::SERIES_LAYOUT_COLUMNS ? canned_.daily_columns
                                                  : canned_.daily;
    *response = BufferOf({SharedSlice(body)});
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  const CannedSeries canned_;
};

// What the ingestion service answers for a committed batch, at the next
// positions, without looking at the events beyond their ids.
void FillCommitted(const v1::AppendRequest& req, std::atomic<uint64_t>& next,
                   v1::AppendResponse* resp) {
  const int n = req.entries_size();
  const uint64_t first = next.fetch_add(n);
  resp->set_first_position(first);
  resp->set_last_position(first + n - 1);
  resp->set_head_position(first + n - 1);
  resp->mutable_results()->Reserve(n);
  for (int i = 0; i < n; ++i) {
    v1::EntryResult* r = resp->add_results();
    r->set_event_id(req.entries(i).event_id());
    r->set_position(first + i);
    r->set_stream("CHN-USA");
    r->set_stream_revision(first + i);
  }
}

// One AppendStream: each batch read is answered as committed, in order.
class EchoAppendStream final
    : public grpc::ServerBidiReactor<v1::AppendStreamRequest,
                                     v1::AppendStreamResponse> {
 public:
  explicit EchoAppendStream(std::atomic<uint64_t>& next) : next_(next) {
    StartRead(&req_);
  }
  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    resp_.Clear();
    resp_.set_batch_id(req_.batch_id());
    FillCommitted(req_.batch(), next_, resp_.mutable_result());
    StartWrite(&resp_);
  }
  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"));
      return;
    }
    StartRead(&req_);
  }
  void OnDone() override { delete this; }

 private:
  std::atomic<uint64_t>& next_;
  v1::AppendStreamRequest req_;
  v1::AppendStreamResponse resp_;
};

// A whole-log Read of `messages` canned messages of 1,000 events each.
class EchoRead final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  EchoRead(std::shared_ptr<const std::string> message, uint64_t messages)
      : message_(std::move(message)), left_(messages) {
    Next();
  }
  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"));
      return;
    }
    Next();
  }
  void OnDone() override { delete this; }

 private:
  void Next() {
    if (left_ == 0) {
      Finish(grpc::Status::OK);
      return;
    }
    --left_;
    buffer_ = BufferOf({SharedSlice(message_)});
    StartWrite(&buffer_);
  }
  const std::shared_ptr<const std::string> message_;
  uint64_t left_;
  grpc::ByteBuffer buffer_;
};

// One canned ReadResponse: scenario 1's first 1,000 events as the log
// would return them.
std::shared_ptr<const std::string> CannedReadMessage() {
  SynthEvents gen({.seed = 7});
  BenchContext c;
  c.gen = &gen;
  v1::AppendRequest batch;
  FillBatch(c, 0, 1000, &batch);
  v1::ReadResponse resp;
  resp.set_head_position(12345678);
  for (int i = 0; i < batch.entries_size(); ++i) {
    v1::RecordedEvent* r = resp.add_events();
    v1::Event* e = r->mutable_event();
    *e = batch.entries(i);
    if (!e->has_goldstein()) e->set_goldstein(2.5);
    r->set_position(i + 1);
    r->set_stream(StreamName(e->source(), e->target()));
    r->set_stream_revision(i);
    r->mutable_recorded_at()->set_seconds(1795968000 + i);
    r->mutable_recorded_at()->set_nanos(123456789);
    r->set_quad_class(v1::QUAD_CLASS_VERBAL_COOPERATION);
  }
  return Bytes(resp);
}

class EchoIngest final : public v1::IngestService::WithRawCallbackMethod_Read<
                             v1::IngestService::CallbackService> {
 public:
  explicit EchoIngest(uint64_t read_events)
      : read_messages_(std::max<uint64_t>(read_events / 1000, 1)),
        read_message_(CannedReadMessage()) {}

  grpc::ServerWriteReactor<grpc::ByteBuffer>* Read(
      grpc::CallbackServerContext*, const grpc::ByteBuffer*) override {
    return new EchoRead(read_message_, read_messages_);
  }
  grpc::ServerUnaryReactor* Append(grpc::CallbackServerContext* ctx,
                                   const v1::AppendRequest* req,
                                   v1::AppendResponse* resp) override {
    FillCommitted(*req, next_, resp);
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  grpc::ServerBidiReactor<v1::AppendStreamRequest, v1::AppendStreamResponse>*
  AppendStream(grpc::CallbackServerContext*) override {
    return new EchoAppendStream(next_);
  }

 private:
  std::atomic<uint64_t> next_{1};
  const uint64_t read_messages_;
  const std::shared_ptr<const std::string> read_message_;
};

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

int RunEchoServer(const std::string& address, uint64_t read_events) {
  // As the services do: SIGINT/SIGTERM blocked in every thread for sigwait,
  // Abseil's mutex deadlock detection off.
  const sigset_t signals = StartServiceProcess(LoggingOptions{}, {});
  EchoQuery query;
  EchoIngest ingest(read_events);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials());
  builder.RegisterService(&query);
  builder.RegisterService(&ingest);
  builder.SetMaxReceiveMessageSize(64 << 20);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::fprintf(stderr, "echo server: cannot listen on %s\n", address.c_str());
    return 1;
  }
  WaitForShutdownSignal(signals);
  server->Shutdown();
  return 0;
}

void RunGrpcFloor(BenchContext& c, const std::string& self_exe,
                  const std::string& log_path) {
  const std::string address = FreeLoopbackAddress();
  // Scenario 3's replay, of at most 1M events.
  const uint64_t read_events =
      std::clamp<uint64_t>(c.config.events / 1000, 1, 1000) * 1000;
  ChildProcess echo = ChildProcess::Start(
      self_exe, {"--echo-server", address, std::to_string(read_events)},
      log_path);
  if (echo.pid() <= 0 || !WaitForListener(address, 15)) {
    Result r{.scenario = absl::StrCat(kFloor, "echo server"),
             .system = "grpc echo",
             .durability = "-"};
    r.note = "ERROR: the echo server did not start (log: " + log_path + ")";
    c.report->Add(r);
    return;
  }
  std::shared_ptr<grpc::Channel> channel = MakeChannel(address);

  // Scenario 1's streams and windows, for at most 300 batches.
  {
    IngestStubList stubs;
    stubs.push_back(v1::IngestService::NewStub(channel));
    const uint64_t batches =
        std::clamp<uint64_t>(c.config.events / 1000, 1, 300);
    Cpu cpu(echo.pid());
    LoadOutcome o = LoadBatches(c, stubs, batches);
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
  uint64_t next = 0;
  for (int concurrency : {1, c.config.concurrent_appenders}) {
    Cpu cpu(echo.pid());
    ClosedLoop<v1::AppendRequest, v1::AppendResponse> loop(
        [&](grpc::ClientContext* ctx, const v1::AppendRequest* q,
            v1::AppendResponse* r, std::function<void(grpc::Status)> done) {
          ingest->async()->Append(ctx, q, r, std::move(done));
        },
        [&](v1::AppendRequest& q, size_t) { FillBatch(c, next++, 1, &q); });
    LoopStats s = loop.Run(concurrency, c.config.seconds);
    Add(c,
        absl::StrCat("Append x1, ", concurrency,
                     concurrency == 1 ? " client" : " clients"),
        s, cpu, true, "canned answers: no validation, no log");
  }

  {
    Cpu cpu(echo.pid());
    ReplayOutcome o = ReplayAll({.address = address, .channel = channel});
    LoopStats s{.calls = o.events, .seconds = o.seconds, .latencies = o.gaps};
    if (!o.status.ok()) {
      s.errors = 1;
      s.first_error = o.status.error_message();
    }
    Add(c, "Read of the whole log", s, cpu, true,
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
