// The hand-written record codec against the generated StoredEntry code:
// what one writes, the other reads, field by field.
#include "eventlog/record_codec.h"

#include <gtest/gtest.h>

#include "eventlog/storage.pb.h"
#include "eventlog/test_entries.h"

namespace detente {
namespace {

RecordedEntry FullEvent() {
  RecordedEntry r;
  r.entry = testing::MakeEvent("KOR", "JPN", "1965-06-22", "057");
  r.entry.data.goldstein = -2.5;
  r.entry.data.weight = 7;
  r.entry.data.tone = -0.0625;
  r.entry.data.tags = {"treaty", "history"};
  r.entry.data.summary = "Treaty on Basic Relations signed in Tokyo";
  r.entry.data.source_name = "Seed article";
  r.entry.data.source_url = "https://example.org/a?b=c";
  r.position = Position(42);
  r.stream = "JPN-KOR";
  r.stream_revision = StreamRevision(300);
  r.recorded_at_micros = 1700000000123456;
  r.goldstein = -2.5;
  r.quad_class = QuadClass::kMaterialCooperation;
  return r;
}

void ExpectEqual(const RecordedEntry& a, const RecordedEntry& b) {
  EXPECT_EQ(a.entry.event_id, b.entry.event_id);
  EXPECT_EQ(a.entry.kind, b.entry.kind);
  EXPECT_EQ(a.entry.subject_event_id, b.entry.subject_event_id);
  EXPECT_EQ(a.entry.data.occurred_on.ToString(),
            b.entry.data.occurred_on.ToString());
  EXPECT_EQ(a.entry.data.source, b.entry.data.source);
  EXPECT_EQ(a.entry.data.target, b.entry.data.target);
  EXPECT_EQ(a.entry.data.event_code, b.entry.data.event_code);
  EXPECT_EQ(a.entry.data.goldstein, b.entry.data.goldstein);
  EXPECT_EQ(a.entry.data.weight, b.entry.data.weight);
  EXPECT_EQ(a.entry.data.tone, b.entry.data.tone);
  EXPECT_EQ(a.entry.data.tags, b.entry.data.tags);
  EXPECT_EQ(a.entry.data.title, b.entry.data.title);
  EXPECT_EQ(a.entry.data.summary, b.entry.data.summary);
  EXPECT_EQ(a.entry.data.source_name, b.entry.data.source_name);
  EXPECT_EQ(a.entry.data.source_url, b.entry.data.source_url);
  EXPECT_EQ(a.position, b.position);
  EXPECT_EQ(a.stream, b.stream);
  EXPECT_EQ(a.stream_revision, b.stream_revision);
  EXPECT_EQ(a.recorded_at_micros, b.recorded_at_micros);
  EXPECT_EQ(a.goldstein, b.goldstein);
  EXPECT_EQ(a.quad_class, b.quad_class);
  EXPECT_EQ(a.subject_position, b.subject_position);
}

TEST(RecordCodec, GeneratedCodeReadsWhatWeWrite) {
  const RecordedEntry r = FullEvent();
  storage::v1::StoredEntry s;
  ASSERT_TRUE(s.ParseFromString(EncodeRecord(r)));
  EXPECT_EQ(s.event_id(), r.entry.event_id.AsBytes());
  EXPECT_EQ(s.kind(), 1u);
  EXPECT_TRUE(s.subject_event_id().empty());
  EXPECT_EQ(s.occurred_on(), "1965-06-22");
  EXPECT_EQ(s.source(), "KOR");
  EXPECT_EQ(s.target(), "JPN");
  EXPECT_EQ(s.event_code(), "057");
  ASSERT_TRUE(s.has_goldstein_override());
  EXPECT_EQ(s.goldstein_override(), -2.5);
  EXPECT_EQ(s.goldstein(), -2.5);
  EXPECT_EQ(s.weight(), 7u);
  ASSERT_TRUE(s.has_tone());
  EXPECT_EQ(s.tone(), -0.0625);
  ASSERT_EQ(s.tags_size(), 2);
  EXPECT_EQ(s.tags(1), "history");
  EXPECT_EQ(s.title(), "KOR -> JPN 057");
  EXPECT_EQ(s.summary(), r.entry.data.summary);
  EXPECT_EQ(s.source_name(), "Seed article");
  EXPECT_EQ(s.source_url(), "https://example.org/a?b=c");
  EXPECT_EQ(s.stream(), "JPN-KOR");
  EXPECT_EQ(s.stream_revision(), 300u);
  EXPECT_EQ(s.recorded_at_micros(), 1700000000123456);
  EXPECT_EQ(s.quad_class(), 2u);
}

TEST(RecordCodec, WeReadWhatGeneratedCodeWrites) {
  const RecordedEntry r = FullEvent();
  storage::v1::StoredEntry s;
  s.set_event_id(r.entry.event_id.AsBytes());
  s.set_kind(1);
  s.set_occurred_on("1965-06-22");
  s.set_source("KOR");
  s.set_target("JPN");
  s.set_event_code("057");
  s.set_goldstein_override(-2.5);
  s.set_goldstein(-2.5);
  s.set_weight(7);
  s.set_tone(-0.0625);
  s.add_tags("treaty");
  s.add_tags("history");
  s.set_title("KOR -> JPN 057");
  s.set_summary(r.entry.data.summary);
  s.set_source_name("Seed article");
  s.set_source_url("https://example.org/a?b=c");
  s.set_stream("JPN-KOR");
  s.set_stream_revision(300);
  s.set_recorded_at_micros(1700000000123456);
  s.set_quad_class(2);
  absl::StatusOr<RecordedEntry> back = DecodeRecord(Position(42), s.SerializeAsString());
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectEqual(*back, r);
}

TEST(RecordCodec, RoundTripsCorrectionsAndRetractions) {
  RecordedEntry c = FullEvent();
  c.entry = testing::MakeCorrection(Uuid::Random(), c.entry);
  c.entry.event_id = Uuid::Random();
  c.subject_position = Position(7);
  absl::StatusOr<RecordedEntry> back = DecodeRecord(c.position, EncodeRecord(c));
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectEqual(*back, c);
  storage::v1::StoredEntry generated;
  ASSERT_TRUE(generated.ParseFromString(EncodeRecord(c)));
  EXPECT_EQ(generated.subject_position(), 7u);

  RecordedEntry t;
  t.entry = testing::MakeRetraction(c.entry.subject_event_id);
  t.position = Position(43);
  t.stream = "JPN-KOR";
  t.stream_revision = StreamRevision(301);
  t.recorded_at_micros = 1700000000999999;
  t.subject_position = Position(7);
  back = DecodeRecord(t.position, EncodeRecord(t));
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectEqual(*back, t);
}

// Records of corrections and retractions written before subject_position
// existed are told apart, and appending the field gives what the commit
// writes today.
TEST(RecordCodec, OlderSubjectRecordsGetTheirPositionAppended) {
  RecordedEntry event = FullEvent();
  EXPECT_EQ(SubjectLackingPosition(EncodeRecord(event)), std::nullopt);

  RecordedEntry t;
  t.entry = testing::MakeRetraction(Uuid::Random());
  t.stream = "JPN-KOR";
  t.stream_revision = StreamRevision(3);
  t.recorded_at_micros = 1700000000999999;
  const std::string old_record = EncodeRecord(t);  // subject_position 0
  const std::optional<absl::string_view> subject =
      SubjectLackingPosition(old_record);
  ASSERT_TRUE(subject.has_value());
  EXPECT_EQ(*subject, std::string(reinterpret_cast<const char*>(
                                      t.entry.subject_event_id.bytes().data()),
                                  16));
  std::string amended = old_record;
  AppendSubjectPosition(Position(5), &amended);
  t.subject_position = Position(5);
  EXPECT_EQ(amended, EncodeRecord(t));
  EXPECT_EQ(SubjectLackingPosition(amended), std::nullopt);
  absl::StatusOr<RecordedEntry> back = DecodeRecord(Position(9), amended);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->subject_position, Position(5));

