// Scenarios 1-3: bulk load, unary appends, replay.
#include <grpcpp/generic/generic_stub.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "detente/v1/ingest.grpc.pb.h"
#include "services/common/event_mapping.h"
#include "tools/bench/closed_loop.h"
#include "tools/bench/encoded_batches.h"
#include "tools/bench/ingest_nodes.h"
#include "tools/bench/replay_wire.pb.h"
#include "tools/bench/scenarios.h"

namespace detente::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Micros(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}
double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Wire events of the generator's first `n` indexes: templates whose ids are
// replaced per use so that every appended event is new.
const std::vector<v1::Event>& WirePool(const SynthEvents& gen) {
  static const std::vector<v1::Event> pool = [&] {
    std::vector<v1::Event> p(kPoolSize);
    for (size_t i = 0; i < p.size(); ++i) ToProto(gen.Make(i), &p[i]);
    return p;
  }();
  return pool;
}

// The load's requests, encoded by hand (encoded_batches.h): built once,
// before a clock starts.
const EncodedBatches& LoadEncoder(const BenchContext& c) {
  static const EncodedBatches encoder(*c.gen, c.config);
  return encoder;
}

// One AppendStream, `batches` batches of 1000, up to `window` unanswered.
// Its requests go out as the bytes EncodedBatches writes (a generic call of
// the same method): the same bytes protobuf would write.
class LoadStream final
    : public grpc::ClientBidiReactor<grpc::ByteBuffer,
                                     v1::AppendStreamResponse> {
 public:
  LoadStream(BenchContext& c, const std::shared_ptr<grpc::Channel>& channel,
             uint64_t batches, int window)
      : c_(c),
        encoder_(LoadEncoder(c)),
        batches_(batches),
        slots_(window),
        sent_at_(window) {
    grpc::TemplatedGenericStub<grpc::ByteBuffer, v1::AppendStreamResponse> stub(
        channel);
    stub.PrepareBidiStreamingCall(&ctx_,
                                  "/detente.v1.IngestService/AppendStream",
                                  grpc::StubOptions(), this);
  }

  void Start() {
    StartRead(&resp_);
    StartCall();
    std::lock_guard lock(mu_);
    MaybeWrite();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    writing_ = false;
    if (!ok) return;
    MaybeWrite();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    {
      std::lock_guard lock(mu_);
      latencies_.Add(Micros(Clock::now() - sent_at_[acked_ % slots_.size()]));
      ++acked_;
      if (resp_.has_error() && errors_++ == 0) {
        first_error_ = resp_.error().message();
      }
      events_ += resp_.result().appended() + resp_.result().duplicates();
      MaybeWrite();
    }
    if (acked_ < batches_) {
      StartRead(&resp_);
    } else {
      StartWritesDone();
    }
  }

  void OnDone(const grpc::Status& s) override {
    std::lock_guard lock(mu_);
    status_ = s;
    done_ = true;
    cv_.notify_all();
  }

  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_; });
  }

  Latencies latencies_;
  uint64_t events_ = 0, errors_ = 0;
  std::string first_error_;
  grpc::Status status_;

 private:
  // Requires mu_.
  void MaybeWrite() {
    if (writing_ || sent_ >= batches_ || sent_ - acked_ >= slots_.size()) {
      return;
    }
    const size_t slot = sent_ % slots_.size();
    const uint64_t first = c_.next_index.fetch_add(1000);
    encoder_.Encode(sent_, first, 1000,
                    c_.config.load_summary ? v1::RESULT_DETAIL_SUMMARY
                                           : v1::RESULT_DETAIL_ENTRIES,
                    &bytes_);
    grpc::Slice slice(bytes_);
    slots_[slot] = grpc::ByteBuffer(&slice, 1);
    sent_at_[slot] = Clock::now();
    ++sent_;
    writing_ = true;
    StartWrite(&slots_[slot]);
  }

  BenchContext& c_;
  const EncodedBatches& encoder_;
  grpc::ClientContext ctx_;
  const uint64_t batches_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string bytes_;  // the request being encoded
  std::vector<grpc::ByteBuffer> slots_;
  std::vector<Clock::time_point> sent_at_;
  v1::AppendStreamResponse resp_;
  uint64_t sent_ = 0, acked_ = 0;
  bool writing_ = false, done_ = false;
};

