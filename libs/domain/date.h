// Calendar dates with a precision, as events are dated: "2021-05-03" (day),
// "2021-05" (month) or "1956" (year). Proleptic Gregorian, years 1..9999.
//
//   absl::StatusOr<EventDate> d = EventDate::Parse("2021-05");
//   d->first_day();   // DayNumber of 2021-05-01
//   d->ToString();    // "2021-05"
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/strong_types.h"

namespace detente {

enum class DatePrecision : uint8_t { kDay = 1, kMonth = 2, kYear = 3 };

struct CivilDay {
  int32_t year = 1970;
  int32_t month = 1;  // 1..12
  int32_t day = 1;    // 1..31
};

// Days since 1970-01-01 (proleptic Gregorian) <-> civil date. Inline: a
// daily series converts each of its points (docs/benchmarks.md, round 24).
// Howard Hinnant's days_from_civil / civil_from_days
// (https://howardhinnant.github.io/date_algorithms.html), 400-year eras.
inline DayNumber ToDayNumber(CivilDay d) {
  const int32_t y = d.year - (d.month <= 2 ? 1 : 0);
  const int32_t era = (y >= 0 ? y : y - 399) / 400;
  const int32_t yoe = y - era * 400;                           // [0, 399]
  const int32_t mp = d.month > 2 ? d.month - 3 : d.month + 9;  // [0, 11]
  const int32_t doy = (153 * mp + 2) / 5 + d.day - 1;          // [0, 365]
  const int32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;   // [0, 146096]
  return DayNumber(era * 146097 + doe - 719468);
}

inline CivilDay FromDayNumber(DayNumber n) {
  const int32_t z = n.value() + 719468;
  const int32_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int32_t doe = z - era * 146097;  // [0, 146096]
  const int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);  // [0, 365]
  const int32_t mp = (5 * doy + 2) / 153;                       // [0, 11]
  CivilDay out;
  out.day = doy - (153 * mp + 2) / 5 + 1;
  out.month = mp < 10 ? mp + 3 : mp - 9;
  out.year = yoe + era * 400 + (out.month <= 2 ? 1 : 0);
  return out;
}

bool IsLeapYear(int32_t year);
int32_t DaysInMonth(int32_t year, int32_t month);
// Today's date in UTC according to the system clock.
DayNumber TodayUtc();

class EventDate {
 public:
  EventDate() = default;
  EventDate(int32_t year, int32_t month, int32_t day, DatePrecision p)
      : year_(year), month_(month), day_(day), precision_(p) {}

  // Parses "YYYY-MM-DD", "YYYY-MM" or "YYYY" (exactly 4 year digits, 2 month
  // and day digits). Rejects non-dates (2021-02-29, month 13, year 0) with
  // INVALID_ARGUMENT whose message says why (without a field name).
  static absl::StatusOr<EventDate> Parse(absl::string_view text);

  int32_t year() const { return year_; }
  int32_t month() const { return month_; }  // 1 when precision is kYear
  int32_t day() const { return day_; }      // 1 unless precision is kDay
  DatePrecision precision() const { return precision_; }

  // The first and last day the date covers (equal for day precision).
  DayNumber first_day() const;
  DayNumber last_day() const;

  // Canonical text in the date's precision.
  std::string ToString() const;

  friend bool operator==(const EventDate&, const EventDate&) = default;

 private:
  int32_t year_ = 1970;
  int32_t month_ = 1;
  int32_t day_ = 1;
  DatePrecision precision_ = DatePrecision::kDay;
};

}  // namespace detente
