// The direct writer against the generated code: the same bytes as
// ToProto(DecodeRecord(record)) serialised, for every kind of entry.
#include "services/common/recorded_wire.h"

#include <gtest/gtest.h>

#include "detente/v1/ingest.pb.h"
#include "services/common/event_mapping.h"

namespace detente {
namespace {

RecordedEntry Base() {
  RecordedEntry r;
  r.entry.event_id = Uuid::Random();
  r.entry.data.occurred_on = EventDate::Parse("1998-10-08").value();
  r.entry.data.source = "JPN";
  r.entry.data.target = "KOR";
  r.entry.data.event_code = "057";
  r.entry.data.title = "Joint Declaration: A New Japan-Republic of Korea Partnership";
  r.position = Position(123456789);
  r.stream = "JPN-KOR";
  r.stream_revision = StreamRevision(77);
  r.recorded_at_micros = 1764000000654321;
  r.goldstein = 8.0;
  r.quad_class = QuadClass::kMaterialCooperation;
  return r;
}

std::vector<RecordedEntry> Cases() {
  std::vector<RecordedEntry> out;
  out.push_back(Base());
  RecordedEntry full = Base();
  full.entry.data.goldstein = -0.5;
  full.goldstein = -0.5;
  full.entry.data.weight = 300;
  full.entry.data.tone = -3.25;
  full.entry.data.tags = {"history", "apology", "x"};
  full.entry.data.summary = "Obuchi expresses \"deep remorse\"; 金大中 visits Tokyo";
  full.entry.data.source_name = "MOFA";
  full.entry.data.source_url = "https://www.mofa.go.jp/";
  out.push_back(full);
  RecordedEntry zero = Base();  // a score of 0 is still present
  zero.goldstein = 0;
  zero.entry.data.event_code = "010";
  zero.quad_class = QuadClass::kVerbalCooperation;
  zero.stream_revision = StreamRevision(0);
  out.push_back(zero);
  RecordedEntry correction = full;
  correction.entry.kind = EntryKind::kCorrection;
  correction.entry.subject_event_id = Uuid::Random();
  correction.subject_position = Position(3);
  out.push_back(correction);
  RecordedEntry retraction;
  retraction.entry.event_id = Uuid::Random();
  retraction.entry.kind = EntryKind::kRetraction;
  retraction.entry.subject_event_id = Uuid::Random();
  retraction.entry.data.summary = "duplicate report";
  retraction.position = Position(2);
  retraction.subject_position = Position(1);
  retraction.stream = "JPN-KOR";
  retraction.recorded_at_micros = 1;
  out.push_back(retraction);
  // Lengths of two and three varint bytes (the title, the summary, the
  // nested Event and RecordedEvent), an empty Timestamp, a large position.
  RecordedEntry big = full;
  big.entry.data.title = std::string(200, 't');
  big.entry.data.summary = std::string(20000, 's');
  big.recorded_at_micros = 0;
  big.position = Position(uint64_t{1} << 40);
  out.push_back(big);
  return out;
}

TEST(RecordedWire, SameBytesAsTheGeneratedCode) {
  RecordedEventWriter w;
  for (const RecordedEntry& r : Cases()) {
    const std::string record = EncodeRecord(r);
    std::string ours;
    ASSERT_TRUE(w.Append(1, r.position, record, &ours).ok());
    v1::ReadResponse expected;
    absl::StatusOr<RecordedEntry> decoded = DecodeRecord(r.position, record);
    ASSERT_TRUE(decoded.ok());
    ToProto(*decoded, expected.add_events());
    EXPECT_EQ(ours, expected.SerializeAsString()) << r.entry.event_id.ToString();
    v1::ReadResponse parsed;
    ASSERT_TRUE(parsed.ParseFromString(ours));
    EXPECT_EQ(parsed.events(0).position(), r.position.value());
    EXPECT_EQ(parsed.events(0).event().event_id(), r.entry.event_id.ToString());
    EXPECT_EQ(parsed.events(0).subject_position(), r.subject_position.value());
  }
}

TEST(RecordedWire, ManyEventsInOneMessage) {
  RecordedEventWriter w;
  std::string ours;
  v1::SubscribeResponse expected;
  for (const RecordedEntry& r : Cases()) {
    ASSERT_TRUE(w.Append(2, r.position, EncodeRecord(r), &ours).ok());
    ToProto(r, expected.add_events());
  }
  v1::SubscribeResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(ours));
  ASSERT_EQ(parsed.events_size(), expected.events_size());
  EXPECT_EQ(parsed.SerializeAsString(), expected.SerializeAsString());
}

TEST(RecordedWire, RefusesDamagedRecords) {
  RecordedEventWriter w;
  std::string out = "kept";
  EXPECT_EQ(w.Append(1, Position(9), "\x0a\x10short", &out).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(out, "kept");
}

}  // namespace
}  // namespace detente
