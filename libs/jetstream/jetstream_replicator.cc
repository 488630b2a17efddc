#include "jetstream/jetstream_replicator.h"

#include <nats/nats.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/thread_name.h"
#include "spdlog/spdlog.h"

namespace detente {
namespace {

// What NATS said, for a status message.
std::string NatsError(natsStatus s, jsErrCode js_error = static_cast<jsErrCode>(0)) {
  // The thread's last error may be an older one (the client does not clear
  // it): only its text of this very status is added.
  natsStatus last_status = NATS_OK;
  const char* last = nats_GetLastError(&last_status);
  std::string text = natsStatus_GetText(s);
  if (last != nullptr && *last != '\0' && last_status == s) {
    absl::StrAppend(&text, ": ", last);
  }
  if (js_error != 0) absl::StrAppend(&text, " (JetStream error ", js_error, ")");
  return text;
}

int64_t Millis(absl::Duration d) { return absl::ToInt64Milliseconds(d); }

class JetStreamReplicator final : public Replicator {
 public:
  JetStreamReplicator(JetStreamOptions options, natsOptions* nats_options,
                      natsConnection* connection, jsCtx* js)
      : options_(std::move(options)),
        subject_(absl::StrCat("detente.", options_.stream, ".groups")),
        nats_options_(nats_options),
        connection_(connection),
        js_(js) {}

  ~JetStreamReplicator() override {
    Stop();
    jsCtx_Destroy(js_);
    natsConnection_Destroy(connection_);
    natsOptions_Destroy(nats_options_);
  }

  const std::string& subject() const { return subject_; }

  absl::Status Start(uint64_t applied, std::function<void()> wake) override {
    {
      std::lock_guard lock(mu_);
      wake_ = std::move(wake);
      last_received_ = applied;
      subscribe_from_ = applied + 1;
    }
    follower_ = std::thread([this] {
      NameThisThread("js-follow");
      FollowLoop();
    });
    return absl::OkStatus();
  }

  std::vector<ReplicatedGroup> TakeReceived(uint64_t after) override {
    std::vector<ReplicatedGroup> out;
    {
      std::lock_guard lock(mu_);
      while (!received_.empty() && received_.front().sequence <= after) {
        buffered_bytes_ -= Bytes(received_.front());
        received_.pop_front();
      }
      out.reserve(received_.size());
      while (!received_.empty()) {
        buffered_bytes_ -= Bytes(received_.front());
        out.push_back(std::move(received_.front()));
        received_.pop_front();
      }
    }
    cv_.notify_all();
    return out;
  }

  void Restart(uint64_t applied) override {
    {
      std::lock_guard lock(mu_);
      received_.clear();
      buffered_bytes_ = 0;
      last_received_ = applied;
      subscribe_from_ = applied + 1;
      ++generation_;
    }
    cv_.notify_all();
  }

  absl::StatusOr<uint64_t> Publish(uint64_t after,
                                   const std::string& group) override {
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, subject_.c_str(), nullptr, group.data(),
                                  static_cast<int>(group.size()));
    if (s != NATS_OK) {
      return absl::InternalError(absl::StrCat("creating a NATS message: ",
                                              NatsError(s)));
    }
    // The compare-and-set: stored only if the stream's last sequence is
    // still `after`. (jsPubOptions.ExpectLastSeq cannot say 0.)
    const std::string expected = std::to_string(after);
    natsMsgHeader_Set(msg, "Nats-Expected-Last-Sequence", expected.c_str());
    natsMsgHeader_Set(msg, "Nats-Expected-Stream", options_.stream.c_str());
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = Millis(options_.request_timeout);
    jsPubAck* ack = nullptr;
    jsErrCode js_error = static_cast<jsErrCode>(0);
    s = js_PublishMsg(&ack, js_, msg, &po, &js_error);
    natsMsg_Destroy(msg);
    if (s == NATS_OK) {
      const uint64_t seq = ack->Sequence;
      jsPubAck_Destroy(ack);
      if (seq != after + 1) {
        return absl::InternalError(absl::StrCat(
            "JetStream stored the group at sequence ", seq, ", not ", after + 1));
      }
      return seq;
    }
    if (js_error == JSStreamWrongLastSequenceErr) {
      return absl::AbortedError("another node committed first");
    }
    // A timeout leaves it open whether the group was stored; either way it
    // is not acknowledged, and if it was stored it arrives like any other.
    return absl::UnavailableError(absl::StrCat(
        "the replicated log (JetStream stream ", options_.stream,
        ") did not store the batch: ", NatsError(s, js_error),
        "; nothing was acknowledged, retry"));
  }

