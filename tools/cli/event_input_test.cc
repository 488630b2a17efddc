#include "tools/cli/event_input.h"

#include <gtest/gtest.h>

namespace detente::cli {
namespace {

std::string Fixture(const std::string& name) {
  return std::string(DETENTE_IMPORT_FIXTURES) + "/" + name;
}

struct Counts {
  int events = 0, skips = 0, rejects = 0;
};

Counts Count(const std::string& name, importers::Format expected) {
  Counts c;
  auto in = EventInput::Open(Fixture(name), std::nullopt);
  EXPECT_TRUE(in.ok()) << in.status();
  if (!in.ok()) return c;
  EXPECT_EQ((*in)->format(), expected);
  InputRow row;
  while ((*in)->Next(&row)) {
    (row.kind == InputRow::Kind::kEvent  ? c.events
     : row.kind == InputRow::Kind::kSkip ? c.skips
                                         : c.rejects)++;
  }
  EXPECT_TRUE((*in)->status().ok()) << (*in)->status();
  return c;
}

TEST(EventInputTest, GuessesAndParsesEveryFixture) {
  Counts g2 = Count("gdelt2_sample.export.CSV", importers::Format::kGdelt);
  EXPECT_EQ(g2.events, 3);
  EXPECT_EQ(g2.skips, 5);
  EXPECT_EQ(g2.rejects, 1);
  Counts g1 = Count("gdelt1_sample.tsv", importers::Format::kGdelt);
  EXPECT_EQ(g1.events + g1.skips + g1.rejects, 5);
  Counts ic = Count("icews_sample.tab", importers::Format::kIcews);
  EXPECT_EQ(ic.events, 2);
  EXPECT_EQ(ic.skips, 3);
  EXPECT_EQ(ic.rejects, 1);
  Counts csv = Count("events_sample.csv", importers::Format::kCsv);
  EXPECT_EQ(csv.events, 6);
  EXPECT_EQ(csv.rejects, 1);
  Counts js = Count("events_sample.jsonl", importers::Format::kJsonl);
  EXPECT_EQ(js.events, 3);
  EXPECT_EQ(js.rejects, 1);
}

TEST(EventInputTest, CsvMapsToProto) {
  auto in = EventInput::Open(Fixture("events_sample.csv"), std::nullopt);
  ASSERT_TRUE(in.ok());
  InputRow row;
  ASSERT_TRUE((*in)->Next(&row));
  EXPECT_EQ(row.line, 2u);
  EXPECT_EQ(row.event.source(), "JPN");
  EXPECT_FALSE(row.event.has_goldstein());
  ASSERT_TRUE((*in)->Next(&row));
  EXPECT_EQ(row.line, 3u);  // the record spans lines 3 and 4
  EXPECT_TRUE(row.event.has_tone());
}

}  // namespace
}  // namespace detente::cli
