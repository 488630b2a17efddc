#include "domain/date.h"

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"

namespace detente {
namespace {

constexpr const char* kMonthNames[] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

// Parses exactly `text.size()` ASCII digits; -1 otherwise.
int32_t ParseDigits(absl::string_view text) {
  if (text.empty()) return -1;
  int32_t v = 0;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

bool IsLeapYear(int32_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

int32_t DaysInMonth(int32_t year, int32_t month) {
  static constexpr int32_t kDays[] = {31, 28, 31, 30, 31, 30,
                                      31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return 0;
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

DayNumber TodayUtc() {
  const auto days =
      std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  return DayNumber(static_cast<int32_t>(days.time_since_epoch().count()));
}

absl::StatusOr<EventDate> EventDate::Parse(absl::string_view text) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrFormat("\"%s\" is not a date: %s", text, why));
  };
  const bool shape_ok =
      (text.size() == 4 || text.size() == 7 || text.size() == 10) &&
      (text.size() < 7 || text[4] == '-') &&
      (text.size() < 10 || text[7] == '-');
  const int32_t year = shape_ok ? ParseDigits(text.substr(0, 4)) : -1;
  const int32_t month =
      shape_ok && text.size() >= 7 ? ParseDigits(text.substr(5, 2)) : 1;
  const int32_t day =
      shape_ok && text.size() == 10 ? ParseDigits(text.substr(8, 2)) : 1;
  if (year < 0 || month < 0 || day < 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "\"%s\" is not a date (expected YYYY-MM-DD, YYYY-MM or YYYY)",
        absl::CHexEscape(text.substr(0, 64))));
  }
  if (year == 0) return bad("years run from 0001 to 9999");
  if (month < 1 || month > 12) {
    return bad(absl::StrFormat("there is no month %02d", month));
  }
  const int32_t days_in_month = DaysInMonth(year, month);
  if (day < 1 || day > days_in_month) {
    return bad(absl::StrFormat("%s %04d has %d days", kMonthNames[month - 1],
                               year, days_in_month));
  }
  const DatePrecision p = text.size() == 10  ? DatePrecision::kDay
                          : text.size() == 7 ? DatePrecision::kMonth
                                             : DatePrecision::kYear;
  return EventDate(year, month, day, p);
}

DayNumber EventDate::first_day() const {
  switch (precision_) {
    case DatePrecision::kYear:
      return ToDayNumber({year_, 1, 1});
    case DatePrecision::kMonth:
      return ToDayNumber({year_, month_, 1});
    case DatePrecision::kDay:
      break;
  }
  return ToDayNumber({year_, month_, day_});
}

DayNumber EventDate::last_day() const {
  switch (precision_) {
    case DatePrecision::kYear:
      return ToDayNumber({year_, 12, 31});
    case DatePrecision::kMonth:
      return ToDayNumber({year_, month_, DaysInMonth(year_, month_)});
    case DatePrecision::kDay:
      break;
  }
  return ToDayNumber({year_, month_, day_});
}

std::string EventDate::ToString() const {
  // By hand for the usual years (this runs for every append); the same text
  // as the formats below.
  if (year_ >= 0 && year_ <= 9999 && month_ >= 1 && month_ <= 99 && day_ >= 1 &&
      day_ <= 99) {
    char buf[10];
    auto two = [](char* p, int v) {
      p[0] = static_cast<char>('0' + v / 10);
      p[1] = static_cast<char>('0' + v % 10);
    };
    two(buf, year_ / 100);
    two(buf + 2, year_ % 100);
    buf[4] = '-';
    two(buf + 5, month_);
    buf[7] = '-';
    two(buf + 8, day_);
    switch (precision_) {
      case DatePrecision::kYear:
        return std::string(buf, 4);
      case DatePrecision::kMonth:
        return std::string(buf, 7);
      case DatePrecision::kDay:
        break;
    }
    return std::string(buf, 10);
  }
  switch (precision_) {
    case DatePrecision::kYear:
      return absl::StrFormat("%04d", year_);
    case DatePrecision::kMonth:
      return absl::StrFormat("%04d-%02d", year_, month_);
    case DatePrecision::kDay:
      break;
  }
  return absl::StrFormat("%04d-%02d-%02d", year_, month_, day_);
}

}  // namespace detente
