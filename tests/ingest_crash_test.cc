// kill -9 of detente-ingest under concurrent load, repeated on one data
// directory. Each cycle: four writers append (two over unary Append, two
// over AppendStream; one of each with EXACT expected revisions on a stream
// only it writes), the server is SIGKILLed at a random moment, restarted,
// and the log is checked against what the writers know:
//  - every acknowledged event id is in the log exactly once;
//  - positions are 1..head without a gap, and head == GetInfo's counters;
//  - an unacknowledged batch is either wholly in the log or wholly absent;
//  - the private streams' revisions are 0..n-1 without a gap;
//  - `detente-ingest --verify` finds the directory sound;
//  - re-sending every unacknowledged batch with the same ids succeeds,
//    answered as duplicates exactly when the batch had been committed
//    (the server writes its id index every 500 ids, so the ids of a
//    committed batch are in the database, in memory, or only in their
//    entries, to be read back at the restart);
//  - re-sending each writer's last 20 acknowledged batches answers every
//    entry as a duplicate at its position.
//
// DETENTE_CRASH_CYCLES (default 5) sets the number of cycles,
// DETENTE_CRASH_MAX_MS (default 1500) the latest kill moment in a cycle,
// DETENTE_SEED the random seed (printed, to reproduce a failure).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "support/api.h"
#include "support/ingest_process.h"
#include "support/temp_dir.h"

namespace detente::itest {
namespace {

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  uint64_t out = 0;
  return v != nullptr && absl::SimpleAtoi(v, &out) ? out : fallback;
}

// A batch as a writer sent it, with what it learned of its fate.
struct Batch {
  std::vector<v1::Event> events;
  v1::ExpectedRevisionKind kind = v1::EXPECTED_REVISION_KIND_UNSPECIFIED;
  uint64_t expected = 0;
  bool acked = false;
};

// Countries of the writers without a private stream: none of them is in a
// private pair, so nobody else writes CHN-USA or CHN-RUS.
const char* const kShared[] = {"JPN", "KOR", "PRK", "GBR", "FRA", "DEU"};
const char* const kCodes[] = {"036", "042", "057", "061", "141", "163"};

class Writer {
 public:
  Writer(int index, bool streaming, const char* a, const char* b, uint64_t seed)
      : index_(index), streaming_(streaming), a_(a), b_(b), rng_(seed) {}

  bool streaming() const { return streaming_; }
  bool private_stream() const { return a_ != nullptr; }
  std::string stream_name() const {
    return std::string(a_) < b_ ? absl::StrCat(a_, "-", b_)
                                : absl::StrCat(b_, "-", a_);
  }
  std::deque<Batch>& batches() { return batches_; }
  // Revision of the private stream's last entry; nullopt: no stream yet.
  std::optional<uint64_t>& last_revision() { return last_revision_; }
  const std::string& failure() const { return failure_; }

  // Appends until a call fails (the server died) or `stop` is set.
  void Run(v1::IngestService::Stub& stub, const std::atomic<bool>& stop,
           const std::atomic<bool>& killed) {
    if (streaming_) {
      RunStream(stub, stop, killed);
    } else {
      RunUnary(stub, stop, killed);
    }
  }

  // Fills the expectation of a new batch from what the writer knows.
  void Expect(Batch& b) {
    if (!private_stream()) return;
    if (last_revision_) {
      b.kind = v1::EXPECTED_REVISION_KIND_EXACT;
      b.expected = *last_revision_;
    } else {
      b.kind = v1::EXPECTED_REVISION_KIND_NO_STREAM;
    }
  }

  // Takes note of an acknowledged batch.
  void Acked(Batch& b, const v1::AppendResponse& resp) {
    b.acked = true;
    if (private_stream() && resp.results_size() > 0) {
      last_revision_ = resp.results(resp.results_size() - 1).stream_revision();
    }
  }

 private:
  Batch NewBatch() {
    Batch b;
    const int n = std::uniform_int_distribution<int>(1, 50)(rng_);
    for (int i = 0; i < n; ++i) {
      std::string src, dst;
      if (private_stream()) {
        const bool flip = rng_() & 1;
        src = flip ? a_ : b_;
        dst = flip ? b_ : a_;
      } else {
        const int s = rng_() % 6;
        const int t = (s + 1 + rng_() % 5) % 6;
        src = kShared[s];
        dst = kShared[t];
      }
      const std::string date = absl::StrCat(1950 + rng_() % 70, "-0",
                                            1 + rng_() % 9, "-1", rng_() % 10);
      b.events.push_back(MakeEvent(RandomUuid(rng_), date, src, dst,
                                   kCodes[rng_() % 6],
                                   absl::StrCat("writer ", index_)));
    }
    Expect(b);
    return b;
  }

