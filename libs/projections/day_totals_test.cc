// The per-day totals the store maintains on apply ('a' keys) against the
// totals recomputed from the versions, which the hand-computed fixtures of
// queries_test.cc check: equal for every pair, both ways and each way,
// groups and series, after every batch of random histories with weights,
// Goldstein overrides, corrections that move or reverse events, and
// retractions. Plus the codecs of values and merge operands, and days whose
// events were all retracted.
#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "domain/date.h"
#include "projections/pair_day.h"
#include "projections/queries.h"
#include "projections/test_history.h"

namespace detente {
namespace {

void ExpectSameTotals(const std::vector<DayTotals>& fast,
                      const std::vector<DayTotals>& slow,
                      const std::string& what) {
  ASSERT_EQ(fast.size(), slow.size()) << what;
  for (size_t i = 0; i < fast.size(); ++i) {
    const DayTotals& a = fast[i];
    const DayTotals& b = slow[i];
    ASSERT_EQ(a.day, b.day) << what << " #" << i;
    EXPECT_EQ(a.events, b.events) << what << " #" << i;
    EXPECT_EQ(a.weight_sum, b.weight_sum) << what << " #" << i;  // integers
    EXPECT_NEAR(a.goldstein_sum, b.goldstein_sum, 1e-9) << what << " #" << i;
    for (int q = 0; q < 4; ++q) {
      EXPECT_EQ(a.quad_counts[q], b.quad_counts[q]) << what << " #" << i;
    }
  }
}

// The versions' totals: the path taken for as-of and filtered questions.
std::vector<DayTotals> FromVersions(const ReadView& view,
                                    const std::vector<std::string>& streams,
                                    const VersionFilter& filter) {
  auto events = CollectContributions(view, streams, filter);
  EXPECT_TRUE(events.ok()) << events.status();
  return events.ok() ? TotalsByDay(*events) : std::vector<DayTotals>{};
}

void CheckStore(const ReadModelStore& store) {
  std::unique_ptr<ReadView> view = store.View();
  const std::vector<std::string> streams = store.Streams();
  for (const std::string& stream : streams) {
    const std::string first = stream.substr(0, 3), second = stream.substr(4);
    for (const std::string& source : {std::string(), first, second}) {
      VersionFilter f;
      f.directed_source = source;
      ASSERT_TRUE(DayTotalsAnswer(*view, f));
      auto fast = CollectDayTotals(*view, {stream}, f);
      ASSERT_TRUE(fast.ok()) << fast.status();
      ExpectSameTotals(*fast, FromVersions(*view, {stream}, f),
                       stream + " from " + source);
    }
  }
  // A group: every pair pooled.
  auto fast = CollectDayTotals(*view, streams, {});
  ASSERT_TRUE(fast.ok());
  ExpectSameTotals(*fast, FromVersions(*view, streams, {}), "group");

  // Series: the answer (day totals) against the kernel on the versions,
  // from before the history to after it, and within it (the days before
  // count through the decayed sums the cached days keep; the days after
  // are not read), each way.
  const std::string& stream = streams.front();
  for (const CivilDay from : {CivilDay{1965, 1, 1}, CivilDay{1966, 5, 17}}) {
    for (const std::string& source :
         {std::string(), stream.substr(0, 3), stream.substr(4)}) {
      for (const Resolution res : {Resolution::kWeek, Resolution::kMonth}) {
        SeriesQuery q;
        q.streams = {stream};
        q.filter.directed_source = source;
        q.from = ToDayNumber(from);
        q.to = from.year == 1965 ? ToDayNumber({1968, 12, 31})
                                 : ToDayNumber({1967, 3, 31});
        q.resolution = res;
        auto answer = ComputeSeriesAnswer(*view, q, *q.to);
        ASSERT_TRUE(answer.ok());
        auto periods = PeriodsOverlapping(*q.from, *q.to, q.resolution, 1000);
        ASSERT_TRUE(periods.ok());
        const std::vector<SeriesPoint> slow = ComputeSeries(
            FromVersions(*view, q.streams, q.filter), *periods, q.params);
        ASSERT_EQ(answer->points.size(), slow.size());
        for (size_t i = 0; i < slow.size(); ++i) {
          EXPECT_NEAR(answer->points[i].temperature, slow[i].temperature, 1e-9)
              << from.year << "-" << from.month << " from '" << source
              << "' point " << i;
          EXPECT_NEAR(answer->points[i].heat, slow[i].heat, 1e-9);
          EXPECT_EQ(answer->points[i].events, slow[i].events);
        }
      }
    }
  }
}

TEST(DayTotalsTest, EqualTheVersionsAfterEveryBatch) {
  const uint64_t seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 3; ++round) {
    // Three years: many events share a day, and corrections move them.
    testing::History h = testing::RandomHistory(rng, 1200, 3);
    const std::string path = testing::TempPath("day-totals");
    // Background compactions of the totals every few batches, while about
    // half of the batches (75 entries or more) are ingested as table files.
    auto store = ReadModelStore::Open({.path = path,
                                       .first_day_totals_compaction = 50,
                                       .ingest_min_entries = 75});
    ASSERT_TRUE(store.ok());
    size_t at = 0;
    int batches = 0, checks = 0;
    while (at < h.all.size()) {
      const size_t end = std::min(h.all.size(), at + 1 + rng() % 150);
      std::vector<RecordedEntry> batch(h.all.begin() + at, h.all.begin() + end);
      const absl::Status applied = (*store)->Apply(batch, Position(end));
      ASSERT_TRUE(applied.ok()) << applied;
      at = end;
      // After every third batch, and the last.
      if (++batches % 3 == 0 || at == h.all.size()) {
        CheckStore(**store);
        ++checks;
      }
      if (::testing::Test::HasFailure()) return;
    }
    EXPECT_GT(checks, 1);
    EXPECT_GT((*store)->Applied().tables, 0u);
    EXPECT_GT((*store)->Applied().memtables, 0u);
    store->reset();
    std::filesystem::remove_all(path);
  }
}

// The day totals a store keeps in memory are advanced by each batch rather
// than dropped (read_model_store.cc, AdvanceCachedDays): they must be, bit
// for bit, what a store without that cache reads from RocksDB.
TEST(DayTotalsTest, CachedDaysAdvancedOnApplyEqualTheStoredDays) {
  const uint64_t seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  testing::History h = testing::RandomHistory(rng, 1500, 3);
  const std::string cached_path = testing::TempPath("day-cache");
  const std::string small_path = testing::TempPath("day-cache-small");
  const std::string scanned_path = testing::TempPath("day-scan");
  auto cached = ReadModelStore::Open(
      {.path = cached_path, .first_day_totals_compaction = 80});
  // A cache too small for every stream: entries are dropped, read again and
  // advanced again.
  auto small = ReadModelStore::Open(
      {.path = small_path, .first_day_totals_compaction = 80,
       .day_cache_bytes = 32u << 10});
  auto scanned =
      ReadModelStore::Open({.path = scanned_path, .day_cache_bytes = 0});
  ASSERT_TRUE(cached.ok() && small.ok() && scanned.ok());
  size_t at = 0;
  uint64_t days_compared = 0;
  while (at < h.all.size()) {
    const size_t end = std::min(h.all.size(), at + 1 + rng() % 60);
    std::vector<RecordedEntry> batch(h.all.begin() + at, h.all.begin() + end);
    ASSERT_TRUE((*cached)->Apply(batch, Position(end)).ok());
    ASSERT_TRUE((*small)->Apply(batch, Position(end)).ok());
    ASSERT_TRUE((*scanned)->Apply(batch, Position(end)).ok());
    at = end;
    // Every stream read after every batch: all are cached from then on (as
    // many as fit), so later batches advance them.
    std::unique_ptr<ReadView> b = (*scanned)->View();
    for (ReadModelStore* store : {cached->get(), small->get()}) {
      std::unique_ptr<ReadView> a = store->View();
      for (const std::string& stream : (*scanned)->Streams()) {
        auto fast_days = a->Days(stream);
        auto slow_days = b->Days(stream);
        ASSERT_TRUE(fast_days.ok() && slow_days.ok());
        const std::vector<PairDay> fast = (*fast_days)->Unpack();
        const std::vector<PairDay> slow = (*slow_days)->Unpack();
        ASSERT_EQ(fast.size(), slow.size()) << stream << " at " << end;
        for (size_t i = 0; i < slow.size(); ++i) {
          const PairDay& x = fast[i];
          const PairDay& y = slow[i];
          ASSERT_EQ(x.day, y.day) << stream << " at " << end;
          ASSERT_EQ(EncodePairDayValue(x), EncodePairDayValue(y))
              << stream << " day " << x.day.value() << " at " << end;
          ++days_compared;
        }
      }
    }
  }
  EXPECT_GT(days_compared, 10000u);
  cached->reset();
  small->reset();
  scanned->reset();
  std::filesystem::remove_all(cached_path);
  std::filesystem::remove_all(small_path);
  std::filesystem::remove_all(scanned_path);
}

// A view scans a pair's days while Apply changes the pair (the hook applies
// a batch between the scan and the caching, as a busy writer does during a
// slow scan): the view gets its snapshot's days, and the cache gets them
// advanced by that batch, so that the next read finds them current instead
// of scanning again; they equal, bit for bit, what a store without the cache
// reads.
TEST(DayTotalsTest, AScanOutlivedByAChangeCachesTheChangedDays) {
  const std::string path = testing::TempPath("day-scan-race");
  const std::string plain_path = testing::TempPath("day-scan-plain");
  std::function<void()> hook;
  auto store = ReadModelStore::Open(
      {.path = path, .after_day_scan_for_test = [&] {
         if (hook) hook();
       }});
  auto plain = ReadModelStore::Open({.path = plain_path, .day_cache_bytes = 0});
  ASSERT_TRUE(store.ok() && plain.ok());
  testing::History h;
  h.Event("KOR", "JPN", "2019-07-04", "036");
  RecordedEntry b = h.Event("KOR", "JPN", "2019-07-05", "172", {}, 3, -4.7);
  const std::vector<RecordedEntry> first(h.all.begin(), h.all.end());
  h.Event("JPN", "KOR", "2019-07-04", "042");  // a day that has events
  h.Event("KOR", "JPN", "2019-08-01", "036");  // a new day
  h.Retraction(b);                             // a day emptied
  const std::vector<RecordedEntry> second(h.all.begin() + 2, h.all.end());
  for (ReadModelStore* s : {store->get(), plain->get()}) {
    ASSERT_TRUE(s->Apply(first, Position(2)).ok());
  }
  ASSERT_TRUE((*plain)->Apply(second, Position(5)).ok());

  bool applied = false;
  hook = [&] {
    if (applied) return;
    applied = true;
    ASSERT_TRUE((*store)->Apply(second, Position(5)).ok());
  };
  std::unique_ptr<ReadView> old_view = (*store)->View();
  auto seen = old_view->Days("JPN-KOR");
  ASSERT_TRUE(applied);
  ASSERT_TRUE(seen.ok());
  ASSERT_EQ((*seen)->Unpack().size(), 2u);  // the snapshot's: July 4 and 5
  EXPECT_EQ((*seen)->Unpack().back().day, ToDayNumber({2019, 7, 5}));

  const uint64_t scans = (*store)->DayScanCountForTest();
  auto now = (*store)->View()->Days("JPN-KOR");
  ASSERT_TRUE(now.ok());
  EXPECT_EQ((*store)->DayScanCountForTest(), scans) << "scanned again";
  auto want_days = (*plain)->View()->Days("JPN-KOR");
  ASSERT_TRUE(want_days.ok());
  const std::vector<PairDay> got = (*now)->Unpack();
  const std::vector<PairDay> want = (*want_days)->Unpack();
  ASSERT_EQ(got.size(), want.size());
  ASSERT_EQ(want.size(), 2u);  // July 4 and August 1
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].day, want[i].day);
    EXPECT_EQ(EncodePairDayValue(got[i]), EncodePairDayValue(want[i]));
  }
  old_view.reset();  // its snapshot goes before the store
  store->reset();
  plain->reset();
  std::filesystem::remove_all(path);
  std::filesystem::remove_all(plain_path);
}

