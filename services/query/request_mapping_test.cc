#include "services/query/request_mapping.h"

#include <gtest/gtest.h>

#include "domain/date.h"

namespace detente {
namespace {

TEST(DateText, IsTheIsoDate) {
  EXPECT_EQ(DateText(ToDayNumber({1970, 1, 1})), "1970-01-01");
  EXPECT_EQ(DateText(ToDayNumber({1965, 6, 22})), "1965-06-22");
  EXPECT_EQ(DateText(ToDayNumber({2020, 2, 29})), "2020-02-29");
  EXPECT_EQ(DateText(ToDayNumber({1, 1, 1})), "0001-01-01");
  EXPECT_EQ(DateText(ToDayNumber({9999, 12, 31})), "9999-12-31");
  // Every day of four centuries round-trips through the civil date.
  for (int32_t d = ToDayNumber({1900, 1, 1}).value();
       d <= ToDayNumber({2299, 12, 31}).value(); ++d) {
    const CivilDay c = FromDayNumber(DayNumber(d));
    char expect[32];
    std::snprintf(expect, sizeof expect, "%04d-%02d-%02d", c.year, c.month,
                  c.day);
    ASSERT_EQ(DateText(DayNumber(d)), expect);
  }
}

}  // namespace
}  // namespace detente
