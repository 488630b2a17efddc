#include "projections/queries.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace detente {
namespace {

constexpr DayNumber kFirstDay{-719162};  // 0001-01-01
constexpr DayNumber kLastDay{2932896};   // 9999-12-31

// The stream is "A-B" (sorted); not reversed means A is the source.
bool SourceIsFirst(const std::string& stream, const std::string& source) {
  return stream.compare(0, source.size(), source) == 0;
}

bool Passes(const PairVersion& v, const VersionFilter& f,
            const std::string& stream) {
  if (!f.directed_source.empty() &&
      SourceIsFirst(stream, f.directed_source) == v.reversed) {
    return false;
  }
  if (!f.quads.empty() &&
      std::find(f.quads.begin(), f.quads.end(), v.quad) == f.quads.end()) {
    return false;
  }
  if (!f.tags.empty() &&
      std::none_of(v.tags.begin(), v.tags.end(), [&](const std::string& t) {
        return std::find(f.tags.begin(), f.tags.end(), t) != f.tags.end();
      })) {
    return false;
  }
  return true;
}

// The way of a stream's day totals a filter counts (TotalsOf): -1 both.
int WayOf(const std::string& stream, const VersionFilter& filter) {
  return filter.directed_source.empty()                  ? -1
         : SourceIsFirst(stream, filter.directed_source) ? 0
                                                         : 1;
}

}  // namespace

Position EffectivePosition(const ReadView& view, Position as_of) {
  const Position p = view.position();
  return as_of.value() == 0 ? p : std::min(as_of, p);
}

absl::StatusOr<std::vector<Contribution>> CollectContributions(
    const ReadView& view, const std::vector<std::string>& streams,
    const VersionFilter& filter) {
  const Position at = EffectivePosition(view, filter.as_of);
  std::vector<Contribution> out;
  for (const std::string& stream : streams) {
    RETURN_IF_ERROR(view.ForEachVersion(
        stream, kFirstDay, kLastDay, [&](const PairVersion& v) {
          if (v.LiveAt(at) && Passes(v, filter, stream)) {
            out.push_back({v.day, double(v.weight), v.goldstein, v.quad});
          }
          return true;
        }));
  }
  if (streams.size() > 1) {
    std::stable_sort(out.begin(), out.end(),
                     [](const Contribution& a, const Contribution& b) {
                       return a.day < b.day;
                     });
  }
  return out;
}

bool DayTotalsAnswer(const ReadView& view, const VersionFilter& filter) {
  return filter.tags.empty() && filter.quads.empty() &&
         EffectivePosition(view, filter.as_of) == view.position();
}

absl::StatusOr<std::vector<DayTotals>> CollectDayTotals(
    const ReadView& view, const std::vector<std::string>& streams,
    const VersionFilter& filter) {
  if (!DayTotalsAnswer(view, filter)) {
    ASSIGN_OR_RETURN(std::vector<Contribution> events,
                     CollectContributions(view, streams, filter));
    return TotalsByDay(events);
  }
  std::vector<DayTotals> out;
  for (const std::string& stream : streams) {
    ASSIGN_OR_RETURN(std::shared_ptr<const StreamDays> days, view.Days(stream));
    const int way = WayOf(stream, filter);
    days->ForEach([&](const PairDay& d) {
      DayTotals t;
      if (TotalsOf(d, way, &t)) out.push_back(t);
    });
  }
  if (streams.size() > 1) {
    std::stable_sort(
        out.begin(), out.end(),
        [](const DayTotals& a, const DayTotals& b) { return a.day < b.day; });
    size_t kept = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      if (kept > 0 && out[kept - 1].day == out[i].day) {
        out[kept - 1].Add(out[i]);
      } else {
        out[kept++] = out[i];
      }
    }
    out.resize(kept);
  }
  return out;
}

absl::StatusOr<SeriesAnswer> ComputeSeriesAnswer(const ReadView& view,
                                                 const SeriesQuery& q,
                                                 DayNumber today) {
  SeriesAnswer answer;
  answer.position = EffectivePosition(view, q.filter.as_of);
  if (q.from && q.streams.size() == 1 && DayTotalsAnswer(view, q.filter)) {
    // A pair's series from a given day: its days before the first period
    // count only through the decayed sums, which its cached days keep.
    answer.from = *q.from;
    answer.to = q.to.value_or(today);
    ASSIGN_OR_RETURN(std::vector<Period> periods,
                     PeriodsOverlapping(answer.from, answer.to, q.resolution,
                                        kMaxSeriesPoints));
    const std::string& stream = q.streams.front();
    ASSIGN_OR_RETURN(std::shared_ptr<const StreamDays> days, view.Days(stream));
    const int way = WayOf(stream, q.filter);
    const DayNumber start = periods.front().start;
    const DayNumber end = periods.back().end;
    std::vector<DayTotals> window;
    days->ForEachFrom(start, [&](const PairDay& d) {
      if (end < d.day) return false;  // no point counts it
      DayTotals t;
      if (TotalsOf(d, way, &t)) window.push_back(t);
      return true;
    });
    answer.points = ComputeSeries(window, periods, q.params,
                                  days->DecayedBefore(start, way, q.params));
    return answer;
  }
  ASSIGN_OR_RETURN(std::vector<DayTotals> days,
                   CollectDayTotals(view, q.streams, q.filter));
  answer.to = q.to.value_or(today);
  answer.from = q.from ? *q.from
                : days.empty() ? answer.to
                               : std::min(days.front().day, answer.to);
  ASSIGN_OR_RETURN(std::vector<Period> periods,
                   PeriodsOverlapping(answer.from, answer.to, q.resolution,
                                      kMaxSeriesPoints));
  answer.points = ComputeSeries(days, periods, q.params);
  return answer;
}

