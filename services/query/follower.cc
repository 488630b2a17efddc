#include "services/query/follower.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/thread_name.h"
#include "detente/v1/ingest.grpc.pb.h"
#include "eventlog/record_codec.h"
#include "services/common/event_mapping.h"
#include "spdlog/spdlog.h"

namespace detente {
namespace {

// The entries of Subscribe messages as records, views into the messages
// (stored_records), or encoded into `encoded` (RecordedEvents), which must
// outlive `out`.
absl::Status Records(const std::vector<v1::SubscribeResponse>& messages,
                     std::deque<std::string>* encoded,
                     std::vector<LogRecord>* out) {
  for (const v1::SubscribeResponse& resp : messages) {
    if (resp.records_size() != resp.record_positions_size()) {
      return absl::DataLossError(absl::StrCat(
          "a Subscribe message has ", resp.records_size(), " records but ",
          resp.record_positions_size(), " record_positions"));
    }
    for (int i = 0; i < resp.records_size(); ++i) {
      out->push_back({Position(resp.record_positions(i)), resp.records(i)});
    }
    for (const v1::RecordedEvent& e : resp.events()) {
      absl::StatusOr<RecordedEntry> r = FromProto(e);
      if (!r.ok()) return r.status();
      encoded->push_back(EncodeRecord(*r));
      out->push_back({r->position, encoded->back()});
    }
  }
  return absl::OkStatus();
}

// Applies received batches on a thread of its own, in order, so that
// receiving and decoding the next message overlaps with applying this one
// (catch-up was one thread doing both). At most kDepth batches wait.
class ApplyPipeline {
 public:
  static constexpr size_t kDepth = 2;
  // Received messages, applied as one batch: their records are passed to
  // the store as they came (no copy of an entry is made before the store's
  // own).
  struct Item {
    std::vector<v1::SubscribeResponse> messages;
    size_t entries = 0;
    Position checkpoint;
    bool caught_up = false;  // a marker: everything before it is applied
  };

  ApplyPipeline(ReadModelStore& store, std::function<void()> on_caught_up)
      : store_(store), on_caught_up_(std::move(on_caught_up)), thread_([this] {
          NameThisThread("follower-apply");
          Loop();
        }) {}
  ~ApplyPipeline() { Close().IgnoreError(); }

  // Blocks while the queue is full. False once an apply has failed.
  bool Push(Item item) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return queue_.size() < kDepth || !error_.ok(); });
    if (!error_.ok()) return false;
    queue_.push_back(std::move(item));
    cv_.notify_all();
    return true;
  }

  // Applies what is queued, stops the thread, and returns the first error.
  absl::Status Close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return error_;
  }

 private:
  void Loop() {
    while (true) {
      Item item;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !queue_.empty() || closed_; });
        if (queue_.empty() || !error_.ok()) return;
        item = std::move(queue_.front());
        queue_.pop_front();
      }
      cv_.notify_all();
      absl::Status s;
      if (item.caught_up) {
        // A store waiting to reopen its database after a failed write tries
        // now: at an idle head no entry may come to make it (its failed
        // batch can have come back whole with the last reopen's read-only
        // fallback). A failure ends the subscription, which backs off.
        if (!store_.StorageHealth().ok()) s = store_.Apply({}, Position());
        if (s.ok()) {
          store_.CaughtUp();
          on_caught_up_();
        }
      } else {
        records_.clear();
        encoded_.clear();
        s = Records(item.messages, &encoded_, &records_);
        if (s.ok()) s = store_.ApplyRecords(records_, item.checkpoint);
      }
      if (!s.ok()) {
        std::lock_guard lock(mu_);
        error_ = s;
        queue_.clear();
        cv_.notify_all();
        return;
      }
    }
  }

  ReadModelStore& store_;
  std::function<void()> on_caught_up_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;  // guarded by mu_
  bool closed_ = false;     // guarded by mu_
  absl::Status error_;      // guarded by mu_ while the thread runs
  // The thread's, reused for their capacity.
  std::vector<LogRecord> records_;
  std::deque<std::string> encoded_;
  std::thread thread_;
};

