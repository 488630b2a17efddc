// Hand-computed fixtures for the temperature formula (docs/temperature.md).
#include "projections/temperature.h"

#include <gtest/gtest.h>

#include <cmath>

#include "domain/date.h"

namespace detente {
namespace {

DayNumber D(int y, int m, int d) { return ToDayNumber({y, m, d}); }
DayNumber Plus(DayNumber d, int n) { return DayNumber(d.value() + n); }

TEST(TemperatureTest, OneEventDecaysWithTheHalfLife) {
  const DayNumber d = D(2021, 5, 3);
  std::vector<Contribution> e = {{d, 1, 4.0, QuadClass::kVerbalCooperation}};
  KernelParams p{.half_life = 90, .prior = 1};
  EXPECT_DOUBLE_EQ(ComputeAt(e, d, p).temperature, 2.0);  // 4*1/(1+1)
  EXPECT_DOUBLE_EQ(ComputeAt(e, d, p).heat, 1.0);
  // One half-life later: k = 1/2, temperature = 2 / 1.5.
  EXPECT_NEAR(ComputeAt(e, Plus(d, 90), p).temperature, 4.0 / 3.0, 1e-12);
  EXPECT_NEAR(ComputeAt(e, Plus(d, 90), p).heat, 0.5, 1e-12);
  // Before the event: nothing.
  EXPECT_EQ(ComputeAt(e, Plus(d, -1), p).temperature, 0.0);
  EXPECT_EQ(ComputeAt(e, Plus(d, -1), p).heat, 0.0);
}

TEST(TemperatureTest, TwoEventsOfOppositeSign) {
  const DayNumber d = D(2019, 7, 4);
  std::vector<Contribution> e = {{d, 1, 3.0, QuadClass::kVerbalCooperation},
                                 {Plus(d, 90), 1, -5.0,
                                  QuadClass::kMaterialConflict}};
  KernelParams p{.half_life = 90, .prior = 1};
  // At d+90: k = (0.5, 1); heat 1.5; warmth 1.5 - 5 = -3.5; T = -3.5/2.5.
  TemperatureAt t = ComputeAt(e, Plus(d, 90), p);
  EXPECT_NEAR(t.heat, 1.5, 1e-12);
  EXPECT_NEAR(t.temperature, -1.4, 1e-12);
}

TEST(TemperatureTest, WeightsAndAZeroPriorGiveTheWeightedMean) {
  const DayNumber d = D(2000, 1, 1);
  std::vector<Contribution> e = {{d, 3, 2.0, QuadClass::kVerbalCooperation},
                                 {d, 1, -6.0, QuadClass::kVerbalConflict}};
  KernelParams p{.half_life = 90, .prior = 0};
  TemperatureAt t = ComputeAt(e, Plus(d, 180), p);
  EXPECT_NEAR(t.temperature, 0.0, 1e-12);  // (3*2 - 6) / 4
  EXPECT_NEAR(t.heat, 4 * 0.25, 1e-12);
}

TEST(TemperatureTest, MonthlySeriesWithEmptyPeriodsAndDecay) {
  const DayNumber d = D(2021, 3, 15);
  std::vector<Contribution> e = {{d, 2, 4.0, QuadClass::kVerbalCooperation}};
  auto periods = PeriodsOverlapping(D(2021, 1, 1), D(2021, 5, 31),
                                    Resolution::kMonth, 100);
  ASSERT_TRUE(periods.ok());
  KernelParams p{.half_life = 30, .prior = 1};
  std::vector<SeriesPoint> s = ComputeSeries(e, *periods, p);
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s[0].heat, 0.0);
  EXPECT_EQ(s[1].temperature, 0.0);
  EXPECT_EQ(s[1].events, 0u);
  // Evaluated at each month's last day: March 31 is 16 days after.
  const int ends[] = {16, 46, 77};  // Mar 31, Apr 30, May 31
  for (int i = 0; i < 3; ++i) {
    const double k = std::pow(2.0, -ends[i] / 30.0);
    EXPECT_NEAR(s[2 + i].heat, 2 * k, 1e-12) << i;
    EXPECT_NEAR(s[2 + i].temperature, 2 * 4 * k / (1 + 2 * k), 1e-12) << i;
  }
  EXPECT_EQ(s[2].events, 1u);
  EXPECT_EQ(s[2].weight_sum, 2.0);
  EXPECT_EQ(s[2].goldstein_sum, 8.0);
  EXPECT_EQ(s[2].quad_counts[0], 1u);
  EXPECT_EQ(s[3].events, 0u);
}

TEST(TemperatureTest, EventsBeforeTheSeriesCountThroughDecay) {
  std::vector<Contribution> e = {
      {D(2020, 12, 1), 1, -10.0, QuadClass::kMaterialConflict}};
  auto periods = PeriodsOverlapping(D(2021, 1, 1), D(2021, 1, 1),
                                    Resolution::kDay, 10);
  ASSERT_TRUE(periods.ok());
  std::vector<SeriesPoint> s =
      ComputeSeries(e, *periods, {.half_life = 31, .prior = 1});
  ASSERT_EQ(s.size(), 1u);
  EXPECT_NEAR(s[0].heat, 0.5, 1e-12);  // 31 days later
  EXPECT_NEAR(s[0].temperature, -5.0 / 1.5, 1e-12);
  EXPECT_EQ(s[0].events, 0u);  // not dated inside the period
}

}  // namespace
}  // namespace detente
