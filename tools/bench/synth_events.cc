#include "tools/bench/synth_events.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "domain/actors.h"
#include "domain/cameo.h"
#include "domain/date.h"
#include "domain/uuid.h"

namespace detente::bench {
namespace {

// The big actors of GDELT first, so that small `countries` values stay
// realistic; the registry fills the rest.
constexpr const char* kPreferred[] = {
    "USA", "CHN", "RUS", "GBR", "FRA", "DEU", "JPN", "KOR", "PRK", "IND",
    "PAK", "IRN", "ISR", "PSE", "SYR", "IRQ", "TUR", "UKR", "SAU", "EGY",
    "AFG", "CAN", "AUS", "BRA", "MEX", "ITA", "ESP", "POL", "VNM", "IDN",
    "PHL", "THA", "MYS", "SGP", "NGA", "ZAF", "KEN", "ETH", "SDN", "LBY",
    "LBN", "JOR", "QAT", "ARE", "YEM", "VEN", "COL", "ARG", "CHL", "CUB",
    "GRC", "CYP", "SRB", "GEO", "ARM", "AZE", "KAZ", "MNG", "TWN", "MMR"};

// Common CAMEO codes with rough GDELT frequencies (per mille).
constexpr std::pair<const char*, uint32_t> kCodes[] = {
    {"010", 90}, {"011", 5},  {"012", 8},  {"013", 10}, {"014", 6},
    {"016", 4},  {"017", 4},  {"018", 6},  {"019", 5},  {"020", 20},
    {"021", 8},  {"0231", 4}, {"028", 4},  {"030", 15}, {"031", 6},
    {"036", 60}, {"040", 70}, {"042", 60}, {"043", 60}, {"046", 40},
    {"050", 15}, {"051", 35}, {"057", 15}, {"061", 15}, {"070", 8},
    {"071", 10}, {"073", 6},  {"080", 6},  {"090", 10}, {"100", 8},
    {"111", 25}, {"112", 35}, {"120", 8},  {"128", 6},  {"130", 8},
    {"138", 5},  {"141", 12}, {"160", 6},  {"163", 6},  {"172", 8},
    {"173", 10}, {"180", 8},  {"190", 12}, {"193", 8},  {"195", 4},
    {"1056", 3}, {"1823", 2}, {"204", 1}};

constexpr const char* kTags[] = {"security", "trade", "history", "nuclear",
                                 "summit",   "energy", "border", "aid"};
constexpr const char* kOutlets[] = {"Reuters", "Associated Press",
                                    "Yonhap News Agency", "Kyodo News",
                                    "Agence France-Presse", "BBC Monitoring"};

// Days from 1970-01-01: 1965-01-01 and 2023-12-31.
constexpr int32_t kFirstDay = -1826;
constexpr int32_t kLastDay = 19722;

}  // namespace

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

SynthEvents::SynthEvents(SynthEventsOptions options) : options_(options) {
  for (const char* c : kPreferred) {
    if (static_cast<int>(countries_.size()) >= options_.countries) break;
    if (FindActorByCode(c) != nullptr) countries_.emplace_back(c);
  }
  for (const Actor& a : AllActors()) {
    if (static_cast<int>(countries_.size()) >= options_.countries) break;
    if (a.kind != ActorKind::kCountry) continue;
    std::string code(a.code);
    bool seen = false;
    for (const auto& c : countries_) seen = seen || c == code;
    if (!seen) countries_.push_back(code);
  }
  // Pairs ranked by the product of the actors' ranks: USA-CHN first.
  for (size_t i = 0; i < countries_.size(); ++i) {
    for (size_t j = i + 1; j < countries_.size(); ++j) {
      pairs_.emplace_back(countries_[i], countries_[j]);
    }
  }
  std::stable_sort(pairs_.begin(), pairs_.end(), [&](auto& a, auto& b) {
    auto rank = [&](const std::string& c) {
      return std::find(countries_.begin(), countries_.end(), c) -
             countries_.begin() + 1;
    };
    return rank(a.first) * rank(a.second) < rank(b.first) * rank(b.second);
  });
  for (const auto& [code, weight] : kCodes) {
    if (FindCameoCode(code) == nullptr) continue;
    code_total_ += weight;
    codes_.push_back({code, code_total_});
  }
  for (int32_t day = kFirstDay; day <= kLastDay; ++day) {
    const CivilDay cd = FromDayNumber(DayNumber(day));
    dates_.push_back(
        absl::StrFormat("%04d-%02d-%02d", cd.year, cd.month, cd.day));
  }
}

const std::string& SynthEvents::DateAcross(uint64_t index,
                                           uint64_t span) const {
  span = std::max<uint64_t>(span, 1);
  const uint64_t days = dates_.size();
  return dates_[static_cast<size_t>((index % span) * days / span)];
}

size_t SynthEvents::SkewedPair(uint64_t h) const {
  // Zipf-like: rank ~ n^u for u uniform in [0,1) (log-uniform ranks).
  const double u = static_cast<double>(h >> 11) * 0x1.0p-53;
  const double n = static_cast<double>(pairs_.size());
  size_t r = static_cast<size_t>(std::pow(n, u)) - 1;
  return std::min(r, pairs_.size() - 1);
}

std::pair<std::string, std::string> SynthEvents::PairFor(uint64_t draw) const {
  return pairs_[SkewedPair(Mix(draw ^ (options_.seed << 1)))];
}

std::string SynthEvents::EventId(uint64_t index) const {
  std::string id;
  EventIdInto(index, &id);
  return id;
}

void SynthEvents::EventIdInto(uint64_t index, std::string* out) const {
  // A version-4 UUID: 48 bits of a hash of the index, then its low 62 bits.
  const uint64_t hi = Mix(options_.seed * 0x100000001b3ull + index);
  const uint64_t lo = index;
  std::array<uint8_t, 16> b;
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
  b[6] = static_cast<uint8_t>(0x40 | ((hi >> 8) & 0x0f));
  b[7] = static_cast<uint8_t>(hi);
  b[8] = static_cast<uint8_t>(0x80 | ((lo >> 56) & 0x3f));
  for (int i = 9; i < 16; ++i) b[i] = static_cast<uint8_t>(lo >> (120 - 8 * i));
  out->clear();
  Uuid(b).AppendText(out);
}

RawEntry SynthEvents::Make(uint64_t index) const {
  const uint64_t h1 = Mix(options_.seed ^ (index * 0x9e3779b97f4a7c15ull));
  const uint64_t h2 = Mix(h1);
  const uint64_t h3 = Mix(h2);
  RawEntry e;
  e.event_id = EventId(index);
  const auto& pair = pairs_[SkewedPair(h1)];
  const bool flip = (h2 & 1) != 0;
  e.source = flip ? pair.second : pair.first;
  e.target = flip ? pair.first : pair.second;
  const uint32_t c = static_cast<uint32_t>(h2 >> 8) % code_total_;
  for (const WeightedCode& wc : codes_) {
    if (c < wc.cumulative) {
      e.event_code = wc.code;
      break;
    }
  }
  // Days from 1965-01-01 to 2023-12-31, rising with the index, jittered by
  // up to ~60 days.
  const int64_t first = kFirstDay, last = kLastDay;
  const uint64_t span = std::max<uint64_t>(options_.date_span, 1);
  int64_t day = first + static_cast<int64_t>((index % span) * (last - first) /
                                              span);
  day += static_cast<int64_t>((h3 >> 4) % 120) - 60;
  day = std::clamp(day, first, last);
  const CivilDay cd = FromDayNumber(DayNumber(static_cast<int32_t>(day)));
  e.occurred_on = dates_[static_cast<size_t>(day - kFirstDay)];
  e.weight = 1 + static_cast<uint32_t>((h3 >> 16) % 5);
  e.tone = static_cast<double>(static_cast<int64_t>((h3 >> 24) % 2000) - 1000) /
           100.0;
  e.tags.emplace_back(kTags[(h3 >> 36) % std::size(kTags)]);
  if ((h3 >> 40) % 3 == 0) e.tags.emplace_back(kTags[(h3 >> 44) % std::size(kTags)]);
  if (e.tags.size() == 2 && e.tags[0] == e.tags[1]) e.tags.pop_back();
  const Actor* s = FindActorByCode(e.source);
  const Actor* t = FindActorByCode(e.target);
  const CameoCode* code = FindCameoCode(e.event_code);
  e.title = absl::StrCat(s ? s->name : e.source, ": ",
                         code ? code->description : e.event_code, " (",
                         t ? t->name : e.target, ")");
  if (e.title.size() > 120) e.title.resize(120);
  e.source_name = kOutlets[(h3 >> 48) % std::size(kOutlets)];
  e.source_url = absl::StrFormat("https://news.example.org/%s/%d/%016x",
                                 absl::AsciiStrToLower(e.source), cd.year, h2);
  return e;
}

}  // namespace detente::bench
