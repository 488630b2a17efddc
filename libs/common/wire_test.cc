#include "common/wire.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace detente::wire {
namespace {

// What a reader saw: each field, then whether the input was whole.
struct Field {
  uint32_t field;
  uint32_t type;
  uint64_t value;     // varint and fixed fields
  std::string bytes;  // length-delimited fields
  bool operator==(const Field&) const = default;
};
struct Seen {
  std::vector<Field> fields;
  bool ok;
};

Seen ReadAll(absl::string_view in) {
  Seen seen;
  Reader r(in);
  while (r.Next()) {
    seen.fields.push_back({r.field(), r.type(),
                           r.type() == kLen ? 0 : r.varint(),
                           r.type() == kLen ? std::string(r.bytes()) : ""});
  }
  seen.ok = r.ok();
  return seen;
}

// The encoding's rules, read one byte at a time with nothing taken for
// granted, as protobuf's CodedInputStream applies them: field numbers from
// 1 to 2^29 - 1, varints of at most 10 bytes (bits past the 64th dropped),
// wire types 0, 1, 2 and 5 (no groups). What Reader must agree with on any
// input.
Seen Reference(absl::string_view in) {
  Seen seen{{}, true};
  size_t i = 0;
  auto varint = [&](uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (i == in.size()) return false;
      const auto b = static_cast<uint8_t>(in[i++]);
      *v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) return true;
    }
    return false;
  };
  auto fixed = [&](int n, uint64_t* v) {
    if (in.size() - i < static_cast<size_t>(n)) return false;
    *v = 0;
    for (int k = 0; k < n; ++k) {
      *v |= static_cast<uint64_t>(static_cast<uint8_t>(in[i + k])) << (8 * k);
    }
    i += n;
    return true;
  };
  while (i < in.size()) {
    uint64_t tag, v = 0;
    if (!varint(&tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) {
      seen.ok = false;
      break;
    }
    Field f{static_cast<uint32_t>(tag >> 3), static_cast<uint32_t>(tag & 7), 0,
            ""};
    bool good = false;
    if (f.type == kVarint) {
      good = varint(&v);
    } else if (f.type == kFixed64) {
      good = fixed(8, &v);
    } else if (f.type == kFixed32) {
      good = fixed(4, &v);
    } else if (f.type == kLen) {
      good = varint(&v) && v <= in.size() - i;
      if (good) {
        f.bytes = std::string(in.substr(i, v));
        i += v;
        v = 0;
      }
    }
    if (!good) {
      seen.ok = false;
      break;
    }
    f.value = v;
    seen.fields.push_back(std::move(f));
  }
  return seen;
}

void ExpectSame(absl::string_view in) {
  const Seen got = ReadAll(in);
  const Seen want = Reference(in);
  EXPECT_EQ(got.ok, want.ok) << testing::PrintToString(std::string(in));
  EXPECT_EQ(got.fields, want.fields) << testing::PrintToString(std::string(in));
}

TEST(WireReader, ReadsWhatThePutFunctionsWrite) {
  std::string m;
  PutVarintField(&m, 1, 5);                 // one-byte tag and value
  PutVarintField(&m, 2, 300);               // a two-byte value
  PutString(&m, 3, "KOR");                  // one-byte length
  PutString(&m, 4, std::string(200, 'x'));  // a two-byte length
  PutVarintField(&m, 16, 1);                // a two-byte tag
  PutString(&m, 2000, "JPN");               // a two-byte tag, length-delimited
  const Seen seen = ReadAll(m);
  ASSERT_TRUE(seen.ok);
  ASSERT_EQ(seen.fields.size(), 6u);
  EXPECT_EQ(seen.fields[0], (Field{1, kVarint, 5, ""}));
  EXPECT_EQ(seen.fields[1], (Field{2, kVarint, 300, ""}));
  EXPECT_EQ(seen.fields[2], (Field{3, kLen, 0, "KOR"}));
  EXPECT_EQ(seen.fields[3], (Field{4, kLen, 0, std::string(200, 'x')}));
  EXPECT_EQ(seen.fields[4], (Field{16, kVarint, 1, ""}));
  EXPECT_EQ(seen.fields[5], (Field{2000, kLen, 0, "JPN"}));
  ExpectSame(m);
}

TEST(WireReader, CutsAndBadTagsFail) {
  // A length past the end, by one byte, with one-byte tag and length.
  EXPECT_FALSE(ReadAll(std::string("\x1a\x03KO", 4)).ok);
  // A fixed64 one byte short.
  EXPECT_FALSE(ReadAll(std::string("\x09\x01\x02\x03\x04\x05\x06\x07", 8)).ok);
  // Field number 0, and a group's wire type.
  EXPECT_FALSE(ReadAll(std::string("\x00\x01", 2)).ok);
  EXPECT_FALSE(ReadAll(std::string("\x0b\x01", 2)).ok);
  // A varint cut off after its tag.
  EXPECT_FALSE(ReadAll(std::string("\x08", 1)).ok);
  EXPECT_FALSE(ReadAll(std::string("\x08\x80", 2)).ok);
  // A varint of 11 bytes; a zero tag padded to two bytes; wire types 6
  // and 7; field number 2^29, one past the largest.
  EXPECT_FALSE(
      ReadAll(std::string("\x08") + std::string(10, '\x80') + "\x01").ok);
  EXPECT_FALSE(ReadAll(std::string("\x80\x00\x01", 3)).ok);
  EXPECT_FALSE(ReadAll(std::string("\x0e\x01", 2)).ok);
  EXPECT_FALSE(ReadAll(std::string("\x0f\x01", 2)).ok);
  std::string largest, too_large;
  PutVarintField(&largest, (1u << 29) - 1, 1);
  PutVarintField(&too_large, 1u << 29, 1);
  EXPECT_TRUE(ReadAll(largest).ok);
  EXPECT_FALSE(ReadAll(too_large).ok);
  // Empty input: no field, and whole.
  EXPECT_TRUE(ReadAll("").ok);
  EXPECT_TRUE(ReadAll("").fields.empty());
}

// Random inputs of two kinds against the reference: messages built of
// fields of every type with one- and two-byte tags, lengths and values,
// then cut at every point; and bytes with no structure at all.
TEST(WireReader, AgreesWithTheReferenceOnRandomInput) {
  std::mt19937_64 rng(20261201);
  auto pick = [&](uint64_t n) { return rng() % n; };
  for (int round = 0; round < 2000; ++round) {
    std::string m;
    const int fields = static_cast<int>(pick(8));
    for (int k = 0; k < fields; ++k) {
      const uint32_t number = pick(4) == 0 ? 16 + pick(3000) : 1 + pick(15);
      switch (pick(4)) {
        case 0:  // values of one byte, half the time; else of 1 to 10
          PutVarintField(&m, number, pick(2) ? pick(128) : rng() >> pick(64));
          break;
        case 1:
          PutString(&m, number,
                    std::string(pick(2) ? pick(128) : pick(400),
                                static_cast<char>(pick(256))));
          break;
        case 2:
          PutTag(&m, number, kFixed64);
          for (int b = 0; b < 8; ++b) m.push_back(static_cast<char>(pick(256)));
          break;
        default:
          PutTag(&m, number, kFixed32);
          for (int b = 0; b < 4; ++b) m.push_back(static_cast<char>(pick(256)));
          break;
      }
    }
    for (size_t cut = 0; cut <= m.size(); ++cut) ExpectSame(m.substr(0, cut));
    std::string noise(pick(24), '\0');
    for (char& c : noise) c = static_cast<char>(pick(256));
    ExpectSame(noise);
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace detente::wire
