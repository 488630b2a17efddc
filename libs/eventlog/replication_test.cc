// Cluster mode of RocksEventLog (eventlog/replication.h) with an in-memory
// replicated log shared by several nodes: the contract that libs/jetstream
// implements over NATS, checked here without a network.
#include "eventlog/replication.h"

#include <gtest/gtest.h>
#include <rocksdb/env.h>

#include <atomic>
#include <deque>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "eventlog/faulty_fs.h"
#include "eventlog/record_codec.h"
#include "eventlog/rocks_event_log.h"
#include "eventlog/storage.pb.h"
#include "eventlog/test_entries.h"
#include "eventlog/verify.h"

namespace detente {
namespace {

using ::detente::testing::Fault;
using ::detente::testing::FaultyFs;
using ::detente::testing::MakeCorrection;
using ::detente::testing::MakeEvent;
using ::detente::testing::MakeRetraction;

// The replicated log: encoded groups, sequence i+1 at index i.
class MemoryReplicatedLog {
 public:
  // Appends when the log holds exactly `after` groups.
  // Wakes every subscribed node (under the lock, so that a node that
  // unsubscribes is never woken afterwards).
  bool CompareAndAppend(uint64_t after, std::string group) {
    std::lock_guard lock(mu_);
    if (groups_.size() != after) return false;
    groups_.push_back(std::move(group));
    for (auto& [who, wake] : wakes_) wake();
    return true;
  }
  std::vector<std::string> After(uint64_t after) {
    std::lock_guard lock(mu_);
    if (after >= groups_.size()) return {};
    return {groups_.begin() + after, groups_.end()};
  }
  size_t size() {
    std::lock_guard lock(mu_);
    return groups_.size();
  }
  void Subscribe(const void* who, std::function<void()> wake) {
    std::lock_guard lock(mu_);
    wakes_.emplace_back(who, std::move(wake));
  }
  void Unsubscribe(const void* who) {
    std::lock_guard lock(mu_);
    std::erase_if(wakes_, [&](const auto& w) { return w.first == who; });
  }

 private:
  std::mutex mu_;
  std::vector<std::string> groups_;
  std::vector<std::pair<const void*, std::function<void()>>> wakes_;
};

class MemoryReplicator : public Replicator {
 public:
  explicit MemoryReplicator(MemoryReplicatedLog* log) : log_(log) {}
  ~MemoryReplicator() override { log_->Unsubscribe(this); }

  absl::Status Start(uint64_t applied, std::function<void()> wake) override {
    started_at_ = applied;
    wake_ = wake;
    log_->Subscribe(this, wake);
    if (log_->size() > applied) wake();
    return absl::OkStatus();
  }
  std::vector<ReplicatedGroup> TakeReceived(uint64_t after) override {
    std::vector<ReplicatedGroup> out;
    uint64_t seq = after;
    for (std::string& bytes : log_->After(after)) {
      // A lagging node receives only what CatchUp released.
      if (lagging_ && seq >= released_.load()) break;
      absl::StatusOr<ReplicatedGroup> g = DecodeReplicatedGroup(bytes, ++seq);
      EXPECT_TRUE(g.ok()) << g.status();
      out.push_back(*std::move(g));
    }
    return out;
  }
  // Receiving again from `applied` on: what the log holds past it is
  // announced at once (as the JetStream consumer's redelivery does).
  void Restart(uint64_t applied) override {
    restarts_.fetch_add(1);
    if (log_->size() > applied && wake_) wake_();
  }
  absl::StatusOr<uint64_t> Publish(uint64_t after,
                                   const std::string& group) override {
    publishes_.fetch_add(1);
    if (!log_->CompareAndAppend(after, group)) {
      conflicts_.fetch_add(1);
      return absl::AbortedError("wrong last sequence");
    }
    if (lose_next_ack_.exchange(false)) {
      return absl::UnavailableError("no answer from the replicated log");
    }
    return after + 1;
  }
  absl::Status CatchUp(uint64_t) override {
    catch_ups_.fetch_add(1);
    released_ = log_->size();
    return absl::OkStatus();
  }
  size_t max_group_bytes() const override { return max_group_bytes_; }
  void Stop() override { log_->Unsubscribe(this); }
  std::string durability() const override { return "replicated (memory)"; }

