// A deterministic generator of synthetic diplomatic events for the
// benchmarks: ~250-byte events with real CAMEO event codes (weighted the way
// GDELT's are: statements, consultations and appeals dominate) between real
// CAMEO country codes, on skewed pairs (a few pairs hold most events, as in
// GDELT). Dates rise with the index from 1965 to 2023, with jitter.
//
//   SynthEvents gen({.seed = 7});
//   RawEntry e = gen.Make(42);              // the same index, the same event
//   std::string id = gen.EventId(42);       // its event_id
//
// Thread safety: const methods may be called concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "domain/validation.h"

namespace detente::bench {

// Events of indexes i and i + kPoolSize share their content (not their id):
// clients and the floor reuse a pool of this many templates.
inline constexpr size_t kPoolSize = 20000;

struct SynthEventsOptions {
  uint64_t seed = 1;
  // Countries taken from the actor registry; pairs among them.
  int countries = 60;
  // Index range that dates span (1965..2023); indexes beyond wrap around.
  uint64_t date_span = kPoolSize;
};

class SynthEvents {
 public:
  explicit SynthEvents(SynthEventsOptions options);

  // The event with this index (event_id included).
  RawEntry Make(uint64_t index) const;
  // Its event_id: a version-4-shaped UUID derived from seed and index.
  std::string EventId(uint64_t index) const;
  // The same, written over `out` (no allocation when it has the room).
  void EventIdInto(uint64_t index, std::string* out) const;
  // The date of event `index` when dates rise over `span` events (a whole
  // log) rather than over each pool of templates: with span 10M, ~460
  // events a day from 1965 to 2023, and every pair with events on many
  // days, as in GDELT. "YYYY-MM-DD".
  const std::string& DateAcross(uint64_t index, uint64_t span) const;
  // A pair drawn with the same skew as the events (for queries).
  std::pair<std::string, std::string> PairFor(uint64_t draw) const;
  size_t pair_count() const { return pairs_.size(); }
  // The pair of this rank: 0 is the one with the most events (USA-CHN).
  const std::pair<std::string, std::string>& pair(size_t rank) const {
    return pairs_[rank];
  }

 private:
  struct WeightedCode {
    std::string code;
    uint32_t cumulative;
  };
  size_t SkewedPair(uint64_t h) const;

  SynthEventsOptions options_;
  std::vector<std::string> countries_;
  std::vector<std::pair<std::string, std::string>> pairs_;
  std::vector<WeightedCode> codes_;
  std::vector<std::string> dates_;  // every day from 1965 to 2023
  uint32_t code_total_ = 0;
};

// splitmix64: the generator's hash.
uint64_t Mix(uint64_t x);

}  // namespace detente::bench
