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

// Days since 1970-01-01 (proleptic Gregorian) <-> civil date.
DayNumber ToDayNumber(CivilDay d);
CivilDay FromDayNumber(DayNumber n);
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
