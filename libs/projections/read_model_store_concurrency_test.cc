// The read models while they are being written: one thread applies the
// log in batches (the follower's role) while others take views and query
// them, ask for stream directories and wait for checkpoints (the request
// threads of detente-query). Every view must show exactly the history up to
// its own position, also through the version cache that views share, and
// every wait must end. Built with ThreadSanitizer too (tools/test.sh runs
// projections_test in build-tsan).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "domain/date.h"
#include "projections/read_model_store.h"
#include "projections/test_history.h"

namespace detente {
namespace {

DayNumber D(int y, int m, int d) { return ToDayNumber({y, m, d}); }

TEST(ReadModelStoreConcurrencyTest, ViewsSeeExactlyTheirPositionWhileApplying) {
  const std::string path = testing::TempPath("concurrency");
  auto opened = ReadModelStore::Open({.path = path});
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<ReadModelStore> store = *std::move(opened);

  // Events only, so that a stream's versions as of position P are exactly
  // its events at positions <= P.
  std::mt19937_64 rng(7);
  const char* const actors[] = {"KOR", "JPN", "USA", "CHN"};
  testing::History h;
  std::map<std::string, std::vector<uint64_t>> positions;  // per stream
  constexpr int kEntries = 3000;
  for (int i = 0; i < kEntries; ++i) {
    const int a = int(rng() % 4), b = (a + 1 + int(rng() % 3)) % 4;
    char date[16];
    snprintf(date, sizeof date, "%04d-%02d-%02d", 1965 + int(rng() % 58),
             1 + int(rng() % 12), 1 + int(rng() % 28));
    RecordedEntry e = h.Event(actors[a], actors[b], date, "036");
    positions[e.stream].push_back(e.position.value());
  }
  std::vector<std::string> streams;
  for (const auto& [stream, p] : positions) streams.push_back(stream);
  const auto& positions_of = positions;  // read-only from here on

  std::mutex mu;
  std::string first_error;  // guarded by mu
  auto fail = [&](const std::string& what) {
    std::lock_guard lock(mu);
    if (first_error.empty()) first_error = what;
  };
  std::atomic<bool> applied{false};

  std::thread writer([&] {
    std::mt19937_64 r(11);
    size_t next = 0;
    while (next < h.all.size()) {
      const size_t n = std::min<size_t>(1 + r() % 50, h.all.size() - next);
      std::vector<RecordedEntry> batch(h.all.begin() + next,
                                       h.all.begin() + next + n);
      next += n;
      absl::Status s = store->Apply(batch, batch.back().position);
      if (!s.ok()) fail("Apply: " + s.ToString());
    }
    applied = true;
  });

  std::atomic<uint64_t> views_checked{0};
  auto reader = [&](int seed) {
    std::mt19937_64 r(seed);
    std::map<std::string, uint64_t> last_changed_seen;
    bool last_round = false;
    while (!last_round) {
      last_round = applied.load();
      std::unique_ptr<ReadView> view = store->View();
      const uint64_t at = view->position().value();
      for (int k = 0; k < 3; ++k) {
        const std::string& stream = streams[r() % streams.size()];
        const std::vector<uint64_t>& all = positions_of.at(stream);
        const size_t expected =
            std::upper_bound(all.begin(), all.end(), at) - all.begin();
        size_t seen = 0;
        uint64_t newest = 0;
        absl::Status s = view->ForEachVersion(
            stream, D(1900, 1, 1), D(2100, 1, 1), [&](const PairVersion& v) {
              ++seen;
              newest = std::max(newest, v.version_position.value());
              return true;
            });
        if (!s.ok()) fail("ForEachVersion: " + s.ToString());
        if (seen != expected || newest > at) {
          fail(stream + " at position " + std::to_string(at) + ": " +
               std::to_string(seen) + " versions (newest " +
               std::to_string(newest) + "), expected " +
               std::to_string(expected));
        }
        const uint64_t changed = store->LastChanged(stream).value();
        uint64_t& before = last_changed_seen[stream];
        if (changed < before) fail("LastChanged of " + stream + " went back");
        before = changed;
      }
      if (store->Streams().size() > streams.size()) fail("too many streams");
      for (const std::string& s : store->StreamsOf("KOR")) {
        if (s.find("KOR") == std::string::npos) fail("StreamsOf: " + s);
      }
      ++views_checked;
    }
  };
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) readers.emplace_back(reader, 100 + i);

  // A waiter follows the checkpoint to the end, as Watch does.
  std::thread waiter([&] {
    Position at;
    const absl::Time deadline = absl::Now() + absl::Seconds(120);
    while (at.value() < uint64_t{kEntries} && absl::Now() < deadline) {
      const Position next =
          store->WaitForCheckpoint(at, absl::Now() + absl::Seconds(5));
      if (next < at) fail("the checkpoint went back");
      at = next;
    }
    if (at.value() != uint64_t{kEntries}) fail("the waiter did not reach the end");
  });

  writer.join();
  for (std::thread& t : readers) t.join();
  waiter.join();
  EXPECT_EQ(first_error, "");
  EXPECT_GT(views_checked.load(), 0u);
  EXPECT_EQ(store->checkpoint().value(), uint64_t{kEntries});
  EXPECT_EQ(store->View()->position().value(), uint64_t{kEntries});
  store.reset();
  std::filesystem::remove_all(path);
}

}  // namespace
}  // namespace detente
