#include "domain/validation.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace detente {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr absl::string_view kId = "6b9d4fc1-630f-4bea-a000-000000000001";
constexpr absl::string_view kSubject = "6b9d4fc1-630f-4bea-a000-000000000002";

const ValidationContext kCtx{.today = ToDayNumber({2026, 11, 28})};

RawEntry ValidEvent() {
  RawEntry raw;
  raw.event_id = std::string(kId);
  raw.occurred_on = "2021-05-03";
  raw.source = "KOR";
  raw.target = "JPN";
  raw.event_code = "036";
  raw.tags = {"security", "history"};
  raw.title = "Seoul proposes talks";
  raw.summary = "A summary.";
  raw.source_name = "Yonhap";
  raw.source_url = "https://example.com/a?b=c";
  return raw;
}

RawEntry ValidRetraction() {
  RawEntry raw;
  raw.event_id = std::string(kId);
  raw.kind = EntryKind::kRetraction;
  raw.subject_event_id = std::string(kSubject);
  raw.summary = "duplicate of another event";
  return raw;
}

std::vector<FieldViolation> Violations(const RawEntry& raw) {
  absl::StatusOr<Entry> e = ValidateEntry(raw, kCtx);
  if (e.ok()) return {};
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  return GetFieldViolations(e.status());
}

// The only violation, or a failure.
FieldViolation Only(const RawEntry& raw) {
  std::vector<FieldViolation> v = Violations(raw);
  EXPECT_EQ(v.size(), 1u) << (v.empty() ? "none" : v[0].field);
  return v.empty() ? FieldViolation{} : v[0];
}

MATCHER_P(FieldIs, name, "") { return arg.field == name; }

TEST(ValidationTest, ValidEventIsCanonical) {
  RawEntry raw = ValidEvent();
  raw.event_id = "6B9D4FC1-630F-4BEA-A000-000000000001";
  raw.source = "ROU";
  raw.goldstein = -2.5;
  raw.tone = -3.25;
  absl::StatusOr<Entry> e = ValidateEntry(raw, kCtx);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->event_id.ToString(), kId);
  EXPECT_EQ(e->kind, EntryKind::kEvent);
  EXPECT_TRUE(e->subject_event_id.is_nil());
  EXPECT_EQ(e->data.occurred_on, EventDate(2021, 5, 3, DatePrecision::kDay));
  EXPECT_EQ(e->data.source, "ROM");
  EXPECT_EQ(e->data.target, "JPN");
  EXPECT_EQ(e->data.event_code, "036");
  EXPECT_EQ(e->data.goldstein, -2.5);
  EXPECT_EQ(e->data.tone, -3.25);
  EXPECT_EQ(e->data.weight, 1u);
  EXPECT_THAT(e->data.tags, ElementsAre("security", "history"));
  EXPECT_EQ(e->data.title, "Seoul proposes talks");
  EXPECT_EQ(e->data.summary, "A summary.");
  EXPECT_EQ(e->data.source_name, "Yonhap");
  EXPECT_EQ(e->data.source_url, "https://example.com/a?b=c");
  EXPECT_DOUBLE_EQ(EffectiveGoldstein(e->data), -2.5);
}

TEST(ValidationTest, MinimalEvent) {
  RawEntry raw;
  raw.occurred_on = "1956";
  raw.source = "USA";
  raw.target = "RUS";
  raw.event_code = "190";
  raw.weight = 7;
  absl::StatusOr<Entry> e = ValidateEntry(raw, kCtx);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_TRUE(e->event_id.is_nil());
  EXPECT_EQ(e->data.weight, 7u);
  EXPECT_FALSE(e->data.goldstein.has_value());
  EXPECT_DOUBLE_EQ(EffectiveGoldstein(e->data), -10.0);
}

TEST(ValidationTest, EventId) {
  RawEntry raw = ValidEvent();
  raw.event_id = "not-a-uuid";
  FieldViolation v = Only(raw);
  EXPECT_EQ(v.field, "event_id");
  EXPECT_THAT(v.description, HasSubstr("\"not-a-uuid\" is not a UUID"));
  raw.event_id = "00000000-0000-0000-0000-000000000000";
  EXPECT_EQ(Only(raw),
            (FieldViolation{"event_id", "must not be the nil UUID"}));
}

