#include "tools/cli/synth_history.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "domain/actors.h"
#include "domain/cameo.h"
#include "domain/date.h"

namespace detente::cli {
namespace {

// splitmix64: tiny, fast and the same on every platform (unlike the
// standard distributions).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return (Next() >> 11) * 0x1.0p-53; }
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }

 private:
  uint64_t state_;
};

// Samples ranks 0..n-1 with weight 1/(rank+1)^s.
class Zipf {
 public:
  Zipf(size_t n, double s) : cdf_(n) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) cdf_[i] = sum += 1.0 / std::pow(i + 1.0, s);
    for (double& c : cdf_) c /= sum;
  }
  size_t Sample(Rng& rng) const {
    auto it = std::lower_bound(cdf_.begin(), cdf_.end(), rng.Uniform());
    return std::min<size_t>(it - cdf_.begin(), cdf_.size() - 1);
  }

 private:
  std::vector<double> cdf_;
};

void AppendHex(std::string* out, uint64_t v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i)
    out->push_back(kHex[(v >> (4 * i)) & 15]);
}

// A version 4 shaped UUID from the seed and the entry index.
void AppendId(std::string* out, uint64_t seed, uint64_t index) {
  Rng r(seed * 0x2545f4914f6cdd1dULL ^ (index + 1) * 0x9e3779b97f4a7c15ULL);
  const uint64_t hi = r.Next(), lo = r.Next();
  AppendHex(out, hi >> 32, 8);
  out->push_back('-');
  AppendHex(out, hi >> 16, 4);
  out->push_back('-');
  AppendHex(out, 0x4000 | (hi & 0x0fff), 4);
  out->push_back('-');
  AppendHex(out, 0x8000 | (lo >> 48 & 0x3fff), 4);
  out->push_back('-');
  AppendHex(out, lo, 12);
}

