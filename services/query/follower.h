// Follows the ingestion service's log over gRPC (Subscribe, from the store's
// checkpoint, read on the callback API) and applies every batch to a
// ReadModelStore. Reconnects with exponential backoff (with jitter) when the
// ingestion service is away.
//
//   Follower f(store, {.ingest_address = "127.0.0.1:7601"});
//   f.Start();
//   FollowerStatus s = f.status();   // state, ingest head, last error
//   f.Stop();
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "common/strong_types.h"
#include "projections/read_model_store.h"

namespace grpc {
class ChannelCredentials;
class ClientContext;
}

namespace detente {

struct FollowerOptions {
  std::string ingest_address = "127.0.0.1:7601";
  // TLS (and client certificate) towards the ingestion service; nullptr:
  // plaintext.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // Sent as "authorization: Bearer <token>"; "" sends none.
  std::string token;
  absl::Duration min_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  // Entries per Subscribe message.
  uint32_t batch_size = 4000;
  // While at least this many entries behind the head, messages are gathered
  // into batches of this many entries before they are applied: the store
  // writes such batches as table files (ReadModelStoreOptions::
  // ingest_min_entries). Once gathering, the follower gathers on until it
  // has caught up with the head (the last batch is applied whole, then the
  // store is told it is caught up), so that a catch-up does not end in
  // message-sized batches. 0: every message is applied as it comes.
  uint32_t catch_up_batch = 50000;
  // Ask for the entries as the log stores them (SubscribeRequest.
  // stored_records) and decode them with the log's codec, rather than as
  // RecordedEvents (an ingestion service that predates the field sends
  // those anyway, and they are read as before).
  bool stored_records = true;
  // Called (on the follower's thread) each time the follower catches up
  // with the head after connecting.
  std::function<void()> on_caught_up;
};

enum class FollowerState { kConnecting, kCatchingUp, kLive, kDisconnected };

struct FollowerStatus {
  FollowerState state = FollowerState::kConnecting;
  Position ingest_head;
  std::string last_error;
};

class Follower {
 public:
  Follower(std::shared_ptr<ReadModelStore> store, FollowerOptions options);
  ~Follower();

  void Start();
  // Cancels the subscription and joins the thread. Idempotent.
  void Stop();
  FollowerStatus status() const;

 private:
  void Run();
  void SetState(FollowerState s, const std::string& error = "");
  bool SleepUnlessStopped(absl::Duration d);

  std::shared_ptr<ReadModelStore> store_;
  const FollowerOptions options_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  FollowerStatus status_;               // guarded by mu_
  grpc::ClientContext* call_ = nullptr;  // guarded by mu_
};

}  // namespace detente
