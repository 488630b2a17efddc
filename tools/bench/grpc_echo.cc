#include "tools/bench/grpc_echo.h"

#include <google/protobuf/arena.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <random>

#include "absl/strings/str_format.h"
#include "detente/v1/ingest.grpc.pb.h"
#include "detente/v1/query.grpc.pb.h"
#include "domain/actors.h"
#include "domain/date.h"
#include "services/common/byte_buffers.h"
#include "services/common/process.h"
#include "services/ingest/append_arena.h"
#include "services/ingest/lenient.pb.h"
#include "tools/bench/scenarios.h"
#include "tools/bench/synth_events.h"

namespace detente::bench {
namespace {

std::string Iso(DayNumber d) {
  const CivilDay c = FromDayNumber(d);
  return absl::StrFormat("%04d-%02d-%02d", c.year, c.month, c.day);
}

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

}  // namespace

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

namespace {

// Parses the request as the query service does, then sends canned bytes.
class EchoQuery final
    : public v1::QueryService::WithRawCallbackMethod_GetTemperature<
          v1::QueryService::Service> {
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
// positions, without looking at the events beyond their ids (none in a
// summary answer). Built on an
// arena and sent as bytes, as the service does.
void AnswerCommitted(const ingest::lenient::AppendRequest& req,
                     std::atomic<uint64_t>& next, grpc::ByteBuffer* out,
                     uint64_t batch_id = 0, bool stream = false) {
  AppendArena arena;
  auto& resp =
      *google::protobuf::Arena::CreateMessage<v1::AppendStreamResponse>(
          arena.get());
  v1::AppendResponse* r = resp.mutable_result();
  const int n = req.entries_size();
  const uint64_t first = next.fetch_add(n);
  r->set_first_position(first);
  r->set_last_position(first + n - 1);
  r->set_head_position(first + n - 1);
  r->set_appended(static_cast<uint32_t>(n));
  const int results = req.result_detail() == v1::RESULT_DETAIL_SUMMARY ? 0 : n;
  r->mutable_results()->Reserve(results);
  for (int i = 0; i < results; ++i) {
    v1::EntryResult* e = r->add_results();
    e->set_event_id(req.entries(i).event_id());
    e->set_position(first + i);
    e->set_stream("CHN-USA");
    e->set_stream_revision(first + i);
  }
  resp.set_batch_id(batch_id);
  const std::string bytes =
      stream ? resp.SerializeAsString() : r->SerializeAsString();
  grpc::Slice slice(bytes);
  *out = grpc::ByteBuffer(&slice, 1);
}

// One AppendStream, pipelined as the service's: up to kWindow batches are
// read ahead of the oldest unanswered one; answers go out in order, one
// write at a time.
class EchoAppendStream final
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  static constexpr size_t kWindow = 4;

  explicit EchoAppendStream(std::atomic<uint64_t>& next) : next_(next) {
    reading_ = true;
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    std::unique_ptr<grpc::ByteBuffer> answer;
    if (ok) {
      AppendArena arena;
      auto& req = *google::protobuf::Arena::CreateMessage<
          ingest::lenient::AppendStreamRequest>(arena.get());
      if (ParseBuffer(in_, &req)) {
        answer = std::make_unique<grpc::ByteBuffer>();
        AnswerCommitted(req.batch(), next_, answer.get(), req.batch_id(), true);
      }
    }
    std::lock_guard lock(mu_);
    reading_ = false;
    if (!answer) {
      read_closed_ = true;
    } else {
      answers_.push_back(std::move(answer));
    }
    Step();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    writing_ = false;
    answers_.pop_front();
    if (!ok) read_closed_ = true;
    Step();
  }

  void OnDone() override { delete this; }

 private:
  // Requires mu_: the next write, the next read, or the end.
  void Step() {
    if (!writing_ && !answers_.empty()) {
      writing_ = true;
      StartWrite(answers_.front().get());
    }
    if (!reading_ && !read_closed_ && answers_.size() < kWindow) {
      reading_ = true;
      StartRead(&in_);
    }
    if (read_closed_ && !reading_ && !writing_ && !finished_) {
      finished_ = true;
      Finish(grpc::Status::OK);
    }
  }

  std::atomic<uint64_t>& next_;
  grpc::ByteBuffer in_;  // read into only while reading_
  std::mutex mu_;
  std::deque<std::unique_ptr<grpc::ByteBuffer>> answers_;  // guarded by mu_
  bool reading_ = false, writing_ = false;                 // guarded by mu_
  bool read_closed_ = false, finished_ = false;            // guarded by mu_
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

class EchoIngest final
    : public v1::IngestService::WithRawCallbackMethod_Append<
          v1::IngestService::WithRawCallbackMethod_AppendStream<
              v1::IngestService::WithRawCallbackMethod_Read<
                  v1::IngestService::Service>>> {
 public:
  explicit EchoIngest(uint64_t read_events)
      : read_messages_(std::max<uint64_t>(read_events / 1000, 1)),
        read_message_(CannedReadMessage()) {}

  grpc::ServerUnaryReactor* Append(grpc::CallbackServerContext* ctx,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    AppendArena arena;
    auto& req =
        *google::protobuf::Arena::CreateMessage<ingest::lenient::AppendRequest>(
            arena.get());
    if (!ParseBuffer(*request, &req)) {
      reactor->Finish(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "parse"));
      return reactor;
    }
    AnswerCommitted(req, next_, response);
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* AppendStream(
      grpc::CallbackServerContext*) override {
    return new EchoAppendStream(next_);
  }

  grpc::ServerWriteReactor<grpc::ByteBuffer>* Read(
      grpc::CallbackServerContext*, const grpc::ByteBuffer* request) override {
    v1::ReadRequest req;  // parsed as the service does, then not used
    ParseBuffer(*request, &req);
    return new EchoRead(read_message_, read_messages_);
  }

 private:
  std::atomic<uint64_t> next_{1};
  const uint64_t read_messages_;
  const std::shared_ptr<const std::string> read_message_;
};

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

}  // namespace detente::bench