  v1::AppendRequest Request(const Batch& b) {
    v1::AppendRequest req;
    for (const auto& e : b.events) *req.add_entries() = e;
    req.set_expected_revision_kind(b.kind);
    req.set_expected_revision(b.expected);
    return req;
  }

  void Fail(const std::string& what, const std::atomic<bool>& killed) {
    // Failures are expected only once the server has been killed.
    if (!killed && failure_.empty()) failure_ = what;
  }

  void RunUnary(v1::IngestService::Stub& stub, const std::atomic<bool>& stop,
                const std::atomic<bool>& killed) {
    while (!stop) {
      batches_.push_back(NewBatch());
      Batch& b = batches_.back();
      grpc::ClientContext ctx;
      ctx.set_deadline(In(30));
      v1::AppendResponse resp;
      grpc::Status s = stub.Append(&ctx, Request(b), &resp);
      if (!s.ok()) {
        Fail(absl::StrCat("Append: ", s.error_code(), " ", s.error_message()),
             killed);
        return;
      }
      Acked(b, resp);
    }
  }

  void RunStream(v1::IngestService::Stub& stub, const std::atomic<bool>& stop,
                 const std::atomic<bool>& killed) {
    grpc::ClientContext ctx;
    ctx.set_deadline(In(60));
    auto stream = stub.AppendStream(&ctx);
    // Up to three batches in flight. A writer with expectations must know
    // the outcome of a batch before it can state the next one.
    const size_t depth = private_stream() ? 1 : 3;
    std::deque<size_t> in_flight;  // indexes into batches_
    bool broken = false;
    while (!broken) {
      while (!stop && in_flight.size() < depth) {
        batches_.push_back(NewBatch());
        v1::AppendStreamRequest req;
        req.set_batch_id(batches_.size() - 1);
        *req.mutable_batch() = Request(batches_.back());
        if (!stream->Write(req)) {
          broken = true;
          break;
        }
        in_flight.push_back(batches_.size() - 1);
      }
      if (in_flight.empty()) break;
      v1::AppendStreamResponse resp;
      if (broken || !stream->Read(&resp)) {
        broken = true;
        break;
      }
      const size_t i = in_flight.front();
      in_flight.pop_front();
      if (resp.batch_id() != i || !resp.has_result()) {
        Fail(absl::StrCat("AppendStream answered batch ", resp.batch_id(),
                          " (expected ", i, "): ", resp.error().code(), " ",
                          resp.error().message()),
             killed);
        broken = true;
        break;
      }
      Acked(batches_[i], resp.result());
    }
    if (!broken) {
      stream->WritesDone();
      grpc::Status s = stream->Finish();
      if (!s.ok()) Fail(absl::StrCat("Finish: ", s.error_message()), killed);
      return;
    }
    ctx.TryCancel();
    grpc::Status s = stream->Finish();
    Fail(absl::StrCat("AppendStream broke: ", s.error_code(), " ",
                      s.error_message()),
         killed);
  }

  int index_;
  bool streaming_;
  const char* a_;
  const char* b_;
  std::mt19937_64 rng_;
  std::deque<Batch> batches_;
  std::optional<uint64_t> last_revision_;
  std::string failure_;
};

class IngestCrashTest : public ::testing::Test {
 protected:
  std::unique_ptr<IngestProcess> StartServer() {
    absl::StatusOr<std::unique_ptr<IngestProcess>> s =
        IngestProcess::Start({.binary = DETENTE_INGEST_BIN,
                              .data_dir = data_dir(),
                              .log_dir = dir_.path(),
                              // Id index files every 500 ids: kills land
                              // before, during and after their ingestion.
                              .extra_args = {"--id-index-chunk", "500"}});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }
  std::string data_dir() const { return dir_.Sub("data"); }