  uint64_t started_at_ = 0;
  std::atomic<int> publishes_{0};
  std::atomic<int> conflicts_{0};
  std::atomic<int> restarts_{0};
  std::atomic<bool> lose_next_ack_{false};
  // Lagging: other nodes' groups arrive only when CatchUp asks for them.
  std::atomic<bool> lagging_{false};
  std::atomic<uint64_t> released_{0};
  std::atomic<int> catch_ups_{0};
  size_t max_group_bytes_ = 8u << 20;

 private:
  MemoryReplicatedLog* log_;
  std::function<void()> wake_;
};

class ReplicationTest : public ::testing::Test {
 protected:
  struct Node {
    std::filesystem::path dir;
    std::shared_ptr<MemoryReplicator> replicator;
    std::unique_ptr<EventLog> log;
  };

  void TearDown() override {
    for (auto& n : nodes_) n.log.reset();
    for (auto& n : nodes_) std::filesystem::remove_all(n.dir);
  }

  // `env`: the node's file system (nullptr: the default one).
  Node& AddNode(rocksdb::Env* env = nullptr) {
    Node n;
    n.dir = std::filesystem::temp_directory_path() /
            ("detente-replication-test-" + Uuid::Random().ToString());
    nodes_.push_back(std::move(n));
    Open(nodes_.back(), env);
    return nodes_.back();
  }
  void Open(Node& n, rocksdb::Env* env = nullptr) {
    n.log.reset();
    n.replicator = std::make_shared<MemoryReplicator>(&shared_);
    auto log = OpenRocksEventLog({.path = n.dir.string(),
                                  .durability = Durability::kAsync,
                                  .env = env,
                                  .storage_retry = absl::Milliseconds(50),
                                  .replicator = n.replicator});
    ASSERT_TRUE(log.ok()) << log.status();
    n.log = *std::move(log);
  }
  // Waits until the node's copy holds every group of the replicated log.
  Position Settle(Node& n, Position head) {
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (n.log->Head() < head && absl::Now() < deadline) {
      n.log->WaitForHead(n.log->Head(), absl::Now() + absl::Milliseconds(50));
    }
    return n.log->Head();
  }

  MemoryReplicatedLog shared_;
  std::deque<Node> nodes_;
};

TEST(ReplicatedGroupCodec, RoundTripsAndRejectsMalformedGroups) {
  ReplicatedGroup g{.sequence = 0, .first = Position(41), .records = {"a", "bc"}};
  const std::string bytes = EncodeReplicatedGroup(g);
  EXPECT_EQ(bytes.size(), EncodedGroupSize(Position(41), {1, 2}));
  absl::StatusOr<ReplicatedGroup> back = DecodeReplicatedGroup(bytes, 7);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->sequence, 7u);
  EXPECT_EQ(back->first, Position(41));
  EXPECT_EQ(back->records, g.records);
  // The contract is storage.proto's ReplicatedGroup: generated code reads
  // the same bytes.
  storage::v1::ReplicatedGroup parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  EXPECT_EQ(parsed.first_position(), 41u);
  EXPECT_EQ(parsed.count(), 2u);
  ASSERT_EQ(parsed.records_size(), 2);
  EXPECT_EQ(parsed.records(1), "bc");