// A whole Read on the callback API. `Response` is v1::ReadResponse (every
// event decoded into a RecordedEvent) or bench::ReadResponseEvents (each
// event kept as its bytes, replay_wire.proto).
template <typename Response>
class ReplayReader final : public grpc::ClientReadReactor<Response> {
 public:
  // What the generated stub does, with `Response` in place of
  // v1::ReadResponse.
  ReplayReader(grpc::Channel& channel, const v1::ReadRequest& req)
      : method_("/detente.v1.IngestService/Read",
                grpc::internal::RpcMethod::SERVER_STREAMING) {
    grpc::internal::ClientCallbackReaderFactory<Response>::Create(
        &channel, method_, &ctx_, &req, this);
    last_ = Clock::now();
    this->StartRead(&resp_);
    this->StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    const auto now = Clock::now();
    gaps_.Add(Micros(now - last_));
    last_ = now;
    const int n = resp_.events_size();
    events_ += n;
    bytes_ += Bytes();
    if (n > 0) last_position_ = LastPosition();
    this->StartRead(&resp_);
  }
  void OnDone(const grpc::Status& s) override {
    std::lock_guard lock(mu_);
    status_ = s;
    done_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_; });
  }

  Latencies gaps_;
  uint64_t events_ = 0, last_position_ = 0, bytes_ = 0;
  grpc::Status status_;

 private:
  uint64_t LastPosition();
  uint64_t Bytes() const;  // of the message's events, when kept as bytes

  const grpc::internal::RpcMethod method_;
  grpc::ClientContext ctx_;
  Response resp_;
  Clock::time_point last_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

template <>
uint64_t ReplayReader<v1::ReadResponse>::LastPosition() {
  return resp_.events(resp_.events_size() - 1).position();
}

template <>
uint64_t ReplayReader<v1::ReadResponse>::Bytes() const {
  return 0;
}

// The bytes are counted, as nats_bench counts its messages' payloads; only
// the message's last event is decoded, for its position.
template <>
uint64_t ReplayReader<ReadResponseEvents>::Bytes() const {
  uint64_t n = 0;
  for (const std::string& e : resp_.events()) n += e.size();
  return n;
}

template <>
uint64_t ReplayReader<ReadResponseEvents>::LastPosition() {
  v1::RecordedEvent last;
  if (!last.ParseFromString(resp_.events(resp_.events_size() - 1))) return 0;
  return last.position();
}

}  // namespace

void FillBatch(const BenchContext& c, uint64_t first, int n,
               v1::AppendRequest* req) {
  const auto& pool = WirePool(*c.gen);
  auto* entries = req->mutable_entries();
  while (entries->size() > n) entries->RemoveLast();
  while (entries->size() < n) entries->Add();
  for (int i = 0; i < n; ++i) {
    v1::Event* e = entries->Mutable(i);
    *e = pool[(first + i) % pool.size()];
    c.gen->EventIdInto(first + i, e->mutable_event_id());
    if (c.config.dates_across_log) {
      e->set_occurred_on(c.gen->DateAcross(first + i, c.config.events));
    }
  }
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                   args);
}