  absl::Status CatchUp(uint64_t after) override {
    absl::StatusOr<uint64_t> last = LastSequence();
    if (!last.ok()) return last.status();
    if (*last <= after) return absl::OkStatus();
    const absl::Time deadline = absl::Now() + options_.catch_up_timeout;
    std::unique_lock lock(mu_);
    auto done = [&] {
      return stopped_ || !follow_error_.ok() || last_received_ >= *last;
    };
    bool caught_up = false;
    while (!(caught_up = done()) && absl::Now() < deadline) {
      // Nothing arrived for a while although the stream is ahead: the
      // consumer may be gone with the NATS server that held it, which the
      // client notices only after missed heartbeats. Subscribe again.
      const uint64_t received = last_received_;
      const absl::Time slice = std::min(deadline, absl::Now() + kStallAfter);
      cv_.wait_until(lock, absl::ToChronoTime(slice), done);
      if (!done() && last_received_ == received && absl::Now() >= slice) {
        ResubscribeLocked("catching up");
      }
    }
    if (!follow_error_.ok()) return follow_error_;
    if (stopped_) return absl::CancelledError("the event log is closing");
    if (!caught_up) {
      return absl::UnavailableError(absl::StrCat(
          "this node could not catch up with the replicated log within ",
          absl::FormatDuration(options_.catch_up_timeout), " (received ",
          last_received_, " of ", *last, " groups); retry"));
    }
    return absl::OkStatus();
  }

  size_t max_group_bytes() const override {
    const int64_t max_payload = natsConnection_GetMaxPayload(connection_);
    // Room for the headers.
    return max_payload > 4096 ? static_cast<size_t>(max_payload - 4096) : 0;
  }

  void Stop() override {
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    cv_.notify_all();
    if (follower_.joinable()) follower_.join();
  }

  std::string durability() const override {
    return absl::StrCat("replicated (JetStream stream ", options_.stream, ", ",
                        options_.replicas,
                        " replicas, acknowledged once stored by a quorum)");
  }

  absl::StatusOr<uint64_t> LastSequence() {
    jsStreamInfo* info = nullptr;
    jsErrCode js_error = static_cast<jsErrCode>(0);
    jsOptions o;
    jsOptions_Init(&o);
    o.Wait = Millis(options_.request_timeout);
    natsStatus s = js_GetStreamInfo(&info, js_, options_.stream.c_str(), &o,
                                    &js_error);
    if (s != NATS_OK) {
      return absl::UnavailableError(absl::StrCat(
          "reading the state of JetStream stream ", options_.stream, ": ",
          NatsError(s, js_error)));
    }
    const uint64_t last = info->State.LastSeq;
    jsStreamInfo_Destroy(info);
    return last;
  }

 private:
  // How long a consumer may deliver nothing while the stream is ahead of it
  // before it is replaced.
  static constexpr absl::Duration kStallAfter = absl::Seconds(2);

  void ResubscribeLocked(absl::string_view why) {
    spdlog::warn("jetstream: nothing received from {} after group {} while "
                 "{}; subscribing again",
                 subject_, last_received_, std::string(why));
    subscribe_from_ = last_received_ + 1;
    ++generation_;
    cv_.notify_all();
  }

  static size_t Bytes(const ReplicatedGroup& g) {
    size_t n = 64;
    for (const std::string& r : g.records) n += r.size() + 32;
    return n;
  }

  // Receives groups through an ordered consumer (no acks, flow control and
  // heartbeats; the client recreates it when it misses a message) and
  // hands them to the committer. Resubscribes after Restart.
  void FollowLoop() {
    natsSubscription* sub = nullptr;
    uint64_t generation = 0;
    absl::Time last_progress = absl::Now();
    while (true) {
      uint64_t from;
      {
        std::lock_guard lock(mu_);
        if (stopped_) break;
        if (sub != nullptr && generation != generation_) {
          natsSubscription_Unsubscribe(sub);
          natsSubscription_Destroy(sub);
          sub = nullptr;
        }
        generation = generation_;
        from = subscribe_from_;
      }
      if (sub == nullptr) {
        jsSubOptions so;
        jsSubOptions_Init(&so);
        so.Stream = options_.stream.c_str();
        so.Ordered = true;
        so.Config.DeliverPolicy = js_DeliverByStartSequence;
        so.Config.OptStartSeq = from;
        // Heartbeats every second: the client replaces an ordered consumer
        // that missed them (its NATS server gone) within seconds.
        so.Config.Heartbeat = absl::ToInt64Nanoseconds(absl::Seconds(1));
        jsErrCode js_error = static_cast<jsErrCode>(0);
        natsStatus s = js_SubscribeSync(&sub, js_, subject_.c_str(), nullptr,
                                        &so, &js_error);
        if (s != NATS_OK) {
          sub = nullptr;
          spdlog::warn("jetstream: subscribing to {} from group {} failed: {}",
                       subject_, from, NatsError(s, js_error));
          std::unique_lock lock(mu_);
          cv_.wait_for(lock, std::chrono::milliseconds(500),
                       [&] { return stopped_; });
          continue;
        }
        spdlog::info("jetstream: following {} from group {}", subject_, from);
      }
      natsMsg* msg = nullptr;
      natsStatus s = natsSubscription_NextMsg(&msg, sub, 200);
      if (s == NATS_TIMEOUT) {
        // Idle: now and then make sure the stream is not ahead of us.
        if (absl::Now() - last_progress >= 2 * kStallAfter) {
          absl::StatusOr<uint64_t> last = LastSequence();
          std::lock_guard lock(mu_);
          if (last.ok() && *last > last_received_) ResubscribeLocked("idle");
          last_progress = absl::Now();
        }
        continue;
      }
      last_progress = absl::Now();
      if (s != NATS_OK) {
        spdlog::warn("jetstream: receiving from {}: {}; resubscribing",
                     subject_, NatsError(s));
        natsSubscription_Destroy(sub);
        sub = nullptr;
        continue;
      }
      Receive(msg, generation);
      natsMsg_Destroy(msg);
    }
    if (sub != nullptr) {
      natsSubscription_Unsubscribe(sub);
      natsSubscription_Destroy(sub);
    }
  }