  EXPECT_EQ(DecodeReplicatedGroup("\x08", 1).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeReplicatedGroup(std::string("\x08\x29\x10\x03\x1a\x01" "a", 7), 1)
                .status()
                .code(),
            absl::StatusCode::kDataLoss);  // count 3, one record
  EXPECT_EQ(DecodeReplicatedGroup(std::string("\x10\x01\x1a\x01" "a", 5), 1)
                .status()
                .code(),
            absl::StatusCode::kDataLoss);  // no first position
}

// A node whose local copy failed to write another node's group reopens
// its storage by itself once the fault clears, with no append and no new
// group to prompt it, and applies the group it missed (its reopen restarts
// replication from the last group it wrote).
TEST_F(ReplicationTest, ANodeWhoseStorageFailedRecoversWithoutNewGroups) {
  auto fs = std::make_shared<FaultyFs>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  Node& a = AddNode();
  Node& b = AddNode(env.get());
  ASSERT_TRUE(a.log->Append({{MakeEvent("KOR", "JPN")}}).ok());
  ASSERT_EQ(Settle(b, Position(1)), Position(1));

  fs->fault = Fault::kWriteError;
  ASSERT_TRUE(
      a.log->Append({{MakeEvent("KOR", "JPN"), MakeEvent("USA", "CHN")}}).ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (b.log->StorageHealth().ok() && absl::Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(b.log->StorageHealth().code(), absl::StatusCode::kUnavailable)
      << b.log->StorageHealth();
  EXPECT_EQ(b.log->Head(), Position(1));
  // The fault lasts: the retry that the failed apply's Restart() brings
  // fails too, and no group or append comes after it.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_FALSE(b.log->StorageHealth().ok());

  fs->fault = Fault::kNone;  // nothing else happens from here on
  EXPECT_EQ(Settle(b, Position(3)), Position(3));
  EXPECT_TRUE(b.log->StorageHealth().ok()) << b.log->StorageHealth();
  EXPECT_GT(b.replicator->restarts_.load(), 0);
  std::vector<RecordedEntry> in_a = testing::ReadAllEntries(*a.log);
  std::vector<RecordedEntry> in_b = testing::ReadAllEntries(*b.log);
  ASSERT_EQ(in_b.size(), 3u);
  for (size_t i = 0; i < in_b.size(); ++i) {
    EXPECT_EQ(in_a[i].entry.event_id, in_b[i].entry.event_id) << i;
  }
  b.log.reset();  // before its file system goes
}

TEST_F(ReplicationTest, TwoNodesShareOneGaplessLog) {
  Node& a = AddNode();
  Node& b = AddNode();
  constexpr int kWriters = 4;
  constexpr int kBatches = 40;
  std::mutex mu;
  std::set<Uuid> acked;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      EventLog& log = *(w % 2 == 0 ? a.log : b.log);
      for (int i = 0; i < kBatches; ++i) {
        std::vector<Entry> batch;
        for (int k = 0; k < 1 + (i % 3); ++k) {
          batch.push_back(MakeEvent(w % 2 ? "KOR" : "USA", "JPN"));
        }
        auto r = log.Append({batch});
        ASSERT_TRUE(r.ok()) << r.status();
        std::lock_guard lock(mu);
        for (const Entry& e : batch) acked.insert(e.event_id);
      }
    });
  }
  for (auto& t : writers) t.join();

  const Position head(acked.size());
  EXPECT_EQ(Settle(a, head), head);
  EXPECT_EQ(Settle(b, head), head);
  std::vector<RecordedEntry> in_a = testing::ReadAllEntries(*a.log);
  std::vector<RecordedEntry> in_b = testing::ReadAllEntries(*b.log);
  ASSERT_EQ(in_a.size(), acked.size());
  ASSERT_EQ(in_b.size(), acked.size());
  std::set<Uuid> seen;
  for (size_t i = 0; i < in_a.size(); ++i) {
    EXPECT_EQ(in_a[i].position, Position(i + 1));
    EXPECT_EQ(in_a[i].entry.event_id, in_b[i].entry.event_id) << i;
    EXPECT_EQ(in_a[i].stream_revision, in_b[i].stream_revision) << i;
    EXPECT_EQ(in_a[i].recorded_at_micros, in_b[i].recorded_at_micros) << i;
    seen.insert(in_a[i].entry.event_id);
  }
  EXPECT_EQ(seen, acked);
  // Both nodes published, and they raced at least once or took turns; either
  // way each copy is a consistent log.
  EXPECT_GT(a.replicator->publishes_.load(), 0);
  EXPECT_GT(b.replicator->publishes_.load(), 0);
  for (Node* n : {&a, &b}) {
    n->log->Close();
    absl::StatusOr<VerifyReport> report = VerifyRocksEventLog(n->dir.string());
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems.front());
  }
}