// Subscribe on gRPC's callback API, read by a thread of ours that blocks in
// Read() on a condition variable of its own. A blocking read on the
// synchronous API waits inside gRPC's poller, which gRPC 1.51 shares across
// the process: that thread took the server's network events too and handed
// them over to the server's threads, about one more wakeup and context
// switch per query answered (docs/benchmarks.md, round 18: not-modified
// polls 1.8x with this reader). One message is read ahead at most, beside
// HTTP/2's window, so flow control still holds the ingestion service back.
class SubscribeReader final
    : public grpc::ClientReadReactor<v1::SubscribeResponse> {
 public:
  SubscribeReader(v1::IngestService::Stub& stub, grpc::ClientContext* ctx,
                  v1::SubscribeRequest req)
      : ctx_(ctx), req_(std::move(req)) {
    stub.async()->Subscribe(ctx, &req_, this);
    StartRead(&in_);
    // Reads are started from Read(), outside the reactions: the hold keeps
    // OnDone from running before the last of them (gRPC's rule).
    AddHold();
    StartCall();
  }
  // Ends a call still running (the reader left without Finish: an
  // exception) rather than wait for the stream's end.
  ~SubscribeReader() override {
    bool done;
    {
      std::lock_guard lock(mu_);
      done = done_;
    }
    if (!done) ctx_->TryCancel();
    Finish();
  }

  // The next message into `out`; false at the end of the stream. (gRPC may
  // run a reaction inline from StartRead or RemoveHold: neither is called
  // with mu_ held.)
  bool Read(v1::SubscribeResponse* out) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return has_message_ || read_ended_; });
      if (has_message_) {
        out->Swap(&in_);
        has_message_ = false;
      } else {
        lock.unlock();
        ReleaseHold();
        return false;
      }
    }
    StartRead(&in_);
    return true;
  }

  // Waits for the end of the call (after TryCancel, when the reader stops
  // before the stream's end) and returns its status.
  grpc::Status Finish() {
    ReleaseHold();
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_; });
    return status_;
  }

  void OnReadDone(bool ok) override {
    std::lock_guard lock(mu_);
    (ok ? has_message_ : read_ended_) = true;
    cv_.notify_all();
  }
  void OnDone(const grpc::Status& s) override {
    std::lock_guard lock(mu_);
    status_ = s;
    done_ = true;
    cv_.notify_all();
  }

 private:
  void ReleaseHold() {
    if (held_.exchange(false)) RemoveHold();
  }

  grpc::ClientContext* const ctx_;
  const v1::SubscribeRequest req_;
  v1::SubscribeResponse in_;  // gRPC's while a read is started
  std::atomic<bool> held_{true};
  std::mutex mu_;
  std::condition_variable cv_;
  bool has_message_ = false;
  bool read_ended_ = false;
  bool done_ = false;
  grpc::Status status_;
};

}  // namespace

Follower::Follower(std::shared_ptr<ReadModelStore> store,
                   FollowerOptions options)
    : store_(std::move(store)), options_(std::move(options)) {}

Follower::~Follower() { Stop(); }

void Follower::Start() {
  thread_ = std::thread([this] {
    NameThisThread("follower");
    Run();
  });
}

void Follower::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    if (call_ != nullptr) call_->TryCancel();
  }
  stop_cv_.notify_all();
  // An Apply waiting for the compactions of a catch-up ends its wait.
  store_->SetStopping(true);
  if (thread_.joinable()) thread_.join();
  store_->SetStopping(false);
}

FollowerStatus Follower::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

void Follower::SetState(FollowerState s, const std::string& error) {
  std::lock_guard lock(mu_);
  status_.state = s;
  if (s != FollowerState::kDisconnected) {
    status_.last_error.clear();
  } else {
    status_.last_error = error;
  }
}

bool Follower::SleepUnlessStopped(absl::Duration d) {
  std::unique_lock lock(mu_);
  stop_cv_.wait_for(lock, absl::ToChronoNanoseconds(d),
                    [&] { return stop_.load(); });
  return !stop_;
}

