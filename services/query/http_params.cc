#include "services/query/http_params.h"

#include <cmath>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/field_violation.h"

namespace detente {
namespace {

class Parser {
 public:
  explicit Parser(const HttpQuery& q) : q_(q) {}

  const std::string* Get(const std::string& name) {
    used_.insert(name);
    auto it = q_.find(name);
    return it == q_.end() ? nullptr : &it->second;
  }
  void Text(const std::string& name, std::string* out) {
    if (const std::string* v = Get(name)) *out = *v;
  }
  template <typename T>
  bool Number(const std::string& name, T* out) {
    const std::string* v = Get(name);
    if (v == nullptr) return false;
    if (!absl::SimpleAtoi(*v, out)) {
      Bad(name, absl::StrCat("\"", *v, "\" is not a whole number"));
      return false;
    }
    return true;
  }
  bool Double(const std::string& name, double* out) {
    const std::string* v = Get(name);
    if (v == nullptr) return false;
    if (!absl::SimpleAtod(*v, out) || !std::isfinite(*out)) {
      Bad(name, absl::StrCat("\"", *v, "\" is not a finite number"));
      return false;
    }
    return true;
  }
  void Bool(const std::string& name, bool* out) {
    const std::string* v = Get(name);
    if (v == nullptr) return;
    const std::string s = absl::AsciiStrToLower(*v);
    if (s == "true" || s == "1" || s.empty()) {
      *out = true;
    } else if (s == "false" || s == "0") {
      *out = false;
    } else {
      Bad(name, absl::StrCat("\"", *v, "\" is not true or false"));
    }
  }
  std::vector<std::string> List(const std::string& name) {
    const std::string* v = Get(name);
    if (v == nullptr) return {};
    return absl::StrSplit(*v, ',', absl::SkipEmpty());
  }
  void Bad(std::string field, std::string why) {
    violations_.push_back({std::move(field), std::move(why)});
  }
  absl::Status Finish(std::initializer_list<const char*> also_allowed = {}) {
    for (const char* a : also_allowed) used_.insert(a);
    for (const auto& [name, value] : q_) {
      if (!used_.contains(name)) Bad(name, "unknown parameter");
    }
    if (violations_.empty()) return absl::OkStatus();
    return InvalidArgumentWithViolations(std::move(violations_));
  }

