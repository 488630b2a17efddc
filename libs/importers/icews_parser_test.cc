#include "importers/icews_parser.h"

#include <gtest/gtest.h>

#include "importers/test_util.h"
#include "importers/uuid_v5.h"

namespace detente::importers {
namespace {

using Kind = RowResult::Kind;

TEST(IcewsParserTest, FixtureRows) {
  ParsedFile f = ParseFile(Fixture("icews_sample.tab"), Format::kIcews);
  ASSERT_TRUE(f.status.ok()) << f.status;
  ASSERT_EQ(f.results.size(), 6u);
  const RawEntry& e = f.results[0].entry;
  ASSERT_EQ(f.results[0].kind, Kind::kEntry);
  EXPECT_EQ(e.event_id,
            UuidV5(kImportNamespace, "icews:5001:2018-06-01").ToString());
  EXPECT_EQ(e.occurred_on, "2018-06-01");
  EXPECT_EQ(e.source, "JPN");
  EXPECT_EQ(e.target, "KOR");
  EXPECT_EQ(e.event_code, "040");
  EXPECT_EQ(e.goldstein, 1.0);
  EXPECT_EQ(e.source_name, "Example Wire");
  EXPECT_EQ(f.results[1].entry.source, "RUS");    // "Russian Federation"
  EXPECT_EQ(f.results[1].entry.source_name, "");  // NA
  EXPECT_EQ(f.results[2].reason, "no source country");
  EXPECT_EQ(f.results[3].reason, "unknown country name \"Atlantis\"");
  EXPECT_EQ(f.results[4].reason, "same country on both sides");
  EXPECT_EQ(f.results[5].kind, Kind::kReject);
  EXPECT_EQ(f.lines[5], 7u);
}

TEST(IcewsParserTest, RejectsFileWithoutHeader) {
  IcewsParser p;
  auto r = p.Parse("1\t2018-06-01\tx");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace detente::importers