// The bound of --day-cache-mb is on memory: the cache counts what its
// entries hold (their buffers' capacity), which the storage gauge
// detente_storage_memory_bytes{kind="day_cache"} shows. A scan filled by
// push_back held up to twice what was counted (10M events with dates over
// the whole log: the query service at 647 MiB against a 512 MiB target).
TEST(DayTotalsTest, TheDayCacheCountsWhatItsEntriesHold) {
  std::mt19937_64 rng(11);
  // 10 pairs over 58 years: ~600 days per stream after the first half,
  // ~1,100 at the end.
  testing::History h = testing::RandomHistory(rng, 20000);
  const std::string path = testing::TempPath("day-cache-bytes");
  auto store = ReadModelStore::Open({.path = path});
  ASSERT_TRUE(store.ok()) << store.status();
  const size_t half = h.all.size() / 2;
  const size_t last = h.all.size() - 20;
  auto check = [&](const std::string& when) {
    const uint64_t scans = (*store)->DayScanCountForTest();
    std::unique_ptr<ReadView> view = (*store)->View();
    uint64_t held = 0, days = 0;
    std::vector<std::shared_ptr<const StreamDays>> read;
    for (const std::string& stream : (*store)->Streams()) {
      auto d = view->Days(stream);
      ASSERT_TRUE(d.ok()) << d.status();
      held += (*d)->held_bytes();
      days += (*d)->Unpack().size();
      read.push_back(*d);
    }
    // Every stream cached (well under 192 MiB): the gauge counts each
    // entry's buffer and ~100 bytes beside it.
    const uint64_t gauge = (*store)->Memory().day_cache;
    EXPECT_GT(days, 5000u) << when;
    EXPECT_GE(gauge, held) << when;
    EXPECT_LE(gauge, held + read.size() * 1024) << when;
    if (when != "after a scan") {
      EXPECT_EQ((*store)->DayScanCountForTest(), scans) << when << ": scanned";
    }
  };
  std::vector<RecordedEntry> first(h.all.begin(), h.all.begin() + half);
  ASSERT_TRUE((*store)->Apply(first, Position(half)).ok());
  check("after a scan");
  // The cached entries advanced by the next batches (AdvanceDays): the
  // first changes more days than an eighth of them (packed again), the
  // second a few (kept beside the packed ones).
  std::vector<RecordedEntry> rest(h.all.begin() + half, h.all.begin() + last);
  ASSERT_TRUE((*store)->Apply(rest, Position(last)).ok());
  check("after an Apply advanced them");
  std::vector<RecordedEntry> few(h.all.begin() + last, h.all.end());
  ASSERT_TRUE((*store)->Apply(few, Position(h.all.size())).ok());
  check("after a few changes");
  store->reset();
  std::filesystem::remove_all(path);
}

