// Micro-benchmarks of the hot paths: validation (ValidateEntry), the storage
// encoding (EncodeRecord / DecodeRecord), a stored record to the wire
// (RecordedEventWriter) and the temperature kernel (ComputeSeries). Events come
// from the benchmark's generator.
//
//   build/tools/bench/detente-micro-bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <vector>

#include "domain/actors.h"
#include "domain/validation.h"
#include "eventlog/record_codec.h"
#include "projections/periods.h"
#include "projections/temperature.h"
#include "services/common/recorded_wire.h"
#include "tools/bench/synth_events.h"

namespace detente::bench {
namespace {

const SynthEvents& Gen() {
  static const SynthEvents gen({.seed = 7});
  return gen;
}

std::vector<RawEntry> RawPool(size_t n) {
  std::vector<RawEntry> v;
  for (size_t i = 0; i < n; ++i) v.push_back(Gen().Make(i));
  return v;
}

RecordedEntry Recorded(const RawEntry& raw, uint64_t position) {
  RecordedEntry r;
  r.entry = *ValidateEntry(raw, {.today = TodayUtc()});
  r.position = Position(position);
  r.stream = StreamName(r.entry.data.source, r.entry.data.target);
  r.stream_revision = StreamRevision(position);
  r.recorded_at_micros = 1700000000000000;
  r.goldstein = EffectiveGoldstein(r.entry.data);
  r.quad_class = QuadClassOfRoot(CameoRoot(r.entry.data.event_code));
  return r;
}

void BM_ValidateEntry(benchmark::State& state) {
  const std::vector<RawEntry> pool = RawPool(1024);
  const ValidationContext ctx{.today = TodayUtc()};
  size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<Entry> e = ValidateEntry(pool[i++ & 1023], ctx);
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ValidateEntry);

void BM_EncodeRecord(benchmark::State& state) {
  const std::vector<RawEntry> raw = RawPool(1024);
  std::vector<RecordedEntry> pool;
  for (size_t i = 0; i < raw.size(); ++i) pool.push_back(Recorded(raw[i], i + 1));
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    std::string v = EncodeRecord(pool[i++ & 1023]);
    bytes += v.size();
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_EncodeRecord);

void BM_DecodeRecord(benchmark::State& state) {
  const std::vector<RawEntry> raw = RawPool(1024);
  std::vector<std::string> pool;
  for (size_t i = 0; i < raw.size(); ++i) {
    pool.push_back(EncodeRecord(Recorded(raw[i], i + 1)));
  }
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& v = pool[i & 1023];
    absl::StatusOr<RecordedEntry> e = DecodeRecord(Position(++i), v);
    bytes += v.size();
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_DecodeRecord);

// A stored record to the wire as a ReadResponse's RecordedEvent (the
// replay's encoding, services/common/recorded_wire.h), into messages of
// 1,000 events as the ingestion service's Read writes them.
void BM_RecordedEventWriter(benchmark::State& state) {
  const std::vector<RawEntry> raw = RawPool(1024);
  std::vector<std::string> pool;
  for (size_t i = 0; i < raw.size(); ++i) {
    pool.push_back(EncodeRecord(Recorded(raw[i], i + 1)));
  }
  RecordedEventWriter writer;
  std::string msg;
  msg.reserve(1000 * 512);
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    if ((i % 1000) == 0) {
      bytes += msg.size();
      msg.clear();
    }
    const std::string& v = pool[i & 1023];
    absl::Status s = writer.Append(1, Position(++i), v, &msg);
    benchmark::DoNotOptimize(s);
  }
  bytes += msg.size();
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_RecordedEventWriter);

// ComputeSeries over ten years (2014-2023) for a pair with `events` events
// spread over 1965-2023; range(1) is the resolution (0 day, 2 month).
void BM_ComputeSeries(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto res = static_cast<Resolution>(state.range(1));
  std::vector<Contribution> events(n);
  const int32_t first = -1826, last = 19722;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t h = Mix(i);
    events[i].day = DayNumber(first + static_cast<int32_t>(
                                          (i * (last - first)) / n));
    events[i].weight = 1 + static_cast<double>(h % 5);
    events[i].goldstein = static_cast<double>(static_cast<int>(h % 200) - 100) / 10;
    events[i].quad = static_cast<QuadClass>(1 + (h >> 8) % 4);
  }
  const std::vector<Period> periods =
      *PeriodsOverlapping(ToDayNumber({2014, 1, 1}), ToDayNumber({2023, 12, 31}),
                          res, 100000);
  for (auto _ : state) {
    std::vector<SeriesPoint> s =
        ComputeSeries(events, periods, {.half_life = 90, .prior = 1});
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.counters["points"] = static_cast<double>(periods.size());
}
BENCHMARK(BM_ComputeSeries)
    ->ArgsProduct({{1000, 10000, 100000},
                   {static_cast<int64_t>(Resolution::kMonth),
                    static_cast<int64_t>(Resolution::kDay)}})
    ->ArgNames({"events", "resolution"});

}  // namespace
}  // namespace detente::bench

BENCHMARK_MAIN();