TEST(ValidationTest, OccurredOn) {
  RawEntry raw = ValidEvent();
  raw.occurred_on = "2021-02-29";
  EXPECT_EQ(Only(raw), (FieldViolation{"occurred_on",
                                       "\"2021-02-29\" is not a date: "
                                       "February 2021 has 28 days"}));
  raw.occurred_on = "2031-01-01";
  EXPECT_EQ(Only(raw),
            (FieldViolation{"occurred_on",
                            "\"2031-01-01\" is in the future (today is "
                            "2026-11-28; at most one day ahead is allowed)"}));
  raw.occurred_on = "2026-11-30";
  EXPECT_EQ(Only(raw).field, "occurred_on");
  raw.occurred_on = "2026-11-29";  // tomorrow: time zones
  EXPECT_THAT(Violations(raw), IsEmpty());
  raw.occurred_on = "2026-12";  // starts more than a day ahead
  EXPECT_EQ(Only(raw).field, "occurred_on");
  raw.occurred_on = "2026";
  EXPECT_THAT(Violations(raw), IsEmpty());
  raw.occurred_on = "";
  EXPECT_EQ(Only(raw), (FieldViolation{"occurred_on",
                                       "is required (YYYY-MM-DD, YYYY-MM or "
                                       "YYYY)"}));
  raw.occurred_on = "0000-01-01";
  EXPECT_THAT(Only(raw).description, HasSubstr("years run from 0001"));
}

TEST(ValidationTest, Actors) {
  RawEntry raw = ValidEvent();
  raw.target = "KOR";
  EXPECT_EQ(Only(raw),
            (FieldViolation{"target", "must differ from source (\"KOR\")"}));
  raw.source = "ROU";
  raw.target = "ROM";  // equal after resolution
  EXPECT_EQ(Only(raw),
            (FieldViolation{"target", "must differ from source (\"ROM\")"}));
  raw.source = "XXX";
  raw.target = "JPN";
  EXPECT_EQ(Only(raw),
            (FieldViolation{"source", "unknown CAMEO country code \"XXX\""}));
  raw.source = "kor";
  EXPECT_EQ(Only(raw),
            (FieldViolation{"source",
                            "unknown CAMEO country code \"kor\" (codes are "
                            "upper case: \"KOR\")"}));
  raw.source = "South Korea";
  EXPECT_THAT(Only(raw).description, HasSubstr("a name, not a code"));
  raw.source = "";
  EXPECT_EQ(Only(raw).field, "source");
  raw.source = "K\xff\xfe";
  EXPECT_EQ(Only(raw), (FieldViolation{"source", "is not valid UTF-8"}));
  raw.source = "KOR";
  raw.target = "";
  EXPECT_THAT(Only(raw).description, HasSubstr("is required"));
}

TEST(ValidationTest, EventCode) {
  RawEntry raw = ValidEvent();
  raw.event_code = "999";
  EXPECT_EQ(Only(raw),
            (FieldViolation{"event_code", "unknown CAMEO event code \"999\""}));
  raw.event_code = "36";
  EXPECT_EQ(Only(raw).description, "unknown CAMEO event code \"36\"");
  raw.event_code = "abc";
  EXPECT_THAT(Only(raw).description, HasSubstr("is not a CAMEO event code"));
  raw.event_code = "";
  EXPECT_EQ(Only(raw).field, "event_code");
  raw.event_code = "\xc0\x80";
  EXPECT_EQ(Only(raw), (FieldViolation{"event_code", "is not valid UTF-8"}));
}

TEST(ValidationTest, ScoresAndWeight) {
  RawEntry raw = ValidEvent();
  raw.goldstein = 10.0;
  raw.tone = -100.0;
  EXPECT_THAT(Violations(raw), IsEmpty());
  raw.goldstein = 10.5;
  EXPECT_EQ(Only(raw),
            (FieldViolation{"goldstein", "10.5 is outside [-10, 10]"}));
  raw.goldstein = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(Only(raw).field, "goldstein");
  EXPECT_THAT(Only(raw).description, HasSubstr("finite"));
  raw.goldstein.reset();
  raw.tone = std::numeric_limits<double>::infinity();
  EXPECT_EQ(Only(raw).field, "tone");
  raw.tone = -100.5;
  EXPECT_EQ(Only(raw),
            (FieldViolation{"tone", "-100.5 is outside [-100, 100]"}));
  raw.tone.reset();
  raw.weight = 0;
  EXPECT_EQ(ValidateEntry(raw, kCtx)->data.weight, 1u);
}

