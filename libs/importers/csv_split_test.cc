#include "importers/csv_split.h"

#include <gtest/gtest.h>

namespace detente::importers {
namespace {

std::vector<std::string> Split(absl::string_view line) {
  CsvRecordBuilder b;
  EXPECT_TRUE(b.Add(line));
  return b.Take();
}

TEST(CsvSplitTest, Rfc4180) {
  EXPECT_EQ(Split("a,b,,c"), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(Split("\"a,b\",\"say \"\"hi\"\"\""),
            (std::vector<std::string>{"a,b", "say \"hi\""}));
  EXPECT_EQ(Split(""), (std::vector<std::string>{""}));
  EXPECT_EQ(Split("x,"), (std::vector<std::string>{"x", ""}));
}

TEST(CsvSplitTest, QuotedLineBreak) {
  CsvRecordBuilder b;
  EXPECT_FALSE(b.Add("1,\"first"));
  EXPECT_TRUE(b.pending());
  EXPECT_TRUE(b.Add("second\",3"));
  EXPECT_EQ(b.Take(), (std::vector<std::string>{"1", "first\nsecond", "3"}));
  EXPECT_FALSE(b.pending());
}

}  // namespace
}  // namespace detente::importers
