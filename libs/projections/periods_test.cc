#include "projections/periods.h"

#include <gtest/gtest.h>

#include "common/field_violation.h"
#include "domain/date.h"

namespace detente {
namespace {

DayNumber D(int y, int m, int d) { return ToDayNumber({y, m, d}); }

TEST(PeriodsTest, IsoWeeksStartOnMondayAcrossAYearBoundary) {
  // 2020-12-28 was a Monday; 2021-01-03 a Sunday.
  auto weeks = PeriodsOverlapping(D(2020, 12, 30), D(2021, 1, 5),
                                  Resolution::kWeek, 100);
  ASSERT_TRUE(weeks.ok());
  ASSERT_EQ(weeks->size(), 2u);
  EXPECT_EQ((*weeks)[0].start, D(2020, 12, 28));
  EXPECT_EQ((*weeks)[0].end, D(2021, 1, 3));
  EXPECT_EQ((*weeks)[1].start, D(2021, 1, 4));
  EXPECT_EQ((*weeks)[1].end, D(2021, 1, 10));
}

TEST(PeriodsTest, MonthsQuartersYearsAndDays) {
  auto months = PeriodsOverlapping(D(2020, 1, 31), D(2020, 3, 1),
                                   Resolution::kMonth, 100);
  ASSERT_TRUE(months.ok());
  ASSERT_EQ(months->size(), 3u);
  EXPECT_EQ((*months)[1].start, D(2020, 2, 1));
  EXPECT_EQ((*months)[1].end, D(2020, 2, 29));  // leap year
  auto quarters = PeriodsOverlapping(D(2021, 5, 3), D(2021, 7, 1),
                                     Resolution::kQuarter, 100);
  ASSERT_TRUE(quarters.ok());
  ASSERT_EQ(quarters->size(), 2u);
  EXPECT_EQ((*quarters)[0].start, D(2021, 4, 1));
  EXPECT_EQ((*quarters)[0].end, D(2021, 6, 30));
  EXPECT_EQ((*quarters)[1].end, D(2021, 9, 30));
  auto years = PeriodsOverlapping(D(1956, 10, 19), D(1956, 10, 19),
                                  Resolution::kYear, 100);
  ASSERT_TRUE(years.ok());
  ASSERT_EQ(years->size(), 1u);
  EXPECT_EQ((*years)[0].start, D(1956, 1, 1));
  EXPECT_EQ((*years)[0].end, D(1956, 12, 31));
  auto days = PeriodsOverlapping(D(2021, 2, 27), D(2021, 3, 2),
                                 Resolution::kDay, 100);
  ASSERT_TRUE(days.ok());
  EXPECT_EQ(days->size(), 4u);
}

TEST(PeriodsTest, RejectsInvertedRangesAndTooManyPoints) {
  auto inverted =
      PeriodsOverlapping(D(2021, 1, 2), D(2021, 1, 1), Resolution::kDay, 10);
  EXPECT_EQ(inverted.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetFieldViolations(inverted.status())[0].field, "to");
  auto huge = PeriodsOverlapping(D(1, 1, 1), D(9999, 12, 31), Resolution::kDay,
                                 100000);
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetFieldViolations(huge.status())[0].field, "resolution");
  // Exactly at the limit is fine: 100,000 days.
  auto edge = PeriodsOverlapping(D(2000, 1, 1),
                                 DayNumber(D(2000, 1, 1).value() + 99999),
                                 Resolution::kDay, 100000);
  ASSERT_TRUE(edge.ok());
  EXPECT_EQ(edge->size(), 100000u);
}

}  // namespace
}  // namespace detente