TEST(DayTotalsTest, ARetractedDayHasNoTotalsLeft) {
  const std::string path = testing::TempPath("day-totals-empty");
  auto store = ReadModelStore::Open({.path = path});
  ASSERT_TRUE(store.ok());
  testing::History h;
  RecordedEntry a = h.Event("KOR", "JPN", "2019-07-04", "172", {}, 3, -4.7);
  RecordedEntry b = h.Event("JPN", "KOR", "2019-07-04", "036");
  ASSERT_TRUE((*store)->Apply(h.all, Position(2)).ok());
  auto days = (*store)->View()->Days("JPN-KOR");
  ASSERT_TRUE(days.ok());
  ASSERT_EQ((*days)->Unpack().size(), 1u);
  const PairDay d = (*days)->Unpack().front();
  EXPECT_EQ(d.day, ToDayNumber({2019, 7, 4}));
  // JPN-KOR: JPN is the first actor, so JPN->KOR is way 0.
  EXPECT_EQ(d.way[0].events, 1u);
  EXPECT_EQ(d.way[0].goldstein_sum, 4.0);  // CAMEO 036: +4
  EXPECT_EQ(d.way[1].events, 1u);
  EXPECT_EQ(d.way[1].weight_sum, 3.0);
  EXPECT_DOUBLE_EQ(d.way[1].goldstein_sum, 3 * -4.7);

  h.Retraction(a);
  h.Retraction(b);
  ASSERT_TRUE((*store)->Apply({h.all[2], h.all[3]}, Position(4)).ok());
  days = (*store)->View()->Days("JPN-KOR");
  ASSERT_TRUE(days.ok());
  EXPECT_TRUE((*days)->Unpack().empty());
  int day_keys = 0;
  for (const auto& [key, value] : (*store)->DumpForTest()) {
    if (key[0] != 'a') continue;
    ++day_keys;
    PairDay left;
    ASSERT_TRUE(DecodePairDayValue(value, &left));
    EXPECT_TRUE(left.empty());
    EXPECT_EQ(left.way[1].goldstein_sum, 0.0);  // exactly, not rounding
    EXPECT_EQ(left.way[1].weight_sum, 0.0);
  }
  EXPECT_EQ(day_keys, 1);
  store->reset();
  std::filesystem::remove_all(path);
}

