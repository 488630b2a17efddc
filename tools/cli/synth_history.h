// A deterministic generator of large synthetic histories for benchmarks and
// load tests: GDELT-like JSONL of detente.v1.Event (proto3 JSON mapping),
// written directly as text (no protobuf) so that ten million events take
// seconds, not minutes.
//
// What it looks like: `actors` countries from the actor registry, chosen
// and ranked by the seed, with Zipf-like popularity (a few pairs hold most
// events); dates from 1965 to 2023 rising with the log position, a
// `late_fraction` of events dated up to ten years earlier than their
// neighbours (late arrivals); a `corrections` fraction of entries replacing
// an earlier event of the same pair, a `retractions` fraction withdrawing
// one (never the same event twice). Event ids are UUIDs derived from the
// seed and the entry's index: the same options give byte-identical output.
//
//   SynthOptions o{.events = 1000000, .seed = 7};
//   GenerateSyntheticHistory(o, [&](absl::string_view chunk) { ... });
#pragma once

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace detente::cli {

struct SynthOptions {
  uint64_t events = 10000;  // entries written, corrections and retractions
                            // included
  uint64_t seed = 1;
  int actors = 200;             // 2..number of actors in the registry
  double late_fraction = 0.05;  // 0..1
  double corrections = 0.02;    // 0..1, of all entries
  double retractions = 0.01;    // 0..1; corrections + retractions <= 0.5
  int first_year = 1965;
  int last_year = 2023;
};

// INVALID_ARGUMENT when an option is out of range (nothing written).
absl::Status CheckSynthOptions(const SynthOptions& o);

// Calls `write` with consecutive chunks of JSONL (whole lines, about 1 MiB
// each). Options must pass CheckSynthOptions.
void GenerateSyntheticHistory(
    const SynthOptions& o, const std::function<void(absl::string_view)>& write);

}  // namespace detente::cli
