#include "services/query/query_service.h"

#include <google/protobuf/arena.h>

#include <algorithm>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/field_violation.h"
#include "common/status_macros.h"
#include "domain/actors.h"
#include "domain/date.h"
#include "services/common/byte_buffers.h"
#include "services/common/event_mapping.h"
#include "services/common/grpc_status.h"
#include "services/query/request_mapping.h"

namespace detente {
namespace {

// Holds one of the service's computation slots while it lives.
class ComputeSlot {
 public:
  explicit ComputeSlot(std::counting_semaphore<>& s) : s_(s) { s_.acquire(); }
  ~ComputeSlot() { s_.release(); }

 private:
  std::counting_semaphore<>& s_;
};

void FillPoints(const std::vector<SeriesPoint>& points,
                google::protobuf::RepeatedPtrField<v1::TemperaturePoint>* out) {
  out->Reserve(static_cast<int>(points.size()));
  for (const SeriesPoint& p : points) {
    v1::TemperaturePoint* o = out->Add();
    o->set_period_start(DateText(p.period.start));
    if (p.period.end == p.period.start) {  // daily series
      o->set_period_end(o->period_start());
    } else {
      o->set_period_end(DateText(p.period.end));
    }
    o->set_temperature(p.temperature);
    o->set_heat(p.heat);
    o->set_events(p.events);
    o->set_weight_sum(p.weight_sum);
    o->set_goldstein_sum(p.goldstein_sum);
    o->set_verbal_cooperation(p.quad_counts[0]);
    o->set_material_cooperation(p.quad_counts[1]);
    o->set_verbal_conflict(p.quad_counts[2]);
    o->set_material_conflict(p.quad_counts[3]);
  }
}

// The same values as FillPoints, one packed array per field.
void FillColumns(const std::vector<SeriesPoint>& points,
                 v1::TemperatureColumns* out) {
  const int n = static_cast<int>(points.size());
  out->mutable_period_start_day()->Reserve(n);
  out->mutable_period_end_day()->Reserve(n);
  out->mutable_temperature()->Reserve(n);
  out->mutable_heat()->Reserve(n);
  out->mutable_events()->Reserve(n);
  out->mutable_weight_sum()->Reserve(n);
  out->mutable_goldstein_sum()->Reserve(n);
  out->mutable_verbal_cooperation()->Reserve(n);
  out->mutable_material_cooperation()->Reserve(n);
  out->mutable_verbal_conflict()->Reserve(n);
  out->mutable_material_conflict()->Reserve(n);
  for (const SeriesPoint& p : points) {
    out->add_period_start_day(p.period.start.value());
    out->add_period_end_day(p.period.end.value());
    out->add_temperature(p.temperature);
    out->add_heat(p.heat);
    out->add_events(p.events);
    out->add_weight_sum(p.weight_sum);
    out->add_goldstein_sum(p.goldstein_sum);
    out->add_verbal_cooperation(p.quad_counts[0]);
    out->add_material_cooperation(p.quad_counts[1]);
    out->add_verbal_conflict(p.quad_counts[2]);
    out->add_material_conflict(p.quad_counts[3]);
  }
}

void FillSpec(const SeriesRequest& r, const SeriesAnswer& a,
              v1::SeriesSpec* spec) {
  spec->set_from(DateText(a.from));
  spec->set_to(DateText(a.to));
  spec->set_resolution(ToProto(r.query.resolution));
  spec->set_half_life_days(r.query.params.half_life);
  spec->set_prior(r.query.params.prior);
  spec->set_directed(!r.query.filter.directed_source.empty());
}

// The answer's periods in the layout the request asked for.
template <typename Response>
void FillPeriods(const SeriesRequest& r, const SeriesAnswer& a, Response* out) {
  if (r.columns) {
    FillColumns(a.points, out->mutable_columns());
  } else {
    FillPoints(a.points, out->mutable_points());
  }
}

void FillPair(const PairState& s, v1::PairTemperature* out) {
  std::pair<std::string, std::string> ab =
      absl::StrSplit(s.stream, absl::MaxSplits('-', 1));
  out->set_actor_a(ab.first);
  out->set_actor_b(ab.second);
  out->set_stream(s.stream);
  out->set_temperature(s.at.temperature);
  out->set_heat(s.at.heat);
  out->set_events(s.events);
  if (s.last_event) out->set_last_event_on(DateText(*s.last_event));
}

// The key of a series answer: the canonical actors (in request order, which
// a directed series depends on), the options but if_changed_since, and the
// day (open-ended series end today). The points layout asked for by name
// and by default is one answer.
std::string AnswerKey(const std::vector<std::string>& actors,
                      const v1::SeriesOptions& options, DayNumber today) {
  v1::SeriesOptions o = options;
  o.clear_if_changed_since();
  if (o.layout() == v1::SERIES_LAYOUT_POINTS) o.clear_layout();
  std::string key = absl::StrCat(today.value(), "|", absl::StrJoin(actors, ","), "|");
  o.AppendToString(&key);
  return key;
}

// The position an answer would have now, without computing it.
Position AnswerPosition(const ReadModelStore& store, Position as_of) {
  const Position cp = store.checkpoint();
  return as_of.value() == 0 ? cp : std::min(as_of, cp);
}

// The cheap path: true when the client's answer (stamped `since`) is still
// the answer.
bool NotModified(const ReadModelStore& store,
                 const std::vector<std::string>& streams, Position since,
                 Position as_of) {
  if (since.value() == 0) return false;
  if (as_of.value() != 0 && as_of <= since && since <= store.checkpoint()) {
    return true;  // an answer as of a past position never changes
  }
  return UnchangedSince(store, streams, since);
}

// A series response from its body (the bytes without the position) and its
// position.
template <typename Response>
absl::Status ToMessage(const std::shared_ptr<const std::string>& body,
                       uint64_t position, Response* resp) {
  if (!resp->ParseFromString(*body)) {
    return absl::InternalError("a cached series answer did not parse");
  }
  resp->set_position(position);
  return absl::OkStatus();
}

// Page tokens: "<day>:<original position>", opaque to clients.
std::string PageToken(DayNumber day, Position original) {
  return absl::StrCat(day.value(), ":", original.value());
}

absl::StatusOr<std::pair<DayNumber, Position>> ParsePageToken(
    const std::string& token) {
  std::pair<std::string, std::string> parts =
      absl::StrSplit(token, absl::MaxSplits(':', 1));
  int32_t day = 0;
  uint64_t pos = 0;
  if (!absl::SimpleAtoi(parts.first, &day) ||
      !absl::SimpleAtoi(parts.second, &pos)) {
    return InvalidArgumentWithViolations(
        {{"page_token", "not a token from a previous response"}});
  }
  return std::make_pair(DayNumber(day), Position(pos));
}

}  // namespace

QueryService::QueryService(ProjectionManager& projections,
                           QueryServiceOptions options)
    : projections_(projections),
      options_(std::move(options)),
      pair_answers_(options_.answer_cache_bytes),
      group_answers_(options_.answer_cache_bytes),
      compute_slots_(std::max(2u, std::thread::hardware_concurrency())),
      pool_(static_cast<int>(std::max(2u, std::thread::hardware_concurrency()))) {
  if (!options_.today) options_.today = &TodayUtc;
}

grpc::Status QueryService::Guard(const grpc::ServerContextBase* ctx,
                                 Role role) const {
  if (ctx == nullptr || options_.auth == nullptr) return grpc::Status::OK;
  return ToGrpcStatus(options_.auth->Check(ctx->client_metadata(), role));
}

QueryService::MaybeReply QueryService::Cached(
    AnswerCache<std::string>& cache, const std::string& key,
    const std::function<uint64_t()>& read_tag, const ReadModelStore& store,
    bool may_compute, QueryTimer& timer,
    const std::function<absl::StatusOr<std::string>()>& compute,
    const uint64_t& computed_at) {
  const Position now = store.checkpoint();  // before the tag (answer_cache.h)
  if (!may_compute) {
    std::optional<AnswerCache<std::string>::Result> hit =
        cache.Find(key, read_tag(), &store);
    if (!hit) return std::nullopt;
    timer.kind = "cached";
    return Reply{hit->answer, std::max(now.value(), hit->tag)};
  }
  ASSIGN_OR_RETURN(auto got, cache.GetOrCompute(key, read_tag, &store, compute));
  if (got.fresh) return Reply{got.answer, computed_at};
  timer.kind = "cached";
  return Reply{got.answer, std::max(now.value(), got.tag)};
}

QueryService::MaybeReply QueryService::PairSeries(
    const v1::GetTemperatureRequest& req, bool may_compute, QueryTimer& timer) {
  ASSIGN_OR_RETURN(SeriesRequest r,
                   MapPairSeries(req.actor_a(), req.actor_b(), req.options()));
  std::shared_ptr<ReadModelStore> store = projections_.store();
  const std::string& stream = r.query.streams[0];
  if (NotModified(*store, r.query.streams, r.if_changed_since,
                  r.query.filter.as_of)) {
    timer.kind = "not_modified";
    v1::GetTemperatureResponse out;
    out.set_stream(stream);
    out.set_not_modified(true);
    return Reply{std::make_shared<const std::string>(out.SerializeAsString()),
                 AnswerPosition(*store, r.query.filter.as_of).value()};
  }
  if (r.query.filter.as_of.value() != 0 && !may_compute) return std::nullopt;
  const DayNumber today = options_.today();
  uint64_t computed_at = 0;
  auto compute = [&]() -> absl::StatusOr<std::string> {
    ComputeSlot slot(compute_slots_);
    ASSIGN_OR_RETURN(SeriesAnswer a,
                     ComputeSeriesAnswer(*store->View(), r.query, today));
    computed_at = a.position.value();
    google::protobuf::Arena arena;  // the points' strings: no malloc each
    auto* out =
        google::protobuf::Arena::CreateMessage<v1::GetTemperatureResponse>(
            &arena);
    out->set_stream(stream);
    FillSpec(r, a, out->mutable_spec());
    FillPeriods(r, a, out);
    return out->SerializeAsString();
  };
  if (r.query.filter.as_of.value() != 0) {  // never cached
    ASSIGN_OR_RETURN(std::string body, compute());
    return Reply{std::make_shared<const std::string>(std::move(body)),
                 computed_at};
  }
  return Cached(
      pair_answers_, AnswerKey(r.actors, req.options(), today),
      [&] { return store->LastChanged(stream).value(); }, *store, may_compute,
      timer, compute, computed_at);
}

QueryService::MaybeReply QueryService::GroupSeries(
    const v1::GetGroupTemperatureRequest& req, bool may_compute,
    QueryTimer& timer) {
  ASSIGN_OR_RETURN(SeriesRequest r,
                   MapGroupSeries(req.actors(), req.options()));
  std::shared_ptr<ReadModelStore> store = projections_.store();
  if (NotModified(*store, r.query.streams, r.if_changed_since,
                  r.query.filter.as_of)) {
    timer.kind = "not_modified";
    v1::GetGroupTemperatureResponse out;
    out.set_not_modified(true);
    return Reply{std::make_shared<const std::string>(out.SerializeAsString()),
                 AnswerPosition(*store, r.query.filter.as_of).value()};
  }
  if (r.query.filter.as_of.value() != 0 && !may_compute) return std::nullopt;
  const DayNumber today = options_.today();
  uint64_t computed_at = 0;
  auto compute = [&]() -> absl::StatusOr<std::string> {
    ComputeSlot slot(compute_slots_);
    std::unique_ptr<ReadView> view = store->View();
    ASSIGN_OR_RETURN(SeriesAnswer a,
                     ComputeSeriesAnswer(*view, r.query, today));
    computed_at = a.position.value();
    google::protobuf::Arena arena;
    auto* out = google::protobuf::Arena::CreateMessage<
        v1::GetGroupTemperatureResponse>(&arena);
    FillSpec(r, a, out->mutable_spec());
    FillPeriods(r, a, out);
    for (const std::string& stream : r.query.streams) {
      ASSIGN_OR_RETURN(PairState s,
                       ComputePairState(*view, stream, a.to, r.query.params,
                                        r.query.filter.as_of));
      FillPair(s, out->add_pairs());
    }
    return out->SerializeAsString();
  };
  if (r.query.filter.as_of.value() != 0) {  // never cached
    ASSIGN_OR_RETURN(std::string body, compute());
    return Reply{std::make_shared<const std::string>(std::move(body)),
                 computed_at};
  }
  // Positions only grow: the largest last change moves iff any does.
  auto tag = [&] {
    uint64_t t = 0;
    for (const std::string& stream : r.query.streams) {
      t = std::max(t, store->LastChanged(stream).value());
    }
    return t;
  };
  return Cached(group_answers_, AnswerKey(r.actors, req.options(), today),
                tag, *store, may_compute, timer, compute, computed_at);
}

absl::Status QueryService::Temperature(const v1::GetTemperatureRequest& req,
                                       v1::GetTemperatureResponse* resp) {
  QueryTimer timer(options_.metrics, "GetTemperature");
  ASSIGN_OR_RETURN(std::optional<Reply> r, PairSeries(req, true, timer));
  if (!r) return absl::InternalError("a series answer was not computed");
  return ToMessage(r->body, r->position, resp);
}

absl::Status QueryService::Group(const v1::GetGroupTemperatureRequest& req,
                                 v1::GetGroupTemperatureResponse* resp) {
  QueryTimer timer(options_.metrics, "GetGroupTemperature");
  ASSIGN_OR_RETURN(std::optional<Reply> r, GroupSeries(req, true, timer));
  if (!r) return absl::InternalError("a series answer was not computed");
  return ToMessage(r->body, r->position, resp);
}

absl::Status QueryService::Timeline(const v1::GetTimelineRequest& req,
                                    v1::GetTimelineResponse* resp) {
  QueryTimer timer(options_.metrics, "GetTimeline");
  std::vector<FieldViolation> v;
  TimelineQuery q;
  absl::StatusOr<std::string> a = MapActor(req.actor_a(), "actor_a");
  std::shared_ptr<ReadModelStore> store = projections_.store();
  if (!a.ok()) return a.status();
  if (req.actor_b().empty()) {
    if (req.directed()) v.push_back({"directed", "needs a pair"});
    q.streams = store->StreamsOf(*a);
  } else {
    ASSIGN_OR_RETURN(std::string b, MapActor(req.actor_b(), "actor_b"));
    if (b == *a) v.push_back({"actor_b", "must differ from actor_a"});
    q.streams = {StreamName(*a, b)};
    if (req.directed()) q.filter.directed_source = *a;
  }
  if (!req.from().empty()) {
    absl::StatusOr<DayNumber> d = MapDate(req.from(), "from", false);
    if (d.ok()) q.from = *d; else v.push_back(GetFieldViolations(d.status())[0]);
  }
  if (!req.to().empty()) {
    absl::StatusOr<DayNumber> d = MapDate(req.to(), "to", true);
    if (d.ok()) q.to = *d; else v.push_back(GetFieldViolations(d.status())[0]);
  }
  if (q.to < q.from) v.push_back({"to", "the range is empty: `to` is before `from`"});
  if (req.page_size() > 1000) v.push_back({"page_size", "at most 1000"});
  q.page_size = req.page_size() == 0 ? 100 : req.page_size();
  for (int i = 0; i < req.quad_classes_size(); ++i) {
    const int c = req.quad_classes(i);
    if (c < 1 || c > 4) {
      v.push_back({absl::StrCat("quad_classes[", i, "]"), "unknown quad class"});
    } else {
      q.filter.quads.push_back(static_cast<QuadClass>(c));
    }
  }
  q.filter.tags.assign(req.tags().begin(), req.tags().end());
  q.filter.as_of = Position(req.as_of_position());
  q.include_retracted = req.include_retracted();
  if (!req.page_token().empty()) {
    absl::StatusOr<std::pair<DayNumber, Position>> t =
        ParsePageToken(req.page_token());
    if (t.ok()) q.after = *t; else v.push_back(GetFieldViolations(t.status())[0]);
  }
  if (!v.empty()) return InvalidArgumentWithViolations(std::move(v));
  if (NotModified(*store, q.streams, Position(req.if_changed_since()),
                  q.filter.as_of)) {
    timer.kind = "not_modified";
    resp->set_not_modified(true);
    resp->set_position(AnswerPosition(*store, q.filter.as_of).value());
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(TimelinePage page, ComputeTimeline(*store->View(), q));
  resp->set_position(page.position.value());
  for (const TimelineItem& item : page.items) {
    v1::TimelineEvent* e = resp->add_events();
    ToProto(item.entry, e->mutable_event());
    e->set_original_position(item.original.value());
    e->set_corrected(item.corrected);
    e->set_retracted(item.retracted);
  }
  if (page.more && !page.items.empty()) {
    resp->set_next_page_token(
        PageToken(page.items.back().day, page.items.back().original));
  }
  return absl::OkStatus();
}

absl::Status QueryService::Movers(const v1::GetMoversRequest& req,
                                  v1::GetMoversResponse* resp) {
  QueryTimer timer(options_.metrics, "GetMovers");
  std::vector<FieldViolation> v;
  auto date = [&](const std::string& text, const char* field, bool last) {
    if (text.empty()) {
      v.push_back({field, "required"});
      return DayNumber();
    }
    absl::StatusOr<DayNumber> d = MapDate(text, field, last);
    if (!d.ok()) v.push_back(GetFieldViolations(d.status())[0]);
    return d.value_or(DayNumber());
  };
  const DayNumber from = date(req.from(), "from", false);
  const DayNumber to = date(req.to(), "to", true);
  if (v.empty() && to < from) {
    v.push_back({"to", "the range is empty: `to` is before `from`"});
  }
  if (req.limit() > 100) v.push_back({"limit", "at most 100"});
  absl::StatusOr<KernelParams> k =
      MapKernel(req.half_life_days(), req.has_prior(), req.prior());
  if (!k.ok()) {
    for (auto& f : GetFieldViolations(k.status())) v.push_back(f);
  }
  if (!v.empty()) return InvalidArgumentWithViolations(std::move(v));
  std::shared_ptr<ReadModelStore> store = projections_.store();
  const std::vector<std::string> streams = store->Streams();
  const Position as_of(req.as_of_position());
  if (NotModified(*store, streams, Position(req.if_changed_since()), as_of)) {
    timer.kind = "not_modified";
    resp->set_not_modified(true);
    resp->set_position(AnswerPosition(*store, as_of).value());
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(MoversAnswer m,
                   ComputeMovers(*store->View(), streams, from, to, *k, as_of,
                                 req.limit() == 0 ? 10 : req.limit(),
                                 req.min_heat()));
  resp->set_position(m.position.value());
  auto fill = [](const Mover& mv, v1::PairChange* out) {
    out->set_stream(mv.stream);
    out->set_temperature_from(mv.from_temperature);
    out->set_temperature_to(mv.to_temperature);
    out->set_change(mv.to_temperature - mv.from_temperature);
    out->set_heat_to(mv.heat_to);
  };
  for (const Mover& mv : m.warmed) fill(mv, resp->add_warmed());
  for (const Mover& mv : m.cooled) fill(mv, resp->add_cooled());
  return absl::OkStatus();
}

absl::Status QueryService::ActorSummary(const v1::GetActorSummaryRequest& req,
                                        v1::GetActorSummaryResponse* resp) {
  QueryTimer timer(options_.metrics, "GetActorSummary");
  ASSIGN_OR_RETURN(std::string actor, MapActor(req.actor(), "actor"));
  DayNumber at = options_.today();
  if (!req.at().empty()) {
    ASSIGN_OR_RETURN(at, MapDate(req.at(), "at", true));
  }
  ASSIGN_OR_RETURN(KernelParams k, MapKernel(req.half_life_days(),
                                             req.has_prior(), req.prior()));
  std::shared_ptr<ReadModelStore> store = projections_.store();
  const std::vector<std::string> streams = store->StreamsOf(actor);
  const Position as_of(req.as_of_position());
  resp->set_actor(actor);
  resp->set_name(std::string(ResolveActor(actor)->name));
  if (NotModified(*store, streams, Position(req.if_changed_since()), as_of)) {
    timer.kind = "not_modified";
    resp->set_not_modified(true);
    resp->set_position(AnswerPosition(*store, as_of).value());
    return absl::OkStatus();
  }
  std::unique_ptr<ReadView> view = store->View();
  std::vector<PairState> partners;
  for (const std::string& stream : streams) {
    ASSIGN_OR_RETURN(PairState s, ComputePairState(*view, stream, at, k, as_of));
    if (s.events > 0) partners.push_back(std::move(s));
  }
  std::sort(partners.begin(), partners.end(),
            [](const PairState& a, const PairState& b) {
              return a.at.heat != b.at.heat ? a.at.heat > b.at.heat
                                            : a.stream < b.stream;
            });
  resp->set_position(EffectivePosition(*view, as_of).value());
  for (const PairState& s : partners) {
    v1::PairTemperature* p = resp->add_partners();
    FillPair(s, p);
    // Present the pair from the actor's side.
    if (p->actor_a() != actor) {
      std::string other = p->actor_a();
      p->set_actor_a(actor);
      p->set_actor_b(other);
    }
  }
  return absl::OkStatus();
}

template <typename Request>
grpc::ServerUnaryReactor* QueryService::Serve(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response, const char* method,
    MaybeReply (QueryService::*series)(const Request&, bool, QueryTimer&)) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (grpc::Status g = Guard(ctx, Role::kReader); !g.ok()) {
    reactor->Finish(g);
    return reactor;
  }
  auto req = std::make_shared<Request>();
  if (!ParseBuffer(*request, req.get())) {
    reactor->Finish(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("the request is not a ", Request::descriptor()->full_name(),
                     " (it did not parse)")));
    return reactor;
  }
  auto finish = [reactor, response](MaybeReply r) {
    if (r.ok() && !r->has_value()) {
      r = absl::InternalError("a series answer was not computed");
    }
    if (!r.ok()) {
      reactor->Finish(ToGrpcStatus(r.status()));
      return;
    }
    // Field 1 first, as protobuf writes it: the bytes of the full message.
    *response = BufferOf({Uint64Field(1, (*r)->position),
                          SharedSlice(std::move((*r)->body))});
    reactor->Finish(grpc::Status::OK);
  };
  auto timer = std::make_shared<QueryTimer>(options_.metrics, method);
  MaybeReply quick = (this->*series)(*req, false, *timer);
  if (!quick.ok() || quick->has_value()) {
    finish(std::move(quick));
    return reactor;
  }
  pool_.Run([this, req, timer, series, finish] {
    finish((this->*series)(*req, true, *timer));
  });
  return reactor;
}

grpc::ServerUnaryReactor* QueryService::GetTemperature(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve(ctx, request, response, "GetTemperature",
               &QueryService::PairSeries);
}

grpc::ServerUnaryReactor* QueryService::GetGroupTemperature(
    grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve(ctx, request, response, "GetGroupTemperature",
               &QueryService::GroupSeries);
}

grpc::Status QueryService::GetTimeline(grpc::ServerContext* ctx,
                                       const v1::GetTimelineRequest* req,
                                       v1::GetTimelineResponse* resp) {
  if (grpc::Status g = Guard(ctx, Role::kReader); !g.ok()) return g;
  return ToGrpcStatus(Timeline(*req, resp));
}

grpc::Status QueryService::GetMovers(grpc::ServerContext* ctx,
                                     const v1::GetMoversRequest* req,
                                     v1::GetMoversResponse* resp) {
  if (grpc::Status g = Guard(ctx, Role::kReader); !g.ok()) return g;
  return ToGrpcStatus(Movers(*req, resp));
}

grpc::Status QueryService::GetActorSummary(
    grpc::ServerContext* ctx, const v1::GetActorSummaryRequest* req,
    v1::GetActorSummaryResponse* resp) {
  if (grpc::Status g = Guard(ctx, Role::kReader); !g.ok()) return g;
  return ToGrpcStatus(ActorSummary(*req, resp));
}

grpc::Status QueryService::Watch(grpc::ServerContext* ctx,
                                 const v1::WatchRequest* req,
                                 grpc::ServerWriter<v1::WatchResponse>* writer) {
  if (grpc::Status g = Guard(ctx, Role::kReader); !g.ok()) return g;
  const bool group = req->actors_size() > 0;
  if (req->min_interval_ms() != 0 &&
      (req->min_interval_ms() < 100 || req->min_interval_ms() > 60000)) {
    return ToGrpcStatus(InvalidArgumentWithViolations(
        {{"min_interval_ms", "must be 0 (default) or 100..60000"}}));
  }
  const absl::Duration interval = absl::Milliseconds(
      req->min_interval_ms() == 0 ? 1000 : req->min_interval_ms());
  v1::SeriesOptions options = req->options();
  options.clear_as_of_position();
  options.clear_if_changed_since();
  Position sent;  // stamp of the last message sent
  Position seen;  // checkpoint when the answer was last computed
  bool first = true;
  absl::Time last_send = absl::InfinitePast();
  while (!ctx->IsCancelled() && !stopping_) {
    if (!first) {
      // Wait for the read models to move (at most 1 s, to notice
      // cancellation and shutdown).
      std::shared_ptr<ReadModelStore> store = projections_.store();
      if (store->WaitForCheckpoint(seen, absl::Now() + absl::Seconds(1)) ==
          seen) {
        continue;
      }
    }
    seen = projections_.store()->checkpoint();
    const uint64_t since = first ? 0 : sent.value();
    v1::WatchResponse out;
    bool changed = false;
    absl::Status s;
    if (group) {
      v1::GetGroupTemperatureRequest g;
      *g.mutable_actors() = req->actors();
      *g.mutable_options() = options;
      g.mutable_options()->set_if_changed_since(since);
      v1::GetGroupTemperatureResponse r;
      s = Group(g, &r);
      changed = s.ok() && !r.not_modified();
      if (changed) {
        out.set_position(r.position());
        *out.mutable_spec() = r.spec();
        *out.mutable_points() = std::move(*r.mutable_points());
        *out.mutable_pairs() = std::move(*r.mutable_pairs());
        if (r.has_columns()) out.mutable_columns()->Swap(r.mutable_columns());
      }
    } else {
      v1::GetTemperatureRequest t;
      t.set_actor_a(req->actor_a());
      t.set_actor_b(req->actor_b());
      *t.mutable_options() = options;
      t.mutable_options()->set_if_changed_since(since);
      v1::GetTemperatureResponse r;
      s = Temperature(t, &r);
      changed = s.ok() && !r.not_modified();
      if (changed) {
        out.set_position(r.position());
        *out.mutable_spec() = r.spec();
        *out.mutable_points() = std::move(*r.mutable_points());
        if (r.has_columns()) out.mutable_columns()->Swap(r.mutable_columns());
      }
    }
    if (!s.ok()) return ToGrpcStatus(s);
    first = false;
    if (!changed) continue;
    // Coalesce: at most one message per interval; what arrives meanwhile is
    // in the next answer.
    const absl::Time due = last_send + interval;
    while (absl::Now() < due && !ctx->IsCancelled() && !stopping_) {
      absl::SleepFor(std::min(due - absl::Now(), absl::Milliseconds(100)));
    }
    if (!writer->Write(out)) break;
    last_send = absl::Now();
    sent = Position(out.position());
  }
  return grpc::Status::OK;
}

grpc::Status QueryService::GetStatus(grpc::ServerContext* ctx,
                                     const v1::GetStatusRequest*,
                                     v1::GetStatusResponse* resp) {
  if (grpc::Status g = Guard(ctx, Role::kReader); !g.ok()) return g;
  ProjectionStatus s = projections_.status();
  resp->set_projection_position(s.position.value());
  resp->set_ingest_head(s.ingest_head.value());
  resp->set_lag(s.ingest_head > s.position
                    ? s.ingest_head.value() - s.position.value()
                    : 0);
  v1::ProjectionState state = v1::PROJECTION_STATE_CATCHING_UP;
  if (s.follower_state == FollowerState::kLive) state = v1::PROJECTION_STATE_LIVE;
  if (s.follower_state == FollowerState::kDisconnected) {
    state = v1::PROJECTION_STATE_DISCONNECTED;
  }
  if (s.rebuilding) state = v1::PROJECTION_STATE_REBUILDING;
  resp->set_state(state);
  resp->set_projection_version(kProjectionVersion);
  resp->set_rebuild_position(s.rebuild_position.value());
  resp->set_last_error(!s.storage_error.empty() ? s.storage_error
                                                : s.last_error);
  resp->set_ingest_address(s.ingest_address);
  return grpc::Status::OK;
}

grpc::Status QueryService::Rebuild(grpc::ServerContext* ctx,
                                   const v1::RebuildRequest*,
                                   v1::RebuildResponse* resp) {
  if (grpc::Status g = Guard(ctx, Role::kAdmin); !g.ok()) return g;
  absl::StatusOr<Position> p = projections_.StartRebuild();
  if (!p.ok()) return ToGrpcStatus(p.status());
  resp->set_started_at_position(p->value());
  return grpc::Status::OK;
}

}  // namespace detente
