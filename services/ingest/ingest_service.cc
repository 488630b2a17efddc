#include "services/ingest/ingest_service.h"

#include <google/protobuf/arena.h>

#include <deque>
#include <mutex>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/field_violation.h"
#include "common/status_macros.h"
#include "common/wire.h"
#include "domain/validation.h"
#include "eventlog/read_ahead.h"
#include "eventlog/subscription.h"
#include "services/common/byte_buffers.h"
#include "services/common/event_mapping.h"
#include "services/common/grpc_status.h"
#include "services/common/recorded_wire.h"
#include "services/ingest/append_arena.h"
#include "services/ingest/lenient.pb.h"

namespace detente {
namespace {

template <typename Request>
absl::StatusOr<ExpectedRevision> ExpectedFromProto(const Request& req) {
  switch (static_cast<int>(req.expected_revision_kind())) {
    case v1::EXPECTED_REVISION_KIND_UNSPECIFIED:
      return ExpectedRevision{};
    case v1::EXPECTED_REVISION_KIND_NO_STREAM:
      return ExpectedRevision{ExpectedRevision::Kind::kNoStream, {}};
    case v1::EXPECTED_REVISION_KIND_EXACT:
      return ExpectedRevision{ExpectedRevision::Kind::kExact,
                              StreamRevision(req.expected_revision())};
    default:
      return InvalidArgumentWithViolations(
          {{"expected_revision_kind",
            absl::StrCat("unknown value ",
                         static_cast<int>(req.expected_revision_kind()))}});
  }
}

// True for RESULT_DETAIL_SUMMARY (AppendRequest.result_detail).
template <typename Request>
absl::StatusOr<bool> SummaryFromProto(const Request& req) {
  switch (static_cast<int>(req.result_detail())) {
    case v1::RESULT_DETAIL_UNSPECIFIED:
    case v1::RESULT_DETAIL_ENTRIES:
      return false;
    case v1::RESULT_DETAIL_SUMMARY:
      return true;
    default:
      return InvalidArgumentWithViolations(
          {{"result_detail",
            absl::StrCat("unknown value ",
                         static_cast<int>(req.result_detail()))}});
  }
}

// ReadResponse.events and SubscribeResponse.events (ingest.proto).
constexpr uint32_t kReadEventsField = 1;
constexpr uint32_t kSubscribeEventsField = 2;
// SubscribeResponse.records and .record_positions (stored_records).
constexpr uint32_t kSubscribeRecordsField = 5;
constexpr uint32_t kSubscribeRecordPositionsField = 6;

// Writes pages of encoded entries as response messages of about
// `max_bytes` at most: begin(msg), the events, end(msg, last position in
// the message). With `stored` (Subscribe's stored_records), the records go
// as they are, with their positions, instead of as RecordedEvents.
struct EncodedPager {
  EncodedPager(uint32_t field, size_t max_bytes)
      : field(field), max_bytes(max_bytes) {}

  // False when the client went away; DATA_LOSS for a damaged record.
  absl::StatusOr<bool> Write(const EncodedEntries& entries,
                             ThreadedWriteReactor& w) {
    Restart(entries, 0);
    const size_t empty_size = msg.size();
    Position last;
    for (size_t i = 0; i < entries.size(); ++i) {
      last = entries.items[i].position;
      if (stored) {
        wire::PutString(&msg, kSubscribeRecordsField, entries.record(i));
        positions.push_back(last.value());
      } else {
        RETURN_IF_ERROR(writer.Append(field, last, entries.record(i), &msg));
      }
      if (msg.size() >= max_bytes) {
        End(last);
        if (!w.Write(std::move(msg))) return false;
        Restart(entries, i + 1);
      }
    }
    if (msg.size() > empty_size) {
      End(last);
      if (!w.Write(std::move(msg))) return false;
    }
    return true;
  }

  void End(Position last) {
    wire::PutPackedVarints(&msg, kSubscribeRecordPositionsField, positions);
    positions.clear();
    if (end) end(&msg, last);
  }

