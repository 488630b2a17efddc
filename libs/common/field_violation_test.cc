#include "common/field_violation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace detente {
namespace {

TEST(FieldViolationTest, RoundTripsThroughStatus) {
  std::vector<FieldViolation> v = {{"occurred_on", "2021-02-29 is not a date"},
                                   {"source", "unknown actor \"XXX\""}};
  PrefixFields("entries[3].", v);
  absl::Status s = InvalidArgumentWithViolations(v);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), testing::HasSubstr("entries[3].occurred_on"));
  std::vector<FieldViolation> back = GetFieldViolations(s);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].field, "entries[3].occurred_on");
  EXPECT_EQ(back[1].description, "unknown actor \"XXX\"");
}

TEST(FieldViolationTest, NoPayloadMeansNoViolations) {
  EXPECT_TRUE(GetFieldViolations(absl::InternalError("x")).empty());
  EXPECT_TRUE(GetFieldViolations(absl::OkStatus()).empty());
}

TEST(FieldViolationTest, LongListsAreSummarisedInTheMessage) {
  std::vector<FieldViolation> v;
  for (int i = 0; i < 8; ++i) v.push_back({"f" + std::to_string(i), "bad"});
  absl::Status s = InvalidArgumentWithViolations(v);
  EXPECT_THAT(s.message(), testing::HasSubstr("and 3 more"));
  EXPECT_EQ(GetFieldViolations(s).size(), 8u);
}

}  // namespace
}  // namespace detente
