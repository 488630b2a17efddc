// The questions the read models answer, as plain functions over a ReadView:
// temperature series (pair or group), a pair at a day, timelines, movers.
// No protobuf: services map their requests onto these structs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "projections/read_model_store.h"
#include "projections/temperature.h"

namespace detente {

// Which versions count.
struct VersionFilter {
  Position as_of;  // 0: the view's position
  // With a pair: only events whose source is this actor ("" = both ways).
  std::string directed_source;
  std::vector<std::string> tags;    // any of
  std::vector<QuadClass> quads;     // any of
};

// The position an answer reflects: as_of capped by the view.
Position EffectivePosition(const ReadView& view, Position as_of);

// The live contributions of the streams (merged, sorted by day), from their
// versions: O(versions of the streams).
absl::StatusOr<std::vector<Contribution>> CollectContributions(
    const ReadView& view, const std::vector<std::string>& streams,
    const VersionFilter& filter);

// Whether the store's per-day totals answer the filter: no tag or quad
// filter, and as of the view's own position (directed or not).
bool DayTotalsAnswer(const ReadView& view, const VersionFilter& filter);

// The per-day totals of the live events of the streams that pass the filter,
// merged, in day order: from the store's day totals when they answer the
// filter (O(days of the streams)), else from the versions.
absl::StatusOr<std::vector<DayTotals>> CollectDayTotals(
    const ReadView& view, const std::vector<std::string>& streams,
    const VersionFilter& filter);

struct SeriesQuery {
  std::vector<std::string> streams;  // one for a pair, all pairs for a group
  VersionFilter filter;
  std::optional<DayNumber> from;  // default: first live event's day
  std::optional<DayNumber> to;    // default: today
  Resolution resolution = Resolution::kMonth;
  KernelParams params;
};

struct SeriesAnswer {
  Position position;
  DayNumber from;
  DayNumber to;
  std::vector<SeriesPoint> points;
};

inline constexpr size_t kMaxSeriesPoints = 100000;

absl::StatusOr<SeriesAnswer> ComputeSeriesAnswer(const ReadView& view,
                                                 const SeriesQuery& q,
                                                 DayNumber today);

struct PairState {
  std::string stream;
  TemperatureAt at;
  uint64_t events = 0;                 // live events dated <= the day
  std::optional<DayNumber> last_event; // latest live event's day
};

absl::StatusOr<PairState> ComputePairState(const ReadView& view,
                                           const std::string& stream,
                                           DayNumber day,
                                           const KernelParams& params,
                                           Position as_of);

struct TimelineQuery {
  std::vector<std::string> streams;
  VersionFilter filter;
  DayNumber from{-800000};
  DayNumber to{3000000};
  bool include_retracted = false;
  size_t page_size = 100;
  // Continue after this (day, original position); none for the first page.
  std::optional<std::pair<DayNumber, Position>> after;
};

struct TimelineItem {
  RecordedEntry entry;  // the version shown
  Position original;
  bool corrected = false;
  bool retracted = false;
  DayNumber day;
};

struct TimelinePage {
  Position position;
  std::vector<TimelineItem> items;
  bool more = false;
};

absl::StatusOr<TimelinePage> ComputeTimeline(const ReadView& view,
                                             const TimelineQuery& q);

struct Mover {
  std::string stream;
  double from_temperature = 0;
  double to_temperature = 0;
  double heat_to = 0;
};

struct MoversAnswer {
  Position position;
  std::vector<Mover> warmed;  // largest rise first
  std::vector<Mover> cooled;  // largest fall first
};

absl::StatusOr<MoversAnswer> ComputeMovers(
    const ReadView& view, const std::vector<std::string>& streams,
    DayNumber from, DayNumber to, const KernelParams& params, Position as_of,
    size_t limit, double min_heat);

// True when nothing of `streams` changed after the client's stamp `since`:
// the cheap not-modified check (in-memory, no read of the store).
bool UnchangedSince(const ReadModelStore& store,
                    const std::vector<std::string>& streams, Position since);

}  // namespace detente
