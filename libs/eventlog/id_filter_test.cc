#include "eventlog/id_filter.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace detente {
namespace {

std::vector<Uuid> RandomIds(size_t n) {
  std::vector<Uuid> ids;
  ids.reserve(n);
  for (size_t i = 0; i < n; ++i) ids.push_back(Uuid::Random());
  return ids;
}

// Ids that differ only in their last bytes, as time-ordered ids (UUID
// version 7) written in one millisecond do.
std::vector<Uuid> SequentialIds(uint64_t from, size_t n) {
  std::vector<Uuid> ids;
  for (uint64_t i = from; i < from + n; ++i) {
    std::array<uint8_t, 16> b{0x01, 0x8c, 0x3f, 0x00, 0x00, 0x00, 0x70, 0x00,
                              0x80};
    for (int k = 0; k < 7; ++k) b[15 - k] = static_cast<uint8_t>(i >> (8 * k));
    ids.emplace_back(b);
  }
  return ids;
}

double FalsePositiveRate(const IdFilterChain& f, const std::vector<Uuid>& absent) {
  size_t maybe = 0;
  for (const Uuid& id : absent) maybe += f.MayContain(id);
  return static_cast<double>(maybe) / static_cast<double>(absent.size());
}

TEST(IdFilterTest, NeverForgetsAnIdAndRulesOutAlmostAllOthers) {
  IdFilterChain f(IdFilterChain::kMinCapacity);
  const std::vector<Uuid> in = RandomIds(IdFilterChain::kMinCapacity);
  for (const Uuid& id : in) f.Insert(id);
  for (const Uuid& id : in) ASSERT_TRUE(f.MayContain(id)) << id.ToString();
  EXPECT_EQ(f.filters(), 2u);  // the base (empty here) and this one
  // ~1% at its capacity, 10 bits an id.
  EXPECT_LT(FalsePositiveRate(f, RandomIds(200000)), 0.02);
}

TEST(IdFilterTest, IdsThatDifferInTheirLastBytesAreSpreadToo) {
  IdFilterChain f(IdFilterChain::kMinCapacity);
  for (const Uuid& id : SequentialIds(0, 500000)) f.Insert(id);
  for (const Uuid& id : SequentialIds(0, 500000)) ASSERT_TRUE(f.MayContain(id));
  EXPECT_LT(FalsePositiveRate(f, SequentialIds(1u << 30, 200000)), 0.02);
}

TEST(IdFilterTest, PastItsCapacityTheChainGrowsAndForgetsNothing) {
  IdFilterChain f;  // the smallest
  const std::vector<Uuid> in = RandomIds(3 * IdFilterChain::kMinCapacity + 5);
  // Half one by one, half all at once.
  for (size_t i = 0; i < in.size() / 2; ++i) f.Insert(in[i]);
  f.InsertAll(std::vector<Uuid>(in.begin() + in.size() / 2, in.end()),
              [](const Uuid& id) -> const Uuid& { return id; });
  // The (empty) base, then 1M, 2M, and 4M for the last 5.
  EXPECT_EQ(f.filters(), 4u);
  for (const Uuid& id : in) ASSERT_TRUE(f.MayContain(id));
  // Each full filter adds its ~1%.
  EXPECT_LT(FalsePositiveRate(f, RandomIds(200000)), 0.04);
  EXPECT_EQ(f.bytes(), 8 * IdFilterChain::kMinCapacity * 10 / 8);
}

TEST(IdFilterTest, RemoveAbsentKeepsThePresentInTheirOrder) {
  IdFilterChain f;
  const std::vector<Uuid> in = RandomIds(1000);
  for (size_t i = 0; i < in.size(); i += 2) f.Insert(in[i]);
  std::vector<std::pair<Uuid, size_t>> asked;
  for (size_t i = 0; i < in.size(); ++i) asked.emplace_back(in[i], i);
  f.RemoveAbsent(asked);
  // Every inserted one, in order; a false positive or two besides.
  ASSERT_GE(asked.size(), 500u);
  EXPECT_LT(asked.size(), 520u);
  size_t next_even = 0;
  for (size_t k = 0; k < asked.size(); ++k) {
    if (k > 0) {
      EXPECT_LT(asked[k - 1].second, asked[k].second);
    }
    if (asked[k].second % 2 == 0) {
      EXPECT_EQ(asked[k].second, next_even);
      next_even += 2;
    }
  }
  EXPECT_EQ(next_even, 1000u);
}

// A fill into the base filter on one thread while the owner inserts on
// another (LogIndex::FillFilter beside Add): they write different filters,
// both kept (and clean under ThreadSanitizer).
TEST(IdFilterTest, AFillAndInsertsRunTogether) {
  IdFilterChain f;
  const std::vector<Uuid> filled = RandomIds(200000);
  const std::vector<Uuid> added = RandomIds(200000);
  IdFilter& base = f.base();
  std::thread filler([&] {
    for (const Uuid& id : filled) base.Insert(id);
  });
  for (const Uuid& id : added) f.Insert(id);
  filler.join();
  for (const Uuid& id : filled) ASSERT_TRUE(f.MayContain(id));
  for (const Uuid& id : added) ASSERT_TRUE(f.MayContain(id));
}

}  // namespace
}  // namespace detente
