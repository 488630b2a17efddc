// Cluster mode (issue 8) with the real binaries: three nats-server
// processes on loopback (tests/support/nats_cluster.h), two detente-ingest
// nodes on one JetStream stream (--log=jetstream, R3) and detente-query
// nodes following them.
//
// ConcurrentWritersSurviveAKilledNatsServerAndIngestNode: four writers
// (unary Append and AppendStream, two homed on each ingest node) append
// batches of events, corrections and retractions with ids the test draws.
// During the load, driven by acknowledged progress: SIGKILL the stream's
// JetStream leader, then ingest node 0; both come back (same ports, store
// and data directory). Every batch not acknowledged is retried, on either
// node, until it is. Then:
//  - every answer was consistent (a batch answered wholly new or wholly
//    duplicate, new positions contiguous, a first attempt never duplicate);
//  - each node's log is exactly the generated events: positions 1..head,
//    ids unique, each batch contiguous in request order at the positions it
//    was answered with, stream revisions gapless;
//  - both ingest nodes serve the same log, entry for entry;
//  - both query nodes give identical temperature series, group series and
//    movers, equal to those of a single-node detente-ingest (RocksDB log)
//    and detente-query given the same entries in position order.
// ExactlyOneOfConflictingAppendsWins: rounds of 2 (or 4) appends to one
// stream with the same expected revision, released at once through both
// nodes while a third writer appends to other streams: exactly one wins,
// the others get FAILED_PRECONDITION naming expected_revision; the stream
// ends up as the winners' batches in round order, revisions gapless; a
// retry of a winner is answered duplicate, a retry of a loser still fails.
//
// TheNextAppendThroughTheOtherNodeSeesAnAcknowledgedOne: rounds of an event
// appended through one node, then at once its correction (or another event
// of the pair) through the other, expecting the revision just answered:
// both are taken.
//
// ANodeRestoredFromAnOlderCopyReappliesTheMissingSuffix: ingest node 1's
// copy, backed up (IngestService.Backup) at 150 entries and put back in
// place of its data directory after 300, re-applies the missing suffix from
// the stream on restart: with one batch more through node 0 it serves the
// same log as node 0, exactly the 350 entries appended; batches answered
// before the restore are duplicates through it, and its next append lands
// after them.
//
// ANodeWhoseDiskFilledCatchesUpFromTheStream: ingest node 1's copy lives on
// a 16 MiB tmpfs. Appends through node 0 fill it: node 1 stops applying the
// stream's groups and says NOT_SERVING, appends through it fail, and node 0
// goes on. Once the tmpfs grows, node 1 reopens its copy by itself (no
// restart: the Recover() path) and re-applies what it missed from the
// stream: both nodes serve the same log, in which every acknowledged batch
// is at the positions it was answered with and every failed batch is wholly
// present or wholly absent; node 1's next append lands after them. Skipped
// without permission to mount a tmpfs.
//
// Skipped when nats-server is not installed; fails when detente-ingest has
// no --log option. DETENTE_SEED reproduces the ids and batches (printed),
// DETENTE_CLUSTER_ROUNDS sets the conflict rounds (default 100; three times
// that many in TheNextAppendThroughTheOtherNode...);
// DETENTE_CLUSTER_VERBOSE=1 prints the load's timeline (acknowledged events
// and failed calls per node, both heads, every 500 ms) as it goes; it is
// printed at the end of the load anyway.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "detente/v1/query.grpc.pb.h"
#include "reliability_util.h"
#include "support/api.h"
#include "support/ingest_process.h"
#include "support/nats_cluster.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace detente::itest {
namespace {

using google::protobuf::util::MessageDifferencer;

constexpr char kJetStream[] = "DETENTE_TEST";

std::string Tail(const std::string& s, size_t n = 3000) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

// True when `help` documents an option spelled exactly `--log`.
bool HasLogOption(const std::string& help) {
  for (size_t at = help.find("--log"); at != std::string::npos;
       at = help.find("--log", at + 1)) {
    const size_t next = at + 5;
    if (next >= help.size()) return true;
    const char c = help[next];
    if (c != '-' && c != '_' && !std::isalnum(static_cast<unsigned char>(c))) {
      return true;
    }
  }
  return false;
}

// A detente-ingest on a loopback address kept across restarts (so query
// nodes following it find it again) over one data directory.
class IngestNode {
 public:
  IngestNode(std::string name, std::string data_dir, std::string log_dir,
             std::vector<std::string> args)
      : name_(std::move(name)),
        data_dir_(std::move(data_dir)),
        log_dir_(std::move(log_dir)),
        args_(std::move(args)) {}
  ~IngestNode() { Kill(); }

  // Starts the process and waits until it answers GetInfo. The first start
  // retries on new ports when the child dies (a port taken meanwhile);
  // restarts use the same address.
  absl::Status Start(absl::Duration timeout = absl::Seconds(60)) {
    absl::Status last;
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (address_.empty() || (!started_ && attempt > 0)) {
        address_ = absl::StrCat("127.0.0.1:", PickFreePort());
      }
      std::vector<std::string> args = {"--listen", address_, "--data-dir",
                                       data_dir_};
      args.insert(args.end(), args_.begin(), args_.end());
      const std::string base = absl::StrCat(log_dir_, "/", name_, ".", starts_++);
      stderr_paths_.push_back(base + ".stderr");
      process_ = std::make_unique<Subprocess>(
          SubprocessOptions{.binary = DETENTE_INGEST_BIN,
                            .args = std::move(args),
                            .stdout_path = base + ".stdout",
                            .stderr_path = base + ".stderr"});
      if (absl::Status s = process_->Start(); !s.ok()) return s;
      const absl::Time deadline = absl::Now() + timeout;
      while (true) {
        last = WaitForIngest(address_, absl::Milliseconds(200));
        if (last.ok()) {
          if (!started_) {
            grpc::ChannelArguments ca;
            ca.SetMaxReceiveMessageSize(128 << 20);
            ca.SetMaxSendMessageSize(128 << 20);
            ca.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
            ca.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
            ca.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 250);
            stub_ = v1::IngestService::NewStub(grpc::CreateCustomChannel(
                address_, grpc::InsecureChannelCredentials(), ca));
          }
          started_ = true;
          return absl::OkStatus();
        }
        if (process_->WaitFor(absl::ZeroDuration()).has_value()) {
          last = absl::InternalError(absl::StrCat(
              name_, " exited before answering (", process_->Wait().ToString(),
              "): ", Tail(ReadFileOrEmpty(stderr_paths_.back()))));
          break;
        }
        if (absl::Now() >= deadline) {
          return absl::DeadlineExceededError(absl::StrCat(
              name_, " did not answer GetInfo within ",
              absl::FormatDuration(timeout), ": ", last.message(), "\n",
              Tail(ReadFileOrEmpty(stderr_paths_.back()))));
        }
      }
      if (started_) return last;  // a restart: keep the address
    }
    return last;
  }

  void Kill() {
    if (process_ && process_->running()) {
      process_->Kill(SIGKILL);
      process_->Wait();
    }
  }

  // SIGTERM; the exit status (nullopt: still running after `timeout`, then
  // SIGKILLed).
  std::optional<ExitStatus> Stop(absl::Duration timeout = absl::Seconds(20)) {
    process_->Kill(SIGTERM);
    std::optional<ExitStatus> s = process_->WaitFor(timeout);
    if (!s) Kill();
    return s;
  }

  const std::string& name() const { return name_; }
  const std::string& address() const { return address_; }
  // Valid from the first successful Start on, across restarts.
  v1::IngestService::Stub& stub() { return *stub_; }
  bool running() const { return process_ && process_->running(); }

  // stderr of every start, in order.
  std::string Logs() const {
    std::string out;
    for (size_t i = 0; i < stderr_paths_.size(); ++i) {
      absl::StrAppend(&out, "--- ", name_, " start ", i, " ---\n",
                      ReadFileOrEmpty(stderr_paths_[i]));
    }
    return out;
  }

 private:
  std::string name_, data_dir_, log_dir_;
  std::vector<std::string> args_;
  std::string address_;
  bool started_ = false;
  int starts_ = 0;
  std::vector<std::string> stderr_paths_;
  std::unique_ptr<Subprocess> process_;
  std::unique_ptr<v1::IngestService::Stub> stub_;
};