  void Receive(natsMsg* msg, uint64_t generation) {
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, msg) != NATS_OK) return;  // not a JS message
    const uint64_t seq = meta->Sequence.Stream;
    jsMsgMetaData_Destroy(meta);
    absl::StatusOr<ReplicatedGroup> group = DecodeReplicatedGroup(
        absl::string_view(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)),
        seq);
    std::function<void()> wake;
    {
      std::unique_lock lock(mu_);
      // Back-pressure: the committer has not applied what came before.
      cv_.wait(lock, [&] {
        return stopped_ || generation != generation_ ||
               buffered_bytes_ < options_.max_buffered_bytes;
      });
      if (stopped_ || generation != generation_) return;
      if (seq <= last_received_) return;  // again after a consumer reset
      if (seq != last_received_ + 1) {
        spdlog::warn("jetstream: group {} arrived after {}; resubscribing",
                     seq, last_received_);
        subscribe_from_ = last_received_ + 1;
        ++generation_;
        return;
      }
      if (!group.ok()) {
        // Not ours, or damaged: following stops here rather than skip it.
        follow_error_ = absl::DataLossError(absl::StrCat(
            "JetStream stream ", options_.stream, " holds a message this node "
            "cannot apply: ", group.status().message()));
        spdlog::error("jetstream: {}", follow_error_.ToString());
        stopped_ = true;
        cv_.notify_all();
        return;
      }
      last_received_ = seq;
      buffered_bytes_ += Bytes(*group);
      received_.push_back(*std::move(group));
      wake = wake_;
    }
    cv_.notify_all();
    if (wake) wake();
  }

  const JetStreamOptions options_;
  const std::string subject_;
  natsOptions* const nats_options_;
  natsConnection* const connection_;
  jsCtx* const js_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> wake_;            // guarded by mu_
  std::deque<ReplicatedGroup> received_;  // guarded by mu_
  size_t buffered_bytes_ = 0;             // guarded by mu_
  uint64_t last_received_ = 0;            // guarded by mu_
  uint64_t subscribe_from_ = 1;           // guarded by mu_
  uint64_t generation_ = 0;               // guarded by mu_
  bool stopped_ = false;                  // guarded by mu_
  absl::Status follow_error_;             // guarded by mu_
  std::thread follower_;
};