// The day cache's packing is lossless: random days, and the edges of each
// field (days before 1970 and far apart, one way only, counts past a
// byte, fractional, negative, -0.0, NaN and huge weight sums), read back
// equal to what was appended, bit for bit (the stored value's encoding
// compares every bit of the doubles), and ~5x smaller than PairDays.
TEST(DayTotalsTest, PackedDaysReadBackBitForBit) {
  std::mt19937_64 rng(5);
  std::vector<PairDay> days;
  int32_t day = -25000;
  const double weights[] = {0.0,
                            -0.0,
                            1.0,
                            3.0,
                            2.5,
                            -4.0,
                            1e300,
                            9007199254740992.0,
                            9007199254740994.0,
                            std::nan("")};
  for (int i = 0; i < 5000; ++i) {
    day += 1 + static_cast<int32_t>(rng() % (i % 100 == 0 ? 40000 : 3));
    PairDay d;
    d.day = d.way[0].day = d.way[1].day = DayNumber(day);
    for (int w = 0; w < 2; ++w) {
      if (rng() % 3 == 0) continue;  // this way empty
      DayTotals& t = d.way[w];
      t.events = static_cast<uint32_t>(i % 50 == 0 ? rng() : rng() % 5);
      for (uint32_t& q : t.quad_counts) {
        q = static_cast<uint32_t>(i % 70 == 0 ? rng() : rng() % 3);
      }
      t.weight_sum = i % 7 == 0 ? weights[rng() % std::size(weights)]
                                : static_cast<double>(rng() % 300);
      t.goldstein_sum =
          i % 11 == 0 ? -0.0 : (static_cast<double>(rng() % 2001) - 1000) / 7.0;
    }
    days.push_back(d);
  }
  PackedDays packed;
  for (const PairDay& d : days) packed.Append(d);
  const std::vector<PairDay> back = packed.Unpack();
  ASSERT_EQ(back.size(), days.size());
  ASSERT_EQ(packed.size(), days.size());
  for (size_t i = 0; i < days.size(); ++i) {
    ASSERT_EQ(back[i].day, days[i].day) << i;
    for (int w = 0; w < 2; ++w) ASSERT_EQ(back[i].way[w].day, days[i].day) << i;
    ASSERT_EQ(EncodePairDayValue(back[i]), EncodePairDayValue(days[i])) << i;
  }
  EXPECT_LT(packed.packed_bytes(), days.size() * sizeof(PairDay) / 2);
  EXPECT_TRUE(PackedDays().Unpack().empty());
}