TEST_F(ReplicationTest, DuplicatesAndSubjectsAreDecidedAcrossNodes) {
  Node& a = AddNode();
  Node& b = AddNode();
  Entry e = MakeEvent("KOR", "JPN");
  auto first = a.log->Append({{e}});
  ASSERT_TRUE(first.ok()) << first.status();
  // The same id through the other node: a duplicate with the same position.
  auto again = b.log->Append({{e}});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->outcomes[0].duplicate);
  EXPECT_EQ(again->outcomes[0].position, first->outcomes[0].position);
  // A correction through b of an event a committed, then a retraction of a
  // correction is refused.
  Entry fix = MakeCorrection(e.event_id, MakeEvent("KOR", "JPN", "2021-05-04"));
  auto corrected = b.log->Append({{fix}});
  ASSERT_TRUE(corrected.ok()) << corrected.status();
  auto bad = a.log->Append({{MakeRetraction(fix.event_id)}});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Settle(a, Position(2)), Position(2));
}

// A node whose copy has not received another node's acknowledged group yet
// must not refuse what that group makes valid: with nothing to publish, no
// compare-and-set would have caught the stale state.
TEST_F(ReplicationTest, ALaggingNodeCatchesUpBeforeItRefuses) {
  Node& a = AddNode();
  Node& b = AddNode();
  b.replicator->lagging_ = true;
  Entry e = MakeEvent("KOR", "JPN");
  auto first = a.log->Append({{e}});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(b.log->Head(), Position(0));  // it lags
  // Its correction names an event b has not received.
  Entry fix = MakeCorrection(e.event_id, MakeEvent("KOR", "JPN", "2021-05-04"));
  auto corrected = b.log->Append({{fix}});
  ASSERT_TRUE(corrected.ok()) << corrected.status();
  EXPECT_EQ(corrected->outcomes[0].position, Position(2));
  // An expected revision that only a's latest group makes true.
  ASSERT_TRUE(a.log->Append({{MakeEvent("JPN", "KOR")}}).ok());
  auto next = b.log->Append(
      {{MakeEvent("KOR", "JPN")},
       ExpectedRevision{ExpectedRevision::Kind::kExact, StreamRevision(2)}});
  ASSERT_TRUE(next.ok()) << next.status();
  // A refusal that stays a refusal once caught up is still answered.
  auto wrong = b.log->Append(
      {{MakeEvent("KOR", "JPN")},
       ExpectedRevision{ExpectedRevision::Kind::kExact, StreamRevision(0)}});
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_GT(b.replicator->catch_ups_.load(), 0);
}

TEST_F(ReplicationTest, ExactlyOneOfTwoConflictingExpectedRevisionsWins) {
  Node& a = AddNode();
  Node& b = AddNode();
  ASSERT_TRUE(a.log->Append({{MakeEvent("KOR", "JPN")}}).ok());
  int wins = 0;
  for (int round = 0; round < 30; ++round) {
    const ExpectedRevision expected{ExpectedRevision::Kind::kExact,
                                    StreamRevision(round)};
    absl::StatusOr<AppendResult> ra, rb;
    std::thread ta([&] { ra = a.log->Append({{MakeEvent("KOR", "JPN")}, expected}); });
    std::thread tb([&] { rb = b.log->Append({{MakeEvent("JPN", "KOR")}, expected}); });
    ta.join();
    tb.join();
    ASSERT_NE(ra.ok(), rb.ok()) << "round " << round << ": " << ra.status()
                                << " / " << rb.status();
    const absl::Status& lost = ra.ok() ? rb.status() : ra.status();
    EXPECT_EQ(lost.code(), absl::StatusCode::kFailedPrecondition) << lost;
    const AppendResult& won = ra.ok() ? *ra : *rb;
    EXPECT_EQ(won.outcomes[0].stream_revision, StreamRevision(round + 1));
    ++wins;
  }
  EXPECT_EQ(wins, 30);
  EXPECT_EQ(Settle(a, Position(31)), Position(31));
  EXPECT_EQ(Settle(b, Position(31)), Position(31));
}

