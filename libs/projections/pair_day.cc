#include "projections/pair_day.h"

#include <cstring>

#include "eventlog/keys.h"

namespace detente {
namespace {

constexpr size_t kWayBytes = 4 + 8 + 8 + 4 * 4;

void PutBe32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}
uint32_t GetBe32(const char* in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}
void PutDouble(std::string* out, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  keys::PutBigEndian64(out, bits);
}
double GetDouble(absl::string_view in) {
  const uint64_t bits = *keys::GetBigEndian64(in);
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

}  // namespace

std::string EncodePairDayValue(const PairDay& d) {
  std::string out;
  out.reserve(2 * kWayBytes);
  for (const DayTotals& w : d.way) {
    PutBe32(&out, w.events);
    PutDouble(&out, w.weight_sum);
    PutDouble(&out, w.goldstein_sum);
    for (uint32_t q : w.quad_counts) PutBe32(&out, q);
  }
  return out;
}

bool DecodePairDayValue(absl::string_view in, PairDay* d) {
  if (in.size() != 2 * kWayBytes) return false;
  for (DayTotals& w : d->way) {
    w.day = d->day;
    w.events = GetBe32(in.data());
    w.weight_sum = GetDouble(in.substr(4));
    w.goldstein_sum = GetDouble(in.substr(12));
    for (int q = 0; q < 4; ++q)
      w.quad_counts[q] = GetBe32(in.data() + 20 + 4 * q);
    in.remove_prefix(kWayBytes);
  }
  return true;
}

void AppendDayDelta(std::string* operand, const PairVersion& v, int sign) {
  operand->push_back(static_cast<char>((v.reversed ? 1 : 0) |
                                       (sign < 0 ? 2 : 0) |
                                       (static_cast<int>(v.quad) << 2)));
  PutBe32(operand, v.weight);
  PutDouble(operand, v.goldstein);
}

bool ApplyDayDeltas(absl::string_view operand, PairDay* d) {
  constexpr size_t kDeltaBytes = 1 + 4 + 8;
  if (operand.size() % kDeltaBytes != 0) return false;
  for (; !operand.empty(); operand.remove_prefix(kDeltaBytes)) {
    const uint8_t flags = static_cast<uint8_t>(operand[0]);
    const uint32_t weight = GetBe32(operand.data() + 1);
    const double goldstein = GetDouble(operand.substr(5));
    d->way[flags & 1].Count(double(weight), goldstein,
                            static_cast<QuadClass>((flags >> 2) & 7),
                            (flags & 2) ? -1 : +1);
  }
  return true;
}

}  // namespace detente