// The day cache's entries after changes: packed days with the changed ones
// merged in (changed again, emptied, new before, between and after the
// packed ones, and packed again once they are many) read the same as a
// plain map of the days kept alongside, bit for bit, in order and by Get.
// A day with 0-3 random events (none: empty).
PairDay RandomDay(std::mt19937_64& rng, int32_t day) {
  PairDay d;
  d.day = d.way[0].day = d.way[1].day = DayNumber(day);
  const int n = static_cast<int>(rng() % 4);
  for (int i = 0; i < n; ++i) {
    PairVersion v;
    v.day = d.day;
    v.reversed = rng() % 2 == 0;
    v.quad = static_cast<QuadClass>(1 + rng() % 4);
    v.goldstein = (static_cast<double>(rng() % 201) - 100) / 10;
    v.weight = 1 + static_cast<uint32_t>(rng() % 5);
    d.Count(v, +1);
  }
  return d;
}

// Random days from -400 to 2600, packed, and the same in a map.
StreamDays RandomStreamDays(std::mt19937_64& rng,
                            std::map<int32_t, PairDay>* want) {
  auto packed = std::make_shared<PackedDays>();
  for (int32_t day = -400; day < 2600;
       day += 1 + static_cast<int32_t>(rng() % 4)) {
    PairDay d = RandomDay(rng, day);
    if (d.empty()) continue;
    packed->Append(d);
    (*want)[day] = d;
  }
  return StreamDays(packed);
}