// Makes sure the stream exists, waiting while JetStream elects its leaders.
absl::Status EnsureStream(jsCtx* js, const JetStreamOptions& o,
                          const std::string& subject) {
  const absl::Time deadline = absl::Now() + o.start_timeout;
  std::string last_error;
  while (absl::Now() < deadline) {
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = Millis(o.request_timeout);
    jsStreamInfo* info = nullptr;
    jsErrCode js_error = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&info, js, o.stream.c_str(), &jo, &js_error);
    if (s == NATS_OK) {
      const int64_t replicas = info->Config->Replicas;
      bool has_subject = false;
      for (int i = 0; i < info->Config->SubjectsLen; ++i) {
        if (subject == info->Config->Subjects[i]) has_subject = true;
      }
      jsStreamInfo_Destroy(info);
      if (!has_subject) {
        return absl::FailedPreconditionError(absl::StrCat(
            "JetStream stream ", o.stream, " exists but does not hold subject ",
            subject, ": it is not a Detente log"));
      }
      if (replicas != o.replicas) {
        spdlog::warn("jetstream: stream {} has {} replicas (--nats-replicas {})",
                     o.stream, replicas, o.replicas);
      }
      return absl::OkStatus();
    }
    if (s == NATS_NOT_FOUND || js_error == JSStreamNotFoundErr) {
      jsStreamConfig cfg;
      jsStreamConfig_Init(&cfg);
      cfg.Name = o.stream.c_str();
      const char* subjects[] = {subject.c_str()};
      cfg.Subjects = subjects;
      cfg.SubjectsLen = 1;
      cfg.Storage = js_FileStorage;
      cfg.Replicas = o.replicas;
      cfg.Retention = js_LimitsPolicy;
      cfg.Discard = js_DiscardNew;  // no limits are set: nothing is dropped
      js_error = static_cast<jsErrCode>(0);
      s = js_AddStream(&info, js, &cfg, &jo, &js_error);
      if (s == NATS_OK) {
        jsStreamInfo_Destroy(info);
        spdlog::info("jetstream: created stream {} ({} replicas, file storage)",
                     o.stream, o.replicas);
        return absl::OkStatus();
      }
      if (js_error != JSStreamNameExistErr) {
        last_error = NatsError(s, js_error);
      }
      // Created by another node meanwhile: look again.
    } else {
      last_error = NatsError(s, js_error);
    }
    spdlog::info("jetstream: waiting for stream {}: {}", o.stream, last_error);
    absl::SleepFor(absl::Milliseconds(500));
  }
  return absl::UnavailableError(absl::StrCat(
      "JetStream stream ", o.stream, " is not available after ",
      absl::FormatDuration(o.start_timeout), ": ", last_error));
}

}  // namespace

std::vector<std::string> SplitNatsUrls(const std::string& list) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(part));
  }
  return out;
}

absl::StatusOr<std::shared_ptr<Replicator>> ConnectJetStream(
    const JetStreamOptions& o) {
  if (o.urls.empty()) {
    return absl::InvalidArgumentError("no NATS server given (--nats)");
  }
  if (o.stream.empty()) {
    return absl::InvalidArgumentError("no JetStream stream name given");
  }
  natsOptions* opts = nullptr;
  if (natsOptions_Create(&opts) != NATS_OK) {
    return absl::InternalError("cannot create NATS options");
  }
  std::vector<const char*> servers;
  for (const std::string& u : o.urls) servers.push_back(u.c_str());
  natsStatus s = natsOptions_SetServers(opts, servers.data(),
                                        static_cast<int>(servers.size()));
  if (s == NATS_OK) s = natsOptions_SetName(opts, "detente-ingest");
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);  // forever
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 250);
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, Millis(o.request_timeout));
  if (s != NATS_OK) {
    natsOptions_Destroy(opts);
    return absl::InvalidArgumentError(absl::StrCat("NATS options: ", NatsError(s)));
  }
  natsConnection* nc = nullptr;
  s = natsConnection_Connect(&nc, opts);
  if (s != NATS_OK) {
    natsOptions_Destroy(opts);
    return absl::UnavailableError(absl::StrCat(
        "cannot connect to NATS at ", absl::StrJoin(o.urls, ","), ": ",
        NatsError(s)));
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = Millis(o.request_timeout);
  jsCtx* js = nullptr;
  s = natsConnection_JetStream(&js, nc, &jo);
  if (s != NATS_OK) {
    natsConnection_Destroy(nc);
    natsOptions_Destroy(opts);
    return absl::UnavailableError(absl::StrCat("JetStream: ", NatsError(s)));
  }
  auto replicator = std::make_shared<JetStreamReplicator>(o, opts, nc, js);
  absl::Status ready = EnsureStream(js, o, replicator->subject());
  if (!ready.ok()) return ready;
  // One group is one message: a batch of 10,000 events needs a few MB.
  if (replicator->max_group_bytes() < (4u << 20)) {
    spdlog::warn(
        "jetstream: the NATS servers accept messages of {} bytes; batches "
        "larger than that are refused (set max_payload: 8MB, docs/cluster.md)",
        natsConnection_GetMaxPayload(nc));
  }
  spdlog::info("jetstream: connected to {} (stream {}, max message {} bytes)",
               absl::StrJoin(o.urls, ","), o.stream,
               natsConnection_GetMaxPayload(nc));
  return replicator;
}

absl::StatusOr<std::unique_ptr<EventLog>> OpenJetStreamEventLog(
    const JetStreamOptions& options, RocksEventLogOptions local) {
  absl::StatusOr<std::shared_ptr<Replicator>> replicator =
      ConnectJetStream(options);
  if (!replicator.ok()) return replicator.status();
  local.durability = Durability::kAsync;
  local.replicator = *std::move(replicator);
  return OpenRocksEventLog(local);
}

}  // namespace detente
