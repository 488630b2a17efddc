#include "eventlog/keys.h"

#include <gtest/gtest.h>

namespace detente::keys {
namespace {

TEST(KeysTest, EntryKeysSortInPositionOrder) {
  EXPECT_LT(EntryKey(Position(1)), EntryKey(Position(2)));
  EXPECT_LT(EntryKey(Position(255)), EntryKey(Position(256)));
  EXPECT_LT(EntryKey(Position(1ull << 40)), EntryKey(Position((1ull << 40) + 1)));
  EXPECT_EQ(EntryKey(Position(0x0102030405060708)),
            std::string("e\x01\x02\x03\x04\x05\x06\x07\x08", 9));
}

TEST(KeysTest, EntryKeyRoundTrips) {
  for (uint64_t p : {uint64_t{1}, uint64_t{42}, uint64_t{1} << 33, UINT64_MAX}) {
    EXPECT_EQ(DecodeEntryKey(EntryKey(Position(p))), Position(p));
  }
  EXPECT_FALSE(DecodeEntryKey("i12345678").has_value());
  EXPECT_FALSE(DecodeEntryKey("e123").has_value());
}

TEST(KeysTest, StreamKeysGroupByStreamThenPosition) {
  std::string a = StreamKey("JPN-KOR", Position(900));
  std::string b = StreamKey("JPN-KOR", Position(1000));
  std::string c = StreamKey("JPN-USA", Position(1));
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(a.substr(0, StreamPrefix("JPN-KOR").size()),
            StreamPrefix("JPN-KOR"));
  EXPECT_EQ(DecodeStreamKeyPosition(b), Position(1000));
}

TEST(KeysTest, IdValueRoundTrips) {
  IdValue v{Position(77), EntryKind::kCorrection, "JPN-KOR"};
  std::optional<IdValue> back = DecodeIdValue(EncodeIdValue(v));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->position, Position(77));
  EXPECT_EQ(back->kind, EntryKind::kCorrection);
  EXPECT_EQ(back->stream, "JPN-KOR");
  EXPECT_FALSE(DecodeIdValue("short").has_value());
}

}  // namespace
}  // namespace detente::keys