TEST(ValidationTest, Tags) {
  RawEntry raw = ValidEvent();
  raw.tags = {"ok",
              "",
              "Upper",
              "a-b-1",
              std::string(33, 'a'),
              "ok",
              "sp ace",
              std::string(32, 'z'),
              "\xff"};
  std::vector<FieldViolation> v = Violations(raw);
  EXPECT_THAT(
      v, ElementsAre(FieldViolation{"tags[1]", "must not be empty"},
                     FieldViolation{"tags[2]",
                                    "\"Upper\" may contain only "
                                    "a-z, 0-9 and '-'"},
                     FieldViolation{"tags[4]",
                                    "is 33 characters long; at "
                                    "most 32 are allowed"},
                     FieldViolation{"tags[5]", "duplicates tags[0] (\"ok\")"},
                     FieldViolation{"tags[6]",
                                    "\"sp ace\" may contain only "
                                    "a-z, 0-9 and '-'"},
                     FieldViolation{"tags[8]",
                                    "\"\\xff\" may contain only "
                                    "a-z, 0-9 and '-'"}));
  raw.tags.clear();
  for (int i = 0; i < 17; ++i) raw.tags.push_back(absl::StrCat("t", i));
  EXPECT_EQ(Only(raw),
            (FieldViolation{"tags", "has 17 tags; at most 16 are allowed"}));
  raw.tags.pop_back();
  EXPECT_THAT(Violations(raw), IsEmpty());
}

TEST(ValidationTest, TextLimitsCountCodePoints) {
  RawEntry raw = ValidEvent();
  std::string korean;
  for (int i = 0; i < kMaxTitleChars; ++i) korean += "\xed\x95\x9c";  // 한
  raw.title = korean;  // 300 characters, 900 bytes
  raw.source_name = korean;
  EXPECT_THAT(Violations(raw), IsEmpty());
  raw.title += "x";
  EXPECT_EQ(Only(raw), (FieldViolation{"title",
                                       "is 301 characters long; at "
                                       "most 300 are allowed"}));
  raw.title = "ok";
  raw.source_name += "x";
  EXPECT_EQ(Only(raw).field, "source_name");
  raw.source_name = "ok";
  raw.summary = std::string(kMaxSummaryChars, 's');
  EXPECT_THAT(Violations(raw), IsEmpty());
  raw.summary += "s";
  EXPECT_EQ(Only(raw), (FieldViolation{"summary",
                                       "is 4001 characters long; "
                                       "at most 4000 are allowed"}));
  raw.summary = "\xed\xa0\x80";  // a surrogate
  EXPECT_EQ(Only(raw), (FieldViolation{"summary", "is not valid UTF-8"}));
}

TEST(ValidationTest, SourceUrl) {
  RawEntry raw = ValidEvent();
  for (absl::string_view ok :
       {"http://example.com", "https://example.com/", "HTTPS://Example.com",
        "https://user@host:8080/p#f", "https://[::1]:80/x", ""}) {
    raw.source_url = std::string(ok);
    EXPECT_THAT(Violations(raw), IsEmpty()) << ok;
  }
  raw.source_url = "ftp://example.com/x";
  EXPECT_EQ(Only(raw), (FieldViolation{"source_url",
                                       "\"ftp://example.com/x\" is not an "
                                       "http:// or https:// URL"}));
  raw.source_url = "https:///path";
  EXPECT_EQ(Only(raw),
            (FieldViolation{"source_url", "\"https:///path\" has no host"}));
  raw.source_url = "https://example.com/a b";
  EXPECT_EQ(Only(raw).field, "source_url");
  raw.source_url = "https://example.com/" + std::string(2048, 'a');
  EXPECT_THAT(Violations(raw),
              ElementsAre(FieldViolation{"source_url",
                                         "is 2068 characters long; at most "
                                         "2048 are allowed"}));
}

TEST(ValidationTest, EventMustNotNameASubject) {
  RawEntry raw = ValidEvent();
  raw.subject_event_id = std::string(kSubject);
  EXPECT_EQ(Only(raw).field, "subject_event_id");
  EXPECT_THAT(Only(raw).description, HasSubstr("must be empty for an event"));
}

TEST(ValidationTest, Correction) {
  RawEntry raw = ValidEvent();
  raw.kind = EntryKind::kCorrection;
  raw.subject_event_id = "6B9D4FC1-630F-4BEA-A000-000000000002";
  absl::StatusOr<Entry> e = ValidateEntry(raw, kCtx);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->kind, EntryKind::kCorrection);
  EXPECT_EQ(e->subject_event_id.ToString(), kSubject);
  EXPECT_EQ(e->data.source, "KOR");

  raw.subject_event_id = "";
  EXPECT_THAT(Only(raw).description, HasSubstr("is required for a correction"));
  raw.subject_event_id = "nope";
  EXPECT_EQ(Only(raw).field, "subject_event_id");
  raw.subject_event_id = std::string(kId);
  EXPECT_EQ(Only(raw).description,
            absl::StrCat("must differ from event_id (\"", kId,
                         "\"): an entry cannot correct or retract itself"));
  // A correction needs the whole event.
  raw.subject_event_id = std::string(kSubject);
  raw.event_code.clear();
  raw.occurred_on.clear();
  EXPECT_THAT(Violations(raw), UnorderedElementsAre(FieldIs("occurred_on"),
                                                    FieldIs("event_code")));
}