void Follower::Run() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  // gRPC's own reconnect backoff (default: 1 s growing to 120 s) would hide
  // ours; keep it within the same bounds.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options_.min_backoff)));
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options_.min_backoff)));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options_.max_backoff)));
  auto channel = grpc::CreateCustomChannel(
      options_.ingest_address,
      options_.credentials ? options_.credentials
                           : grpc::InsecureChannelCredentials(),
      args);
  auto stub = v1::IngestService::NewStub(channel);
  std::mt19937_64 rng(std::random_device{}());
  absl::Duration backoff = options_.min_backoff;
  while (!stop_) {
    grpc::ClientContext ctx;
    if (!options_.token.empty()) {
      ctx.AddMetadata("authorization", "Bearer " + options_.token);
    }
    {
      std::lock_guard lock(mu_);
      if (stop_) break;
      call_ = &ctx;
    }
    v1::SubscribeRequest req;
    req.set_after_position(store_->checkpoint().value());
    req.set_batch_size(options_.batch_size);
    req.set_heartbeat_ms(1000);
    req.set_stored_records(options_.stored_records);
    auto reader = std::make_unique<SubscribeReader>(*stub, &ctx, req);
    bool first = true;
    std::string apply_error;
    v1::SubscribeResponse resp;
    ApplyPipeline pipeline(*store_, [this] {
      SetState(FollowerState::kLive);
      if (options_.on_caught_up) options_.on_caught_up();
    });
    // Messages gathered while far behind the head. Lost when the
    // subscription ends: the next one reads them again.
    ApplyPipeline::Item gathered;
    // Once far behind the head in this subscription, until caught up: the
    // last stretch before the head is gathered too. Applied in
    // message-sized batches through the memtables, it ended every catch-up
    // waiting for the compactions of its table files, with a core idle (the
    // store's rule for a follower that stays near the head without reaching
    // it; 15 s of a 49 s catch-up of 10M events, docs/benchmarks.md round
    // 31); caught up, the store starts them without a wait.
    bool catching_up = false;
    while (reader->Read(&resp)) {
      if (first) {
        first = false;
        SetState(FollowerState::kCatchingUp);
        spdlog::info("follower: following {} from position {}",
                     options_.ingest_address, req.after_position());
      }
      {
        std::lock_guard lock(mu_);
        status_.ingest_head = Position(resp.head_position());
      }
      ApplyPipeline::Item item;
      if (resp.kind() == v1::SUBSCRIBE_RESPONSE_KIND_CAUGHT_UP) {
        if (gathered.entries > 0 && !pipeline.Push(std::move(gathered))) {
          ctx.TryCancel();
          break;
        }
        gathered = {};
        catching_up = false;
        item.caught_up = true;
      } else if (resp.kind() == v1::SUBSCRIBE_RESPONSE_KIND_EVENTS) {
        item = std::move(gathered);
        gathered = {};
        item.checkpoint = Position(resp.position());
        const uint64_t gather = options_.catch_up_batch;
        if (gather > 0 && resp.head_position() >= resp.position() + gather) {
          catching_up = true;
        }
        item.entries += resp.events_size() + resp.records_size();
        item.messages.push_back(std::move(resp));
        resp.Clear();
        if (catching_up && item.entries < gather) {
          gathered = std::move(item);  // gather more
          continue;
        }
      } else if (gathered.entries > 0) {
        // A checkpoint or heartbeat: nothing more came for a while.
        item = std::move(gathered);
        gathered = {};
      } else {
        continue;
      }
      if (!pipeline.Push(std::move(item))) {
        ctx.TryCancel();
        break;
      }
    }
    if (absl::Status s = pipeline.Close(); !s.ok() && apply_error.empty()) {
      apply_error = s.ToString();
      ctx.TryCancel();
    }
    grpc::Status status = reader->Finish();
    {
      std::lock_guard lock(mu_);
      call_ = nullptr;
    }
    if (stop_) break;
    // A subscription that connects but cannot apply (the store's disk is
    // full) backs off like one that cannot connect; after any other the
    // backoff starts again.
    if (!first && apply_error.empty()) backoff = options_.min_backoff;
    std::string error = !apply_error.empty()
                            ? "applying: " + apply_error
                            : status.error_message().empty()
                                  ? "subscription ended"
                                  : status.error_message();
    SetState(FollowerState::kDisconnected, error);
    spdlog::warn("follower: {} ({}); retrying in {}", error,
                 options_.ingest_address, absl::FormatDuration(backoff));
    const double jitter = 0.5 + (rng() % 1000) / 1000.0;  // 0.5x .. 1.5x
    if (!SleepUnlessStopped(backoff * jitter)) break;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

}  // namespace detente