TEST(DayTotalsTest, StreamDaysWithChangesReadAsTheDaysChanged) {
  std::mt19937_64 rng(9);
  auto random_day = [&](int32_t day) { return RandomDay(rng, day); };
  std::map<int32_t, PairDay> want;
  StreamDays days = RandomStreamDays(rng, &want);
  for (int round = 0; round < 300; ++round) {
    std::set<int32_t> picked;
    const int n = 1 + static_cast<int>(rng() % (round % 50 == 0 ? 400 : 6));
    for (int i = 0; i < n; ++i) {
      picked.insert(-600 + static_cast<int32_t>(rng() % 3400));
    }
    std::vector<PairDay> changed;
    for (int32_t day : picked) {
      changed.push_back(random_day(day));
      if (changed.back().empty()) {
        want.erase(day);
      } else {
        want[day] = changed.back();
      }
    }
    days = days.With(std::move(changed));
    const std::vector<PairDay> got = days.Unpack();
    ASSERT_EQ(got.size(), want.size()) << "round " << round;
    size_t i = 0;
    for (const auto& [day, d] : want) {
      ASSERT_EQ(got[i].day.value(), day) << "round " << round;
      ASSERT_EQ(EncodePairDayValue(got[i]), EncodePairDayValue(d))
          << "round " << round << " day " << day;
      ++i;
    }
    for (int k = 0; k < 20; ++k) {
      const int32_t day = -650 + static_cast<int32_t>(rng() % 3500);
      const PairDay g = days.Get(DayNumber(day));
      EXPECT_EQ(g.day.value(), day);
      auto it = want.find(day);
      if (it == want.end()) {
        EXPECT_TRUE(g.empty()) << day;
      } else {
        EXPECT_EQ(EncodePairDayValue(g), EncodePairDayValue(it->second)) << day;
      }
    }
  }
}

