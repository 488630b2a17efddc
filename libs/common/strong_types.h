// Strong types for the integers that are easy to mix up: a log position, a
// stream revision and a day number are all integers, and never the same one.
//
//   Position p{42};
//   Position next = p.Next();
//   uint64_t raw = p.value();
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace detente {

template <typename Tag, typename Rep>
class StrongInt {
 public:
  using rep_type = Rep;
  constexpr StrongInt() = default;
  constexpr explicit StrongInt(Rep v) : value_(v) {}
  constexpr Rep value() const { return value_; }
  constexpr StrongInt Next() const { return StrongInt(value_ + 1); }
  friend constexpr auto operator<=>(StrongInt, StrongInt) = default;

 private:
  Rep value_{};
};

// Global position of an entry in the log: from 1, gapless, in commit order.
// Position{0} means "before the first entry" (an empty log's head).
using Position = StrongInt<struct PositionTag, uint64_t>;

// Revision of an entry within its stream (country pair), from 0.
using StreamRevision = StrongInt<struct StreamRevisionTag, uint64_t>;

// Days since 1970-01-01 in the proleptic Gregorian calendar (may be negative).
using DayNumber = StrongInt<struct DayNumberTag, int32_t>;

}  // namespace detente

template <typename Tag, typename Rep>
struct std::hash<detente::StrongInt<Tag, Rep>> {
  size_t operator()(detente::StrongInt<Tag, Rep> v) const {
    return std::hash<Rep>()(v.value());
  }
};