// Waits until both nodes report the same head of at least `at_least`
// (nothing is being written meanwhile); the head, or nullopt on timeout.
std::optional<uint64_t> WaitSameHead(IngestNode& a, IngestNode& b,
                                     uint64_t at_least, absl::Duration timeout,
                                     std::string* last) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    v1::GetInfoResponse x, y;
    grpc::Status sx = GetInfo(a.stub(), &x);
    grpc::Status sy = GetInfo(b.stub(), &y);
    *last = absl::StrCat(a.name(), " head ", x.head_position(), " (",
                         sx.error_message(), "), ", b.name(), " head ",
                         y.head_position(), " (", sy.error_message(), ")");
    if (sx.ok() && sy.ok() && x.head_position() == y.head_position() &&
        x.head_position() >= at_least) {
      return x.head_position();
    }
    if (absl::Now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Compares two logs entry for entry; `ignore_recorded_at` for logs written
// by different services. Reports at most three differences.
void ExpectSameLog(const std::vector<v1::RecordedEvent>& x,
                   const std::vector<v1::RecordedEvent>& y,
                   const std::string& what, bool ignore_recorded_at) {
  ASSERT_EQ(x.size(), y.size()) << what;
  int differing = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    v1::RecordedEvent a = x[i], b = y[i];
    if (ignore_recorded_at) {
      a.clear_recorded_at();
      b.clear_recorded_at();
    }
    if (!MessageDifferencer::Equals(a, b) && ++differing <= 3) {
      ADD_FAILURE() << what << ": entry " << i + 1 << " differs:\n"
                    << a.ShortDebugString() << "\nvs\n"
                    << b.ShortDebugString();
    }
  }
  EXPECT_EQ(differing, 0) << what;
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (NatsCluster::FindServer().empty()) {
      GTEST_SKIP() << "nats-server is not installed";
    }
    RunResult help = RunToCompletion({.binary = DETENTE_INGEST_BIN,
                                      .args = {"--help"},
                                      .stdout_path = dir_.Sub("help.out"),
                                      .stderr_path = dir_.Sub("help.err")},
                                     absl::Seconds(30));
    ASSERT_TRUE(HasLogOption(help.out + help.err))
        << "detente-ingest has no --log option: cluster mode is not built\n"
        << help.out << help.err;
    seed_ = EnvOr("DETENTE_SEED", std::random_device()());
    std::cout << "DETENTE_SEED=" << seed_ << "\n";
    auto nats = NatsCluster::Start({.dir = dir_.Sub("nats")});
    ASSERT_TRUE(nats.ok()) << nats.status();
    nats_ = std::move(*nats);
  }

  // The whole log of `node`, which must hold exactly positions 1..head (as
  // GetInfo says too).
  static void ReadNodeLog(IngestNode& node, uint64_t head,
                          std::vector<v1::RecordedEvent>* events) {
    v1::ReadRequest req;
    req.set_batch_size(10000);
    ReadOutcome all = ReadAll(node.stub(), req);
    ASSERT_TRUE(all.status.ok()) << all.status.error_message();
    v1::GetInfoResponse info;
    ASSERT_TRUE(GetInfo(node.stub(), &info).ok());
    EXPECT_EQ(info.head_position(), head);
    EXPECT_EQ(info.entry_count(), head);
    ASSERT_EQ(all.events.size(), head);
    for (size_t i = 0; i < all.events.size(); ++i) {
      ASSERT_EQ(all.events[i].position(), i + 1) << "positions must be 1..head";
    }
    *events = std::move(all.events);
  }

  // Ingest nodes 0 and 1, in ingest_.
  void StartIngestNodes() {
    ingest_.push_back(StartIngest(0));
    ingest_.push_back(StartIngest(1));
    ASSERT_NE(ingest_[0], nullptr);
    ASSERT_NE(ingest_[1], nullptr);
  }

  // Node i over `data_dir` (default: ingest-i in the test's directory).
  std::unique_ptr<IngestNode> StartIngest(int i, std::string data_dir = "") {
    if (data_dir.empty()) data_dir = dir_.Sub(absl::StrCat("ingest-", i));
    auto node = std::make_unique<IngestNode>(
        absl::StrCat("cluster-ingest-", i), std::move(data_dir), dir_.path(),
        std::vector<std::string>{"--log=jetstream", "--nats=" + nats_->urls(),
                                 absl::StrCat("--nats-stream=", kJetStream),
                                 "--nats-replicas=3"});
    absl::Status s = node->Start();
    EXPECT_TRUE(s.ok()) << s;
    return s.ok() ? std::move(node) : nullptr;
  }

  // Logs of everything, for failure messages.
  std::string AllLogs() {
    std::string out = nats_ ? nats_->Describe() : "";
    for (auto& n : ingest_) {
      if (n) absl::StrAppend(&out, Tail(n->Logs(), 4000), "\n");
    }
    return out;
  }

  TempDir dir_;
  uint64_t seed_ = 0;
  std::unique_ptr<NatsCluster> nats_;
  std::vector<std::unique_ptr<IngestNode>> ingest_;
};

// ---------------------------------------------------------------------------
// Concurrent writers, a NATS server and an ingest node killed.

// A batch as a writer sent it, and what it learned of its fate.
struct Batch {
  std::vector<v1::Event> events;
  int attempts = 0;  // calls that carried it
  bool acked = false;
  int acked_by = -1;       // the node whose answer acknowledged it
  bool duplicate = false;  // answered as all duplicates
  std::vector<uint64_t> positions;  // as answered, per entry
};

// What the writers share: the nodes, the stop flag, progress, errors.
struct Load {
  std::vector<IngestNode*> nodes;
  absl::Time start = absl::Now();  // of the load
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> acked[2] = {0, 0};  // events acknowledged via node i
  std::atomic<uint64_t> answered_batches{0};
  std::atomic<uint64_t> failed_calls[2] = {0, 0};  // errors via node i
  std::mutex mu;
  std::map<std::string, int> errors;  // "node i CODE" -> count
  std::map<std::string, std::string> first_error;
  std::vector<std::string> failures;  // wrong answers

  // Faults of the run (a node gone, NATS re-electing) are transient; an
  // answer that judges the valid batch is not.
  static bool Judged(int code) {
    const grpc::StatusCode c = static_cast<grpc::StatusCode>(code);
    return c == grpc::StatusCode::INVALID_ARGUMENT ||
           c == grpc::StatusCode::FAILED_PRECONDITION ||
           c == grpc::StatusCode::ALREADY_EXISTS ||
           c == grpc::StatusCode::NOT_FOUND ||
           c == grpc::StatusCode::OUT_OF_RANGE ||
           c == grpc::StatusCode::DATA_LOSS ||
           c == grpc::StatusCode::UNIMPLEMENTED ||
           c == grpc::StatusCode::PERMISSION_DENIED ||
           c == grpc::StatusCode::UNAUTHENTICATED;
  }
  // `context`: what the writer knows, for a judged answer.
  void Error(int node, int code, const std::string& message,
             const std::string& context = "") {
    ++failed_calls[node];
    std::lock_guard<std::mutex> lock(mu);
    const std::string key = absl::StrCat("node ", node, " code ", code);
    ++errors[key];
    first_error.emplace(key, message.substr(0, 300));
    if (Judged(code)) {
      failures.push_back(absl::StrCat(
          Since(), "ingest-", node, " refused a valid batch: ", code, " ",
          message.substr(0, 500), "\n", context));
    }
  }
  std::string Since() const {
    return absl::StrFormat("%5.1f s: ", absl::ToDoubleSeconds(absl::Now() - start));
  }
  void Failure(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu);
    failures.push_back(what);
  }
  uint64_t total() const { return acked[0] + acked[1]; }
};

const char* const kActors[] = {"KOR", "JPN", "USA", "CHN",
                               "PRK", "RUS", "GBR", "FRA"};
const char* const kCodes[] = {"036", "042", "057", "061", "0311",
                              "111", "130", "141", "163", "172"};

class Writer {
 public:
  Writer(int index, int home, bool streaming, uint64_t seed)
      : index_(index), home_(home), streaming_(streaming), rng_(seed) {}

  std::deque<Batch>& batches() { return batches_; }
  int index() const { return index_; }

  void Run(Load& load) {
    if (streaming_) {
      RunStream(load);
    } else {
      while (!load.stop) {
        batches_.push_back(NewBatch());
        SendUntilAcked(batches_.back(), load, /*until=*/nullptr);
      }
    }
  }