// A series from a start day, begun from the decayed sums StreamDays keeps
// for the days before it, equals the series of all the days bit for bit:
// each way and both, two kernels, monthly and daily, on the first call and
// from what was kept, and after changes before and after the start (kept
// on for the latter, folded again for the former). Also: ForEachFrom reads
// exactly the days on or after its day.
TEST(DayTotalsTest, StreamDaysKeepTheDecayedSumsBeforeASeriesStart) {
  std::mt19937_64 rng(13);
  std::map<int32_t, PairDay> want;
  StreamDays days = RandomStreamDays(rng, &want);
  auto bits = [](double d) { return std::bit_cast<uint64_t>(d); };
  auto check = [&](int round) {
    // The same days with nothing kept (With no change): random starts go
    // there, so that the fixed ones stay kept with `days` across rounds.
    const StreamDays fresh = days.With({});
    for (int k = 0; k < 6; ++k) {
      const bool fixed = k < 3;
      const StreamDays& in = fixed ? days : fresh;
      const int32_t from =
          fixed ? 700 * k : -500 + static_cast<int32_t>(rng() % 3200);
      const int32_t to = from + static_cast<int32_t>(rng() % 700);
      const int way = fixed ? k - 1 : static_cast<int>(rng() % 3) - 1;
      const KernelParams params{.half_life = k % 2 == 0 ? 90.0 : 30.0,
                                .prior = k % 2 == 0 ? 1.0 : 0.5};
      const Resolution res =
          rng() % 2 == 0 ? Resolution::kMonth : Resolution::kDay;
      auto periods = PeriodsOverlapping(DayNumber(from), DayNumber(to), res,
                                        kMaxSeriesPoints);
      ASSERT_TRUE(periods.ok());
      const DayNumber start = periods->front().start;
      std::vector<DayTotals> all, window;
      for (const auto& [day, d] : want) {
        DayTotals t;
        if (!TotalsOf(d, way, &t)) continue;
        all.push_back(t);
        if (!(DayNumber(day) < start)) window.push_back(t);
      }
      std::vector<DayTotals> read;
      in.ForEachFrom(start, [&](const PairDay& d) {
        DayTotals t;
        if (TotalsOf(d, way, &t)) read.push_back(t);
      });
      ASSERT_EQ(read.size(), window.size()) << "round " << round;
      const auto expect = ComputeSeries(all, *periods, params);
      for (int again = 0; again < 2; ++again) {
        const auto got = ComputeSeries(read, *periods, params,
                                       in.DecayedBefore(start, way, params));
        ASSERT_EQ(got.size(), expect.size());
        for (size_t i = 0; i < got.size(); ++i) {
          ASSERT_EQ(bits(got[i].temperature), bits(expect[i].temperature))
              << "round " << round << " from " << from << " point " << i;
          ASSERT_EQ(bits(got[i].heat), bits(expect[i].heat));
          ASSERT_EQ(got[i].events, expect[i].events);
          ASSERT_EQ(bits(got[i].weight_sum), bits(expect[i].weight_sum));
        }
      }
    }
  };
  check(-1);
  for (int round = 0; round < 60; ++round) {
    // Changes after 1400 mostly (the live case), sometimes before.
    std::set<int32_t> picked;
    const int32_t low = round % 4 == 0 ? -600 : 1400;
    for (int i = 0; i < 1 + static_cast<int>(rng() % 8); ++i) {
      picked.insert(low + static_cast<int32_t>(rng() % (2800 - low)));
    }
    std::vector<PairDay> changed;
    for (int32_t day : picked) {
      changed.push_back(RandomDay(rng, day));
      if (changed.back().empty()) {
        want.erase(day);
      } else {
        want[day] = changed.back();
      }
    }
    days = days.With(std::move(changed));
    check(round);
  }
}