 private:
  const HttpQuery& q_;
  std::set<std::string> used_;
  std::vector<FieldViolation> violations_;
};

void ParseResolution(Parser& p, v1::SeriesOptions* out) {
  const std::string* v = p.Get("resolution");
  if (v == nullptr) return;
  static const std::pair<const char*, v1::Resolution> kNames[] = {
      {"day", v1::RESOLUTION_DAY},         {"week", v1::RESOLUTION_WEEK},
      {"month", v1::RESOLUTION_MONTH},     {"quarter", v1::RESOLUTION_QUARTER},
      {"year", v1::RESOLUTION_YEAR}};
  for (const auto& [name, value] : kNames) {
    if (absl::AsciiStrToLower(*v) == name) {
      out->set_resolution(value);
      return;
    }
  }
  p.Bad("resolution", absl::StrCat("\"", *v,
                                   "\" is not day, week, month, quarter or year"));
}

void ParseLayout(Parser& p, v1::SeriesOptions* out) {
  const std::string* v = p.Get("layout");
  if (v == nullptr) return;
  if (absl::AsciiStrToLower(*v) == "points") {
    out->set_layout(v1::SERIES_LAYOUT_POINTS);
  } else if (absl::AsciiStrToLower(*v) == "columns") {
    out->set_layout(v1::SERIES_LAYOUT_COLUMNS);
  } else {
    p.Bad("layout", absl::StrCat("\"", *v, "\" is not points or columns"));
  }
}

template <typename Repeated>
void ParseQuads(Parser& p, Repeated* out) {
  static const std::pair<const char*, v1::QuadClass> kNames[] = {
      {"verbal_cooperation", v1::QUAD_CLASS_VERBAL_COOPERATION},
      {"material_cooperation", v1::QUAD_CLASS_MATERIAL_COOPERATION},
      {"verbal_conflict", v1::QUAD_CLASS_VERBAL_CONFLICT},
      {"material_conflict", v1::QUAD_CLASS_MATERIAL_CONFLICT}};
  for (const std::string& item : p.List("quad_classes")) {
    int n = 0;
    bool found = false;
    if (absl::SimpleAtoi(item, &n) && n >= 1 && n <= 4) {
      out->Add(n);
      found = true;
    }
    for (const auto& [name, value] : kNames) {
      if (!found && absl::AsciiStrToLower(item) == name) {
        out->Add(value);
        found = true;
      }
    }
    if (!found) {
      p.Bad("quad_classes", absl::StrCat("\"", item, "\" is not a quad class"));
    }
  }
}

void ParseKernel(Parser& p, double* half_life, bool* has_prior, double* prior) {
  p.Double("half_life_days", half_life);
  *has_prior = p.Double("prior", prior);
}

}  // namespace

absl::Status ApplySeriesParams(const HttpQuery& q, v1::SeriesOptions* out,
                               std::initializer_list<const char*> also_allowed) {
  Parser p(q);
  std::string from, to;
  p.Text("from", &from);
  p.Text("to", &to);
  out->set_from(from);
  out->set_to(to);
  ParseResolution(p, out);
  ParseLayout(p, out);
  double half_life = 0, prior = 0;
  bool has_prior = false;
  ParseKernel(p, &half_life, &has_prior, &prior);
  out->set_half_life_days(half_life);
  if (has_prior) out->set_prior(prior);
  bool directed = false;
  p.Bool("directed", &directed);
  out->set_directed(directed);
  for (const std::string& t : p.List("tags")) out->add_tags(t);
  ParseQuads(p, out->mutable_quad_classes());
  uint64_t as_of = 0;
  if (p.Number("as_of_position", &as_of)) out->set_as_of_position(as_of);
  return p.Finish(also_allowed);
}

absl::Status ApplyTimelineParams(const HttpQuery& q,
                                 v1::GetTimelineRequest* out) {
  Parser p(q);
  p.Text("from", out->mutable_from());
  p.Text("to", out->mutable_to());
  p.Text("page_token", out->mutable_page_token());
  for (const std::string& t : p.List("tags")) out->add_tags(t);
  ParseQuads(p, out->mutable_quad_classes());
  bool flag = false;
  p.Bool("directed", &flag);
  out->set_directed(flag);
  flag = false;
  p.Bool("include_retracted", &flag);
  out->set_include_retracted(flag);
  uint32_t page_size = 0;
  if (p.Number("page_size", &page_size)) out->set_page_size(page_size);
  uint64_t as_of = 0;
  if (p.Number("as_of_position", &as_of)) out->set_as_of_position(as_of);
  return p.Finish();
}

absl::Status ApplyMoversParams(const HttpQuery& q, v1::GetMoversRequest* out) {
  Parser p(q);
  p.Text("from", out->mutable_from());
  p.Text("to", out->mutable_to());
  uint32_t limit = 0;
  if (p.Number("limit", &limit)) out->set_limit(limit);
  double min_heat = 0;
  if (p.Double("min_heat", &min_heat)) out->set_min_heat(min_heat);
  double half_life = 0, prior = 0;
  bool has_prior = false;
  ParseKernel(p, &half_life, &has_prior, &prior);
  out->set_half_life_days(half_life);
  if (has_prior) out->set_prior(prior);
  uint64_t as_of = 0;
  if (p.Number("as_of_position", &as_of)) out->set_as_of_position(as_of);
  return p.Finish();
}

absl::Status ApplyActorParams(const HttpQuery& q,
                              v1::GetActorSummaryRequest* out) {
  Parser p(q);
  p.Text("at", out->mutable_at());
  double half_life = 0, prior = 0;
  bool has_prior = false;
  ParseKernel(p, &half_life, &has_prior, &prior);
  out->set_half_life_days(half_life);
  if (has_prior) out->set_prior(prior);
  uint64_t as_of = 0;
  if (p.Number("as_of_position", &as_of)) out->set_as_of_position(as_of);
  return p.Finish();
}

std::string MakeEtag(uint64_t position, int32_t today) {
  return absl::StrCat("\"p", position, "-d", today, "\"");
}

std::optional<uint64_t> PositionFromEtag(const std::string& if_none_match,
                                         int32_t today) {
  // Accept a weak prefix and a list; use the first of ours.
  for (absl::string_view tag : absl::StrSplit(if_none_match, ',')) {
    tag = absl::StripAsciiWhitespace(tag);
    if (absl::StartsWith(tag, "W/")) tag.remove_prefix(2);
    if (tag.size() < 6 || tag.front() != '"' || tag.back() != '"') continue;
    tag = tag.substr(1, tag.size() - 2);
    if (!absl::ConsumePrefix(&tag, "p")) continue;
    std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(tag, absl::MaxSplits("-d", 1));
    uint64_t position = 0;
    int32_t day = 0;
    if (absl::SimpleAtoi(parts.first, &position) &&
        absl::SimpleAtoi(parts.second, &day) && day == today) {
      return position;
    }
  }
  return std::nullopt;
}

}  // namespace detente
