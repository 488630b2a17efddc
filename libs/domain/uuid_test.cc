#include "domain/uuid.h"

#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace detente {
namespace {

TEST(UuidTest, ParseAndFormat) {
  absl::StatusOr<Uuid> id = Uuid::Parse("6B9D4FC1-630f-4BEA-a000-00000000000F");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->ToString(), "6b9d4fc1-630f-4bea-a000-00000000000f");
  EXPECT_EQ(id->bytes()[0], 0x6b);
  EXPECT_EQ(id->bytes()[15], 0x0f);
  EXPECT_FALSE(id->is_nil());
  EXPECT_EQ(*Uuid::Parse(id->ToString()), *id);
}

TEST(UuidTest, Nil) {
  EXPECT_TRUE(Uuid().is_nil());
  EXPECT_EQ(Uuid().ToString(), "00000000-0000-0000-0000-000000000000");
  EXPECT_TRUE(Uuid::Parse("00000000-0000-0000-0000-000000000000")->is_nil());
}

TEST(UuidTest, RejectsMalformed) {
  for (absl::string_view bad : {
           "",
           "6b9d4fc1630f4beaa000000000000001",       // no hyphens
           "6b9d4fc1-630f-4bea-a000-00000000001",    // 35 characters
           "6b9d4fc1-630f-4bea-a000-0000000000011",  // 37 characters
           "6b9d4fc1-630f-4bea-a0000-00000000001",   // hyphen misplaced
           "6b9d4fc1-630f-4bea-a000-00000000000g",   // not hex
           "{6b9d4fc1-630f-4bea-a000-0000000001}",   // braces
           "6b9d4fc1-630f-4bea-a000+000000000001",
       }) {
    absl::StatusOr<Uuid> id = Uuid::Parse(bad);
    EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(id.status().message(), ::testing::HasSubstr("is not a UUID"));
  }
}

TEST(UuidTest, Bytes) {
  const Uuid id = *Uuid::Parse("00112233-4455-6677-8899-aabbccddeeff");
  const std::string raw = id.AsBytes();
  ASSERT_EQ(raw.size(), 16u);
  EXPECT_EQ(static_cast<uint8_t>(raw[15]), 0xff);
  EXPECT_EQ(*Uuid::FromBytes(raw), id);
  EXPECT_EQ(Uuid::FromBytes("short").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(UuidTest, OrderIsByteOrder) {
  EXPECT_LT(*Uuid::Parse("00000000-0000-0000-0000-000000000001"),
            *Uuid::Parse("00000000-0000-0000-0000-000000000100"));
  // Against memcmp of the bytes, for pairs that differ in one byte only
  // (each position, each way) and for random pairs.
  std::mt19937_64 rng(7);
  for (int n = 0; n < 2000; ++n) {
    std::array<uint8_t, 16> a, b;
    for (uint8_t& x : a) x = static_cast<uint8_t>(rng());
    b = a;
    if (n < 512) {
      b[n % 16] = static_cast<uint8_t>(rng());
    } else {
      for (uint8_t& x : b) x = static_cast<uint8_t>(rng());
    }
    const int bytes = std::memcmp(a.data(), b.data(), 16);
    const std::strong_ordering o = Uuid(a) <=> Uuid(b);
    EXPECT_EQ(o < 0, bytes < 0) << n;
    EXPECT_EQ(o == 0, bytes == 0) << n;
    EXPECT_EQ(Uuid(a) == Uuid(b), bytes == 0) << n;
  }
}

TEST(UuidTest, ParseReadsEveryDigitAndChecksEveryCharacter) {
  // Each of the 32 digits set alone, against the bytes it must give.
  for (int d = 0; d < 32; ++d) {
    std::string text = "00000000-0000-0000-0000-000000000000";
    int at = d + (d >= 8) + (d >= 12) + (d >= 16) + (d >= 20);
    text[at] = 'B';
    absl::StatusOr<Uuid> id = Uuid::Parse(text);
    ASSERT_TRUE(id.ok()) << text;
    for (int i = 0; i < 16; ++i) {
      const int want = i == d / 2 ? (d % 2 == 0 ? 0xb0 : 0x0b) : 0;
      EXPECT_EQ(id->bytes()[i], want) << text << " byte " << i;
    }
    // Any other character in that place is refused, hyphens included.
    for (char c : {'g', 'G', '-', ' ', '\0', '/', ':', '@', '`', '\xff'}) {
      text[at] = c;
      EXPECT_FALSE(Uuid::Parse(text).ok()) << absl::CHexEscape(text);
    }
  }
  for (int at : {8, 13, 18, 23}) {
    std::string text = "00000000-0000-0000-0000-000000000000";
    text[at] = '0';
    EXPECT_FALSE(Uuid::Parse(text).ok()) << text;
  }
}

TEST(UuidTest, RandomIsVersion4AndUniqueAcrossThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  std::vector<std::vector<Uuid>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&ids, t] {
      for (int i = 0; i < kPerThread; ++i) ids[t].push_back(Uuid::Random());
    });
  }
  for (std::thread& t : threads) t.join();
  absl::flat_hash_set<Uuid> seen;
  for (const auto& v : ids) {
    for (const Uuid& id : v) {
      const std::string text = id.ToString();
      EXPECT_EQ(text[14], '4') << text;
      EXPECT_THAT(std::string(1, text[19]),
                  ::testing::AnyOf("8", "9", "a", "b"));
      EXPECT_TRUE(seen.insert(id).second) << text;
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace detente