bool WaitForIngest(const ServiceHandle& s, double seconds) {
  auto stub = v1::IngestService::NewStub(s.channel);
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(seconds));
  while (Clock::now() < end) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(500));
    v1::GetInfoRequest req;
    v1::GetInfoResponse resp;
    if (stub->GetInfo(&ctx, req, &resp).ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

static v1::GetInfoResponse Info(const ServiceHandle& s) {
  auto stub = v1::IngestService::NewStub(s.channel);
  grpc::ClientContext ctx;
  v1::GetInfoRequest req;
  v1::GetInfoResponse resp;
  stub->GetInfo(&ctx, req, &resp);
  return resp;
}
uint64_t IngestHead(const ServiceHandle& s) { return Info(s).head_position(); }
uint64_t IngestDiskBytes(const ServiceHandle& s) {
  return Info(s).disk_bytes();
}

void PrepareLoad(const BenchContext& c) { LoadEncoder(c); }

LoadOutcome LoadBatches(BenchContext& c, const IngestChannelList& channels,
                        uint64_t batches) {
  const int n = std::max(c.config.load_streams, 1);
  LoadEncoder(c);  // built before the clock starts
  const auto start = Clock::now();
  std::vector<std::unique_ptr<LoadStream>> streams;
  for (int i = 0; i < n; ++i) {
    const uint64_t b = batches / n + (static_cast<uint64_t>(i) < batches % n);
    streams.push_back(std::make_unique<LoadStream>(
        c, channels[i % channels.size()], b, c.config.load_window));
  }
  for (auto& s : streams) s->Start();
  LoadOutcome o;
  for (auto& s : streams) {
    s->Wait();
    o.latencies.Merge(s->latencies_);
    o.events += s->events_;
    o.errors += s->errors_;
    if (o.first_error.empty()) o.first_error = s->first_error_;
    if (!s->status_.ok() && o.first_error.empty()) {
      o.first_error = s->status_.error_message();
      ++o.errors;
    }
  }
  o.seconds = Seconds(Clock::now() - start);
  return o;
}

void RunBulkLoad(BenchContext& c) {
  PrepareLoad(c);  // the encoded pool, before the clock starts
  const uint64_t batches = std::max<uint64_t>(c.config.events / 1000, 1);
  const int n = std::max(c.config.load_streams, 1);
  const uint64_t head0 = IngestHead(c.ingest);
  CostMeter meter(c);
  LoadOutcome o = LoadBatches(c, IngestChannels(c), batches);
  Result r{.scenario = "1 bulk load AppendStream x1000",
           .system = c.system,
           .durability = c.durability};
  r.rate = static_cast<double>(o.events) / o.seconds;
  r.SetLatencies(o.latencies);
  meter.Finish(r);
  const uint64_t head = IngestHead(c.ingest);
  r.note = absl::StrCat(
      n, " streams, window ", c.config.load_window,
      c.config.load_summary ? ", summary answers" : ", an answer per entry",
      ", latency per batch; head ", head0, "->", head);
  if (const std::string nodes = NodesNote(c, "stream"); !nodes.empty()) {
    absl::StrAppend(&r.note, "; ", nodes);
  }
  if (o.errors > 0) {
    absl::StrAppend(&r.note, "; ERRORS ", o.errors, ": ", o.first_error);
  }
  if (const Result* f = c.report->Find("0a raw batches")) {
    r.floor_ratio = r.rate / f->rate;
    r.floor_name = "raw fsync batches";
  }
  if (c.ingest_nodes.size() <= 1) {
    CompareToFloor(*c.report, "0g gRPC floor: AppendStream", "gRPC floor", r);
  }
  c.report->Add(r);
}

void RunUnaryAppends(BenchContext& c, const std::string& suffix) {
  WirePool(*c.gen);
  const IngestStubList stubs = IngestStubs(c);
  for (int concurrency : {1, c.config.concurrent_appenders}) {
    CostMeter meter(c);
    ClosedLoop<v1::AppendRequest, v1::AppendResponse> loop(
        [&](size_t slot, grpc::ClientContext* ctx, const v1::AppendRequest* q,
            v1::AppendResponse* r, std::function<void(grpc::Status)> done) {
          NodeStub(stubs, slot).async()->Append(ctx, q, r, std::move(done));
        },
        [&](v1::AppendRequest& q, size_t) {
          FillBatch(c, c.next_index.fetch_add(1), 1, &q);
        });
    LoopStats s = loop.Run(concurrency, c.config.seconds);
    Result r{.scenario = absl::StrCat("2", concurrency == 1 ? "a" : "b",
                                      " unary Append x1, ", concurrency,
                                      concurrency == 1 ? " client" : " clients",
                                      suffix),
             .system = c.system,
             .durability = c.durability};
    r.rate = static_cast<double>(s.calls - s.errors) / s.seconds;
    r.SetLatencies(s.latencies);
    meter.Finish(r);
    if (s.errors > 0) r.note = absl::StrCat("ERRORS ", s.errors, ": ", s.first_error);
    if (const std::string nodes = NodesNote(c, "client"); !nodes.empty()) {
      absl::StrAppend(&r.note, r.note.empty() ? "" : "; ", nodes);
    }
    if (concurrency == 1) {
      // (A cluster commit is a JetStream quorum write, not an fsync.)
      const Result* f = c.report->Find("0 fsync");
      if (f != nullptr && c.ingest_nodes.size() <= 1) {
        absl::StrAppend(&r.note, r.note.empty() ? "" : "; ",
                        "p50 - fsync p50 = ", static_cast<int>(r.p50_us - f->p50_us),
                        " us");
        if (const Result* j = c.report->Find("0j raw single")) {
          absl::StrAppend(&r.note, "; p50 - idle raw commit p50 = ",
                          static_cast<int>(r.p50_us - j->p50_us), " us");
        }
      }
      if (const Result* f = c.report->Find("0b raw single")) {
        r.floor_ratio = r.rate / f->rate;
        r.floor_name = "raw single commits";
      }
    } else if (const Result* f = c.report->Find("0c raw")) {
      r.floor_ratio = r.rate / f->rate;
      r.floor_name = "raw concurrent commits";
    }
    if (c.ingest_nodes.size() <= 1) {
      CompareToFloor(*c.report,
                     absl::StrCat("0g gRPC floor: Append x1, ", concurrency,
                                  concurrency == 1 ? " client" : " clients"),
                     "gRPC floor", r);
      if (const Result* g =
              concurrency == 1
                  ? c.report->Find("0g gRPC floor: Append x1, 1 client")
                  : nullptr) {
        absl::StrAppend(
            &r.note, "; gRPC floor p50 = ", static_cast<int>(g->p50_us), " us");
      }
    }
    c.report->Add(r);
  }
}

void RunSettledAppends(BenchContext& c) {
  if (WaitStorageSettled(c, c.ingest,
                         "2c ingestion service settled (compactions done)",
                         c.system)) {
    RunUnaryAppends(c, ", settled");
  }
}

namespace {

template <typename Response>
ReplayOutcome Replay(grpc::Channel& channel, const std::string& stream) {
  const auto start = Clock::now();
  v1::ReadRequest req;
  req.set_batch_size(1000);
  if (!stream.empty()) req.mutable_filter()->set_stream(stream);
  ReplayReader<Response> reader(channel, req);
  reader.Wait();
  ReplayOutcome o;
  o.seconds = Seconds(Clock::now() - start);
  o.events = reader.events_;
  o.last_position = reader.last_position_;
  o.bytes = reader.bytes_;
  o.gaps = reader.gaps_;
  o.status = reader.status_;
  return o;
}

}  // namespace

ReplayOutcome ReplayAll(const ServiceHandle& ingest, const std::string& stream,
                        ReplayClient client) {
  return client == ReplayClient::kDecodes
             ? Replay<v1::ReadResponse>(*ingest.channel, stream)
             : Replay<ReadResponseEvents>(*ingest.channel, stream);
}

namespace {

// A replay's row: `what` read (the whole log, or one stream) in the time
// the outcome took, with the service's costs.
Result ReplayRow(BenchContext& c, const char* scenario,
                 const std::function<ReplayOutcome()>& replay,
                 const std::function<std::string(uint64_t events)>& what) {
  CostMeter meter(c);
  ReplayOutcome o = replay();
  Result r{.scenario = scenario, .system = "detente", .durability = "-"};
  r.rate = static_cast<double>(o.events) / o.seconds;
  r.SetLatencies(o.gaps);
  meter.Finish(r);
  r.note = absl::StrCat(what(o.events), "; latency = gap between messages");
  if (!o.status.ok()) {
    absl::StrAppend(&r.note, "; ERROR ", o.status.error_message());
  }
  return r;
}

}  // namespace

void RunReplay(BenchContext& c) {
  const uint64_t head = IngestHead(c.ingest);
  for (ReplayClient client : {ReplayClient::kDecodes, ReplayClient::kBytes}) {
    const bool bytes = client == ReplayClient::kBytes;
    uint64_t last = 0, payload = 0;
    Result r = ReplayRow(
        c,
        bytes ? "3c replay of the whole log (Read), events as bytes"
              : "3 replay of the whole log (Read)",
        [&] {
          ReplayOutcome o = ReplayAll(c.ingest, "", client);
          last = o.last_position;
          payload = o.bytes;
          return o;
        },
        [&](uint64_t events) {
          std::string s = absl::StrCat(events, " of ", head, " events");
          if (last != head) absl::StrAppend(&s, "; ERROR last position ", last);
          if (bytes) {
            absl::StrAppend(&s, ", ", payload / std::max<uint64_t>(events, 1),
                            " bytes each; the client decodes none (as "
                            "nats_bench takes JetStream's)");
          }
          return s;
        });
    if (const Result* f = c.report->Find("0e raw forward scan")) {
      r.floor_ratio = r.rate / f->rate;
      r.floor_name = "raw scan";
    }
    CompareToFloor(
        *c.report,
        bytes ? "0g gRPC floor: Read (events as bytes) of the whole log"
              : "0g gRPC floor: Read of the whole log",
        "gRPC floor", r);
    c.report->Add(r);
  }

  // 3b: the busiest pair's stream whole, through the stream index.
  const auto& [a, b] = c.gen->pair(0);
  const std::string stream = absl::StrCat(std::min(a, b), "-", std::max(a, b));
  c.report->Add(ReplayRow(
      c, "3b replay of one stream (Read, stream filter)",
      [&] { return ReplayAll(c.ingest, stream); },
      [&](uint64_t events) {
        return absl::StrCat(events, " events of ", stream);
      }));
}

}  // namespace detente::bench