void AppendJsonString(std::string* out, absl::string_view s) {
  out->push_back('"');
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (u < 0x20) {
      out->append("\\u00");
      AppendHex(out, u, 2);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

void AppendDate(std::string* out, DayNumber day, int precision_roll) {
  const CivilDay d = FromDayNumber(day);
  absl::StrAppend(out, absl::Dec(d.year, absl::kZeroPad4));
  if (precision_roll == 0) return;  // year precision
  absl::StrAppend(out, "-", absl::Dec(d.month, absl::kZeroPad2));
  if (precision_roll == 1) return;  // month precision
  absl::StrAppend(out, "-", absl::Dec(d.day, absl::kZeroPad2));
}

struct Original {
  uint64_t index;
  uint16_t source, target;  // indexes into the ranked actors
};

class Generator {
 public:
  explicit Generator(const SynthOptions& o)
      : o_(o),
        rng_(o.seed),
        actor_zipf_(o.actors, 1.1),
        code_zipf_(AllCameoCodes().size(), 0.9) {
    for (const Actor& a : AllActors()) {
      if (a.kind == ActorKind::kCountry) actors_.push_back(&a);
    }
    for (const Actor& a : AllActors()) {
      if (a.kind != ActorKind::kCountry) actors_.push_back(&a);
    }
    Shuffle(actors_, 0);
    actors_.resize(o.actors);
    for (const CameoCode& c : AllCameoCodes()) codes_.push_back(&c);
    Shuffle(codes_, 1);
    first_ = ToDayNumber({o.first_year, 1, 1}).value();
    last_ = ToDayNumber({o.last_year, 12, 31}).value();
  }

  void Entry(uint64_t i, std::string* out) {
    const double roll = rng_.Uniform();
    if (!pool_.empty() && roll < o_.retractions) {
      Retraction(i, out);
    } else if (!pool_.empty() && roll < o_.retractions + o_.corrections) {
      const Original& s = pool_[rng_.Below(pool_.size())];
      Event(i, s.source, s.target, &s, out);
    } else {
      uint16_t a = static_cast<uint16_t>(actor_zipf_.Sample(rng_));
      uint16_t b = a;
      while (b == a) b = static_cast<uint16_t>(actor_zipf_.Sample(rng_));
      if (rng_.Next() & 1) std::swap(a, b);
      Event(i, a, b, nullptr, out);
      Remember({i, a, b});
    }
  }

 private:
  template <typename T>
  void Shuffle(std::vector<T>& v, uint64_t salt) {
    Rng r(o_.seed ^ (0xa0761f41dbf5a7c3ULL + salt));
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[r.Below(i)]);
  }

  void Remember(Original e) {
    constexpr size_t kPool = 1 << 16;
    if (pool_.size() < kPool) {
      pool_.push_back(e);
    } else {
      pool_[rng_.Below(kPool)] = e;
    }
  }

  void Retraction(uint64_t i, std::string* out) {
    const size_t k = rng_.Below(pool_.size());
    const Original s = pool_[k];
    pool_[k] = pool_.back();  // never retracted or corrected again
    pool_.pop_back();
    out->append("{\"eventId\":\"");
    AppendId(out, o_.seed, i);
    out->append("\",\"kind\":\"ENTRY_KIND_RETRACTION\",\"subjectEventId\":\"");
    AppendId(out, o_.seed, s.index);
    out->append("\",\"summary\":\"Synthetic retraction: duplicate report\"}\n");
  }

  void Event(uint64_t i, uint16_t a, uint16_t b, const Original* subject,
             std::string* out) {
    const uint64_t index = subject ? subject->index : i;
    const double progress =
        o_.events > 1 ? static_cast<double>(index) / (o_.events - 1) : 0;
    int32_t day = first_ + static_cast<int32_t>(progress * (last_ - first_)) +
                  static_cast<int32_t>(rng_.Below(61)) - 30;
    if (rng_.Uniform() < o_.late_fraction) {
      day -= 1 + static_cast<int32_t>(rng_.Below(3650));
    }
    day = std::clamp(day, first_, last_);
    const uint64_t p = rng_.Below(100);
    const int precision = p == 0 ? 0 : p < 3 ? 1 : 2;
    const CameoCode& code = *codes_[code_zipf_.Sample(rng_)];
    const int tone_cents = static_cast<int>(rng_.Below(2001)) - 1000;
    const uint32_t weight = 1 + static_cast<uint32_t>(std::min<uint64_t>(
                                    rng_.Below(64), rng_.Below(64)));

    out->append("{\"eventId\":\"");
    AppendId(out, o_.seed, i);
    out->append("\"");
    if (subject) {
      out->append(",\"kind\":\"ENTRY_KIND_CORRECTION\",\"subjectEventId\":\"");
      AppendId(out, o_.seed, subject->index);
      out->append("\"");
    }
    out->append(",\"occurredOn\":\"");
    AppendDate(out, DayNumber(day), precision);
    absl::StrAppend(out, "\",\"source\":\"", actors_[a]->code,
                    "\",\"target\":\"", actors_[b]->code, "\",\"eventCode\":\"",
                    code.code, "\",\"weight\":", weight,
                    ",\"tone\":", tone_cents < 0 ? "-" : "",
                    std::abs(tone_cents) / 100, ".",
                    absl::Dec(std::abs(tone_cents) % 100, absl::kZeroPad2),
                    ",\"tags\":[\"synthetic\"],\"title\":");
    AppendJsonString(
        out, absl::StrCat(subject ? "(corrected) " : "", actors_[a]->name,
                          " -> ", actors_[b]->name, ": ", code.description));
    absl::StrAppend(out, ",\"sourceUrl\":\"https://synth.example.org/", o_.seed,
                    "/", i, "\"}\n");
  }

  const SynthOptions& o_;
  Rng rng_;
  Zipf actor_zipf_;
  Zipf code_zipf_;
  std::vector<const Actor*> actors_;
  std::vector<const CameoCode*> codes_;
  std::vector<Original> pool_;
  int32_t first_ = 0, last_ = 0;
};

}  // namespace

absl::Status CheckSynthOptions(const SynthOptions& o) {
  const int max_actors = static_cast<int>(AllActors().size());
  if (o.actors < 2 || o.actors > max_actors) {
    return absl::InvalidArgumentError(
        absl::StrCat("--actors must be 2..", max_actors));
  }
  auto fraction = [](double f) { return f >= 0 && f <= 1; };
  if (!fraction(o.late_fraction) || !fraction(o.corrections) ||
      !fraction(o.retractions) || o.corrections + o.retractions > 0.5) {
    return absl::InvalidArgumentError(
        "fractions must be in 0..1, and corrections + retractions <= 0.5");
  }
  if (o.first_year < 1 || o.last_year > 9999 || o.first_year > o.last_year) {
    return absl::InvalidArgumentError("bad year range");
  }
  return absl::OkStatus();
}

void GenerateSyntheticHistory(
    const SynthOptions& o,
    const std::function<void(absl::string_view)>& write) {
  Generator g(o);
  std::string buffer;
  buffer.reserve(1 << 21);
  for (uint64_t i = 0; i < o.events; ++i) {
    g.Entry(i, &buffer);
    if (buffer.size() >= (1 << 20)) {
      write(buffer);
      buffer.clear();
    }
  }
  if (!buffer.empty()) write(buffer);
}

}  // namespace detente::cli
