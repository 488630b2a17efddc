#include "projections/periods.h"

#include "absl/strings/str_cat.h"
#include "common/field_violation.h"
#include "domain/date.h"

namespace detente {
namespace {

DayNumber Day(int32_t y, int32_t m, int32_t d) {
  return ToDayNumber({y, m, d});
}

}  // namespace

Period PeriodContaining(DayNumber day, Resolution resolution) {
  if (resolution == Resolution::kDay) return {day, day};
  if (resolution == Resolution::kWeek) {
    // 1970-01-01 was a Thursday: day 0 -> weekday index 3 (Monday = 0).
    int32_t weekday = ((day.value() + 3) % 7 + 7) % 7;
    DayNumber monday(day.value() - weekday);
    return {monday, DayNumber(monday.value() + 6)};
  }
  const CivilDay c = FromDayNumber(day);
  switch (resolution) {
    case Resolution::kDay:
    case Resolution::kWeek:
      break;  // above
    case Resolution::kMonth:
      return {Day(c.year, c.month, 1),
              Day(c.year, c.month, DaysInMonth(c.year, c.month))};
    case Resolution::kQuarter: {
      int32_t first = (c.month - 1) / 3 * 3 + 1;
      return {Day(c.year, first, 1),
              Day(c.year, first + 2, DaysInMonth(c.year, first + 2))};
    }
    case Resolution::kYear:
      return {Day(c.year, 1, 1), Day(c.year, 12, 31)};
  }
  return {day, day};
}

absl::StatusOr<std::vector<Period>> PeriodsOverlapping(DayNumber from,
                                                       DayNumber to,
                                                       Resolution resolution,
                                                       size_t max_points) {
  if (to < from) {
    return InvalidArgumentWithViolations(
        {{"to", "the range is empty: `to` is before `from`"}});
  }
  // A cheap upper bound first, so absurd requests cost nothing.
  const int64_t days = int64_t{to.value()} - from.value() + 1;
  const int64_t per = resolution == Resolution::kDay    ? 1
                      : resolution == Resolution::kWeek ? 7
                      : resolution == Resolution::kMonth ? 28
                      : resolution == Resolution::kQuarter ? 90
                                                           : 365;
  if (days / per > static_cast<int64_t>(max_points) + 1) {
    return InvalidArgumentWithViolations(
        {{"resolution", absl::StrCat("the series would have more than ",
                                     max_points,
                                     " points; choose a coarser resolution "
                                     "or a shorter range")}});
  }
  std::vector<Period> out;
  Period p = PeriodContaining(from, resolution);
  while (p.start <= to) {
    out.push_back(p);
    if (out.size() > max_points) {
      return InvalidArgumentWithViolations(
          {{"resolution", absl::StrCat("the series would have more than ",
                                       max_points, " points")}});
    }
    p = PeriodContaining(p.end.Next(), resolution);
  }
  return out;
}

}  // namespace detente