// The decayed sums kept with cached days are read by the query threads at
// once, and copied on by Apply's With meanwhile (run under TSan by
// tools/test.sh): every read gets the sums folded independently here.
TEST(DayTotalsTest, KeptDecayedSumsAreSharedSafelyBetweenThreads) {
  std::mt19937_64 rng(17);
  std::map<int32_t, PairDay> want;
  const StreamDays days = RandomStreamDays(rng, &want);
  const KernelParams params;
  const int32_t starts[] = {0, 500, 1000, 1500, 2000, 2500};
  std::map<int32_t, DecayState> expect;
  for (int32_t start : starts) {
    DecayState s;
    for (const auto& [day, d] : want) {
      DayTotals t;
      if (day < start && TotalsOf(d, -1, &t)) AddDay(s, t, params);
    }
    expect[start] = s;
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&, r] {
      for (int i = 0; i < 300; ++i) {
        const int32_t start = starts[(i + r) % std::size(starts)];
        const DecayState got = days.DecayedBefore(DayNumber(start), -1, params);
        if (std::bit_cast<uint64_t>(got.heat) !=
                std::bit_cast<uint64_t>(expect.at(start).heat) ||
            std::bit_cast<uint64_t>(got.warmth) !=
                std::bit_cast<uint64_t>(expect.at(start).warmth)) {
          ++mismatches;
        }
      }
    });
  }
  // Meanwhile, batches after every start: With copies the kept sums on.
  for (int i = 0; i < 300; ++i) {
    const StreamDays next = days.With({RandomDay(rng, 2700 + i)});
    const DecayState s = next.DecayedBefore(DayNumber(2500), -1, params);
    EXPECT_EQ(std::bit_cast<uint64_t>(s.heat),
              std::bit_cast<uint64_t>(expect.at(2500).heat));
  }
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(DayTotalsTest, ValueCodecRoundTrips) {
  PairDay d;
  d.day = DayNumber(123);
  d.way[0].Count(2, -3.25, QuadClass::kMaterialConflict, +1);
  d.way[1].Count(1, 7.5, QuadClass::kVerbalCooperation, +1);
  d.way[1].Count(4, 0.1, QuadClass::kVerbalCooperation, +1);
  const std::string value = EncodePairDayValue(d);
  PairDay back;
  back.day = DayNumber(123);
  ASSERT_TRUE(DecodePairDayValue(value, &back));
  for (int w = 0; w < 2; ++w) {
    EXPECT_EQ(back.way[w].day, DayNumber(123));
    EXPECT_EQ(back.way[w].events, d.way[w].events);
    EXPECT_EQ(back.way[w].weight_sum, d.way[w].weight_sum);
    EXPECT_EQ(back.way[w].goldstein_sum, d.way[w].goldstein_sum);
    for (int q = 0; q < 4; ++q) {
      EXPECT_EQ(back.way[w].quad_counts[q], d.way[w].quad_counts[q]);
    }
  }
  EXPECT_EQ(back.way[1].events, 2u);
  EXPECT_EQ(back.way[1].quad_counts[0], 2u);
  EXPECT_FALSE(DecodePairDayValue(value.substr(1), &back));

  // Merge operands: deltas counted in order.
  PairVersion v;
  v.reversed = true;
  v.weight = 4;
  v.goldstein = 0.1;
  v.quad = QuadClass::kVerbalCooperation;
  std::string operand;
  AppendDayDelta(&operand, v, +1);
  AppendDayDelta(&operand, v, +1);
  AppendDayDelta(&operand, v, -1);
  PairDay merged;
  ASSERT_TRUE(ApplyDayDeltas(operand, &merged));
  EXPECT_EQ(merged.way[0].events, 0u);
  EXPECT_EQ(merged.way[1].events, 1u);
  EXPECT_EQ(merged.way[1].weight_sum, 4.0);
  EXPECT_EQ(merged.way[1].quad_counts[0], 1u);
  EXPECT_FALSE(ApplyDayDeltas(operand.substr(1), &merged));
  // Removing every event leaves exactly zero, not rounding.
  d.way[1].Count(1, 7.5, QuadClass::kVerbalCooperation, -1);
  d.way[1].Count(4, 0.1, QuadClass::kVerbalCooperation, -1);
  EXPECT_EQ(d.way[1].goldstein_sum, 0.0);
  EXPECT_EQ(d.way[1].weight_sum, 0.0);
}

}  // namespace
}  // namespace detente
