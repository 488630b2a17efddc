#include "importers/gdelt_parser.h"

#include <gtest/gtest.h>

#include "importers/test_util.h"

namespace detente::importers {
namespace {

using Kind = RowResult::Kind;

TEST(GdeltParserTest, Gdelt2FixtureMapsEveryColumn) {
  ParsedFile f = ParseFile(Fixture("gdelt2_sample.export.CSV"), Format::kGdelt);
  ASSERT_TRUE(f.status.ok()) << f.status;
  ASSERT_EQ(f.results.size(), 9u);
  const RawEntry& e = f.results[0].entry;
  ASSERT_EQ(f.results[0].kind, Kind::kEntry);
  EXPECT_EQ(e.event_id, GdeltEventId("900000001"));
  EXPECT_EQ(e.occurred_on, "2023-01-05");
  EXPECT_EQ(e.source, "USA");
  EXPECT_EQ(e.target, "CHN");
  EXPECT_EQ(e.event_code, "036");
  EXPECT_EQ(e.goldstein, 4.0);
  EXPECT_EQ(e.weight, 6u);
  EXPECT_EQ(e.tone, -1.25);
  EXPECT_EQ(e.source_url, "https://news.example.org/a/1");
  EXPECT_EQ(e.title,
            "UNITED STATES -> CHINA: Express intent to meet or negotiate");
  EXPECT_EQ(f.results[1].entry.event_code, "043");
  EXPECT_EQ(f.results[2].reason, "no target country");
  EXPECT_EQ(f.results[3].reason, "no source country");
  EXPECT_EQ(f.results[4].reason, "same country on both sides");
  EXPECT_EQ(f.results[5].reason, "unknown CAMEO code \"999\"");
  EXPECT_EQ(f.results[6].kind, Kind::kReject);
  EXPECT_EQ(f.results[7].reason, "unknown actor code \"XYZ\"");
  EXPECT_EQ(f.results[8].kind, Kind::kEntry);
  EXPECT_EQ(f.results[8].entry.source_url, "");  // "not a url" dropped
}

TEST(GdeltParserTest, Gdelt1RowsOf58And57Columns) {
  ParsedFile f = ParseFile(Fixture("gdelt1_sample.tsv"), Format::kGdelt);
  ASSERT_TRUE(f.status.ok()) << f.status;
  ASSERT_EQ(f.results.size(), 5u);
  EXPECT_EQ(f.results[0].entry.source_url, "https://news.example.org/b/1");
  EXPECT_EQ(f.results[0].entry.source_name, "GDELT 1.0");
  EXPECT_EQ(f.results[1].reason, "no target country");
  EXPECT_EQ(f.results[2].kind, Kind::kEntry);
  EXPECT_EQ(f.results[2].entry.occurred_on, "1982-04-15");
  EXPECT_EQ(f.results[2].entry.source_url, "");
  EXPECT_EQ(f.results[3].entry.event_code, "057");
  EXPECT_EQ(f.results[4].kind, Kind::kReject);
  EXPECT_EQ(f.lines[4], 5u);
}

TEST(GdeltParserTest, IdIsUuidV5OfGlobalEventId) {
  // python3: uuid.uuid5(uuid.UUID("5d7a3c1e-9b2f-4e61-8c0d-2f4b6a8e1d37"),
  //                     "gdelt:410412347")
  EXPECT_EQ(GdeltEventId("410412347"), "d93fb46d-6530-51e6-adef-71cd3132fe4a");
}

}  // namespace
}  // namespace detente::importers