  // Sends `b` by unary Append, alternating between the nodes from the
  // writer's home, until acknowledged; gives up when load.stop is set
  // (during the load) or at `until` (the final pass).
  bool SendUntilAcked(Batch& b, Load& load, const absl::Time* until) {
    while (true) {
      const int node = (home_ + b.attempts) % 2;
      ++b.attempts;
      grpc::ClientContext ctx;
      ctx.set_deadline(In(10));
      v1::AppendResponse resp;
      grpc::Status s = load.nodes[node]->stub().Append(&ctx, Request(b), &resp);
      if (s.ok()) {
        Accept(b, resp, node, load);
        return true;
      }
      load.Error(node, s.error_code(), s.error_message(),
                 Load::Judged(s.error_code()) ? Explain(b, node, load) : "");
      if (until == nullptr ? load.stop.load() : absl::Now() >= *until) {
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

 private:
  // For a refused batch: where its subjects were acknowledged, and the
  // refusing node's head right after.
  std::string Explain(const Batch& b, int node, Load& load) {
    std::string out;
    for (const auto& e : b.events) {
      if (e.subject_event_id().empty()) continue;
      auto it = acked_at_.find(e.subject_event_id());
      if (it == acked_at_.end()) {
        absl::StrAppend(&out, "  subject ", e.subject_event_id(),
                        ": not acknowledged to this writer (test bug)\n");
      } else {
        absl::StrAppend(&out, "  subject ", e.subject_event_id(),
                        " was acknowledged at position ", it->second.position,
                        " via ingest-", it->second.node, " at ",
                        it->second.when, "\n");
      }
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(In(2));
    v1::GetInfoResponse info;
    grpc::Status s = load.nodes[node]->stub().GetInfo(&ctx, {}, &info);
    absl::StrAppend(&out, "  ingest-", node, " head right after: ",
                    s.ok() ? absl::StrCat(info.head_position())
                           : s.error_message());
    return out;
  }

  v1::AppendRequest Request(const Batch& b) const {
    v1::AppendRequest req;
    for (const auto& e : b.events) *req.add_entries() = e;
    return req;
  }

  std::string Date() {
    return absl::StrFormat("%04d-%02d-%02d", 1950 + rng_() % 70,
                           1 + rng_() % 12, 1 + rng_() % 28);
  }

  // 1..40 entries: events among kActors; corrections and retractions of
  // the writer's own acknowledged events (so their subjects are in the
  // log, possibly committed through the other node).
  Batch NewBatch() {
    Batch b;
    const int n = std::uniform_int_distribution<int>(1, 40)(rng_);
    for (int i = 0; i < n; ++i) {
      const int roll = static_cast<int>(rng_() % 100);
      v1::Event e;
      if (roll < 6 && !subjects_.empty()) {
        const size_t k = rng_() % subjects_.size();
        const v1::Event& subject = subjects_[k];
        if (roll < 4) {
          e = subject;
          e.set_kind(v1::ENTRY_KIND_CORRECTION);
          e.set_subject_event_id(subject.event_id());
          e.set_event_code(kCodes[rng_() % std::size(kCodes)]);
          e.set_occurred_on(Date());
          if (rng_() & 1) {  // same unordered pair, other direction
            e.set_source(subject.target());
            e.set_target(subject.source());
          }
        } else {
          e.set_kind(v1::ENTRY_KIND_RETRACTION);
          e.set_subject_event_id(subject.event_id());
          e.set_summary("withdrawn by the test");
          subjects_[k] = subjects_.back();
          subjects_.pop_back();
        }
        e.set_event_id(RandomUuid(rng_));
      } else {
        const int a = static_cast<int>(rng_() % 8);
        const int t = static_cast<int>((a + 1 + rng_() % 7) % 8);
        e = MakeEvent(RandomUuid(rng_), Date(), kActors[a], kActors[t],
                      kCodes[rng_() % std::size(kCodes)],
                      absl::StrCat("writer ", index_));
        if (rng_() % 4 == 0) e.add_tags("security");
      }
      b.events.push_back(std::move(e));
    }
    return b;
  }

  // Takes note of an answer, checking it is one a correct service gives.
  void Accept(Batch& b, const v1::AppendResponse& r, int node, Load& load) {
    const std::string where =
        absl::StrCat("writer ", index_, " batch of ", b.events.size(),
                     " (attempt ", b.attempts, ", node ", node, ")");
    if (r.results_size() != static_cast<int>(b.events.size())) {
      load.Failure(absl::StrCat(where, ": ", r.results_size(), " results"));
      return;
    }
    int dups = 0;
    for (int i = 0; i < r.results_size(); ++i) {
      dups += r.results(i).duplicate();
      if (r.results(i).event_id() != b.events[i].event_id()) {
        load.Failure(absl::StrCat(where, ": result ", i, " names ",
                                  r.results(i).event_id()));
      }
    }
    if (dups != 0 && dups != r.results_size()) {
      load.Failure(absl::StrCat(where, ": ", dups,
                                " duplicates: a batch was partly committed"));
    }
    if (dups != 0 && b.attempts == 1) {
      load.Failure(absl::StrCat(where, ": fresh ids answered as duplicates"));
    }
    if (dups == 0) {
      for (int i = 0; i < r.results_size(); ++i) {
        if (r.results(i).position() != r.first_position() + i) {
          load.Failure(absl::StrCat(where, ": new positions not contiguous"));
          break;
        }
      }
      if (r.last_position() != r.first_position() + r.results_size() - 1) {
        load.Failure(absl::StrCat(where, ": first/last position ",
                                  r.first_position(), "/", r.last_position()));
      }
    }
    b.acked = true;
    b.acked_by = node;
    b.duplicate = dups == r.results_size();
    b.positions.clear();
    for (const auto& res : r.results()) b.positions.push_back(res.position());
    const std::string when = load.Since();
    for (size_t i = 0; i < b.events.size(); ++i) {
      const v1::Event& e = b.events[i];
      if (e.kind() == v1::ENTRY_KIND_UNSPECIFIED ||
          e.kind() == v1::ENTRY_KIND_EVENT) {
        subjects_.push_back(e);
        acked_at_[e.event_id()] = {b.positions[i], node, when};
      }
    }
    load.acked[node] += b.events.size();
    ++load.answered_batches;
  }

  // Up to three batches in flight on an AppendStream to one node. A batch
  // the stream rejects or leaves unanswered is retried by unary Append
  // (alternating nodes); a rejection ends the stream (no new batches on it),
  // and a stream that acknowledged nothing moves the writer to the other
  // node. After 25 batches a stream is closed and reopened at home.
  void RunStream(Load& load) {
    int target = home_;
    while (!load.stop) {
      grpc::ClientContext ctx;
      ctx.set_deadline(In(30));
      auto stream = load.nodes[target]->stub().AppendStream(&ctx);
      std::deque<size_t> in_flight;
      std::vector<size_t> retry;
      bool broken = false;
      int sent = 0, acked_here = 0;
      while (!broken) {
        while (!load.stop && retry.empty() && sent < 25 &&
               in_flight.size() < 3) {
          ++sent;
          batches_.push_back(NewBatch());
          Batch& b = batches_.back();
          ++b.attempts;
          v1::AppendStreamRequest req;
          req.set_batch_id(batches_.size() - 1);
          *req.mutable_batch() = Request(b);
          in_flight.push_back(batches_.size() - 1);
          if (!stream->Write(req)) {
            broken = true;
            break;
          }
        }
        if (broken || in_flight.empty()) break;
        v1::AppendStreamResponse resp;
        if (!stream->Read(&resp)) {
          broken = true;
          break;
        }
        const size_t i = in_flight.front();
        in_flight.pop_front();
        if (resp.batch_id() != i) {
          load.Failure(absl::StrCat("writer ", index_, ": AppendStream answered batch ",
                                    resp.batch_id(), " for ", i));
          retry.push_back(i);
          broken = true;
          break;
        }
        if (resp.has_result()) {
          Accept(batches_[i], resp.result(), target, load);
          ++acked_here;
        } else {
          load.Error(target, resp.error().code(), resp.error().message(),
                     Load::Judged(resp.error().code())
                         ? Explain(batches_[i], target, load)
                         : "");
          retry.push_back(i);
        }
      }
      if (broken) {
        ctx.TryCancel();
      } else {
        stream->WritesDone();
      }
      grpc::Status s = stream->Finish();
      if (broken) load.Error(target, s.error_code(), "AppendStream: " + s.error_message());
      retry.insert(retry.end(), in_flight.begin(), in_flight.end());
      for (size_t i : retry) {
        if (!batches_[i].acked) SendUntilAcked(batches_[i], load, nullptr);
      }
      if (acked_here == 0) {
        target = 1 - target;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      } else {
        target = home_;
      }
    }
  }

  int index_;
  int home_;
  bool streaming_;
  std::mt19937_64 rng_;
  std::deque<Batch> batches_;
  std::vector<v1::Event> subjects_;  // acknowledged events, not retracted
  struct AckedAt {
    uint64_t position;
    int node;
    std::string when;
  };
  std::unordered_map<std::string, AckedAt> acked_at_;  // acknowledged events
};

// The answers compared between query services: temperature series of
// several pairs, resolutions, directions and as-of positions; a group
// series; movers.
std::vector<std::unique_ptr<google::protobuf::Message>> Answers(
    v1::QueryService::Stub& stub, uint64_t head) {
  std::vector<std::unique_ptr<google::protobuf::Message>> out;
  const std::pair<const char*, const char*> pairs[] = {
      {"KOR", "JPN"}, {"USA", "CHN"}, {"PRK", "RUS"}, {"FRA", "GBR"}};
  for (auto [a, b] : pairs) {
    for (v1::Resolution res : {v1::RESOLUTION_YEAR, v1::RESOLUTION_MONTH}) {
      for (uint64_t as_of : {uint64_t{0}, head / 2}) {
        for (bool directed : {false, true}) {
          v1::GetTemperatureRequest req;
          req.set_actor_a(a);
          req.set_actor_b(b);
          req.mutable_options()->set_from("1950");
          req.mutable_options()->set_to("2020-12-31");
          req.mutable_options()->set_resolution(res);
          req.mutable_options()->set_as_of_position(as_of);
          req.mutable_options()->set_directed(directed);
          if (directed && as_of != 0) req.mutable_options()->add_tags("security");
          auto resp = std::make_unique<v1::GetTemperatureResponse>();
          grpc::ClientContext ctx;
          ctx.set_deadline(In(30));
          grpc::Status s = stub.GetTemperature(&ctx, req, resp.get());
          EXPECT_TRUE(s.ok()) << s.error_message();
          out.push_back(std::move(resp));
        }
      }
    }
  }
  {
    v1::GetGroupTemperatureRequest req;
    for (const char* a : {"USA", "KOR", "JPN", "CHN"}) req.add_actors(a);
    req.mutable_options()->set_from("1980");
    req.mutable_options()->set_to("2020");
    req.mutable_options()->set_resolution(v1::RESOLUTION_QUARTER);
    auto resp = std::make_unique<v1::GetGroupTemperatureResponse>();
    grpc::ClientContext ctx;
    ctx.set_deadline(In(30));
    grpc::Status s = stub.GetGroupTemperature(&ctx, req, resp.get());
    EXPECT_TRUE(s.ok()) << s.error_message();
    out.push_back(std::move(resp));
  }
  {
    v1::GetMoversRequest req;
    req.set_from("1990-01-01");
    req.set_to("2015-06-30");
    req.set_limit(20);
    auto resp = std::make_unique<v1::GetMoversResponse>();
    grpc::ClientContext ctx;
    ctx.set_deadline(In(30));
    grpc::Status s = stub.GetMovers(&ctx, req, resp.get());
    EXPECT_TRUE(s.ok()) << s.error_message();
    out.push_back(std::move(resp));
  }
  return out;
}

void ExpectSameAnswers(v1::QueryService::Stub& a, v1::QueryService::Stub& b,
                       uint64_t head, const std::string& what) {
  auto x = Answers(a, head);
  auto y = Answers(b, head);
  ASSERT_EQ(x.size(), y.size());
  int differing = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!MessageDifferencer::Equals(*x[i], *y[i]) && ++differing <= 3) {
      ADD_FAILURE() << what << ": answer " << i << " differs:\n"
                    << x[i]->ShortDebugString().substr(0, 600) << "\nvs\n"
                    << y[i]->ShortDebugString().substr(0, 600);
    }
  }
  EXPECT_EQ(differing, 0) << what;
  // Not vacuous: the first series (KOR-JPN by year) has events, and its
  // answer reflects the whole log.
  const auto* first = dynamic_cast<const v1::GetTemperatureResponse*>(x[0].get());
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->position(), head);
  uint64_t events = 0;
  for (const auto& p : first->points()) events += p.events();
  EXPECT_GT(events, 0u) << what << ": KOR-JPN has no events";
}

// Polls until `pred` holds; false (and a failure naming `what`) after
// `timeout`.
template <typename Pred>
bool WaitUntil(Pred pred, absl::Duration timeout, const std::string& what,
               const std::function<std::string()>& context) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!pred()) {
    if (absl::Now() >= deadline) {
      ADD_FAILURE() << "timed out after " << absl::FormatDuration(timeout)
                    << ": " << what << "\n"
                    << context();
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

TEST_F(ClusterTest, ConcurrentWritersSurviveAKilledNatsServerAndIngestNode) {
  const absl::Time t0 = absl::Now();
  ASSERT_NO_FATAL_FAILURE(StartIngestNodes());
  IngestNode& a = *ingest_[0];
  IngestNode& b = *ingest_[1];
  QueryProc qa(dir_.Sub("query-0"), a.address(), dir_.Sub("query-0-log"));
  QueryProc qb(dir_.Sub("query-1"), b.address(), dir_.Sub("query-1-log"));
  ASSERT_TRUE(qa.Start().ok());
  ASSERT_TRUE(qb.Start().ok());
  std::cout << "started in " << absl::FormatDuration(absl::Now() - t0) << "\n";

  std::mt19937_64 rng(seed_);
  Load load;
  load.nodes = {&a, &b};
  std::vector<std::unique_ptr<Writer>> writers;
  // Writers 0, 1 homed on node 0, 2, 3 on node 1; odd ones stream.
  for (int i = 0; i < 4; ++i) {
    writers.push_back(std::make_unique<Writer>(i, i / 2, i % 2 == 1, rng()));
  }
  std::vector<std::string> timeline;  // written by a thread of `threads`
  std::vector<std::thread> threads;
  auto join = [&] {
    load.stop = true;
    for (std::thread& t : threads) {
      if (t.joinable()) t.join();
    }
  };
  struct Joiner {
    std::function<void()> f;
    ~Joiner() { f(); }
  } joiner{join};
  const absl::Time load_start = absl::Now();
  load.start = load_start;
  auto at = [&] {
    return absl::StrFormat("%5.1f s: ",
                           absl::ToDoubleSeconds(absl::Now() - load_start));
  };
  for (auto& w : writers) {
    threads.emplace_back([&load, w = w.get()] { w->Run(load); });
  }
  // A timeline of the load, printed at the end: events acknowledged via
  // each node and each node's head, every 500 ms.
  threads.emplace_back([&] {
    while (!load.stop) {
      std::string line = absl::StrFormat(
          "%sacknowledged via ingest-0 %6d, via ingest-1 %6d; failed "
          "calls %5d %5d; heads",
          at(), load.acked[0].load(),
          load.acked[1].load(), load.failed_calls[0].load(),
          load.failed_calls[1].load());
      for (IngestNode* n : load.nodes) {
        grpc::ClientContext ctx;
        ctx.set_deadline(In(0.2));
        v1::GetInfoResponse info;
        grpc::Status s = n->stub().GetInfo(&ctx, {}, &info);
        absl::StrAppend(&line, " ", s.ok() ? absl::StrCat(info.head_position()) : "-");
      }
      if (EnvOr("DETENTE_CLUSTER_VERBOSE", 0) != 0) std::cout << line << std::endl;
      timeline.push_back(std::move(line));
      for (int i = 0; i < 50 && !load.stop; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  });
  auto context = [&]() -> std::string {
    std::lock_guard<std::mutex> lock(load.mu);
    std::string out = absl::StrCat("acknowledged via node 0: ", load.acked[0].load(),
                                   ", via node 1: ", load.acked[1].load(), "\n");
    for (const auto& [k, n] : load.errors) {
      absl::StrAppend(&out, k, ": ", n, " (", load.first_error[k], ")\n");
    }
    return out + AllLogs();
  };
  const absl::Duration step = absl::Seconds(60);

  // 1. Load on a healthy cluster; then SIGKILL the stream's leader.
  ASSERT_TRUE(WaitUntil([&] { return load.total() >= 1500; }, step,
                        "1500 events acknowledged on the healthy cluster",
                        context));
  int victim = nats_->StreamLeader(kJetStream);
  std::cout << at() << "JetStream stream leader: node " << victim << "\n";
  if (victim < 0) victim = 1;
  const absl::Time t_nats_kill = absl::Now();
  nats_->Kill(victim);
  const uint64_t at_nats_kill = load.total();
  std::cout << at() << "killed nats-server " << victim << " at " << at_nats_kill
            << " acknowledged events\n";

  // 2. Two NATS servers of three keep acknowledging; then SIGKILL ingest 0.
  ASSERT_TRUE(WaitUntil([&] { return load.total() >= at_nats_kill + 1000; },
                        step,
                        "1000 more events acknowledged with a NATS server down",
                        context));
  std::cout << at() << "1000 more acknowledged "
            << absl::FormatDuration(absl::Now() - t_nats_kill)
            << " after the NATS kill\n";
  a.Kill();
  const uint64_t b_at_kill = load.acked[1];
  std::cout << at() << "killed ingest-0 at " << load.total() << " acknowledged events\n";

  // 3. Node 1 alone takes the load (its writers and node 0's).
  ASSERT_TRUE(WaitUntil([&] { return load.acked[1] >= b_at_kill + 800; }, step,
                        "800 more events acknowledged via ingest-1 with "
                        "ingest-0 and a NATS server down",
                        context));

  // 4. Both come back: the NATS server on its ports and store, ingest-0 on
  // its address and data directory; it serves appends again.
  absl::Status restarted = nats_->Restart(victim);
  ASSERT_TRUE(restarted.ok()) << restarted << "\n" << nats_->LogText(victim);
  const absl::Time t_back = absl::Now();
  restarted = a.Start();
  ASSERT_TRUE(restarted.ok()) << restarted;
  std::cout << at() << "ingest-0 answered " << absl::FormatDuration(absl::Now() - t_back)
            << " after its restart\n";
  const uint64_t a_at_restart = load.acked[0];
  ASSERT_TRUE(WaitUntil([&] { return load.acked[0] >= a_at_restart + 800; },
                        step,
                        "800 events acknowledged via the restarted ingest-0",
                        context));
  join();
  for (const std::string& line : timeline) std::cout << line << "\n";
  std::cout << at() << "load over after " << absl::FormatDuration(absl::Now() - t0)
            << ": " << load.answered_batches << " answers, "
            << load.total() << " events acknowledged\n";

  // 5. Every batch not acknowledged is sent again until it is.
  int retried = 0, were_committed = 0;
  const absl::Time until = absl::Now() + absl::Seconds(60);
  for (auto& w : writers) {
    for (Batch& bt : w->batches()) {
      if (bt.acked) continue;
      ++retried;
      ASSERT_TRUE(w->SendUntilAcked(bt, load, &until))
          << "a batch was never acknowledged\n" << context();
      were_committed += bt.duplicate;
    }
  }
  {
    std::lock_guard<std::mutex> lock(load.mu);
    for (const auto& [k, n] : load.errors) {
      std::cout << "errors " << k << ": " << n << " (" << load.first_error[k]
                << ")\n";
    }
    // Wrong answers fail the test; the checks of the log go on (the
    // refused batches were sent again until acknowledged).
    for (size_t i = 0; i < load.failures.size() && i < 10; ++i) {
      ADD_FAILURE() << load.failures[i];
    }
    EXPECT_TRUE(load.failures.empty()) << load.failures.size() << " wrong answers";
  }
  absl::Status healthy = nats_->WaitHealthy(absl::Seconds(60));
  ASSERT_TRUE(healthy.ok()) << healthy << "\n" << nats_->Describe();

  // What the writers know: every id, where it was answered.
  struct Known {
    const Batch* batch;
    size_t index;
  };
  std::unordered_map<std::string, Known> known;
  uint64_t generated = 0, retried_batches = 0, duplicate_answers = 0;
  for (auto& w : writers) {
    for (const Batch& bt : w->batches()) {
      ASSERT_TRUE(bt.acked);
      retried_batches += bt.attempts > 1;
      duplicate_answers += bt.duplicate;
      for (size_t i = 0; i < bt.events.size(); ++i) {
        ASSERT_TRUE(known.emplace(bt.events[i].event_id(), Known{&bt, i}).second)
            << "the test drew an id twice";
      }
      generated += bt.events.size();
    }
  }
  std::cout << generated << " events in "
            << known.size() << " ids; " << retried_batches
            << " batches needed more than one call, " << duplicate_answers
            << " were answered as duplicates (committed before their answer "
               "was lost); " << retried << " retried after the load ("
            << were_committed << " of them already committed)\n";

  // 6. Both nodes serve the same log, which is exactly the generated events.
  std::string heads;
  std::optional<uint64_t> head =
      WaitSameHead(a, b, generated, absl::Seconds(60), &heads);
  ASSERT_TRUE(head.has_value()) << "the nodes do not agree on a head of at least "
                                << generated << ": " << heads << "\n" << AllLogs();
  EXPECT_EQ(*head, generated) << "the log holds more entries than were written";
  std::vector<std::vector<v1::RecordedEvent>> logs;
  for (IngestNode* node : {&a, &b}) {
    SCOPED_TRACE(node->name());
    std::vector<v1::RecordedEvent> events;
    ASSERT_NO_FATAL_FAILURE(ReadNodeLog(*node, *head, &events));
    std::unordered_set<std::string> seen;
    std::map<std::string, uint64_t> next_revision;
    int wrong = 0;
    for (size_t i = 0; i < events.size(); ++i) {
      const v1::RecordedEvent& e = events[i];
      const std::string& id = e.event().event_id();
      EXPECT_TRUE(seen.insert(id).second) << id << " is in the log twice";
      auto it = known.find(id);
      if (it == known.end()) {
        ADD_FAILURE() << "position " << i + 1 << ": " << id
                      << " is no id the test wrote";
        continue;
      }
      const Batch& bt = *it->second.batch;
      const size_t k = it->second.index;
      // The batch is contiguous, in request order, where it was answered.
      if (e.position() != bt.positions[k] ||
          (k > 0 && bt.positions[k] != bt.positions[0] + k)) {
        if (++wrong <= 3) {
          ADD_FAILURE() << id << " at position " << e.position()
                        << ", answered " << bt.positions[k] << " (entry " << k
                        << " of a batch answered at " << bt.positions[0] << ")";
        }
      }
      EXPECT_EQ(e.stream_revision(), next_revision[e.stream()]++)
          << "stream " << e.stream() << " at position " << e.position();
    }
    EXPECT_EQ(wrong, 0);
    EXPECT_EQ(seen.size(), known.size()) << "acknowledged events are missing";
    logs.push_back(std::move(events));
  }
  ExpectSameLog(logs[0], logs[1], "ingest-0 vs ingest-1", false);

  // 7. Both query nodes follow to the head and answer alike.
  ASSERT_TRUE(qa.WaitFor(*head, 90)) << "query-0 at " << qa.Status().ShortDebugString();
  ASSERT_TRUE(qb.WaitFor(*head, 90)) << "query-1 at " << qb.Status().ShortDebugString();
  ExpectSameAnswers(qa.stub(), qb.stub(), *head, "query-0 vs query-1");

  // 8. A single node given the same entries in position order gives the
  // same log (but for recorded_at) and the same answers.
  auto single = IngestProcess::Start({.binary = DETENTE_INGEST_BIN,
                                      .data_dir = dir_.Sub("single"),
                                      .log_dir = dir_.path(),
                                      .extra_args = {"--durability", "async"}});
  ASSERT_TRUE(single.ok()) << single.status();
  QueryProc qs(dir_.Sub("query-single"), (*single)->address(),
               dir_.Sub("query-single-log"));
  ASSERT_TRUE(qs.Start().ok());
  const std::vector<v1::RecordedEvent>& log = logs[0];
  for (size_t from = 0; from < log.size(); from += 2000) {
    const size_t to = std::min(log.size(), from + 2000);
    v1::AppendRequest req;
    for (size_t i = from; i < to; ++i) *req.add_entries() = log[i].event();
    grpc::ClientContext ctx;
    ctx.set_deadline(In(60));
    v1::AppendResponse resp;
    grpc::Status s = (*single)->stub().Append(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(resp.first_position(), from + 1);
    ASSERT_EQ(resp.last_position(), to);
  }
  {
    v1::ReadRequest req;
    req.set_batch_size(10000);
    ReadOutcome all = ReadAll((*single)->stub(), req);
    ASSERT_TRUE(all.status.ok()) << all.status.error_message();
    ExpectSameLog(all.events, log, "single node vs cluster", true);
  }
  ASSERT_TRUE(qs.WaitFor(*head, 90));
  ExpectSameAnswers(qa.stub(), qs.stub(), *head, "cluster vs single node");

  // The cluster's ingest nodes shut down cleanly (their followers first:
  // a graceful shutdown waits for open Subscribe calls).
  for (QueryProc* q : {&qa, &qb}) {
    q->process().Kill(SIGTERM);
    EXPECT_TRUE(q->process().WaitFor(absl::Seconds(20)).has_value());
  }
  for (IngestNode* node : {&a, &b}) {
    std::optional<ExitStatus> exit = node->Stop();
    ASSERT_TRUE(exit.has_value()) << node->name() << " ignored SIGTERM";
    EXPECT_TRUE(exit->exited && exit->code == 0)
        << node->name() << ": " << exit->ToString() << "\n"
        << Tail(node->Logs());
  }
  std::cout << "total " << absl::FormatDuration(absl::Now() - t0) << "\n";
}

// ---------------------------------------------------------------------------
// Conflicting expected revisions through two nodes.

TEST_F(ClusterTest, ExactlyOneOfConflictingAppendsWins) {
  const absl::Time t0 = absl::Now();
  ASSERT_NO_FATAL_FAILURE(StartIngestNodes());
  IngestNode* nodes[2] = {ingest_[0].get(), ingest_[1].get()};
  const int rounds = static_cast<int>(EnvOr("DETENTE_CLUSTER_ROUNDS", 100));
  std::mt19937_64 rng(seed_);

  // Appends to other streams through both nodes all along, so that the
  // contenders also race with commits that do not touch their stream.
  std::atomic<bool> stop{false};
  std::atomic<int> noise_batches{0};
  std::mutex noise_mu;
  std::vector<std::string> noise_failures;
  std::thread noise([&, seed = rng()] {
    std::mt19937_64 r(seed);
    const char* others[] = {"KOR", "JPN", "GBR", "FRA", "PRK", "RUS"};
    for (int i = 0; !stop; ++i) {
      v1::AppendRequest req;
      const int n = 1 + static_cast<int>(r() % 10);
      for (int k = 0; k < n; ++k) {
        const int s = static_cast<int>(r() % 6);
        const int t = static_cast<int>((s + 1 + r() % 5) % 6);
        *req.add_entries() = MakeEvent(
            RandomUuid(r), absl::StrFormat("%04d-%02d-01", 1990 + r() % 30, 1 + r() % 12),
            others[s], others[t], "042", "noise");
      }
      grpc::ClientContext ctx;
      ctx.set_deadline(In(30));
      v1::AppendResponse resp;
      grpc::Status s = nodes[i % 2]->stub().Append(&ctx, req, &resp);
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(noise_mu);
        noise_failures.push_back(absl::StrCat("node ", i % 2, ": ", s.error_code(),
                                              " ", s.error_message()));
        return;
      }
      ++noise_batches;
    }
  });
  struct Joiner {
    std::atomic<bool>& stop;
    std::thread& t;
    ~Joiner() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } joiner{stop, noise};

  struct Contender {
    int node = 0;
    v1::AppendRequest req;
    grpc::Status status;
    v1::AppendResponse resp;
  };
  std::vector<std::string> winner_ids;
  std::vector<Contender> winners, losers;
  std::optional<uint64_t> last_revision;
  int wins[2] = {0, 0};
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    const int n = round % 4 == 3 ? 4 : 2;
    std::vector<Contender> c(n);
    for (int k = 0; k < n; ++k) {
      c[k].node = (k + round) % 2;
      const int size = 1 + static_cast<int>(rng() % 5);
      for (int e = 0; e < size; ++e) {
        const bool flip = rng() & 1;
        *c[k].req.add_entries() = MakeEvent(
            RandomUuid(rng), absl::StrFormat("2001-%02d-%02d", 1 + rng() % 12, 1 + rng() % 28),
            flip ? "CHN" : "USA", flip ? "USA" : "CHN", kCodes[rng() % std::size(kCodes)],
            absl::StrCat("round ", round, " contender ", k));
      }
      if (last_revision) {
        c[k].req.set_expected_revision_kind(v1::EXPECTED_REVISION_KIND_EXACT);
        c[k].req.set_expected_revision(*last_revision);
      } else {
        c[k].req.set_expected_revision_kind(v1::EXPECTED_REVISION_KIND_NO_STREAM);
      }
    }
    // Released together.
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int k = 0; k < n; ++k) {
      threads.emplace_back([&, k] {
        Contender& me = c[k];
        grpc::ClientContext ctx;
        ctx.set_deadline(In(30));
        ++ready;
        while (!go) std::this_thread::yield();
        me.status = nodes[me.node]->stub().Append(&ctx, me.req, &me.resp);
      });
    }
    while (ready < n) std::this_thread::yield();
    go = true;
    for (std::thread& t : threads) t.join();

    std::string outcome;
    int won = -1, ok = 0;
    for (int k = 0; k < n; ++k) {
      absl::StrAppend(&outcome, "\n  contender ", k, " via node ", c[k].node,
                      ": ", c[k].status.error_code(), " ",
                      c[k].status.error_message());
      if (c[k].status.ok()) {
        ++ok;
        won = k;
      }
    }
    ASSERT_EQ(ok, 1) << "expected exactly one winner of " << n
                     << " appends expecting revision "
                     << (last_revision ? absl::StrCat(*last_revision) : "none")
                     << outcome << "\n" << AllLogs();
    const Contender& w = c[won];
    ++wins[w.node];
    const uint64_t first_rev = last_revision ? *last_revision + 1 : 0;
    ASSERT_EQ(w.resp.results_size(), w.req.entries_size());
    for (int i = 0; i < w.resp.results_size(); ++i) {
      const v1::EntryResult& r = w.resp.results(i);
      EXPECT_FALSE(r.duplicate());
      EXPECT_EQ(r.stream(), "CHN-USA");
      EXPECT_EQ(r.stream_revision(), first_rev + i);
      EXPECT_EQ(r.position(), w.resp.first_position() + i);
      winner_ids.push_back(w.req.entries(i).event_id());
    }
    last_revision = first_rev + w.resp.results_size() - 1;
    for (int k = 0; k < n; ++k) {
      if (k == won) continue;
      EXPECT_EQ(c[k].status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
          << outcome;
      const std::vector<std::string> fields = BadRequestFields(c[k].status);
      EXPECT_NE(std::find(fields.begin(), fields.end(), "expected_revision"),
                fields.end())
          << c[k].status.error_message();
      losers.push_back(c[k]);
    }
    winners.push_back(w);
  }
  stop = true;
  noise.join();
  ASSERT_TRUE(noise_failures.empty()) << noise_failures[0];
  std::cout << rounds << " rounds: node 0 won " << wins[0] << ", node 1 won "
            << wins[1] << "; " << noise_batches << " other batches meanwhile; "
            << absl::FormatDuration(absl::Now() - t0) << "\n";

  // The stream is the winners' batches in round order, on both nodes.
  std::string heads;
  std::optional<uint64_t> head =
      WaitSameHead(*nodes[0], *nodes[1], 0, absl::Seconds(30), &heads);
  ASSERT_TRUE(head.has_value()) << heads;
  std::vector<std::vector<v1::RecordedEvent>> streams;
  for (IngestNode* node : nodes) {
    SCOPED_TRACE(node->name());
    v1::ReadRequest req;
    req.set_batch_size(10000);
    req.mutable_filter()->set_stream("CHN-USA");
    ReadOutcome all = ReadAll(node->stub(), req);
    ASSERT_TRUE(all.status.ok()) << all.status.error_message();
    ASSERT_EQ(all.events.size(), winner_ids.size());
    for (size_t i = 0; i < all.events.size(); ++i) {
      EXPECT_EQ(all.events[i].stream_revision(), i);
      EXPECT_EQ(all.events[i].event().event_id(), winner_ids[i]);
    }
    std::vector<std::string> ids;
    ASSERT_TRUE(ReadIds(node->stub(), &ids).ok());
    EXPECT_EQ(ids.size(), *head);
    const std::unordered_set<std::string> present(ids.begin(), ids.end());
    EXPECT_EQ(present.size(), ids.size()) << "an id is in the log twice";
    for (const Contender& l : losers) {
      for (const auto& e : l.req.entries()) {
        EXPECT_FALSE(present.contains(e.event_id()))
            << "a losing append's event is in the log";
      }
    }
    streams.push_back(std::move(all.events));
  }
  ExpectSameLog(streams[0], streams[1], "CHN-USA on node 0 vs node 1", false);

  // Retries: a winner's batch through the other node is a duplicate (no
  // revision check); a loser's still fails its check.
  for (size_t i = 0; i < winners.size(); i += 7) {
    const Contender& w = winners[i];
    grpc::ClientContext ctx;
    ctx.set_deadline(In(30));
    v1::AppendResponse resp;
    grpc::Status s = nodes[1 - w.node]->stub().Append(&ctx, w.req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(resp.results_size(), w.resp.results_size());
    for (int k = 0; k < resp.results_size(); ++k) {
      EXPECT_TRUE(resp.results(k).duplicate());
      EXPECT_EQ(resp.results(k).position(), w.resp.results(k).position());
    }
  }
  for (size_t i = 0; i < losers.size(); i += 5) {
    const Contender& l = losers[i];
    grpc::ClientContext ctx;
    ctx.set_deadline(In(30));
    v1::AppendResponse resp;
    EXPECT_EQ(nodes[1 - l.node]->stub().Append(&ctx, l.req, &resp).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
}

// ---------------------------------------------------------------------------
// An acknowledged append is part of the log for the next append through the
// other node (a client behind a load balancer): its event may be corrected
// there, and its stream revision expected there, at once.

TEST_F(ClusterTest, TheNextAppendThroughTheOtherNodeSeesAnAcknowledgedOne) {
  ASSERT_NO_FATAL_FAILURE(StartIngestNodes());
  IngestNode* nodes[2] = {ingest_[0].get(), ingest_[1].get()};
  // The window is short (a few percent of rounds hit it when it is open):
  // three times the rounds of the other test.
  const int rounds =
      3 * static_cast<int>(EnvOr("DETENTE_CLUSTER_ROUNDS", 100));
  std::mt19937_64 rng(seed_);
  auto append = [&](int node, const v1::AppendRequest& req,
                    v1::AppendResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(In(30));
    return nodes[node]->stub().Append(&ctx, req, resp);
  };
  std::optional<uint64_t> last_revision;
  std::vector<std::string> refusals;
  uint64_t expected_entries = 0;
  for (int round = 0; round < rounds; ++round) {
    const int first = round % 2, second = 1 - first;
    // An event through one node...
    v1::AppendRequest req;
    *req.add_entries() = MakeEvent(
        RandomUuid(rng), absl::StrFormat("2005-%02d-%02d", 1 + rng() % 12, 1 + rng() % 28),
        "GBR", "FRA", kCodes[rng() % std::size(kCodes)], absl::StrCat("round ", round));
    if (last_revision) {
      req.set_expected_revision_kind(v1::EXPECTED_REVISION_KIND_EXACT);
      req.set_expected_revision(*last_revision);
    } else {
      req.set_expected_revision_kind(v1::EXPECTED_REVISION_KIND_NO_STREAM);
    }
    v1::AppendResponse resp;
    grpc::Status s = append(first, req, &resp);
    ASSERT_TRUE(s.ok()) << "round " << round << " via ingest-" << first << ": "
                        << s.error_code() << " " << s.error_message();
    ASSERT_EQ(resp.results_size(), 1);
    const uint64_t position = resp.results(0).position();
    last_revision = resp.results(0).stream_revision();
    ++expected_entries;
    // ... then at once, through the other node, expecting the revision
    // just answered: its correction (rounds 0, 2, ...) or another event of
    // the pair (1, 3, ...).
    v1::AppendRequest next;
    v1::Event follow = req.entries(0);
    follow.set_event_id(RandomUuid(rng));
    follow.set_event_code("042");
    if (round % 2 == 0) {
      follow.set_kind(v1::ENTRY_KIND_CORRECTION);
      follow.set_subject_event_id(req.entries(0).event_id());
    }
    *next.add_entries() = follow;
    next.set_expected_revision_kind(v1::EXPECTED_REVISION_KIND_EXACT);
    next.set_expected_revision(*last_revision);
    v1::AppendResponse next_resp;
    s = append(second, next, &next_resp);
    if (!s.ok()) {
      v1::GetInfoResponse info;
      (void)GetInfo(nodes[second]->stub(), &info);
      refusals.push_back(absl::StrCat(
          "round ", round, ": ingest-", first, " acknowledged event ",
          req.entries(0).event_id(), " at position ", position, " (revision ",
          *last_revision, "); right after, ingest-", second,
          " refused ", round % 2 == 0 ? "its correction" : "another event",
          " expecting that revision: ", s.error_code(),
          " ", s.error_message(), " (its head just after: ",
          info.head_position(), ")"));
      // The same request once the nodes agree: it must be taken then.
      std::string heads;
      ASSERT_TRUE(WaitSameHead(*nodes[0], *nodes[1], position,
                               absl::Seconds(30), &heads))
          << heads;
      next_resp.Clear();
      s = append(second, next, &next_resp);
      ASSERT_TRUE(s.ok()) << "round " << round << ", again once caught up: "
                          << s.error_code() << " " << s.error_message();
    }
    ASSERT_EQ(next_resp.results_size(), 1);
    EXPECT_FALSE(next_resp.results(0).duplicate());
    EXPECT_EQ(next_resp.results(0).position(), position + 1);
    EXPECT_EQ(next_resp.results(0).stream_revision(), *last_revision + 1);
    last_revision = next_resp.results(0).stream_revision();
    ++expected_entries;
  }
  for (size_t i = 0; i < refusals.size() && i < 5; ++i) ADD_FAILURE() << refusals[i];
  EXPECT_EQ(refusals.size(), 0u) << "of " << rounds << " rounds";
  std::string heads;
  std::optional<uint64_t> head =
      WaitSameHead(*nodes[0], *nodes[1], expected_entries, absl::Seconds(30), &heads);
  ASSERT_TRUE(head.has_value()) << heads;
  EXPECT_EQ(*head, expected_entries);
}

// ---------------------------------------------------------------------------
// A node's copy restored from an older backup: the node re-applies what it
// lacks from the stream (it resumes after the sequence its copy stored).

TEST_F(ClusterTest, ANodeRestoredFromAnOlderCopyReappliesTheMissingSuffix) {
  const absl::Time t0 = absl::Now();
  ASSERT_NO_FATAL_FAILURE(StartIngestNodes());
  IngestNode& a = *ingest_[0];
  IngestNode& b = *ingest_[1];
  IngestNode* nodes[2] = {&a, &b};
  std::mt19937_64 rng(seed_);
  constexpr int kBatch = 50;
  // What was appended, in order (one writer, so each batch lands right
  // after the one before): requests, answers, and the id at each position.
  std::vector<v1::AppendRequest> sent;
  std::vector<v1::AppendResponse> answered;
  std::vector<std::string> ids;  // ids[p - 1]: the id appended at position p
  auto append = [&](int node) {
    v1::AppendRequest req;
    for (int i = 0; i < kBatch; ++i) {
      const int s = static_cast<int>(rng() % 8);
      const int t = static_cast<int>((s + 1 + rng() % 7) % 8);
      *req.add_entries() =
          MakeEvent(RandomUuid(rng),
                    absl::StrFormat("%04d-%02d-%02d", 1960 + rng() % 60,
                                    1 + rng() % 12, 1 + rng() % 28),
                    kActors[s], kActors[t], kCodes[rng() % std::size(kCodes)],
                    absl::StrCat("batch ", sent.size()));
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(In(30));
    v1::AppendResponse resp;
    grpc::Status s = nodes[node]->stub().Append(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << "batch " << sent.size() << " via "
                        << nodes[node]->name() << ": " << s.error_code() << " "
                        << s.error_message() << "\n"
                        << AllLogs();
    ASSERT_EQ(resp.results_size(), kBatch);
    ASSERT_EQ(resp.first_position(), ids.size() + 1)
        << "batch " << sent.size() << " via " << nodes[node]->name();
    ASSERT_EQ(resp.last_position(), ids.size() + kBatch);
    for (const auto& r : resp.results()) ASSERT_FALSE(r.duplicate());
    for (const auto& e : req.entries()) ids.push_back(e.event_id());
    sent.push_back(std::move(req));
    answered.push_back(std::move(resp));
  };
  auto same_head = [&](uint64_t expected) {
    std::string heads;
    std::optional<uint64_t> head =
        WaitSameHead(a, b, expected, absl::Seconds(30), &heads);
    ASSERT_TRUE(head.has_value())
        << "the nodes do not agree on a head of " << expected
        << " within 30 s: " << heads << "\n"
        << Tail(b.Logs(), 8000);
    ASSERT_EQ(*head, expected) << "more entries than were appended";
  };

  // 1. 150 entries through both nodes; node 1's copy is backed up there.
  for (int i = 0; i < 3; ++i) ASSERT_NO_FATAL_FAILURE(append(i % 2));
  ASSERT_NO_FATAL_FAILURE(same_head(150));
  const std::string backup = dir_.Sub("ingest-1-backup");
  {
    v1::BackupRequest req;
    req.set_directory(backup);
    v1::BackupResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(In(30));
    grpc::Status s = b.stub().Backup(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    ASSERT_EQ(resp.head_position(), 150u);
    ASSERT_EQ(resp.entry_count(), 150u);
  }

  // 2. 150 more, on both nodes.
  for (int i = 3; i < 6; ++i) ASSERT_NO_FATAL_FAILURE(append(i % 2));
  ASSERT_NO_FATAL_FAILURE(same_head(300));

  // 3. Node 1 stops cleanly; its data directory is replaced by a copy of
  // the backup (the replaced one moved aside); it starts again on it.
  {
    std::optional<ExitStatus> exit = b.Stop();
    ASSERT_TRUE(exit.has_value()) << b.name() << " ignored SIGTERM";
    ASSERT_TRUE(exit->exited && exit->code == 0) << exit->ToString() << "\n"
                                                 << Tail(b.Logs());
  }
  const std::string data_dir = dir_.Sub("ingest-1");
  std::error_code ec;
  std::filesystem::rename(data_dir, dir_.Sub("ingest-1.replaced"), ec);
  ASSERT_FALSE(ec) << ec.message();
  std::filesystem::copy(backup, data_dir,
                        std::filesystem::copy_options::recursive, ec);
  ASSERT_FALSE(ec) << ec.message();
  const absl::Time t_restart = absl::Now();
  {
    absl::Status s = b.Start();
    ASSERT_TRUE(s.ok()) << s;
  }
  v1::GetInfoResponse info;
  ASSERT_TRUE(GetInfo(b.stub(), &info).ok());
  std::cout << b.name() << " answered "
            << absl::FormatDuration(absl::Now() - t_restart)
            << " after its restart, at head " << info.head_position() << "\n";
  // Not vacuous: it opened the backup's copy, not the replaced one.
  {
    const std::string logs = b.Logs();
    const std::string restarted =
        logs.substr(logs.rfind(absl::StrCat("--- ", b.name(), " start ")));
    EXPECT_NE(restarted.find(absl::StrCat(data_dir, " (head 150, ")),
              std::string::npos)
        << "the restarted node did not open a copy at head 150:\n"
        << Tail(restarted);
  }

  // 4. One batch more through node 0; node 1 reaches the same head and
  // serves the same log, which is exactly the 350 entries appended.
  ASSERT_NO_FATAL_FAILURE(append(0));
  ASSERT_NO_FATAL_FAILURE(same_head(350));
  std::cout << b.name() << " caught up "
            << absl::FormatDuration(absl::Now() - t_restart)
            << " after its restart\n";
  std::vector<std::vector<v1::RecordedEvent>> logs;
  for (IngestNode* node : nodes) {
    SCOPED_TRACE(node->name());
    std::vector<v1::RecordedEvent> events;
    ASSERT_NO_FATAL_FAILURE(ReadNodeLog(*node, ids.size(), &events));
    int wrong = 0;
    for (size_t p = 0; p < events.size(); ++p) {
      const v1::RecordedEvent& e = events[p];
      if (e.event().event_id() != ids[p] && ++wrong <= 3) {
        ADD_FAILURE() << "position " << p + 1 << " holds "
                      << e.event().event_id() << ", appended there: " << ids[p];
      }
    }
    EXPECT_EQ(wrong, 0);
    logs.push_back(std::move(events));
  }
  ExpectSameLog(logs[0], logs[1], "ingest-0 vs the restored ingest-1", false);

  // 5. Batches answered before the restore, in the backup (0) and past it
  // (4, re-applied from the stream), retried through node 1: duplicates at
  // the positions first answered.
  for (size_t k : {size_t{0}, size_t{4}}) {
    SCOPED_TRACE(absl::StrCat("batch ", k, " again via ", b.name()));
    grpc::ClientContext ctx;
    ctx.set_deadline(In(30));
    v1::AppendResponse resp;
    grpc::Status s = b.stub().Append(&ctx, sent[k], &resp);
    ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    ASSERT_EQ(resp.results_size(), kBatch);
    for (int i = 0; i < kBatch; ++i) {
      EXPECT_TRUE(resp.results(i).duplicate()) << "entry " << i;
      EXPECT_EQ(resp.results(i).position(), answered[k].results(i).position())
          << "entry " << i;
    }
  }

  // 6. Node 1 commits again, after them.
  ASSERT_NO_FATAL_FAILURE(append(1));
  ASSERT_NO_FATAL_FAILURE(same_head(400));
  std::cout << "total " << absl::FormatDuration(absl::Now() - t0) << "\n";
}

TEST_F(ClusterTest, ANodeWhoseDiskFilledCatchesUpFromTheStream) {
  TmpfsMount disk(dir_.Sub("disk-1"), "16m");
  if (!disk.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs (needs root / CAP_SYS_ADMIN): "
                 << disk.error();
  }
  ingest_.push_back(StartIngest(0));
  ingest_.push_back(StartIngest(1, dir_.Sub("disk-1") + "/data"));
  ASSERT_NE(ingest_[0], nullptr);
  ASSERT_NE(ingest_[1], nullptr);
  IngestNode& a = *ingest_[0];
  IngestNode& b = *ingest_[1];
  std::mt19937_64 rng(seed_);
  // Every batch sent, with its answer (or failure).
  struct Sent {
    std::vector<v1::Event> events;
    grpc::Status status;
    v1::AppendResponse answer;
  };
  std::vector<Sent> sent;
  auto append = [&](IngestNode& node) -> const grpc::Status& {
    // 200 events with 280-byte titles: ~80 KB per batch on disk.
    Sent batch{RandomBatch(rng, 200, std::string(280, 'a' + sent.size() % 26))};
    grpc::ClientContext ctx;
    ctx.set_deadline(In(30));
    batch.status =
        node.stub().Append(&ctx, ToRequest(batch.events), &batch.answer);
    sent.push_back(std::move(batch));
    return sent.back().status;
  };
  auto node_1_health = [&] {
    return HealthStatus(b.address(), "detente.v1.IngestService");
  };

  // 1. Three batches that both nodes hold.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(append(a).ok());
  {
    std::string heads;
    ASSERT_TRUE(WaitSameHead(a, b, 600, absl::Seconds(30), &heads)) << heads;
  }

  // 2. A filler file keeps node 1's disk full: it takes whatever space is
  // free every 20 ms (RocksDB frees some when it deletes obsolete files).
  DiskFiller filler(dir_.Sub("disk-1"));

  // 3. Through node 0 until node 1 cannot write (NOT_SERVING), then a few
  // batches more that node 1 misses.
  bool full = false;
  for (int i = 0; i < 400 && !full; ++i) {
    const grpc::Status& s = append(a);
    ASSERT_TRUE(s.ok()) << "node 0 refused batch " << i << ": "
                        << s.error_code() << " " << s.error_message() << "\n"
                        << AllLogs();
    full = node_1_health() == 2;
  }
  for (int i = 0; i < 100 && !full; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    full = node_1_health() == 2;
  }
  ASSERT_TRUE(full) << "node 1 never reported NOT_SERVING on its full disk\n"
                    << Tail(b.Logs());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(append(a).ok());
  v1::GetInfoResponse info0;
  ASSERT_TRUE(GetInfo(a.stub(), &info0).ok());
  std::cout << sent.size() << " batches through node 0, head "
            << info0.head_position() << "\n";

  // 4. Node 1 is broken, not dead: it refuses appends (UNAVAILABLE: nothing
  // acknowledged) and still answers GetInfo, behind node 0.
  ASSERT_TRUE(b.running()) << Tail(b.Logs());
  {
    const grpc::Status& s = append(b);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE)
        << s.error_code() << " " << s.error_message();
  }
  v1::GetInfoResponse info1;
  ASSERT_TRUE(GetInfo(b.stub(), &info1).ok());
  EXPECT_GE(info1.head_position(), 600u);
  EXPECT_LT(info1.head_position(), info0.head_position());
  std::cout << "node 1 stopped at head " << info1.head_position() << "\n";

  // 5. The filler stops and the disk grows: node 1 recovers by itself and
  // catches up.
  filler.Stop();
  ASSERT_TRUE(disk.Resize("256m"));
  const absl::Time grown = absl::Now();
  int health = 0;
  for (int i = 0; i < 600 && health != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    health = node_1_health();
  }
  ASSERT_EQ(health, 1) << "node 1 not SERVING 30 s after its disk grew\n"
                       << Tail(b.Logs());
  std::string heads;
  std::optional<uint64_t> head =
      WaitSameHead(a, b, info0.head_position(), absl::Seconds(30), &heads);
  ASSERT_TRUE(head.has_value()) << heads << "\n" << Tail(b.Logs());
  std::cout << "node 1 caught up " << absl::FormatDuration(absl::Now() - grown)
            << " after its disk grew\n";

  // 6. Node 1 commits again, right after the head.
  {
    const grpc::Status& s = append(b);
    ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    EXPECT_EQ(sent.back().answer.first_position(), *head + 1);
  }
  head = WaitSameHead(a, b, *head + 200, absl::Seconds(30), &heads);
  ASSERT_TRUE(head.has_value()) << heads;

  // 7. Both logs are the same and hold exactly what was acknowledged, each
  // batch where it was answered, failed batches all or nothing.
  std::vector<std::vector<v1::RecordedEvent>> logs;
  for (IngestNode* node : {&a, &b}) {
    std::vector<v1::RecordedEvent> events;
    ASSERT_NO_FATAL_FAILURE(ReadNodeLog(*node, *head, &events));
    logs.push_back(std::move(events));
  }
  ExpectSameLog(logs[0], logs[1], "ingest-0 vs ingest-1", false);
  std::unordered_map<std::string, uint64_t> at;  // id -> position
  for (const v1::RecordedEvent& e : logs[0]) {
    ASSERT_TRUE(at.emplace(e.event().event_id(), e.position()).second)
        << "id twice: " << e.event().event_id();
  }
  size_t known = 0;
  for (size_t k = 0; k < sent.size(); ++k) {
    SCOPED_TRACE(absl::StrCat("batch ", k));
    const Sent& batch = sent[k];
    size_t present = 0;
    for (size_t i = 0; i < batch.events.size(); ++i) {
      auto it = at.find(batch.events[i].event_id());
      if (it == at.end()) continue;
      ++present;
      if (batch.status.ok()) {
        EXPECT_EQ(it->second, batch.answer.results(i).position());
      }
    }
    known += present;
    if (batch.status.ok()) {
      EXPECT_EQ(present, batch.events.size()) << "acknowledged, then lost";
    } else {
      EXPECT_TRUE(present == 0 || present == batch.events.size())
          << present << " of a failed batch";
    }
  }
  EXPECT_EQ(known, logs[0].size()) << "the log holds ids nobody appended";
  b.Kill();  // before its disk is unmounted
}

}  // namespace
}  // namespace detente::itest
