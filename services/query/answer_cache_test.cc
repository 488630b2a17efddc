// AnswerCache (answer_cache.h) on its own, with many threads: it runs under
// ThreadSanitizer in tools/test.sh.
#include "services/query/answer_cache.h"

#include <google/protobuf/wrappers.pb.h>
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

namespace detente {
namespace {

using Answer = google::protobuf::StringValue;

Answer Make(const std::string& text) {
  Answer a;
  a.set_value(text);
  return a;
}

TEST(AnswerCache, ConcurrentMissesComputeOnce) {
  AnswerCache<Answer> cache(1 << 20);
  std::atomic<int> computed{0};
  std::atomic<int> fresh{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto r = cache.GetOrCompute(
          "KOR-JPN", [] { return uint64_t{7}; }, nullptr,
          [&]() -> absl::StatusOr<Answer> {
            computed.fetch_add(1);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            return Make("series of KOR-JPN at 7");
          });
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->answer->value(), "series of KOR-JPN at 7");
      EXPECT_EQ(r->tag, 7u);
      if (r->fresh) fresh.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  // Every other caller waited for that computation or found its answer.
  EXPECT_EQ(computed.load(), 1);
  EXPECT_EQ(fresh.load(), 1);
}

TEST(AnswerCache, FindServesOnlyAKeptAnswerOfTheSameTagAndStore) {
  AnswerCache<std::string> cache(1 << 20);
  int store = 0, other_store = 0;
  EXPECT_FALSE(cache.Find("KOR-JPN", 7, &store));  // nothing computed yet
  auto r = cache.GetOrCompute(
      "KOR-JPN", [] { return uint64_t{7}; }, &store,
      []() -> absl::StatusOr<std::string> { return std::string("bytes@7"); });
  ASSERT_TRUE(r.ok());
  std::optional<AnswerCache<std::string>::Result> hit =
      cache.Find("KOR-JPN", 7, &store);
  ASSERT_TRUE(hit);
  EXPECT_EQ(*hit->answer, "bytes@7");
  EXPECT_FALSE(hit->fresh);
  EXPECT_EQ(hit->tag, 7u);
  EXPECT_FALSE(cache.Find("KOR-JPN", 8, &store));  // the stream moved on
  EXPECT_FALSE(cache.Find("KOR-JPN", 7, &other_store));  // a rebuilt store
  EXPECT_FALSE(cache.Find("KOR-CHN", 7, &store));
  AnswerCache<std::string> off(0);
  ASSERT_TRUE(off.GetOrCompute("KOR-JPN", [] { return uint64_t{7}; }, &store,
                               []() -> absl::StatusOr<std::string> {
                                 return std::string("x");
                               }).ok());
  EXPECT_FALSE(off.Find("KOR-JPN", 7, &store));
}

TEST(AnswerCache, AnAnswerWhoseTagMovedWhileComputingIsNotKept) {
  AnswerCache<Answer> cache(1 << 20);
  uint64_t tag = 1;
  int computed = 0;
  auto compute = [&]() -> absl::StatusOr<Answer> {
    ++computed;
    ++tag;  // a write lands while the answer is computed
    return Make("x");
  };
  ASSERT_TRUE(cache.GetOrCompute("k", [&] { return tag; }, nullptr, compute).ok());
  ASSERT_TRUE(cache.GetOrCompute("k", [&] { return tag; }, nullptr, compute).ok());
  EXPECT_EQ(computed, 2);
  // A stable tag: the second call is served from the cache.
  auto stable = [&]() -> absl::StatusOr<Answer> { ++computed; return Make("y"); };
  ASSERT_TRUE(cache.GetOrCompute("k", [&] { return tag; }, nullptr, stable).ok());
  auto again = cache.GetOrCompute("k", [&] { return tag; }, nullptr, stable);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->fresh);
  EXPECT_EQ(again->answer->value(), "y");
  EXPECT_EQ(computed, 3);
  // Another store (a rebuilt read model) misses.
  int other = 0;
  auto r = cache.GetOrCompute("k", [&] { return tag; }, &other, stable);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->fresh);
}

TEST(AnswerCache, ErrorsAreNotCachedAndABudgetOfZeroDisablesIt) {
  AnswerCache<Answer> cache(1 << 20);
  int calls = 0;
  auto failing = [&]() -> absl::StatusOr<Answer> {
    ++calls;
    return absl::UnavailableError("no");
  };
  EXPECT_FALSE(cache.GetOrCompute("k", [] { return uint64_t{1}; }, nullptr, failing).ok());
  EXPECT_FALSE(cache.GetOrCompute("k", [] { return uint64_t{1}; }, nullptr, failing).ok());
  EXPECT_EQ(calls, 2);
  AnswerCache<Answer> off(0);
  EXPECT_FALSE(off.enabled());
  auto ok = [&]() -> absl::StatusOr<Answer> { ++calls; return Make("z"); };
  ASSERT_TRUE(off.GetOrCompute("k", [] { return uint64_t{1}; }, nullptr, ok).ok());
  ASSERT_TRUE(off.GetOrCompute("k", [] { return uint64_t{1}; }, nullptr, ok).ok());
  EXPECT_EQ(calls, 4);
}

TEST(AnswerCache, LeastRecentlyUsedAnswersGoFirst) {
  AnswerCache<Answer> cache(4096);
  const std::string big(700, 'x');  // four fit in the budget, not six
  int computed = 0;
  auto compute = [&]() -> absl::StatusOr<Answer> { ++computed; return Make(big); };
  auto tag = [] { return uint64_t{1}; };
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(cache.GetOrCompute(absl::StrCat("k", i), tag, nullptr, compute).ok());
  }
  EXPECT_EQ(computed, 6);
  ASSERT_TRUE(cache.GetOrCompute("k5", tag, nullptr, compute).ok());
  EXPECT_EQ(computed, 6);  // recent: kept
  ASSERT_TRUE(cache.GetOrCompute("k0", tag, nullptr, compute).ok());
  EXPECT_EQ(computed, 7);  // oldest: evicted
}

// Many threads, keys and moving tags: every answer served is the one
// computed for its key at the tag it reports.
TEST(AnswerCache, EveryAnswerMatchesItsKeyAndTagUnderContention) {
  AnswerCache<Answer> cache(64 << 10);
  std::atomic<uint64_t> tags[4] = {};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    std::mt19937 rng(1);
    while (!stop.load()) {
      tags[rng() % 4].fetch_add(1);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  std::atomic<int> mismatches{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 6; ++t) {
    readers.emplace_back([&, t] {
      std::mt19937 rng(t + 100);
      for (int i = 0; i < 2000; ++i) {
        const int k = rng() % 4;
        const std::string key = absl::StrCat("pair", k);
        auto read_tag = [&] { return tags[k].load(); };
        uint64_t computed_at = 0;
        auto r = cache.GetOrCompute(key, read_tag, nullptr,
                                    [&]() -> absl::StatusOr<Answer> {
                                      computed_at = tags[k].load();
                                      return Make(absl::StrCat(key, "@", computed_at));
                                    });
        ASSERT_TRUE(r.ok());
        if (r->answer->value() != absl::StrCat(key, "@", r->tag) &&
            !(r->fresh && r->answer->value() == absl::StrCat(key, "@", computed_at))) {
          mismatches.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : readers) t.join();
  stop = true;
  writer.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace detente
