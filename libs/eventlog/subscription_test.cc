#include "eventlog/subscription.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "eventlog/rocks_event_log.h"
#include "eventlog/test_entries.h"

namespace detente {
namespace {

using ::detente::testing::MakeEvent;
using Kind = SubscriptionMessage::Kind;

class SubscriptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("detente-sub-test-" + Uuid::Random().ToString());
    auto log = OpenRocksEventLog(
        {.path = dir_.string(), .durability = Durability::kAsync});
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = std::move(*log);
  }
  void TearDown() override {
    log_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<EventLog> log_;
};

// The hand-over from catch-up to live under concurrent appends: every
// position exactly once, in order, and the caught-up marker exactly once.
TEST_F(SubscriptionTest, NoGapNoDuplicateAcrossCatchUpAndLive) {
  constexpr int kWriters = 4, kBatches = 150, kPerBatch = 7;
  constexpr uint64_t kTotal = 200 + kWriters * kBatches * kPerBatch;
  std::vector<Entry> first;
  for (int i = 0; i < 200; ++i) first.push_back(MakeEvent("KOR", "JPN"));
  ASSERT_TRUE(log_->Append({first, {}}).ok());

  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<Entry> batch;
        for (int i = 0; i < kPerBatch; ++i) {
          batch.push_back(w % 2 ? MakeEvent("USA", "JPN")
                                : MakeEvent("KOR", "JPN"));
        }
        ASSERT_TRUE(log_->Append({batch, {}}).ok());
      }
    });
  }
  Subscription sub(*log_, {.after = Position(0), .batch_size = 64});
  uint64_t expected = 1;
  int caught_up = 0;
  while (expected <= kTotal) {
    auto m = sub.Next([] { return false; });
    ASSERT_TRUE(m.ok()) << m.status();
    if (m->kind == Kind::kCaughtUp) {
      ++caught_up;
      EXPECT_EQ(m->position.value(), expected - 1);
      continue;
    }
    for (const RecordedEntry& e : m->events) {
      ASSERT_EQ(e.position.value(), expected);
      ++expected;
    }
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(expected, kTotal + 1);
  EXPECT_LE(caught_up, 1);
  // Nothing more: the next message is the caught-up marker (if not yet
  // sent) or a checkpoint at the head, never an event.
  Subscription tail(*log_, {.after = Position(kTotal),
                            .heartbeat = absl::Milliseconds(50)});
  auto m = tail.Next([] { return false; });
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->kind, Kind::kCaughtUp);
  m = tail.Next([] { return false; });
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->kind, Kind::kCheckpoint);
  EXPECT_EQ(m->position, Position(kTotal));
}

TEST_F(SubscriptionTest, FilteredSubscriptionsSendCheckpoints) {
  std::vector<Entry> batch;
  for (int i = 0; i < 100; ++i) batch.push_back(MakeEvent("USA", "JPN"));
  ASSERT_TRUE(log_->Append({batch, {}}).ok());
  SubscriptionOptions o;
  o.filter.stream = "JPN-KOR";
  o.heartbeat = absl::Milliseconds(20);
  Subscription sub(*log_, o);
  auto m = sub.Next([] { return false; });
  ASSERT_TRUE(m.ok());
  // Nothing matches: the subscriber still learns it reached position 100.
  EXPECT_NE(m->kind, Kind::kEvents);
  EXPECT_EQ(m->position, Position(100));
  ASSERT_TRUE(log_->Append({{MakeEvent("KOR", "JPN")}, {}}).ok());
  do {
    m = sub.Next([] { return false; });
    ASSERT_TRUE(m.ok());
  } while (m->kind != Kind::kEvents);
  ASSERT_EQ(m->events.size(), 1u);
  EXPECT_EQ(m->events[0].position, Position(101));
}

TEST_F(SubscriptionTest, CancellationAndCloseEndTheWait) {
  Subscription sub(*log_, {.heartbeat = absl::Seconds(60)});
  auto m = sub.Next([] { return false; });
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->kind, Kind::kCaughtUp);
  std::atomic<bool> cancel{false};
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    cancel = true;
  });
  EXPECT_EQ(sub.Next([&] { return cancel.load(); }).status().code(),
            absl::StatusCode::kCancelled);
  t.join();
  std::thread closer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    log_->Close();
  });
  EXPECT_EQ(sub.Next([] { return false; }).status().code(),
            absl::StatusCode::kCancelled);
  closer.join();
}

}  // namespace
}  // namespace detente
