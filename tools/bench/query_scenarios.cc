// Scenarios 4-6: query-service catch-up, temperature queries, mixed run.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "detente/v1/ingest.grpc.pb.h"
#include "detente/v1/query.grpc.pb.h"
#include "tools/bench/closed_loop.h"
#include "tools/bench/proc_stats.h"
#include "tools/bench/scenarios.h"
#include "tools/bench/service_process.h"

namespace detente::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Micros(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}
double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

v1::GetStatusResponse QueryStatus(const ServiceHandle& q) {
  auto stub = v1::QueryService::NewStub(q.channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  v1::GetStatusRequest req;
  v1::GetStatusResponse resp;
  stub->GetStatus(&ctx, req, &resp);
  return resp;
}

// Waits until the query service has applied everything up to `head`.
bool WaitCaughtUp(const ServiceHandle& q, uint64_t head, double seconds) {
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(seconds));
  while (Clock::now() < end) {
    if (QueryStatus(q).projection_position() >= head) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// A live subscriber counting events and their delivery lag (now minus the
// commit time the log recorded).
class LiveSubscriber final
    : public grpc::ClientReadReactor<v1::SubscribeResponse> {
 public:
  LiveSubscriber(v1::IngestService::Stub& stub, uint64_t after) {
    req_.set_after_position(after);
    stub.async()->Subscribe(&ctx_, &req_, this);
    StartRead(&resp_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const double now_us =
        std::chrono::duration<double, std::micro>(now).count();
    {
      std::lock_guard lock(mu_);
      for (const v1::RecordedEvent& e : resp_.events()) {
        const double at = static_cast<double>(e.recorded_at().seconds()) * 1e6 +
                          e.recorded_at().nanos() / 1e3;
        lag_.Add(now_us - at);
        ++events_;
      }
    }
    StartRead(&resp_);
  }
  void OnDone(const grpc::Status& s) override {
    std::lock_guard lock(mu_);
    status_ = s;
    done_ = true;
    cv_.notify_all();
  }
  void StopAndWait() {
    ctx_.TryCancel();
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_; });
  }
  Latencies lag_;
  uint64_t events_ = 0;
  grpc::Status status_;

 private:
  grpc::ClientContext ctx_;
  v1::SubscribeRequest req_;
  v1::SubscribeResponse resp_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

// Dashboards: each polls its pair every `interval` with if_changed_since.
class Pollers {
 public:
  Pollers(BenchContext& c, int n, std::chrono::milliseconds interval)
      : c_(c), stub_(v1::QueryService::NewStub(c.query.channel)),
        slots_(n), interval_(interval) {}

  void Run(double seconds) {
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(seconds));
    for (size_t i = 0; i < slots_.size(); ++i) {
      slots_[i].due = start + interval_ * i / slots_.size();
    }
    while (Clock::now() < end) {
      const auto now = Clock::now();
      for (size_t i = 0; i < slots_.size(); ++i) {
        Slot& s = slots_[i];
        if (s.busy.load(std::memory_order_acquire) || s.due > now) continue;
        Issue(i);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (Slot& s : slots_) {
      while (s.busy.load(std::memory_order_acquire)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    seconds_ = Seconds(Clock::now() - start);
  }

  Latencies Merged() {
    Latencies l;
    for (Slot& s : slots_) l.Merge(s.lat);
    return l;
  }
  uint64_t calls() const {
    uint64_t n = 0;
    for (const Slot& s : slots_) n += s.calls;
    return n;
  }
  uint64_t not_modified() const {
    uint64_t n = 0;
    for (const Slot& s : slots_) n += s.not_modified;
    return n;
  }
  uint64_t errors() const {
    uint64_t n = 0;
    for (const Slot& s : slots_) n += s.errors;
    return n;
  }
  double seconds_ = 0;

 private:
  struct Slot {
    std::atomic<bool> busy{false};
    Clock::time_point due, t0;
    uint64_t position = 0;
    std::unique_ptr<grpc::ClientContext> ctx, prev;
    v1::GetTemperatureRequest req;
    v1::GetTemperatureResponse resp;
    Latencies lat;
    uint64_t calls = 0, not_modified = 0, errors = 0;
  };

  void Issue(size_t i) {
    Slot& s = slots_[i];
    s.busy.store(true, std::memory_order_relaxed);
    s.prev = std::move(s.ctx);
    s.ctx = std::make_unique<grpc::ClientContext>();
    s.req.Clear();
    FillSeries(c_, i, v1::RESOLUTION_MONTH, s.req);
    s.req.mutable_options()->set_if_changed_since(s.position);
    s.resp.Clear();
    s.t0 = Clock::now();
    s.due = s.t0 + interval_;
    stub_->async()->GetTemperature(
        s.ctx.get(), &s.req, &s.resp, [this, i](grpc::Status st) {
          Slot& s = slots_[i];
          s.lat.Add(Micros(Clock::now() - s.t0));
          ++s.calls;
          if (!st.ok()) {
            ++s.errors;
          } else if (s.resp.not_modified()) {
            ++s.not_modified;
          } else {
            s.position = s.resp.position();
          }
          s.busy.store(false, std::memory_order_release);
        });
  }

  BenchContext& c_;
  std::unique_ptr<v1::QueryService::Stub> stub_;
  std::vector<Slot> slots_;
  std::chrono::milliseconds interval_;
};

}  // namespace

void FillSeries(const BenchContext& c, uint64_t draw, v1::Resolution res,
                v1::GetTemperatureRequest& q) {
  auto [a, b] = c.gen->PairFor(draw);
  q.set_actor_a(a);
  q.set_actor_b(b);
  v1::SeriesOptions* o = q.mutable_options();
  o->set_from(c.config.series_from);
  o->set_to(c.config.series_to);
  o->set_resolution(res);
}

void RunCatchUp(BenchContext& c, const std::function<bool()>& start_query,
                bool settle) {
  const uint64_t head = IngestHead(c.ingest);
  const auto start = Clock::now();
  if (!start_query()) {
    std::fprintf(stderr, "scenario 4: cannot start detente-query\n");
    return;
  }
  CostMeter meter(c);
  CostMeter through_settled(c);
  const bool ok = WaitCaughtUp(c.query, head, 3600);
  const double secs = Seconds(Clock::now() - start);
  Result r{.scenario = "4 query-service catch-up, empty -> head",
           .system = "detente", .durability = "-"};
  r.rate = static_cast<double>(head) / secs;
  meter.Finish(r);
  r.note = absl::StrFormat("%d events in %.2f s (process start included)",
                           head, secs);
  if (!ok) absl::StrAppend(&r.note, "; DID NOT CATCH UP");
  if (const Result* f = c.report->Find("0f raw forward scan")) {
    r.floor_ratio = r.rate / f->rate;
    r.floor_name = "raw scan+decode";
  }
  c.report->Add(r);
  if (!ok || !settle) return;
  const std::optional<double> waited = WaitStorageSettled(
      c, c.query, "4s read models settled after the catch-up", "detente");
  if (!waited) return;
  Result b{.scenario = "4b catch-up through its compactions",
           .system = "detente",
           .durability = "-"};
  b.rate = static_cast<double>(head) / (secs + *waited);
  through_settled.Finish(b);
  b.note = absl::StrFormat(
      "%.2f s to the head + %.2f s until no compaction was pending or running",
      secs, *waited);
  c.report->Add(b);
}

namespace {

struct SeriesVariant {
  const char* name;
  v1::Resolution res;
  bool poll;
  bool columns;       // SERIES_LAYOUT_COLUMNS
  const char* floor;  // its row of the gRPC floor (grpc_floor.h)
};

constexpr SeriesVariant kMonthly{"5a temperature, 10 years monthly",
                                 v1::RESOLUTION_MONTH, false, false,
                                 "0g gRPC floor: series, 120 points"};
constexpr SeriesVariant kDaily{"5b temperature, 10 years daily",
                               v1::RESOLUTION_DAY, false, false,
                               "0g gRPC floor: series, 3652 points"};
constexpr SeriesVariant kDailyColumns{
    "5b temperature, 10 years daily, columns", v1::RESOLUTION_DAY, false, true,
    "0g gRPC floor: series as columns, 3652 points"};
constexpr SeriesVariant kNotModified{"5c poll answered not_modified",
                                     v1::RESOLUTION_MONTH, true, false,
                                     "0g gRPC floor: series, not_modified"};

// Each variant in a closed loop for c.config.seconds; `suffix` ends the
// rows' names.
void RunSeriesVariants(BenchContext& c,
                       std::initializer_list<SeriesVariant> variants,
                       const std::string& suffix) {
  auto stub = v1::QueryService::NewStub(c.query.channel);
  auto issue = [&](grpc::ClientContext* ctx, const v1::GetTemperatureRequest* q,
                   v1::GetTemperatureResponse* r,
                   std::function<void(grpc::Status)> done) {
    stub->async()->GetTemperature(ctx, q, r, std::move(done));
  };
  std::atomic<uint64_t> draw{0};
  std::atomic<uint64_t> points{0}, not_modified{0};
  const int k = c.config.query_concurrency;
  // Positions of each poll slot's pair, fetched before the clock starts.
  std::vector<uint64_t> positions(k);
  for (const SeriesVariant& v : variants) {
    if (v.poll) {
      for (int i = 0; i < k; ++i) {
        grpc::ClientContext ctx;
        v1::GetTemperatureRequest q;
        v1::GetTemperatureResponse r;
        FillSeries(c, i, v.res, q);
        stub->GetTemperature(&ctx, q, &r);
        positions[i] = r.position();
      }
    }
    points = 0;
    not_modified = 0;
    CostMeter meter(c);
    ClosedLoop<v1::GetTemperatureRequest, v1::GetTemperatureResponse> loop(
        issue,
        [&](v1::GetTemperatureRequest& q, size_t slot) {
          q.Clear();
          FillSeries(c, v.poll ? slot : draw.fetch_add(1), v.res, q);
          if (v.poll)
            q.mutable_options()->set_if_changed_since(positions[slot]);
          if (v.columns) {
            q.mutable_options()->set_layout(v1::SERIES_LAYOUT_COLUMNS);
          }
        },
        [&](const v1::GetTemperatureResponse& r, size_t) {
          points += r.points_size() + r.columns().temperature_size();
          not_modified += r.not_modified();
        });
    LoopStats s = loop.Run(k, c.config.seconds);
    Result r{.scenario = v.name + suffix,
             .system = "detente",
             .durability = "-",
             .unit = "req/s"};
    r.rate = static_cast<double>(s.calls) / s.seconds;
    r.SetLatencies(s.latencies);
    meter.Finish(r);
    r.note = absl::StrFormat("%d in flight; %.0f points/answer", k,
                             s.calls ? static_cast<double>(points) / s.calls : 0);
    if (v.poll) {
      absl::StrAppend(&r.note, "; ", not_modified.load(), "/", s.calls,
                      " not_modified");
    }
    if (s.errors > 0) {
      absl::StrAppend(&r.note, "; ERRORS ", s.errors, ": ", s.first_error);
    }
    CompareToFloor(*c.report, v.floor, "gRPC floor", r);
    c.report->Add(r);
  }
}

}  // namespace

void RunTemperatureQueries(BenchContext& c) {
  WaitCaughtUp(c.query, IngestHead(c.ingest), 600);
  RunSeriesVariants(c, {kMonthly, kDaily, kDailyColumns, kNotModified}, "");
}

void RunSettledQueries(BenchContext& c) {
  if (WaitStorageSettled(
          c, c.query, "5e read models settled (compactions done)", "detente")) {
    RunSeriesVariants(c, {kMonthly, kDaily}, ", settled");
  }
}

// 5d: what the dashboards do (web/): GET a pair's monthly series with the
// ETag of their last answer, answered 304 while the pair is unchanged.
// `query_concurrency` threads, each with its own keep-alive connection.
void RunHttpPolls(BenchContext& c) {
  // Not a structured binding: the threads below capture them (clang 14).
  const std::pair<std::string, int> address =
      SplitHostPort(c.query.http_address);
  const std::string& host = address.first;
  const int port = address.second;
  if (port == 0) {
    std::fprintf(stderr, "scenario 5d: no HTTP address (--query-http)\n");
    return;
  }
  const int k = c.config.query_concurrency;
  auto target = [&](int slot) {
    auto [a, b] = c.gen->PairFor(static_cast<uint64_t>(slot));
    return absl::StrCat("/v1/pairs/", a, "/", b, "/temperature?from=",
                        c.config.series_from, "&to=", c.config.series_to,
                        "&resolution=month");
  };
  std::vector<Latencies> lats(k);
  std::vector<uint64_t> calls(k), not_modified(k), errors(k);
  std::vector<std::string> first_error(k);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  std::atomic<int> ready{0};
  std::mutex mu;
  std::condition_variable cv;
  bool go = false;
  for (int i = 0; i < k; ++i) {
    threads.emplace_back([&, i] {
      httplib::Client http(host, port);
      http.set_keep_alive(true);
      const std::string path = target(i);
      std::string etag;
      if (auto r = http.Get(path); r && r->status == 200) {
        etag = r->get_header_value("ETag");
      }
      ready.fetch_add(1);
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return go; });
      }
      const httplib::Headers headers = {{"If-None-Match", etag}};
      while (!stop.load(std::memory_order_relaxed)) {
        const auto t0 = Clock::now();
        auto r = http.Get(path, headers);
        lats[i].Add(Micros(Clock::now() - t0));
        ++calls[i];
        if (!r) {
          if (errors[i]++ == 0) first_error[i] = httplib::to_string(r.error());
        } else if (r->status == 304) {
          ++not_modified[i];
        } else if (r->status != 200) {
          if (errors[i]++ == 0) first_error[i] = absl::StrCat("HTTP ", r->status);
        }
      }
    });
  }
  while (ready.load() < k) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CostMeter cost(c);
  const auto start = Clock::now();
  {
    std::lock_guard lock(mu);
    go = true;
  }
  cv.notify_all();
  std::this_thread::sleep_for(std::chrono::duration<double>(c.config.seconds));
  stop = true;
  for (std::thread& t : threads) t.join();
  const double secs = Seconds(Clock::now() - start);
  Latencies all;
  uint64_t n = 0, nm = 0, err = 0;
  std::string first;
  for (int i = 0; i < k; ++i) {
    all.Merge(lats[i]);
    n += calls[i];
    nm += not_modified[i];
    err += errors[i];
    if (first.empty()) first = first_error[i];
  }
  Result r{.scenario = "5d HTTP poll answered 304 (If-None-Match)",
           .system = "detente", .durability = "-", .unit = "req/s"};
  r.rate = static_cast<double>(n) / secs;
  r.SetLatencies(all);
  cost.Finish(r);
  r.note = absl::StrFormat("%d connections; %d/%d answered 304", k, nm, n);
  if (err > 0) absl::StrAppend(&r.note, "; ERRORS ", err, ": ", first);
  c.report->Add(r);
}

void RunMixed(BenchContext& c) {
  auto ingest_stub = v1::IngestService::NewStub(c.ingest.channel);
  WaitCaughtUp(c.query, IngestHead(c.ingest), 600);
  const double secs = c.config.mixed_seconds;
  const uint64_t head0 = IngestHead(c.ingest);
  CostMeter meter(c);

  // Memory, sampled through the run.
  std::atomic<bool> sampling{true};
  std::vector<ProcSample> ingest_mem, query_mem;
  std::thread sampler([&] {
    while (sampling) {
      ingest_mem.push_back(SampleProc(c.ingest.pid));
      query_mem.push_back(SampleProc(c.query.pid));
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  });

  std::vector<std::unique_ptr<LiveSubscriber>> subs;
  for (int i = 0; i < c.config.subscribers; ++i) {
    subs.push_back(std::make_unique<LiveSubscriber>(*ingest_stub, head0));
  }
  ReplayOutcome replay;
  std::thread replayer([&] { replay = ReplayAll(c.ingest); });
  Pollers pollers(c, c.config.pollers,
                  std::chrono::milliseconds(c.config.poll_interval_ms));
  std::thread poller_thread([&] { pollers.Run(secs); });

  ClosedLoop<v1::AppendRequest, v1::AppendResponse> writers(
      [&](grpc::ClientContext* ctx, const v1::AppendRequest* q,
          v1::AppendResponse* r, std::function<void(grpc::Status)> done) {
        ingest_stub->async()->Append(ctx, q, r, std::move(done));
      },
      [&](v1::AppendRequest& q, size_t) {
        FillBatch(c, c.next_index.fetch_add(10), 10, &q);
      });
  LoopStats w = writers.Run(c.config.mixed_writers, secs);
  poller_thread.join();
  // Let subscribers drain the last commits.
  const uint64_t head1 = IngestHead(c.ingest);
  const auto drain_end = Clock::now() + std::chrono::seconds(10);
  auto delivered = [&] {
    uint64_t n = 0;
    for (auto& s : subs) n += s->events_;
    return n;
  };
  while (delivered() < (head1 - head0) * subs.size() &&
         Clock::now() < drain_end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Latencies lag;
  for (auto& s : subs) {
    s->StopAndWait();
    lag.Merge(s->lag_);
  }
  replayer.join();
  sampling = false;
  sampler.join();

  Result rw{.scenario = "6 mixed: writers (Append x10)", .system = "detente",
            .durability = "fsync"};
  rw.rate = static_cast<double>(w.calls - w.errors) * 10 / w.seconds;
  rw.SetLatencies(w.latencies);
  meter.Finish(rw);
  rw.note = absl::StrCat(c.config.mixed_writers, " writers");
  if (w.errors) absl::StrAppend(&rw.note, "; ERRORS ", w.errors, ": ", w.first_error);
  c.report->Add(rw);

  Result rp{.scenario = "6 mixed: dashboard polls", .system = "detente",
            .durability = "-", .unit = "req/s"};
  rp.rate = static_cast<double>(pollers.calls()) / pollers.seconds_;
  Latencies pl = pollers.Merged();
  rp.SetLatencies(pl);
  rp.note = absl::StrCat(c.config.pollers, " clients every ",
                         c.config.poll_interval_ms, " ms; ",
                         pollers.not_modified(), "/", pollers.calls(),
                         " not_modified, ", pollers.errors(), " errors");
  c.report->Add(rp);

  Result rs{.scenario = "6 mixed: subscribers (latency = commit->client)",
            .system = "detente", .durability = "-"};
  rs.rate = static_cast<double>(delivered()) / secs;
  rs.SetLatencies(lag);
  rs.note = absl::StrCat(subs.size(), " subscribers, ", delivered(), " of ",
                         (head1 - head0) * subs.size(), " deliveries");
  c.report->Add(rs);

  Result rr{.scenario = "6 mixed: full replay", .system = "detente",
            .durability = "-"};
  rr.rate = replay.seconds > 0 ? static_cast<double>(replay.events) / replay.seconds : 0;
  rr.SetLatencies(replay.gaps);
  rr.note = absl::StrCat(replay.events, " events");
  if (!replay.status.ok()) absl::StrAppend(&rr.note, "; ERROR ", replay.status.error_message());
  c.report->Add(rr);

  auto flat = [](const std::vector<ProcSample>& v) {
    uint64_t lo = UINT64_MAX, hi = 0;
    for (const ProcSample& s : v) {
      if (!s.ok) continue;
      lo = std::min(lo, s.rss_bytes);
      hi = std::max(hi, s.rss_bytes);
    }
    if (hi == 0) return std::string("not measured");
    const double mib = 1 << 20;
    return absl::StrFormat("RSS %.0f..%.0f MiB (first %.0f, last %.0f)",
                           lo / mib, hi / mib, v.front().rss_bytes / mib,
                           v.back().rss_bytes / mib);
  };
  Result rm{.scenario = "6 mixed: memory", .system = "detente",
            .durability = "-", .unit = "-"};
  meter.Finish(rm);
  rm.note = absl::StrCat("ingest ", flat(ingest_mem), "; query ",
                         flat(query_mem));
  c.report->Add(rm);
}

}  // namespace detente::bench
