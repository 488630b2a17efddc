#include "importers/format.h"

#include <gtest/gtest.h>

#include <string>

namespace detente::importers {
namespace {

std::string Tabs(int n) { return std::string(n, '\t'); }

TEST(FormatTest, GuessesFromNameAndFirstLine) {
  EXPECT_EQ(GuessFormat("a.jsonl", "{\"eventId\":1}"), Format::kJsonl);
  EXPECT_EQ(GuessFormat("a.JSON.gz", ""), Format::kJsonl);
  EXPECT_EQ(GuessFormat("-", "{\"source\":\"KOR\"}"), Format::kJsonl);
  EXPECT_EQ(GuessFormat("20150218230000.export.CSV", "1" + Tabs(60)),
            Format::kGdelt);
  EXPECT_EQ(GuessFormat("x.csv.gz", "1" + Tabs(57)), Format::kGdelt);
  EXPECT_EQ(GuessFormat("events.tsv", "1" + Tabs(56)), Format::kGdelt);
  EXPECT_EQ(GuessFormat("events.tab", "Event ID\tEvent Date\tSource Name"),
            Format::kIcews);
  EXPECT_EQ(GuessFormat("events.csv", "event_id,occurred_on,source"),
            Format::kCsv);
  EXPECT_EQ(GuessFormat("-", "occurred_on,source,target"), Format::kCsv);
  EXPECT_EQ(GuessFormat("notes.txt", "hello"), std::nullopt);
}

TEST(FormatTest, Names) {
  EXPECT_EQ(ParseFormatName("gdelt"), Format::kGdelt);
  EXPECT_EQ(ParseFormatName("xml"), std::nullopt);
  EXPECT_EQ(FormatName(Format::kIcews), "icews");
}

}  // namespace
}  // namespace detente::importers