  // A new message for entries[from..] (the previous one was moved to gRPC,
  // which sends it while the next is written here), with room for them
  // (their wire form is larger than the stored records) or for a full one.
  void Restart(const EncodedEntries& entries, size_t from) {
    msg.clear();
    positions.clear();
    const size_t left = from < entries.size()
                            ? entries.bytes.size() - entries.items[from].offset
                            : 0;
    msg.reserve(std::min(max_bytes + (64u << 10),
                         left * 2 + 64 * (entries.size() - from) + 64));
    if (begin) begin(&msg);
  }

  const uint32_t field;
  const size_t max_bytes;
  bool stored = false;
  std::vector<uint64_t> positions;  // of the records in msg (stored)
  std::function<void(std::string*)> begin;
  std::function<void(std::string*, Position)> end;
  RecordedEventWriter writer;
  std::string msg;
};

// One open Read or Subscribe stream, counted while any copy lives.
class StreamSlot {
 public:
  static std::shared_ptr<StreamSlot> Take(std::atomic<int>& open, int max) {
    if (open.fetch_add(1) >= max) {
      open.fetch_sub(1);
      return nullptr;
    }
    return std::shared_ptr<StreamSlot>(new StreamSlot(open));
  }
  ~StreamSlot() { open_.fetch_sub(1); }

 private:
  explicit StreamSlot(std::atomic<int>& open) : open_(open) {}
  std::atomic<int>& open_;
};

grpc::Status TooManyStreams() {
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      "too many open Read and Subscribe streams on this "
                      "server; retry later");
}

void ToBuffer(const google::protobuf::Message& m, grpc::ByteBuffer* out) {
  std::string bytes = m.SerializeAsString();
  grpc::Slice slice(bytes);
  *out = grpc::ByteBuffer(&slice, 1);
}

// `summary`: results for the duplicates only, with their index.
void FillAppendResponse(const AppendResult& result, bool summary,
                        v1::AppendResponse* resp) {
  resp->set_first_position(result.first.value());
  resp->set_last_position(result.last.value());
  resp->set_head_position(result.head.value());
  uint32_t duplicates = 0;
  for (size_t i = 0; i < result.outcomes.size(); ++i) {
    const EntryOutcome& o = result.outcomes[i];
    duplicates += o.duplicate ? 1 : 0;
    if (summary && !o.duplicate) continue;
    v1::EntryResult* r = resp->add_results();
    r->set_event_id(o.event_id.ToString());
    r->set_position(o.position.value());
    r->set_duplicate(o.duplicate);
    r->set_stream(o.stream);
    r->set_stream_revision(o.stream_revision.value());
    if (summary) r->set_index(static_cast<uint32_t>(i));
  }
  resp->set_duplicates(duplicates);
  resp->set_appended(static_cast<uint32_t>(result.outcomes.size()) -
                     duplicates);
}

const char kNotAnAppend[] =
    "the request is not a detente.v1.AppendRequest (the message did not parse)";

}  // namespace

IngestService::IngestService(EventLog& log, IngestServiceOptions options)
    : log_(log), options_(std::move(options)) {
  if (!options_.today) options_.today = &TodayUtc;
}

absl::Status IngestService::Authorize(const grpc::ServerContextBase& ctx,
                                      Role role) const {
  if (options_.auth == nullptr) return absl::OkStatus();
  return options_.auth->Check(ctx.client_metadata(), role);
}

void IngestService::Record(const absl::StatusOr<AppendResult>& r,
                           size_t entries, absl::Time start) {
  if (options_.metrics == nullptr) return;
  size_t appended = 0, duplicates = 0;
  if (r.ok()) {
    for (const EntryOutcome& o : r->outcomes) {
      (o.duplicate ? duplicates : appended)++;
    }
    options_.metrics->SetHead(r->head.value());
  }
  options_.metrics->RecordAppend(r.status(), entries, appended, duplicates,
                                 absl::Now() - start);
}