absl::StatusOr<PairState> ComputePairState(const ReadView& view,
                                           const std::string& stream,
                                           DayNumber day,
                                           const KernelParams& params,
                                           Position as_of) {
  VersionFilter filter;
  filter.as_of = as_of;
  ASSIGN_OR_RETURN(std::vector<DayTotals> days,
                   CollectDayTotals(view, {stream}, filter));
  PairState state;
  state.stream = stream;
  state.at = ComputeAt(days, day, params);
  for (const DayTotals& d : days) {
    if (d.day > day) break;
    state.events += d.events;
    state.last_event = d.day;
  }
  return state;
}

absl::StatusOr<TimelinePage> ComputeTimeline(const ReadView& view,
                                             const TimelineQuery& q) {
  TimelinePage page;
  page.position = EffectivePosition(view, q.filter.as_of);
  const Position at = page.position;
  // (day, original position) -> the version to show, across streams.
  struct Candidate {
    std::string stream;
    PairVersion version;
    bool retracted;
  };
  std::map<std::pair<int32_t, uint64_t>, Candidate> chosen;
  const size_t want = q.page_size + 1;  // one more tells whether more follow
  for (const std::string& stream : q.streams) {
    size_t taken = 0;
    DayNumber last_day;
    RETURN_IF_ERROR(view.ForEachVersion(
        stream, q.from, q.to, [&](const PairVersion& v) {
          const bool live = v.LiveAt(at);
          const bool retracted = !live && v.RetractedAt(at);
          if (!live && !(retracted && q.include_retracted)) return true;
          if (!Passes(v, q.filter, stream)) return true;
          std::pair<int32_t, uint64_t> key{v.day.value(),
                                           v.original_position.value()};
          if (q.after && key <= std::pair<int32_t, uint64_t>{
                                    q.after->first.value(),
                                    q.after->second.value()}) {
            return true;
          }
          // Versions arrive in day order (ties by version position, not by
          // original position): once a stream gave `want` items, only the
          // rest of the same day can still enter the page.
          if (taken >= want && v.day != last_day) return false;
          chosen[key] = {stream, v, retracted};
          ++taken;
          last_day = v.day;
          return true;
        }));
  }
  for (auto& [key, c] : chosen) {
    if (page.items.size() == q.page_size) {
      page.more = true;
      break;
    }
    ASSIGN_OR_RETURN(RecordedEntry entry,
                     view.Entry(c.version.version_position));
    TimelineItem item;
    item.entry = std::move(entry);
    item.original = c.version.original_position;
    item.corrected = c.version.version_position != c.version.original_position;
    item.retracted = c.retracted;
    item.day = c.version.day;
    page.items.push_back(std::move(item));
  }
  return page;
}

absl::StatusOr<MoversAnswer> ComputeMovers(
    const ReadView& view, const std::vector<std::string>& streams,
    DayNumber from, DayNumber to, const KernelParams& params, Position as_of,
    size_t limit, double min_heat) {
  MoversAnswer answer;
  answer.position = EffectivePosition(view, as_of);
  VersionFilter filter;
  filter.as_of = as_of;
  std::vector<Mover> all;
  for (const std::string& stream : streams) {
    ASSIGN_OR_RETURN(std::vector<DayTotals> days,
                     CollectDayTotals(view, {stream}, filter));
    if (days.empty() || days.front().day > to) continue;
    TemperatureAt a = ComputeAt(days, from, params);
    TemperatureAt b = ComputeAt(days, to, params);
    if (b.heat < min_heat) continue;
    all.push_back({stream, a.temperature, b.temperature, b.heat});
  }
  auto change = [](const Mover& m) {
    return m.to_temperature - m.from_temperature;
  };
  std::vector<Mover> up, down;
  for (const Mover& m : all) {
    if (change(m) > 0) up.push_back(m);
    if (change(m) < 0) down.push_back(m);
  }
  auto by = [&](bool rising) {
    return [&, rising](const Mover& a, const Mover& b) {
      if (change(a) != change(b)) {
        return rising ? change(a) > change(b) : change(a) < change(b);
      }
      return a.stream < b.stream;
    };
  };
  std::sort(up.begin(), up.end(), by(true));
  std::sort(down.begin(), down.end(), by(false));
  if (up.size() > limit) up.resize(limit);
  if (down.size() > limit) down.resize(limit);
  answer.warmed = std::move(up);
  answer.cooled = std::move(down);
  return answer;
}

bool UnchangedSince(const ReadModelStore& store,
                    const std::vector<std::string>& streams, Position since) {
  // A stamp of 0 means "no answer yet"; one beyond our checkpoint comes from
  // another replica that is further along: answer in full.
  if (since.value() == 0 || since > store.checkpoint()) return false;
  for (const std::string& s : streams) {
    if (store.LastChanged(s) > since) return false;
  }
  return true;
}

}  // namespace detente