TEST_F(ReplicationTest, AnUnansweredPublishIsNotAcknowledgedAndARetryFindsIt) {
  Node& a = AddNode();
  Entry e = MakeEvent("KOR", "JPN");
  a.replicator->lose_next_ack_ = true;
  auto lost = a.log->Append({{e}});
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnavailable);
  // The group was stored after all: it comes back to the node like any
  // other node's group, and the retry is answered as a duplicate.
  auto retry = a.log->Append({{e}});
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->outcomes[0].duplicate);
  EXPECT_EQ(retry->outcomes[0].position, Position(1));
  EXPECT_EQ(shared_.size(), 1u);
}

TEST_F(ReplicationTest, ANodeResumesFromItsCopyAndANewNodeFromTheStart) {
  Node& a = AddNode();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(a.log->Append({{MakeEvent("KOR", "JPN"), MakeEvent("USA", "KOR")}}).ok());
  }
  const uint64_t groups = shared_.size();
  Open(a);
  EXPECT_EQ(a.replicator->started_at_, groups);
  EXPECT_EQ(a.log->Head(), Position(10));
  Node& c = AddNode();
  EXPECT_EQ(c.replicator->started_at_, 0u);
  EXPECT_EQ(Settle(c, Position(10)), Position(10));
  auto info = c.log->Info();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->durability, "replicated (memory)");
}

TEST_F(ReplicationTest, CopiesAndEmbeddedLogsAreNotMistakenForEachOther) {
  Node& a = AddNode();
  ASSERT_TRUE(a.log->Append({{MakeEvent("KOR", "JPN")}}).ok());
  a.log.reset();
  auto embedded = OpenRocksEventLog({.path = a.dir.string()});
  EXPECT_EQ(embedded.status().code(), absl::StatusCode::kFailedPrecondition);

  const auto dir = std::filesystem::temp_directory_path() /
                   ("detente-replication-embedded-" + Uuid::Random().ToString());
  {
    auto log = OpenRocksEventLog({.path = dir.string()});
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->Append({{MakeEvent("KOR", "JPN")}}).ok());
  }
  auto as_copy = OpenRocksEventLog(
      {.path = dir.string(),
       .replicator = std::make_shared<MemoryReplicator>(&shared_)});
  EXPECT_EQ(as_copy.status().code(), absl::StatusCode::kFailedPrecondition);
  std::filesystem::remove_all(dir);
}

TEST_F(ReplicationTest, ABatchLargerThanOneMessageIsRefused) {
  Node& a = AddNode();
  a.log.reset();
  a.replicator = std::make_shared<MemoryReplicator>(&shared_);
  a.replicator->max_group_bytes_ = 4096;
  auto log = OpenRocksEventLog({.path = a.dir.string(), .replicator = a.replicator});
  ASSERT_TRUE(log.ok());
  a.log = *std::move(log);
  std::vector<Entry> big;
  for (int i = 0; i < 100; ++i) big.push_back(MakeEvent("KOR", "JPN"));
  auto r = a.log->Append({big});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().ToString().find("entries"), std::string::npos);
  EXPECT_EQ(shared_.size(), 0u);
  EXPECT_TRUE(a.log->Append({{MakeEvent("KOR", "JPN")}}).ok());
}

}  // namespace
}  // namespace detente