template <typename Request>
absl::StatusOr<IngestService::PreparedBatch> IngestService::PrepareBatch(
    Request& req) {
  const int n = req.entries_size();
  if (n == 0 || n > kMaxBatchEntries) {
    return InvalidArgumentWithViolations(
        {{"entries", absl::StrCat("a batch holds 1 to ", kMaxBatchEntries,
                                  " entries, not ", n)}});
  }
  ASSIGN_OR_RETURN(ExpectedRevision expected, ExpectedFromProto(req));
  ASSIGN_OR_RETURN(const bool summary, SummaryFromProto(req));
  PreparedBatch prepared{.summary = summary};
  AppendBatch& batch = prepared.batch;
  batch.expected = expected;
  batch.entries.reserve(n);
  std::vector<FieldViolation> violations;
  const ValidationContext ctx{.today = options_.today()};
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<Entry> e =
        ValidateEntry(TakeRawEntry(*req.mutable_entries(i)), ctx);
    if (e.ok()) {
      batch.entries.push_back(*std::move(e));
      continue;
    }
    std::vector<FieldViolation> v = GetFieldViolations(e.status());
    if (v.empty()) return e.status();
    PrefixFields(absl::StrCat("entries[", i, "]."), v);
    for (FieldViolation& f : v) violations.push_back(std::move(f));
  }
  if (!violations.empty()) {
    return InvalidArgumentWithViolations(std::move(violations));
  }
  return prepared;
}

