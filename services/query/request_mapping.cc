#include "services/query/request_mapping.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/field_violation.h"
#include "domain/actors.h"
#include "domain/date.h"

namespace detente {
namespace {

// Collects violations while mapping several parameters.
class Violations {
 public:
  template <typename T>
  std::optional<T> Take(absl::StatusOr<T> v) {
    if (v.ok()) return *std::move(v);
    for (FieldViolation& f : GetFieldViolations(v.status())) {
      list.push_back(std::move(f));
    }
    return std::nullopt;
  }
  void Add(std::string field, std::string why) {
    list.push_back({std::move(field), std::move(why)});
  }
  std::vector<FieldViolation> list;
};

absl::Status Bad(const std::string& field, const std::string& why) {
  return InvalidArgumentWithViolations({{field, why}});
}

absl::StatusOr<SeriesRequest> MapOptions(SeriesRequest r,
                                         const v1::SeriesOptions& o,
                                         Violations& v) {
  SeriesQuery& q = r.query;
  if (!o.from().empty()) q.from = v.Take(MapDate(o.from(), "from", false));
  if (!o.to().empty()) q.to = v.Take(MapDate(o.to(), "to", true));
  if (q.from && q.to && *q.to < *q.from) {
    v.Add("to", "the range is empty: `to` is before `from`");
  }
  switch (o.resolution()) {
    case v1::RESOLUTION_DAY:
      q.resolution = Resolution::kDay;
      break;
    case v1::RESOLUTION_WEEK:
      q.resolution = Resolution::kWeek;
      break;
    case v1::RESOLUTION_UNSPECIFIED:
    case v1::RESOLUTION_MONTH:
      q.resolution = Resolution::kMonth;
      break;
    case v1::RESOLUTION_QUARTER:
      q.resolution = Resolution::kQuarter;
      break;
    case v1::RESOLUTION_YEAR:
      q.resolution = Resolution::kYear;
      break;
    default:
      v.Add("resolution", absl::StrCat("unknown value ", o.resolution()));
  }
  switch (o.layout()) {
    case v1::SERIES_LAYOUT_UNSPECIFIED:
    case v1::SERIES_LAYOUT_POINTS:
      break;
    case v1::SERIES_LAYOUT_COLUMNS:
      r.columns = true;
      break;
    default:
      v.Add("layout", absl::StrCat("unknown value ", o.layout()));
  }
  if (auto k = v.Take(MapKernel(o.half_life_days(), o.has_prior(), o.prior()))) {
    q.params = *k;
  }
  for (int i = 0; i < o.quad_classes_size(); ++i) {
    const int c = o.quad_classes(i);
    if (c < 1 || c > 4) {
      v.Add(absl::StrCat("quad_classes[", i, "]"),
            absl::StrCat("unknown quad class ", c));
    } else {
      q.filter.quads.push_back(static_cast<QuadClass>(c));
    }
  }
  q.filter.tags.assign(o.tags().begin(), o.tags().end());
  q.filter.as_of = Position(o.as_of_position());
  r.if_changed_since = Position(o.if_changed_since());
  if (!v.list.empty()) return InvalidArgumentWithViolations(std::move(v.list));
  return r;
}

}  // namespace

absl::StatusOr<DayNumber> MapDate(const std::string& text,
                                  const std::string& field, bool last_day) {
  absl::StatusOr<EventDate> d = EventDate::Parse(text);
  if (!d.ok()) return Bad(field, std::string(d.status().message()));
  return last_day ? d->last_day() : d->first_day();
}

absl::StatusOr<std::string> MapActor(const std::string& code,
                                     const std::string& field) {
  if (code.empty()) return Bad(field, "required: a CAMEO actor code such as KOR");
  const Actor* a = ResolveActor(code);
  if (a == nullptr) {
    return Bad(field, absl::StrCat("unknown CAMEO actor code \"", code, "\""));
  }
  return std::string(a->code);
}

absl::StatusOr<KernelParams> MapKernel(double half_life_days, bool has_prior,
                                       double prior) {
  KernelParams k;
  std::vector<FieldViolation> v;
  if (half_life_days != 0) {
    if (!std::isfinite(half_life_days) || half_life_days < 1 ||
        half_life_days > 3650) {
      v.push_back({"half_life_days",
                   absl::StrCat("must be 1..3650 days, not ", half_life_days)});
    } else {
      k.half_life = half_life_days;
    }
  }
  if (has_prior) {
    if (!std::isfinite(prior) || prior < 0) {
      v.push_back({"prior", absl::StrCat("must be finite and >= 0, not ", prior)});
    } else {
      k.prior = prior;
    }
  }
  if (!v.empty()) return InvalidArgumentWithViolations(std::move(v));
  return k;
}

absl::StatusOr<SeriesRequest> MapPairSeries(const std::string& a,
                                            const std::string& b,
                                            const v1::SeriesOptions& o) {
  Violations v;
  SeriesRequest r;
  std::optional<std::string> ca = v.Take(MapActor(a, "actor_a"));
  std::optional<std::string> cb = v.Take(MapActor(b, "actor_b"));
  if (ca && cb) {
    if (*ca == *cb) {
      v.Add("actor_b", "must differ from actor_a");
    } else {
      r.actors = {*ca, *cb};
      r.query.streams = {StreamName(*ca, *cb)};
      if (o.directed()) r.query.filter.directed_source = *ca;
    }
  }
  return MapOptions(std::move(r), o, v);
}

absl::StatusOr<SeriesRequest> MapGroupSeries(
    const google::protobuf::RepeatedPtrField<std::string>& actors,
    const v1::SeriesOptions& o) {
  Violations v;
  SeriesRequest r;
  if (actors.size() < 2 || actors.size() > 16) {
    v.Add("actors", absl::StrCat("a group has 2 to 16 actors, not ",
                                 actors.size()));
  }
  for (int i = 0; i < actors.size(); ++i) {
    std::optional<std::string> c =
        v.Take(MapActor(actors[i], absl::StrCat("actors[", i, "]")));
    if (!c) continue;
    if (std::find(r.actors.begin(), r.actors.end(), *c) != r.actors.end()) {
      v.Add(absl::StrCat("actors[", i, "]"),
            absl::StrCat("\"", *c, "\" appears twice"));
      continue;
    }
    r.actors.push_back(*c);
  }
  if (o.directed()) v.Add("directed", "applies to pairs, not to groups");
  for (size_t i = 0; i < r.actors.size(); ++i) {
    for (size_t j = i + 1; j < r.actors.size(); ++j) {
      r.query.streams.push_back(StreamName(r.actors[i], r.actors[j]));
    }
  }
  return MapOptions(std::move(r), o, v);
}

v1::Resolution ToProto(Resolution r) {
  switch (r) {
    case Resolution::kDay:
      return v1::RESOLUTION_DAY;
    case Resolution::kWeek:
      return v1::RESOLUTION_WEEK;
    case Resolution::kMonth:
      return v1::RESOLUTION_MONTH;
    case Resolution::kQuarter:
      return v1::RESOLUTION_QUARTER;
    case Resolution::kYear:
      return v1::RESOLUTION_YEAR;
  }
  return v1::RESOLUTION_UNSPECIFIED;
}

std::string DateText(DayNumber d) {
  const CivilDay c = FromDayNumber(d);
  if (c.year < 0 || c.year > 9999) {
    return absl::StrFormat("%04d-%02d-%02d", c.year, c.month, c.day);
  }
  // Every point of a series has two: StrFormat was 14% of a daily series.
  std::string out = "0000-00-00";
  auto put = [&](size_t end, int v, int digits) {
    for (int i = 0; i < digits; ++i, v /= 10) out[end - i] = char('0' + v % 10);
  };
  put(3, c.year, 4);
  put(6, c.month, 2);
  put(9, c.day, 2);
  return out;
}

}  // namespace detente
