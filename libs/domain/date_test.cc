#include "domain/date.h"

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace detente {
namespace {

using ::testing::HasSubstr;

TEST(DateTest, LeapYears) {
  EXPECT_TRUE(IsLeapYear(2000));
  EXPECT_TRUE(IsLeapYear(2024));
  EXPECT_TRUE(IsLeapYear(1600));
  EXPECT_FALSE(IsLeapYear(1900));
  EXPECT_FALSE(IsLeapYear(2100));
  EXPECT_FALSE(IsLeapYear(2021));
  EXPECT_EQ(DaysInMonth(2000, 2), 29);
  EXPECT_EQ(DaysInMonth(1900, 2), 28);
  EXPECT_EQ(DaysInMonth(2021, 4), 30);
  EXPECT_EQ(DaysInMonth(2021, 12), 31);
  EXPECT_EQ(DaysInMonth(2021, 13), 0);
}

TEST(DateTest, KnownDayNumbers) {
  EXPECT_EQ(ToDayNumber({1970, 1, 1}), DayNumber(0));
  EXPECT_EQ(ToDayNumber({2000, 3, 1}), DayNumber(11017));
  EXPECT_EQ(ToDayNumber({1, 1, 1}), DayNumber(-719162));
  EXPECT_EQ(ToDayNumber({1969, 12, 31}), DayNumber(-1));
  EXPECT_EQ(ToDayNumber({2021, 5, 3}), DayNumber(18750));
  EXPECT_EQ(ToDayNumber({9999, 12, 31}), DayNumber(2932896));
}

// Walks every day from 0001-01-01 to 9999-12-31 with an independent
// day-by-day counter and checks both directions.
TEST(DateTest, RoundTripAgainstCounter) {
  CivilDay d{1, 1, 1};
  for (int32_t n = -719162; n <= 2932896; ++n) {
    ASSERT_EQ(ToDayNumber(d), DayNumber(n))
        << d.year << "-" << d.month << "-" << d.day;
    const CivilDay back = FromDayNumber(DayNumber(n));
    ASSERT_EQ(back.year, d.year);
    ASSERT_EQ(back.month, d.month);
    ASSERT_EQ(back.day, d.day);
    if (++d.day > DaysInMonth(d.year, d.month)) {
      d.day = 1;
      if (++d.month > 12) {
        d.month = 1;
        ++d.year;
      }
    }
  }
}

TEST(DateTest, ParsePrecisions) {
  absl::StatusOr<EventDate> day = EventDate::Parse("2021-05-03");
  ASSERT_TRUE(day.ok()) << day.status();
  EXPECT_EQ(*day, EventDate(2021, 5, 3, DatePrecision::kDay));
  EXPECT_EQ(day->first_day(), day->last_day());
  EXPECT_EQ(day->ToString(), "2021-05-03");

  absl::StatusOr<EventDate> month = EventDate::Parse("2020-02");
  ASSERT_TRUE(month.ok()) << month.status();
  EXPECT_EQ(month->precision(), DatePrecision::kMonth);
  EXPECT_EQ(month->day(), 1);
  EXPECT_EQ(month->first_day(), ToDayNumber({2020, 2, 1}));
  EXPECT_EQ(month->last_day(), ToDayNumber({2020, 2, 29}));
  EXPECT_EQ(month->ToString(), "2020-02");

  absl::StatusOr<EventDate> year = EventDate::Parse("1956");
  ASSERT_TRUE(year.ok()) << year.status();
  EXPECT_EQ(year->precision(), DatePrecision::kYear);
  EXPECT_EQ(year->month(), 1);
  EXPECT_EQ(year->first_day(), ToDayNumber({1956, 1, 1}));
  EXPECT_EQ(year->last_day(), ToDayNumber({1956, 12, 31}));
  EXPECT_EQ(year->ToString(), "1956");

  EXPECT_TRUE(EventDate::Parse("0001-01-01").ok());
  EXPECT_TRUE(EventDate::Parse("9999-12-31").ok());
  EXPECT_TRUE(EventDate::Parse("2000-02-29").ok());
  EXPECT_EQ(EventDate::Parse("0042")->ToString(), "0042");
}

TEST(DateTest, ToStringIsTheParsedText) {
  for (int year : {0, 1, 9, 10, 99, 100, 999, 1000, 1956, 2021, 9999}) {
    for (int month : {1, 9, 10, 12}) {
      for (int day : {1, 9, 10, 28}) {
        const std::string y = absl::StrFormat("%04d", year);
        const std::string m = absl::StrFormat("%s-%02d", y, month);
        const std::string d = absl::StrFormat("%s-%02d", m, day);
        for (const std::string& text : {y, m, d}) {
          absl::StatusOr<EventDate> parsed = EventDate::Parse(text);
          if (!parsed.ok()) continue;  // year 0 may be out of range
          EXPECT_EQ(parsed->ToString(), text);
        }
      }
    }
  }
}

TEST(DateTest, RejectsNonDates) {
  auto message = [](absl::string_view text) {
    absl::StatusOr<EventDate> d = EventDate::Parse(text);
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << text;
    return std::string(d.status().message());
  };
  EXPECT_EQ(message("2021-02-29"),
            "\"2021-02-29\" is not a date: February 2021 has 28 days");
  EXPECT_EQ(message("1900-02-29"),
            "\"1900-02-29\" is not a date: February 1900 has 28 days");
  EXPECT_EQ(message("2021-04-31"),
            "\"2021-04-31\" is not a date: April 2021 has 30 days");
  EXPECT_EQ(message("2021-13"),
            "\"2021-13\" is not a date: there is no month 13");
  EXPECT_THAT(message("2021-00-01"), HasSubstr("there is no month 00"));
  EXPECT_THAT(message("2021-01-00"), HasSubstr("January 2021 has 31 days"));
  EXPECT_EQ(message("0000"),
            "\"0000\" is not a date: years run from 0001 to 9999");
  EXPECT_THAT(message("10000"), HasSubstr("expected YYYY-MM-DD"));
  EXPECT_THAT(message("10000-01-01"), HasSubstr("expected YYYY-MM-DD"));
  for (absl::string_view bad :
       {"", "21", "2021-5-3", "2021-05-3", "2021/05/03", "2021-05-03T00",
        " 2021", "+202", "-001", "2021-", "2021-05-", "20a1", "2021-05-03 ",
        "２０２１"}) {
    EXPECT_THAT(message(bad), HasSubstr("is not a date")) << bad;
  }
}

TEST(DateTest, TodayIsPlausible) {
  EXPECT_GT(TodayUtc(), ToDayNumber({2024, 1, 1}));
  EXPECT_LT(TodayUtc(), ToDayNumber({2200, 1, 1}));
}

}  // namespace
}  // namespace detente