grpc::ServerUnaryReactor* IngestService::Append(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const absl::Time start = absl::Now();
  if (absl::Status a = Authorize(*ctx, Role::kWriter); !a.ok()) {
    reactor->Finish(ToGrpcStatus(a));
    return reactor;
  }
  AppendArena arena;
  auto& req =
      *google::protobuf::Arena::CreateMessage<ingest::lenient::AppendRequest>(
          arena.get());
  if (!ParseBuffer(*request, &req)) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, kNotAnAppend));
    return reactor;
  }
  const size_t entries = req.entries_size();
  absl::StatusOr<PreparedBatch> prepared = PrepareBatch(req);
  if (!prepared.ok()) {
    Record(prepared.status(), entries, start);
    reactor->Finish(ToGrpcStatus(prepared.status()));
    return reactor;
  }
  // On this gRPC thread when the log is idle (one write and fsync), so that
  // a lone append's answer leaves without a handoff to the log's threads and
  // back; under load it joins the committer's next group.
  log_.AppendHere(
      std::move(prepared->batch),
      [this, reactor, response, entries, start,
       summary = prepared->summary](absl::StatusOr<AppendResult> r) {
        Record(r, entries, start);
        if (!r.ok()) {
          reactor->Finish(ToGrpcStatus(r.status()));
          return;
        }
        AppendArena arena;
        auto& out = *google::protobuf::Arena::CreateMessage<v1::AppendResponse>(
            arena.get());
        FillAppendResponse(*r, summary, &out);
        ToBuffer(out, response);
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

// One AppendStream call, pipelined: up to kWindow batches are read and
// handed to the log before the oldest is answered, so that the next batch is
// parsed and validated while the previous one commits (and the committer can
// group them). Answers go out in request order, one write at a time; at most
// kWindow requests are held, so gRPC's flow control still holds a fast
// client back.
class IngestService::AppendStreamReactor final
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  static constexpr size_t kWindow = 4;

  AppendStreamReactor(IngestService& service, const absl::Status& allowed)
      : service_(service) {
    if (!allowed.ok()) {
      Finish(ToGrpcStatus(allowed));
      return;
    }
    reading_ = true;
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    Actions act;
    if (!ok) {  // the client is done writing (or went away)
      {
        std::lock_guard lock(mu_);
        reading_ = false;
        read_closed_ = true;
        MaybeFinishLocked(grpc::Status::OK, act);
      }
      Run(this, act);
      return;
    }
    AppendArena arena;
    auto& req = *google::protobuf::Arena::CreateMessage<
        ingest::lenient::AppendStreamRequest>(arena.get());
    const bool parsed = ParseBuffer(in_, &req);
    Slot* slot = nullptr;
    {
      std::lock_guard lock(mu_);
      reading_ = false;
      if (!parsed) {
        read_closed_ = true;
        MaybeFinishLocked(
            grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                         "a request is not a detente.v1.AppendStreamRequest"),
            act);
      } else {
        slots_.emplace_back();
        slot = &slots_.back();  // a deque keeps it in place
        slot->batch_id = req.batch_id();
        MaybeReadLocked(act);  // read the next request while this one commits
      }
    }
    if (!parsed) {
      Run(this, act);
      return;
    }
    // The next read starts only once this batch is queued in the log, so
    // that a stream's batches commit in request order (a batch may correct
    // an event of the one before it); it still overlaps this one's commit.
    const size_t entries = req.batch().entries_size();
    const absl::Time start = absl::Now();
    absl::StatusOr<PreparedBatch> prepared =
        service_.PrepareBatch(*req.mutable_batch());
    if (!prepared.ok()) {
      service_.Record(prepared.status(), entries, start);
      Complete(slot, prepared.status());
      Run(this, act);
      return;
    }
    slot->summary = prepared->summary;
    service_.log_.AppendAsync(
        std::move(prepared->batch),
        [this, slot, entries, start](absl::StatusOr<AppendResult> r) {
          service_.Record(r, entries, start);
          Complete(slot, std::move(r));
        });
    Run(this, act);
  }

  void OnWriteDone(bool ok) override {
    Actions act;
    {
      std::lock_guard lock(mu_);
      writing_ = false;
      slots_.pop_front();
      if (!ok) {
        read_closed_ = true;
        failed_ = true;
        MaybeFinishLocked(
            grpc::Status(grpc::StatusCode::CANCELLED, "client went away"), act);
      } else {
        MaybeWriteLocked(act);
        MaybeReadLocked(act);
        MaybeFinishLocked(grpc::Status::OK, act);
      }
    }
    Run(this, act);
  }

  void OnDone() override { delete this; }

 private:
  struct Slot {
    uint64_t batch_id = 0;
    bool summary = false;  // result_detail SUMMARY
    bool ready = false;
    grpc::ByteBuffer out;
  };

  // gRPC calls decided under mu_ and made after releasing it (a reaction
  // may run before the call returns). The flags set under mu_ (reading_,
  // writing_, finished_) keep this reactor alive until each call is made:
  // Finish is only decided once no read or write is outstanding.
  struct Actions {
    bool read = false;
    grpc::ByteBuffer* write = nullptr;
    std::optional<grpc::Status> finish;
  };

  // Static, and called as Run(this, act): once mu_ is released with no
  // action decided, another thread may finish the call and delete `self`,
  // so nothing of it is touched then (a member call would be on a deleted
  // object). With an action, its flag keeps `self` alive until the call.
  static void Run(AppendStreamReactor* self, Actions& act) {
    if (act.write != nullptr) self->StartWrite(act.write);
    if (act.read) self->StartRead(&self->in_);
    if (act.finish) self->Finish(*std::move(act.finish));
  }

  void Complete(Slot* slot, absl::StatusOr<AppendResult> r) {
    AppendArena arena;
    auto& resp =
        *google::protobuf::Arena::CreateMessage<v1::AppendStreamResponse>(
            arena.get());
    resp.set_batch_id(slot->batch_id);
    if (r.ok()) {
      FillAppendResponse(*r, slot->summary, resp.mutable_result());
    } else {
      ToRpcStatus(r.status(), resp.mutable_error());
    }
    grpc::ByteBuffer out;
    ToBuffer(resp, &out);
    Actions act;
    {
      std::lock_guard lock(mu_);
      slot->out = std::move(out);
      slot->ready = true;
      MaybeWriteLocked(act);
      MaybeFinishLocked(grpc::Status::OK, act);
    }
    Run(this, act);
  }

  // The following require mu_.
  void MaybeReadLocked(Actions& act) {
    if (reading_ || read_closed_ || finished_ || slots_.size() >= kWindow) {
      return;
    }
    reading_ = true;
    act.read = true;
  }

  void MaybeWriteLocked(Actions& act) {
    if (writing_ || failed_ || finished_ || slots_.empty() ||
        !slots_.front().ready) {
      return;
    }
    writing_ = true;
    act.write = &slots_.front().out;
  }

  // Finishes once no read, write or append is outstanding: appends still
  // in the committer's hands reference this reactor.
  void MaybeFinishLocked(grpc::Status status, Actions& act) {
    if (!finish_status_set_ && !status.ok()) {
      finish_status_ = std::move(status);
      finish_status_set_ = true;
    }
    if (finished_ || !read_closed_ || reading_ || writing_) return;
    if (!failed_ && !slots_.empty()) return;  // answers still to send
    for (const Slot& s : slots_) {
      if (!s.ready) return;  // an append is still in flight
    }
    finished_ = true;
    act.finish = finish_status_set_ ? finish_status_ : grpc::Status::OK;
  }

  IngestService& service_;
  grpc::ByteBuffer in_;
  std::mutex mu_;
  std::deque<Slot> slots_;  // in request order; guarded by mu_
  bool reading_ = false;    // guarded by mu_
  bool writing_ = false;
  bool read_closed_ = false;
  bool failed_ = false;
  bool finished_ = false;
  bool finish_status_set_ = false;
  grpc::Status finish_status_;
};

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>*
IngestService::AppendStream(grpc::CallbackServerContext* ctx) {
  return new AppendStreamReactor(*this, Authorize(*ctx, Role::kWriter));
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* IngestService::Read(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request) {
  if (absl::Status a = Authorize(*ctx, Role::kReader); !a.ok()) {
    return ThreadedWriteReactor::Fail(ToGrpcStatus(a));
  }
  auto req = std::make_shared<v1::ReadRequest>();
  if (!ParseBuffer(*request, req.get())) {
    return ThreadedWriteReactor::Fail(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        "the request is not a detente.v1.ReadRequest (it did not parse)"));
  }
  absl::StatusOr<EntryFilter> filter = FilterFromProto(req->filter(), "filter.");
  if (!filter.ok()) return ThreadedWriteReactor::Fail(ToGrpcStatus(filter.status()));
  if (req->batch_size() > static_cast<uint32_t>(kMaxBatchEntries)) {
    return ThreadedWriteReactor::Fail(ToGrpcStatus(InvalidArgumentWithViolations(
        {{"batch_size", absl::StrCat("at most ", kMaxBatchEntries)}})));
  }
  std::shared_ptr<StreamSlot> slot =
      StreamSlot::Take(open_streams_, options_.max_open_streams);
  if (!slot) return ThreadedWriteReactor::Fail(TooManyStreams());
  ReadRequest page_req;
  page_req.backward = req->direction() == v1::READ_DIRECTION_BACKWARD;
  page_req.from = Position(req->from_position());
  // Pin the end so the read ends at the head as it was when it started.
  const Position head = log_.Head();
  page_req.to = Position(req->to_position());
  if (!page_req.backward && page_req.to.value() == 0) page_req.to = head;
  if (page_req.backward && page_req.from.value() == 0) page_req.from = head;
  page_req.filter = *std::move(filter);
  page_req.max_entries = req->batch_size() == 0 ? 1000 : req->batch_size();
  page_req.encoded = true;
  const uint64_t max_count = req->max_count();
  return ThreadedWriteReactor::Start(
      [this, page_req, head, max_count,
       slot](ThreadedWriteReactor& w) mutable -> grpc::Status {
        EncodedPager pager(kReadEventsField, options_.max_response_bytes);
        pager.end = [&](std::string* msg, Position) {
          wire::PutVarintFieldIfSet(msg, 2, head.value());  // head_position
        };
        // The next pages are read while this thread encodes and sends.
        ReadAhead pages(log_, std::move(page_req), max_count);
        for (;;) {
          if (w.cancelled()) {
            return grpc::Status(grpc::StatusCode::CANCELLED, "client cancelled");
          }
          absl::StatusOr<ReadResult> page = pages.Next();
          if (!page.ok()) return ToGrpcStatus(page.status());
          absl::StatusOr<bool> sent = pager.Write(page->encoded, w);
          if (!sent.ok()) return ToGrpcStatus(sent.status());
          if (!*sent) {
            return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
          }
          if (page->end) return grpc::Status::OK;
        }
      });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* IngestService::Subscribe(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request) {
  if (absl::Status a = Authorize(*ctx, Role::kReader); !a.ok()) {
    return ThreadedWriteReactor::Fail(ToGrpcStatus(a));
  }
  v1::SubscribeRequest req;
  if (!ParseBuffer(*request, &req)) {
    return ThreadedWriteReactor::Fail(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        "the request is not a detente.v1.SubscribeRequest (it did not parse)"));
  }
  absl::StatusOr<EntryFilter> filter = FilterFromProto(req.filter(), "filter.");
  if (!filter.ok()) return ThreadedWriteReactor::Fail(ToGrpcStatus(filter.status()));
  std::vector<FieldViolation> v;
  if (req.batch_size() > static_cast<uint32_t>(kMaxBatchEntries)) {
    v.push_back({"batch_size", absl::StrCat("at most ", kMaxBatchEntries)});
  }
  if (req.heartbeat_ms() != 0 &&
      (req.heartbeat_ms() < 100 || req.heartbeat_ms() > 60000)) {
    v.push_back({"heartbeat_ms", "must be 0 (default) or 100..60000"});
  }
  if (!v.empty()) {
    return ThreadedWriteReactor::Fail(
        ToGrpcStatus(InvalidArgumentWithViolations(v)));
  }
  std::shared_ptr<StreamSlot> slot =
      StreamSlot::Take(open_streams_, options_.max_open_streams);
  if (!slot) return ThreadedWriteReactor::Fail(TooManyStreams());
  SubscriptionOptions o;
  o.after = Position(req.after_position());
  o.filter = *std::move(filter);
  o.batch_size = req.batch_size() == 0 ? 1000 : req.batch_size();
  o.heartbeat = absl::Milliseconds(
      req.heartbeat_ms() == 0 ? 5000 : req.heartbeat_ms());
  o.encoded = true;
  return ThreadedWriteReactor::Start(
      [this, o = std::move(o), slot, stored = req.stored_records()](
          ThreadedWriteReactor& w) mutable -> grpc::Status {
        return RunSubscription(std::move(o), stored, w);
      });
}