  // The same for a record the generated code wrote (fields in number order).
  storage::v1::StoredEntry s;
  s.set_event_id(std::string(16, 'a'));
  s.set_kind(2);
  s.set_subject_event_id(std::string(16, 'b'));
  EXPECT_EQ(SubjectLackingPosition(s.SerializeAsString()),
            std::string(16, 'b'));
  s.set_subject_position(4);
  EXPECT_EQ(SubjectLackingPosition(s.SerializeAsString()), std::nullopt);
  s.set_kind(1);
  s.clear_subject_event_id();
  s.clear_subject_position();
  EXPECT_EQ(SubjectLackingPosition(s.SerializeAsString()), std::nullopt);
}

TEST(RecordCodec, BodyThenCommitEqualsWholeRecord) {
  const RecordedEntry r = FullEvent();
  std::string split = EncodeRecordBody(r.entry, r.goldstein, r.quad_class);
  AppendRecordCommit(r.stream, r.stream_revision, r.recorded_at_micros,
                     r.subject_position, &split);
  EXPECT_EQ(split, EncodeRecord(r));
}

TEST(RecordCodec, ViewPointsIntoTheValue) {
  const std::string value = EncodeRecord(FullEvent());
  RecordView v;
  ASSERT_TRUE(DecodeRecordView(value, &v).ok());
  EXPECT_EQ(v.source, "KOR");
  EXPECT_GE(v.source.data(), value.data());
  EXPECT_LT(v.source.data(), value.data() + value.size());
  ASSERT_EQ(v.tags.size(), 2u);
  // Reusing the view does not keep the previous record's tags.
  RecordedEntry plain = FullEvent();
  plain.entry.data.tags.clear();
  const std::string other = EncodeRecord(plain);
  ASSERT_TRUE(DecodeRecordView(other, &v).ok());
  EXPECT_TRUE(v.tags.empty());
}

TEST(RecordCodec, RefusesDamagedValues) {
  const std::string value = EncodeRecord(FullEvent());
  // Cut inside the id, and inside the last field (the commit time varint).
  for (size_t cut : {size_t{1}, size_t{5}, value.size() - 1}) {
    absl::StatusOr<RecordedEntry> r = DecodeRecord(Position(1), value.substr(0, cut));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << cut;
  }
  storage::v1::StoredEntry s;
  s.set_event_id(std::string(16, 'x'));
  s.set_kind(9);
  EXPECT_EQ(DecodeRecord(Position(1), s.SerializeAsString()).status().code(),
            absl::StatusCode::kDataLoss);
  s.set_kind(1);
  s.set_event_id("short");
  EXPECT_EQ(DecodeRecord(Position(1), s.SerializeAsString()).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeRecord(Position(1), "\xff\xff\xff").status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace detente
