// Calendar periods of a series: day, ISO week (Monday to Sunday), month,
// quarter, year.
//
//   ASSIGN_OR_RETURN(std::vector<Period> ps,
//                    PeriodsOverlapping(from, to, Resolution::kWeek, 100000));
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "common/strong_types.h"

namespace detente {

enum class Resolution : uint8_t { kDay, kWeek, kMonth, kQuarter, kYear };

struct Period {
  DayNumber start;
  DayNumber end;  // inclusive
};

// The period of `resolution` that contains `day`.
Period PeriodContaining(DayNumber day, Resolution resolution);

// Every period that overlaps [from, to], in order. INVALID_ARGUMENT (field
// "to") when to < from, and (field "resolution") when there would be more
// than `max_points` periods.
absl::StatusOr<std::vector<Period>> PeriodsOverlapping(DayNumber from,
                                                       DayNumber to,
                                                       Resolution resolution,
                                                       size_t max_points);

}  // namespace detente