grpc::Status IngestService::RunSubscription(SubscriptionOptions o,
                                            bool stored_records,
                                            ThreadedWriteReactor& w) {
  Subscription sub(log_, std::move(o));
  if (options_.metrics) options_.metrics->SubscriberStarted();
  struct Ended {
    IngestMetrics* m;
    ~Ended() {
      if (m) m->SubscriberEnded();
    }
  } ended{options_.metrics};
  auto cancelled = [&] { return w.cancelled() || stopping_.load(); };
  EncodedPager pager(kSubscribeEventsField, options_.max_response_bytes);
  pager.stored = stored_records;
  Position head;
  pager.begin = [](std::string* msg) {
    wire::PutVarintField(msg, 1, v1::SUBSCRIBE_RESPONSE_KIND_EVENTS);
  };
  // A split page reports, in each part, the position of its last entry; a
  // checkpoint follows when the page's progress goes beyond it.
  pager.end = [&](std::string* msg, Position last) {
    wire::PutVarintFieldIfSet(msg, 3, last.value());
    wire::PutVarintFieldIfSet(msg, 4, head.value());
  };
  auto control = [&](v1::SubscribeResponseKind kind, Position position) {
    v1::SubscribeResponse resp;
    resp.set_kind(kind);
    resp.set_position(position.value());
    resp.set_head_position(head.value());
    return w.Write(resp.SerializeAsString());
  };
  while (true) {
    absl::StatusOr<SubscriptionMessage> m = sub.Next(cancelled);
    if (!m.ok()) {
      if (absl::IsCancelled(m.status())) {
        return grpc::Status(grpc::StatusCode::CANCELLED,
                            stopping_ ? "server shutting down"
                                      : "subscription cancelled");
      }
      return ToGrpcStatus(m.status());
    }
    head = m->head;
    bool ok = true;
    switch (m->kind) {
      case SubscriptionMessage::Kind::kEvents: {
        absl::StatusOr<bool> sent = pager.Write(m->encoded, w);
        if (!sent.ok()) return ToGrpcStatus(sent.status());
        ok = *sent;
        if (ok && m->encoded.items.back().position != m->position) {
          ok = control(v1::SUBSCRIBE_RESPONSE_KIND_CHECKPOINT, m->position);
        }
        break;
      }
      case SubscriptionMessage::Kind::kCaughtUp:
        ok = control(v1::SUBSCRIBE_RESPONSE_KIND_CAUGHT_UP, m->position);
        break;
      case SubscriptionMessage::Kind::kCheckpoint:
        ok = control(v1::SUBSCRIBE_RESPONSE_KIND_CHECKPOINT, m->position);
        break;
    }
    if (!ok) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
    }
  }
}