  TempDir dir_;
};

// Checks the log after a restart against the writers' records. Fills
// `present` with every id in the log.
void CheckLog(v1::IngestService::Stub& stub, std::vector<Writer>& writers,
              std::unordered_map<std::string, uint64_t>& present) {
  v1::ReadRequest req;
  req.set_batch_size(10000);
  ReadOutcome all = ReadAll(stub, req);
  ASSERT_TRUE(all.status.ok()) << all.status.error_message();
  v1::GetInfoResponse info;
  ASSERT_TRUE(GetInfo(stub, &info).ok());
  EXPECT_EQ(info.head_position(), all.events.size());
  EXPECT_EQ(info.entry_count(), all.events.size());

  present.clear();
  std::map<std::string, std::vector<uint64_t>> revisions;
  for (size_t i = 0; i < all.events.size(); ++i) {
    const v1::RecordedEvent& e = all.events[i];
    ASSERT_EQ(e.position(), i + 1) << "positions must be gapless from 1";
    auto [it, inserted] = present.emplace(e.event().event_id(), e.position());
    EXPECT_TRUE(inserted) << e.event().event_id() << " is in the log twice";
    revisions[e.stream()].push_back(e.stream_revision());
  }
  size_t known = 0;
  for (Writer& w : writers) {
    for (const Batch& b : w.batches()) {
      size_t found = 0;
      for (const v1::Event& e : b.events) found += present.count(e.event_id());
      known += found;
      if (b.acked) {
        EXPECT_EQ(found, b.events.size()) << "an acknowledged batch was lost";
      } else {
        EXPECT_TRUE(found == 0 || found == b.events.size())
            << "a batch was partly written: " << found << " of "
            << b.events.size();
      }
    }
    if (w.private_stream()) {
      const std::vector<uint64_t>& r = revisions[w.stream_name()];
      for (size_t i = 0; i < r.size(); ++i) {
        ASSERT_EQ(r[i], i) << w.stream_name() << " revisions have a gap";
      }
    }
  }
  EXPECT_EQ(known, all.events.size()) << "the log holds ids nobody wrote";
}

// Sends `b` again with its ids (and its expected revision when
// `with_expectation`); the answer must have one result per event.
void SendAgain(v1::IngestService::Stub& stub, const Batch& b,
               bool with_expectation, v1::AppendResponse* resp) {
  v1::AppendRequest req;
  for (const auto& e : b.events) *req.add_entries() = e;
  if (with_expectation) {
    req.set_expected_revision_kind(b.kind);
    req.set_expected_revision(b.expected);
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(In(30));
  grpc::Status s = stub.Append(&ctx, req, resp);
  ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  ASSERT_EQ(resp->results_size(), static_cast<int>(b.events.size()));
}

// Re-sends every unacknowledged batch with its ids and expectation.
void Resend(v1::IngestService::Stub& stub, std::vector<Writer>& writers,
            const std::unordered_map<std::string, uint64_t>& present,
            int& resent, int& were_committed) {
  for (Writer& w : writers) {
    for (Batch& b : w.batches()) {
      if (b.acked) continue;
      const bool committed = present.contains(b.events[0].event_id());
      v1::AppendResponse resp;
      SendAgain(stub, b, /*with_expectation=*/true, &resp);
      ASSERT_FALSE(::testing::Test::HasFatalFailure());
      for (int i = 0; i < resp.results_size(); ++i) {
        EXPECT_EQ(resp.results(i).duplicate(), committed);
        if (committed) {
          EXPECT_EQ(resp.results(i).position(),
                    present.at(b.events[i].event_id()));
        }
      }
      w.Acked(b, resp);
      ++resent;
      were_committed += committed;
    }
  }
}

// Re-sends each writer's last `n` batches acknowledged before the kill (the
// ones whose ids were most likely still in the server's memory): every
// entry must be answered as a duplicate at the position it has.
void ResendAcknowledged(
    v1::IngestService::Stub& stub, std::vector<Writer>& writers,
    const std::unordered_map<std::string, uint64_t>& present, size_t n,
    int& resent) {
  for (Writer& w : writers) {
    std::vector<const Batch*> last;
    for (const Batch& b : w.batches()) {
      if (b.acked) last.push_back(&b);
    }
    const size_t from = last.size() > n ? last.size() - n : 0;
    for (size_t k = from; k < last.size(); ++k) {
      const Batch& b = *last[k];
      v1::AppendResponse resp;
      SendAgain(stub, b, /*with_expectation=*/false, &resp);
      ASSERT_FALSE(::testing::Test::HasFatalFailure());
      for (int i = 0; i < resp.results_size(); ++i) {
        EXPECT_TRUE(resp.results(i).duplicate())
            << "an acknowledged id was not known after the restart";
        EXPECT_EQ(resp.results(i).position(),
                  present.at(b.events[i].event_id()));
      }
      ++resent;
    }
  }
}

TEST_F(IngestCrashTest, KillNineLosesNothingAcknowledged) {
  const uint64_t seed = EnvOr("DETENTE_SEED", std::random_device()());
  const int cycles = static_cast<int>(EnvOr("DETENTE_CRASH_CYCLES", 5));
  // The kill comes 200..DETENTE_CRASH_MAX_MS (default 1500) ms into the load
  // of a cycle; a smaller bound keeps many cycles fast (smaller logs).
  const int max_ms = static_cast<int>(
      std::max<uint64_t>(20, EnvOr("DETENTE_CRASH_MAX_MS", 1500)));
  const int min_ms = std::min(200, max_ms / 2);
  std::cout << "DETENTE_SEED=" << seed << " DETENTE_CRASH_CYCLES=" << cycles
            << "\n";
  std::mt19937_64 rng(seed);

  std::vector<Writer> writers;
  writers.emplace_back(0, false, "USA", "CHN", rng());  // unary, EXACT
  writers.emplace_back(1, false, nullptr, nullptr, rng());
  writers.emplace_back(2, true, "RUS", "CHN", rng());  // stream, EXACT
  writers.emplace_back(3, true, nullptr, nullptr, rng());

  std::unordered_map<std::string, uint64_t> present;
  int total_acked_before_kill = 0, resent = 0, were_committed = 0,
      resent_acknowledged = 0;
  for (int cycle = 0; cycle <= cycles; ++cycle) {
    SCOPED_TRACE(absl::StrCat("cycle ", cycle, ", DETENTE_SEED=", seed));
    std::unique_ptr<IngestProcess> server = StartServer();
    ASSERT_NE(server, nullptr);
    if (cycle > 0) {
      // After the crash: check, verify, repair.
      const absl::Time check_start = absl::Now();
      CheckLog(server->stub(), writers, present);
      ASSERT_FALSE(HasFatalFailure());
      RunResult verify = RunToCompletion(
          {.binary = DETENTE_INGEST_BIN,
           .args = {"--verify", data_dir()},
           .stdout_path = dir_.Sub(absl::StrCat("verify-", cycle, ".out")),
           .stderr_path = dir_.Sub(absl::StrCat("verify-", cycle, ".err"))});
      EXPECT_TRUE(verify.status.exited && verify.status.code == 0)
          << verify.status.ToString() << "\n"
          << verify.out << verify.err;
      ResendAcknowledged(server->stub(), writers, present, 20,
                         resent_acknowledged);
      ASSERT_FALSE(HasFatalFailure());
      Resend(server->stub(), writers, present, resent, were_committed);
      ASSERT_FALSE(HasFatalFailure());
      // The next cycle's first check covers the re-sent batches too.
      if (cycle == cycles) CheckLog(server->stub(), writers, present);
      for (Writer& w : writers) {
        for (const Batch& b : w.batches()) ASSERT_TRUE(b.acked);
      }
      std::cout << "cycle " << cycle << ": log of " << present.size()
                << " entries checked, verified and repaired in "
                << absl::FormatDuration(absl::Now() - check_start) << "\n";
    }
    if (cycle == cycles) {
      std::optional<ExitStatus> exit = server->Stop();
      ASSERT_TRUE(exit.has_value());
      EXPECT_TRUE(exit->exited && exit->code == 0) << exit->ToString();
      break;
    }

    // Load, then kill -9 at a random moment.
    std::atomic<bool> stop{false}, killed{false};
    std::vector<std::thread> threads;
    std::vector<size_t> before(writers.size());
    for (size_t i = 0; i < writers.size(); ++i) {
      before[i] = writers[i].batches().size();
      threads.emplace_back(
          [&, i] { writers[i].Run(server->stub(), stop, killed); });
    }
    const int kill_after_ms =
        std::uniform_int_distribution<int>(min_ms, max_ms)(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms));
    killed = true;
    server->process().Kill(SIGKILL);
    ExitStatus exit = server->process().Wait();
    EXPECT_EQ(exit.signal, SIGKILL) << exit.ToString();
    stop = true;
    for (std::thread& t : threads) t.join();
    int acked = 0, unacked = 0;
    for (size_t i = 0; i < writers.size(); ++i) {
      EXPECT_EQ(writers[i].failure(), "") << "writer " << i;
      auto& b = writers[i].batches();
      for (size_t k = before[i]; k < b.size(); ++k) {
        (b[k].acked ? acked : unacked)++;
      }
    }
    total_acked_before_kill += acked;
    std::cout << "cycle " << cycle << ": killed after " << kill_after_ms
              << " ms; " << acked << " batches acknowledged, " << unacked
              << " not\n";
    EXPECT_GT(acked, 0) << "the writers made no progress before the kill";
  }
  size_t events = 0;
  for (Writer& w : writers) {
    for (const Batch& b : w.batches()) events += b.events.size();
  }
  EXPECT_EQ(present.size(), events);
  std::cout << "total: " << events << " events, " << total_acked_before_kill
            << " batches acknowledged before a kill, " << resent << " re-sent ("
            << were_committed << " of them had been committed), "
            << resent_acknowledged
            << " acknowledged batches re-sent and found duplicates\n";

  // The directory is sound offline too.
  RunResult verify =
      RunToCompletion({.binary = DETENTE_INGEST_BIN,
                       .args = {"--verify", data_dir()},
                       .stdout_path = dir_.Sub("verify-final.out"),
                       .stderr_path = dir_.Sub("verify-final.err")});
  EXPECT_TRUE(verify.status.exited && verify.status.code == 0)
      << verify.out << verify.err;
  EXPECT_THAT(verify.out, ::testing::HasSubstr(absl::StrCat(
                              "OK: ", events, " entries, head ", events)));
}

}  // namespace
}  // namespace detente::itest
