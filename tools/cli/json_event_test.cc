#include "tools/cli/json_event.h"

#include <google/protobuf/util/json_util.h>

#include <cmath>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace detente::cli {
namespace {

// What protobuf's own reader makes of `line` (nullopt when it refuses it).
std::optional<std::string> ProtobufBytes(const std::string& line) {
  v1::Event e;
  if (!google::protobuf::util::JsonStringToMessage(line, &e).ok()) {
    return std::nullopt;
  }
  return e.SerializeAsString();
}

// The fast path reads `line`, into what protobuf reads.
void ExpectRead(const std::string& line) {
  SCOPED_TRACE(line);
  v1::Event fast;
  ASSERT_TRUE(ParseEventJsonFast(line, &fast));
  std::optional<std::string> want = ProtobufBytes(line);
  ASSERT_TRUE(want.has_value()) << "protobuf refuses what the fast path read";
  EXPECT_EQ(fast.SerializeAsString(), *want) << fast.DebugString();
}

TEST(JsonEventTest, ReadsWhatProtobufReadsTheSameWay) {
  ExpectRead(
      R"({"eventId":"da44c990-9199-4a91-ac5a-a78e889f6eb2","occurredOn":"1965-01-01","source":"USA","target":"PRK","eventCode":"07","weight":23,"tone":1.16,"tags":["synthetic","aid"],"title":"United States -> North Korea: PROVIDE AID","sourceUrl":"https://synth.example.org/1/0"})");
  // Proto names, a correction, every field, spaces.
  ExpectRead(
      R"( { "event_id" : "25ffc435-a277-4bbc-8532-b3548302e472", "kind": "ENTRY_KIND_CORRECTION", "subject_event_id": "c672a846-4e32-4258-bf7e-70854d677cee", "occurred_on": "1965-01", "source": "BEN", "target": "AFR", "event_code": "1246", "goldstein": -7.5, "weight": 4294967295, "tone": -4.93, "tags": [], "title": "t", "summary": "s", "source_name": "n", "source_url": "https://x.org/" } )");
  // Escapes and non-ASCII text, decoded alike.
  ExpectRead(
      R"({"title":"Seoul \"and\" Tokyo \u2014 \u65e5\u97d3 \ud83c\udf0f \\ \/ \n","summary":"日韓 — ok"})");
  // Integers for doubles: read as integers first, so -0 is +0.0.
  ExpectRead(R"({"goldstein":-0,"tone":3})");
  ExpectRead(R"({"goldstein":-0.0,"tone":-10})");
  ExpectRead(R"({"goldstein":0.1000000000000000055511151231257827})");
  ExpectRead(R"({"kind":"ENTRY_KIND_UNSPECIFIED","weight":0,"title":""})");
  ExpectRead(R"({})");
}

TEST(JsonEventTest, DeclinesWhatItIsNotSureOf) {
  for (const std::string& line : std::vector<std::string>{
           R"({"eventId":"a","eventId":"b"})",   // twice
           R"({"eventId":"a","event_id":"b"})",  // twice, two names
           R"({"unknown":"x"})",                 // protobuf's error
           R"({"title":null})",                  // null
           R"({"title":1})",                     // wrong type
           R"({"goldstein":"1.5"})",             // number as a string
           R"({"goldstein":"NaN"})",
           R"({"goldstein":1e3})",                   // exponent
           R"({"goldstein":12345678901234567890})",  // beyond int64
           R"({"weight":-1})",
           R"({"weight":4294967296})",
           R"({"weight":1.0})",
           R"({"kind":1})",             // enum number
           R"({"kind":"CORRECTION"})",  // unknown name
           R"({"tags":"a"})",
           R"({"tags":["a",1]})",
           R"({"tags":[["a"]]})",
           R"({"title":{"a":"b"}})",
           R"({"title":true})",
           R"({"title":"a\u0000b"})",                // NUL decoded
           std::string("{\"title\":\"a\"}\0x", 15),  // NUL in the line
           R"({"title":"a"} x)",                     // trailing text
           R"({"title":"a"}{})",
           R"(["a"])",
           R"("a")",
           "{\"title\":\"\xff\"}",   // not UTF-8
           R"({"title":"\ud800"})",  // lone surrogates
           R"({"title":"\udf0f"})",
           "",
       }) {
    v1::Event e;
    EXPECT_FALSE(ParseEventJsonFast(line, &e)) << line;
  }
}

// What protobuf's writer makes of random events (as `detente export`
// writes them) the fast path reads back into the same events.
TEST(JsonEventTest, ReadsProtobufsOwnJsonOfRandomEvents) {
  std::mt19937_64 rng(20261201);
  // Texts of pieces protobuf's writer escapes (quotes, backslashes,
  // control characters) or writes as they are (multi-byte UTF-8).
  static const char* const kPieces[] = {"a",
                                        "b",
                                        "X",
                                        "0",
                                        "9",
                                        " ",
                                        "-",
                                        "_",
                                        "/",
                                        ":",
                                        "\"",
                                        "\\",
                                        "\t",
                                        "\n",
                                        "\x01",
                                        "<",
                                        "\xc3\xa9",
                                        "\xe2\x80\x94",
                                        "\xf0\x9f\x8c\x8f"};
  auto text = [&](size_t max) {
    std::string s;
    for (size_t n = rng() % (max + 1); n > 0; --n) {
      s += kPieces[rng() % (sizeof(kPieces) / sizeof(kPieces[0]))];
    }
    return s;
  };
  int read = 0;
  for (int n = 0; n < 3000; ++n) {
    v1::Event e;
    if (rng() % 2) e.set_event_id(text(36));
    if (rng() % 2) e.set_occurred_on(text(10));
    if (rng() % 2) e.set_source(text(3));
    if (rng() % 2) e.set_target(text(3));
    if (rng() % 2) e.set_event_code(text(4));
    if (rng() % 2) {
      e.set_goldstein(
          static_cast<double>(static_cast<int64_t>(rng() % 2001) - 1000) /
          (1 + rng() % 100));
    }
    if (rng() % 2) e.set_weight(static_cast<uint32_t>(rng()));
    if (rng() % 2)
      e.set_tone(std::ldexp(static_cast<double>(rng() % 1000000),
                            -static_cast<int>(rng() % 30)));
    for (size_t t = rng() % 3; t > 0; --t) e.add_tags(text(8));
    if (rng() % 2) e.set_title(text(60));
    if (rng() % 4 == 0) e.set_summary(text(200));
    if (rng() % 2) e.set_source_name(text(20));
    if (rng() % 2) e.set_source_url(text(40));
    if (rng() % 3 == 0) e.set_kind(static_cast<v1::EntryKind>(rng() % 3));
    if (rng() % 3 == 0) e.set_subject_event_id(text(36));
    google::protobuf::util::JsonPrintOptions o;
    o.preserve_proto_field_names = rng() % 2 == 0;
    std::string line;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(e, &line, o).ok());
    v1::Event fast;
    if (!ParseEventJsonFast(line, &fast)) {
      // Only numbers written with an exponent may be declined.
      EXPECT_TRUE(e.has_goldstein() || e.has_tone()) << line;
      continue;
    }
    ASSERT_EQ(fast.SerializeAsString(), e.SerializeAsString()) << line;
    ++read;
  }
  // Not vacuous: most lines take the fast path (the tones written with an
  // exponent do not).
  EXPECT_GT(read, 2400);
}

}  // namespace
}  // namespace detente::cli