grpc::Status IngestService::GetEvent(grpc::ServerContext* ctx,
                                     const v1::GetEventRequest* req,
                                     v1::GetEventResponse* resp) {
  if (absl::Status a = Authorize(*ctx, Role::kReader); !a.ok()) {
    return ToGrpcStatus(a);
  }
  absl::StatusOr<Uuid> id = Uuid::Parse(req->event_id());
  if (!id.ok()) {
    return ToGrpcStatus(InvalidArgumentWithViolations(
        {{"event_id", std::string(id.status().message())}}));
  }
  absl::StatusOr<std::optional<RecordedEntry>> e = log_.Get(*id);
  if (!e.ok()) return ToGrpcStatus(e.status());
  if (!e->has_value()) {
    return grpc::Status(
        grpc::StatusCode::NOT_FOUND,
        absl::StrCat("event_id ", id->ToString(), " is not in the log"));
  }
  ToProto(**e, resp->mutable_event());
  return grpc::Status::OK;
}

grpc::Status IngestService::GetInfo(grpc::ServerContext* ctx,
                                    const v1::GetInfoRequest*,
                                    v1::GetInfoResponse* resp) {
  if (absl::Status a = Authorize(*ctx, Role::kReader); !a.ok()) {
    return ToGrpcStatus(a);
  }
  absl::StatusOr<LogInfo> info = log_.Info();
  if (!info.ok()) return ToGrpcStatus(info.status());
  resp->set_head_position(info->head.value());
  resp->set_entry_count(info->entry_count);
  resp->set_stream_count(info->stream_count);
  resp->set_disk_bytes(info->disk_bytes);
  resp->set_durability(info->durability);
  resp->set_format_version(info->format_version);
  return grpc::Status::OK;
}

