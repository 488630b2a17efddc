#include "importers/csv_parser.h"

#include <gtest/gtest.h>

#include "importers/test_util.h"

namespace detente::importers {
namespace {

using Kind = RowResult::Kind;

TEST(CsvParserTest, FixtureRows) {
  ParsedFile f = ParseFile(Fixture("events_sample.csv"), Format::kCsv);
  ASSERT_TRUE(f.status.ok()) << f.status;
  ASSERT_EQ(f.results.size(), 7u);
  const RawEntry& a = f.results[0].entry;
  EXPECT_EQ(a.title, "Treaty on Basic Relations, signed in Tokyo");
  EXPECT_EQ(a.tags, (std::vector<std::string>{"history", "treaty"}));
  EXPECT_EQ(a.weight, 1u);
  EXPECT_FALSE(a.goldstein.has_value());
  const RawEntry& b = f.results[1].entry;
  EXPECT_EQ(b.summary,
            "A partnership for the 21st century;\nsigned by Kim Dae-jung and "
            "Obuchi Keizo, \"a new era\".");
  EXPECT_EQ(b.goldstein, 6.5);
  EXPECT_EQ(b.tone, 2.25);
  EXPECT_EQ(b.tags, (std::vector<std::string>{"history", "diplomacy"}));
  EXPECT_EQ(f.lines[1], 4u);               // reported on its last line,
  EXPECT_EQ(f.results[1].extra_lines, 1);  // started one line earlier
  EXPECT_EQ(f.results[3].entry.kind, EntryKind::kCorrection);
  EXPECT_EQ(f.results[3].entry.subject_event_id,
            "3f2b6c1a-0d7e-4c5b-9a61-000000000003");
  EXPECT_EQ(f.results[4].entry.kind, EntryKind::kRetraction);
  EXPECT_EQ(f.results[5].kind, Kind::kReject);
  EXPECT_EQ(f.results[6].kind, Kind::kEntry);  // the service rejects ZZZ
}

TEST(CsvParserTest, UnknownHeaderColumnIsFatal) {
  CsvParser p;
  EXPECT_EQ(p.Parse("event_id,colour").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CsvParserTest, JsonNamesAndShortRows) {
  CsvParser p;
  ASSERT_TRUE(p.Parse("occurredOn,source,target,eventCode").ok());
  auto r = p.Parse("2020,KOR,JPN,040");
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->entry.event_code, "040");
  r = p.Parse("2020,KOR");
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->kind, Kind::kReject);
}

TEST(CsvParserTest, UnterminatedQuoteAtEnd) {
  CsvParser p;
  ASSERT_TRUE(p.Parse("title").ok());
  auto r = p.Parse("\"open");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  std::optional<RowResult> last = p.Finish();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->kind, Kind::kReject);
}

}  // namespace
}  // namespace detente::importers