TEST(ValidationTest, Retraction) {
  absl::StatusOr<Entry> e = ValidateEntry(ValidRetraction(), kCtx);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->kind, EntryKind::kRetraction);
  EXPECT_EQ(e->subject_event_id.ToString(), kSubject);
  EXPECT_EQ(e->data.summary, "duplicate of another event");
  EXPECT_TRUE(e->data.source.empty());

  RawEntry raw = ValidRetraction();
  raw.subject_event_id.clear();
  EXPECT_THAT(Only(raw).description, HasSubstr("is required for a retraction"));

  raw = ValidEvent();
  raw.kind = EntryKind::kRetraction;
  raw.subject_event_id = std::string(kSubject);
  raw.goldstein = 1;
  raw.tone = 1;
  raw.weight = 3;
  std::vector<FieldViolation> v = Violations(raw);
  EXPECT_THAT(v, UnorderedElementsAre(FieldIs("occurred_on"), FieldIs("source"),
                                      FieldIs("target"), FieldIs("event_code"),
                                      FieldIs("goldstein"), FieldIs("weight"),
                                      FieldIs("tone"), FieldIs("tags"),
                                      FieldIs("title"), FieldIs("source_name"),
                                      FieldIs("source_url")));
  for (const FieldViolation& f : v) {
    EXPECT_EQ(f.description,
              "must be empty for a retraction (only summary, the reason, may "
              "be set)");
  }
  raw = ValidRetraction();
  raw.weight = 1;  // the default, as some clients send it
  EXPECT_THAT(Violations(raw), IsEmpty());
}

TEST(ValidationTest, UnknownKind) {
  RawEntry raw = ValidEvent();
  raw.kind = static_cast<EntryKind>(9);
  EXPECT_EQ(Only(raw), (FieldViolation{"kind", "unknown entry kind 9"}));
}

TEST(ValidationTest, ReportsEveryViolationAtOnce) {
  RawEntry raw;
  raw.event_id = "xyz";
  raw.subject_event_id = std::string(kSubject);
  raw.occurred_on = "2021-02-29";
  raw.source = "KOR";
  raw.target = "KOR";
  raw.event_code = "999";
  raw.goldstein = 11;
  raw.tone = 101;
  raw.tags = {"fine", "Bad!"};
  raw.title = std::string(301, 't');
  raw.summary = "\xc3";
  raw.source_name = std::string(301, 'n');
  raw.source_url = "mailto:x@example.com";
  absl::StatusOr<Entry> e = ValidateEntry(raw, kCtx);
  ASSERT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(GetFieldViolations(e.status()),
              UnorderedElementsAre(
                  FieldIs("event_id"), FieldIs("subject_event_id"),
                  FieldIs("occurred_on"), FieldIs("target"),
                  FieldIs("event_code"), FieldIs("goldstein"), FieldIs("tone"),
                  FieldIs("tags[1]"), FieldIs("title"), FieldIs("summary"),
                  FieldIs("source_name"), FieldIs("source_url")));
  EXPECT_THAT(e.status().message(), HasSubstr("event_id: "));
}

TEST(ValidationTest, DescriptionsAreValidUtf8) {
  RawEntry raw = ValidEvent();
  raw.source = "\xff\xfe\xfd";
  raw.event_code = "\x80";
  raw.tags = {"\xe2\x28\xa1"};
  raw.source_url = "https://\xff";
  for (const FieldViolation& f : Violations(raw)) {
    EXPECT_TRUE(IsValidUtf8(f.description)) << f.field;
  }
}

TEST(Utf8Test, Validity) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xed\x95\x9c\xea\xb5\xad"));  // 한국
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80"));          // U+1F600
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));          // U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));                 // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));             // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));             // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));         // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xf8\x88\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\x80"));
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));  // truncated
  EXPECT_FALSE(IsValidUtf8("a\xc3("));
  // Past the eight-byte ASCII runs, at every offset.
  for (size_t pad = 0; pad < 20; ++pad) {
    const std::string ascii(pad, 'x');
    EXPECT_TRUE(IsValidUtf8(ascii + "\xed\x95\x9c" + ascii)) << pad;
    EXPECT_FALSE(IsValidUtf8(ascii + "\xed\xa0\x80" + ascii)) << pad;
    EXPECT_FALSE(IsValidUtf8(ascii + "\xe2\x82")) << pad;
    EXPECT_FALSE(IsValidUtf8(ascii + "\x80" + ascii)) << pad;
  }
  EXPECT_EQ(Utf8Length("\xed\x95\x9c\xea\xb5\xad"), 2u);
  EXPECT_EQ(Utf8Length("a\xf0\x9f\x98\x80z"), 3u);
}

}  // namespace
}  // namespace detente