grpc::Status IngestService::Backup(grpc::ServerContext* ctx,
                                   const v1::BackupRequest* req,
                                   v1::BackupResponse* resp) {
  // An admin operation: it writes anywhere the server may write.
  if (absl::Status a = Authorize(*ctx, Role::kAdmin); !a.ok()) {
    return ToGrpcStatus(a);
  }
  const std::string& dir = req->directory();
  if (dir.empty()) {
    return ToGrpcStatus(InvalidArgumentWithViolations(
        {{"directory", "required: an absolute path on the server"}}));
  }
  if (dir.front() != '/') {
    return ToGrpcStatus(InvalidArgumentWithViolations(
        {{"directory",
          absl::StrCat("\"", dir,
                       "\" is relative; give an absolute path on the server's "
                       "filesystem")}}));
  }
  absl::StatusOr<BackupInfo> info = log_.Backup(dir);
  if (!info.ok()) return ToGrpcStatus(info.status());
  resp->set_directory(info->directory);
  resp->set_head_position(info->head.value());
  resp->set_entry_count(info->entry_count);
  resp->set_file_count(info->files);
  resp->set_bytes(info->bytes);
  resp->set_hard_linked(info->hard_linked);
  resp->set_duration_ms(
      static_cast<uint64_t>(absl::ToInt64Milliseconds(info->duration)));
  return grpc::Status::OK;
}

}  // namespace detente
