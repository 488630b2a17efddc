#include "projections/pair_day.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "common/wire.h"
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
// Callers check the size. Inline: the packed day cache reads one or two
// per day of a series' whole history (docs/benchmarks.md, round 24).
double GetDouble(absl::string_view in) {
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<uint8_t>(in[i]);
  return std::bit_cast<double>(bits);
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

namespace {

uint64_t Bits(double d) { return std::bit_cast<uint64_t>(d); }
// The 8 bytes PutDouble wrote.
bool ReadDouble(const uint8_t*& p, const uint8_t* end, double* d) {
  if (end - p < 8) return false;
  *d = GetDouble({reinterpret_cast<const char*>(p), 8});
  p += 8;
  return true;
}
bool Present(const DayTotals& w) {
  return w.events != 0 || w.quad_counts[0] != 0 || w.quad_counts[1] != 0 ||
         w.quad_counts[2] != 0 || w.quad_counts[3] != 0 ||
         Bits(w.weight_sum) != 0 || Bits(w.goldstein_sum) != 0;
}
// A weight sum that a varint holds exactly (not -0.0, not NaN).
bool WholeWeight(double w) {
  if (!(w >= 0 && w <= 9007199254740992.0)) return false;  // 2^53
  return Bits(static_cast<double>(static_cast<uint64_t>(w))) == Bits(w);
}

}  // namespace

void PackedDays::Append(const PairDay& d) {
  const int32_t day = d.day.value();
  if (count_ % kMarkEvery == 0) {
    marks_.push_back({day, last_day_, static_cast<uint32_t>(data_.size())});
  }
  const int64_t delta = int64_t{day} - int64_t{last_day_};
  wire::PutVarint(&data_, (static_cast<uint64_t>(delta) << 1) ^
                              static_cast<uint64_t>(delta >> 63));
  last_day_ = day;
  uint8_t flags = 0;
  for (int i = 0; i < 2; ++i) {
    if (!Present(d.way[i])) continue;
    flags |= uint8_t(1 << i);
    if (WholeWeight(d.way[i].weight_sum)) flags |= uint8_t(4 << i);
  }
  data_.push_back(static_cast<char>(flags));
  for (int i = 0; i < 2; ++i) {
    if (!(flags & (1 << i))) continue;
    const DayTotals& w = d.way[i];
    wire::PutVarint(&data_, w.events);
    for (uint32_t q : w.quad_counts) wire::PutVarint(&data_, q);
    if (flags & (4 << i)) {
      wire::PutVarint(&data_, static_cast<uint64_t>(w.weight_sum));
    } else {
      PutDouble(&data_, w.weight_sum);
    }
    PutDouble(&data_, w.goldstein_sum);
  }
  ++count_;
}

bool PackedDays::Reader::Next(PairDay* d) {
  if (p_ >= end_) return false;
  uint64_t zigzag = 0;
  if (!wire::ReadVarint(p_, end_, &zigzag) || p_ >= end_) return false;
  day_ += static_cast<int32_t>(static_cast<int64_t>(zigzag >> 1) ^
                               -static_cast<int64_t>(zigzag & 1));
  const uint8_t flags = *p_++;
  d->day = DayNumber(day_);
  for (int i = 0; i < 2; ++i) {
    DayTotals& w = d->way[i];
    w = DayTotals();
    w.day = d->day;
    if (!(flags & (1 << i))) continue;
    uint64_t v = 0;
    if (!wire::ReadVarint(p_, end_, &v)) return false;
    w.events = static_cast<uint32_t>(v);
    for (uint32_t& q : w.quad_counts) {
      if (!wire::ReadVarint(p_, end_, &v)) return false;
      q = static_cast<uint32_t>(v);
    }
    if (flags & (4 << i)) {
      if (!wire::ReadVarint(p_, end_, &v)) return false;
      w.weight_sum = static_cast<double>(v);
    } else if (!ReadDouble(p_, end_, &w.weight_sum)) {
      return false;
    }
    if (!ReadDouble(p_, end_, &w.goldstein_sum)) return false;
  }
  return true;
}

bool PackedDays::Find(DayNumber day, PairDay* d) const {
  auto after =
      std::upper_bound(marks_.begin(), marks_.end(), day.value(),
                       [](int32_t v, const Mark& m) { return v < m.day; });
  if (after == marks_.begin()) return false;
  const Mark& m = *(after - 1);
  Reader r(*this, m.offset, m.day_before);
  while (r.Next(d)) {
    if (d->day == day) return true;
    if (day < d->day) return false;
  }
  return false;
}

PackedDays::Reader::Reader(const PackedDays& days, DayNumber day)
    : Reader(days) {
  auto after =
      std::upper_bound(days.marks_.begin(), days.marks_.end(), day.value(),
                       [](int32_t v, const Mark& m) { return v < m.day; });
  if (after == days.marks_.begin()) return;
  const Mark& m = *(after - 1);
  p_ = reinterpret_cast<const uint8_t*>(days.data_.data()) + m.offset;
  day_ = m.day_before;
}

std::vector<PairDay> PackedDays::Unpack() const {
  std::vector<PairDay> out;
  out.reserve(count_);
  ForEach([&](const PairDay& d) { out.push_back(d); });
  return out;
}

const std::shared_ptr<const PackedDays>& StreamDays::NoDays() {
  static const auto* none = new std::shared_ptr<const PackedDays>(
      std::make_shared<const PackedDays>());
  return *none;
}

StreamDays StreamDays::With(std::vector<PairDay> changed) const {
  std::vector<PairDay> merged;
  merged.reserve(changed_.size() + changed.size());
  size_t i = 0, j = 0;
  while (i < changed_.size() || j < changed.size()) {
    if (j == changed.size() ||
        (i < changed_.size() && changed_[i].day < changed[j].day)) {
      merged.push_back(changed_[i++]);
    } else {
      if (i < changed_.size() && changed_[i].day == changed[j].day) ++i;
      merged.push_back(changed[j++]);
    }
  }
  StreamDays out(packed_);
  // The decayed sums before a start no changed day precedes stay as they are.
  if (!changed.empty() && decays_ != nullptr) {
    std::lock_guard lock(decays_->mu);
    const size_t n = std::min(decays_->count, kKeptDecays);
    for (size_t k = 0; k < n; ++k) {
      const Decay& d = decays_->kept[(decays_->count - n + k) % kKeptDecays];
      if (d.start <= changed.front().day) {
        out.decays_->kept[out.decays_->count++ % kKeptDecays] = d;
      }
    }
  }
  out.changed_ = std::move(merged);
  if (out.changed_.size() > std::max<size_t>(64, packed_->size() / 8)) {
    auto packed = std::make_shared<PackedDays>();
    packed->Reserve(packed_->packed_bytes() + out.changed_.size() * 32);
    out.ForEach([&](const PairDay& d) { packed->Append(d); });
    packed->ShrinkToFit();
    return StreamDays(std::move(packed), std::move(out.decays_));
  }
  return out;
}

DecayState StreamDays::DecayedBefore(DayNumber start, int way,
                                     const KernelParams& params) const {
  // The sums kept for this start, way and half-life; decays_->mu held.
  auto kept = [&]() -> const Decay* {
    const size_t n = std::min(decays_->count, kKeptDecays);
    for (size_t k = 0; k < n; ++k) {
      const Decay& d = decays_->kept[k];
      if (d.start == start && d.way == way && d.half_life == params.half_life) {
        return &d;
      }
    }
    return nullptr;
  };
  if (decays_ != nullptr) {
    std::lock_guard lock(decays_->mu);
    if (const Decay* d = kept()) return d->state;
  }
  // Folded outside the lock: two first callers may both fold (the same).
  Decay d{.start = start, .way = way, .half_life = params.half_life};
  ForEach([&](const PairDay& day) {
    if (!(day.day < start)) return false;
    DayTotals t;
    if (TotalsOf(day, way, &t)) AddDay(d.state, t, params);
    return true;
  });
  if (decays_ == nullptr) return d.state;
  std::lock_guard lock(decays_->mu);
  if (kept() == nullptr) decays_->kept[decays_->count++ % kKeptDecays] = d;
  return d.state;
}

PairDay StreamDays::Get(DayNumber day) const {
  auto it =
      std::lower_bound(changed_.begin(), changed_.end(), day,
                       [](const PairDay& d, DayNumber v) { return d.day < v; });
  if (it != changed_.end() && it->day == day) return *it;
  PairDay d;
  if (packed_->Find(day, &d)) return d;
  d = PairDay();
  d.day = d.way[0].day = d.way[1].day = day;
  return d;
}

std::vector<PairDay> StreamDays::Unpack() const {
  std::vector<PairDay> out;
  ForEach([&](const PairDay& d) { out.push_back(d); });
  return out;
}

}  // namespace detente
