#include "services/query/follower.h"

#include <grpcpp/grpcpp.h>

#include <random>

#include "detente/v1/ingest.grpc.pb.h"
#include "services/common/event_mapping.h"
#include "spdlog/spdlog.h"

namespace detente {

Follower::Follower(std::shared_ptr<ReadModelStore> store,
                   FollowerOptions options)
    : store_(std::move(store)), options_(std::move(options)) {}

Follower::~Follower() { Stop(); }

void Follower::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Follower::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    if (call_ != nullptr) call_->TryCancel();
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
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
    auto reader = stub->Subscribe(&ctx, req);
    bool first = true;
    std::string apply_error;
    v1::SubscribeResponse resp;
    while (reader->Read(&resp)) {
      if (first) {
        first = false;
        backoff = options_.min_backoff;
        SetState(FollowerState::kCatchingUp);
        spdlog::info("follower: following {} from position {}",
                     options_.ingest_address, req.after_position());
      }
      {
        std::lock_guard lock(mu_);
        status_.ingest_head = Position(resp.head_position());
      }
      if (resp.kind() == v1::SUBSCRIBE_RESPONSE_KIND_CAUGHT_UP) {
        SetState(FollowerState::kLive);
        if (options_.on_caught_up) options_.on_caught_up();
        continue;
      }
      if (resp.kind() != v1::SUBSCRIBE_RESPONSE_KIND_EVENTS) continue;
      std::vector<RecordedEntry> entries;
      entries.reserve(resp.events_size());
      absl::Status s;
      for (const v1::RecordedEvent& e : resp.events()) {
        absl::StatusOr<RecordedEntry> r = FromProto(e);
        if (!r.ok()) {
          s = r.status();
          break;
        }
        entries.push_back(*std::move(r));
      }
      if (s.ok()) s = store_->Apply(entries, Position(resp.position()));
      if (!s.ok()) {
        apply_error = s.ToString();
        ctx.TryCancel();
        break;
      }
    }
    grpc::Status status = reader->Finish();
    {
      std::lock_guard lock(mu_);
      call_ = nullptr;
    }
    if (stop_) break;
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
