#include "tools/cli/ask_commands.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cmath>
#include <iostream>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "detente/v1/query.grpc.pb.h"
#include "tools/cli/actor_lookup.h"
#include "tools/cli/client.h"

namespace detente::cli {
namespace {

constexpr char kCsvHeader[] =
    "period_start,period_end,temperature,heat,events,weight_sum,goldstein_sum,"
    "verbal_coop,material_coop,verbal_conflict,material_conflict";

std::unique_ptr<v1::QueryService::Stub> Stub(const std::string& address) {
  return v1::QueryService::NewStub(Connect(address));
}

// One line on stderr; 2 when the service cannot be reached, else 1.
int Fail(const grpc::Status& s, const std::string& address) {
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE ||
      s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    std::cerr << "error: cannot reach the query service at " << address
              << " (" << s.error_message() << ")\n";
    return 2;
  }
  std::cerr << "error: " << DescribeError(s) << "\n";
  return 1;
}

int Usage(const absl::Status& s) {
  std::cerr << "error: " << s.message() << "\n";
  return 2;
}

void Deadline(grpc::ClientContext& ctx) {
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
}

void PrintJson(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = true;
  o.always_print_primitive_fields = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  std::cout << out;
}

// "▁▂▃▄▅▆▇█" scaled to [-10, 10] around the middle, so that the same
// character means the same temperature in every series.
std::string Spark(double t) {
  static const char* kBlocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  int i = static_cast<int>(std::floor((t + 10.0) / 20.0 * 8.0));
  return kBlocks[std::clamp(i, 0, 7)];
}

// Scaled to the series' own range, for the summary line.
std::string Sparkline(
    const google::protobuf::RepeatedPtrField<v1::TemperaturePoint>& points) {
  static const char* kBlocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  if (points.empty()) return "";
  double lo = points[0].temperature(), hi = lo;
  for (const auto& p : points) {
    lo = std::min(lo, p.temperature());
    hi = std::max(hi, p.temperature());
  }
  std::string out;
  for (const auto& p : points) {
    int i = hi > lo ? static_cast<int>((p.temperature() - lo) / (hi - lo) * 7.999)
                    : 3;
    out += kBlocks[std::clamp(i, 0, 7)];
  }
  return out;
}

void PrintSeries(
    const v1::SeriesSpec& spec,
    const google::protobuf::RepeatedPtrField<v1::TemperaturePoint>& points,
    uint64_t position, const std::string& title, const std::string& format) {
  if (format == "csv") {
    std::cout << kCsvHeader << "\n";
    for (const auto& p : points) {
      std::cout << absl::StrFormat(
          "%s,%s,%.17g,%.17g,%d,%.17g,%.17g,%d,%d,%d,%d\n", p.period_start(),
          p.period_end(), p.temperature(), p.heat(), p.events(),
          p.weight_sum(), p.goldstein_sum(), p.verbal_cooperation(),
          p.material_cooperation(), p.verbal_conflict(),
          p.material_conflict());
    }
    return;
  }
  std::cout << absl::StrFormat(
      "%s  %s .. %s  half-life %g d, prior %g%s  (log position %d)\n", title,
      spec.from(), spec.to(), spec.half_life_days(), spec.prior(),
      spec.directed() ? ", directed" : "", position);
  std::cout << Sparkline(points) << "\n\n";
  std::cout << absl::StrFormat("%-10s  %-10s  %11s  %8s  %6s\n", "from", "to",
                               "temperature", "heat", "events");
  for (const auto& p : points) {
    std::cout << absl::StrFormat("%-10s  %-10s  %+11.3f  %8.3f  %6d\n",
                                 p.period_start(), p.period_end(),
                                 p.temperature(), p.heat(), p.events());
  }
}

absl::Status FillOptions(const SeriesCommandOptions& o, v1::SeriesOptions* out) {
  if (absl::Status s = CheckDateArgument("--from", o.from); !s.ok()) return s;
  if (absl::Status s = CheckDateArgument("--to", o.to); !s.ok()) return s;
  static const std::pair<const char*, v1::Resolution> kRes[] = {
      {"day", v1::RESOLUTION_DAY},         {"week", v1::RESOLUTION_WEEK},
      {"month", v1::RESOLUTION_MONTH},     {"quarter", v1::RESOLUTION_QUARTER},
      {"year", v1::RESOLUTION_YEAR}};
  for (const auto& [name, value] : kRes) {
    if (o.resolution == name) out->set_resolution(value);
  }
  out->set_from(o.from);
  out->set_to(o.to);
  out->set_half_life_days(o.half_life);
  if (o.prior) out->set_prior(*o.prior);
  out->set_directed(o.directed);
  out->set_as_of_position(o.as_of);
  for (const std::string& t : o.tags) out->add_tags(t);
  return absl::OkStatus();
}

}  // namespace

int RunTemperature(const SeriesCommandOptions& o) {
  if (o.actors.size() != 2) {
    return Usage(absl::InvalidArgumentError("temperature needs two actors"));
  }
  v1::GetTemperatureRequest req;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<std::string> a = ResolveActorArgument(o.actors[i]);
    if (!a.ok()) return Usage(a.status());
    i == 0 ? req.set_actor_a(*a) : req.set_actor_b(*a);
  }
  if (absl::Status s = FillOptions(o, req.mutable_options()); !s.ok()) {
    return Usage(s);
  }
  v1::GetTemperatureResponse resp;
  grpc::ClientContext ctx;
  Deadline(ctx);
  grpc::Status s = Stub(o.address)->GetTemperature(&ctx, req, &resp);
  if (!s.ok()) return Fail(s, o.address);
  if (o.format == "json") {
    PrintJson(resp);
    return 0;
  }
  PrintSeries(resp.spec(), resp.points(), resp.position(),
              o.directed ? req.actor_a() + " -> " + req.actor_b()
                         : req.actor_a() + "-" + req.actor_b(),
              o.format);
  return 0;
}

int RunGroup(const SeriesCommandOptions& o) {
  v1::GetGroupTemperatureRequest req;
  for (const std::string& text : o.actors) {
    absl::StatusOr<std::string> a = ResolveActorArgument(text);
    if (!a.ok()) return Usage(a.status());
    req.add_actors(*a);
  }
  if (absl::Status s = FillOptions(o, req.mutable_options()); !s.ok()) {
    return Usage(s);
  }
  v1::GetGroupTemperatureResponse resp;
  grpc::ClientContext ctx;
  Deadline(ctx);
  grpc::Status s = Stub(o.address)->GetGroupTemperature(&ctx, req, &resp);
  if (!s.ok()) return Fail(s, o.address);
  if (o.format == "json") {
    PrintJson(resp);
    return 0;
  }
  PrintSeries(resp.spec(), resp.points(), resp.position(),
              absl::StrJoin(req.actors(), "-"), o.format);
  if (o.format == "table") {
    std::cout << "\nPairs on " << resp.spec().to() << ":\n";
    for (const auto& p : resp.pairs()) {
      std::cout << absl::StrFormat("  %-8s  %+8.3f  heat %7.3f  %5d events  %s\n",
                                   p.stream(), p.temperature(), p.heat(),
                                   p.events(), Spark(p.temperature()));
    }
  }
  return 0;
}

int RunTimeline(const TimelineCommandOptions& o) {
  if (o.actors.empty() || o.actors.size() > 2) {
    return Usage(absl::InvalidArgumentError("timeline needs one actor or a pair"));
  }
  v1::GetTimelineRequest req;
  for (size_t i = 0; i < o.actors.size(); ++i) {
    absl::StatusOr<std::string> a = ResolveActorArgument(o.actors[i]);
    if (!a.ok()) return Usage(a.status());
    i == 0 ? req.set_actor_a(*a) : req.set_actor_b(*a);
  }
  for (auto [opt, text] : {std::pair{"--from", &o.from}, {"--to", &o.to}}) {
    if (absl::Status s = CheckDateArgument(opt, *text); !s.ok()) return Usage(s);
  }
  req.set_from(o.from);
  req.set_to(o.to);
  req.set_directed(o.directed);
  req.set_include_retracted(o.include_retracted);
  req.set_page_size(o.page_size);
  req.set_as_of_position(o.as_of);
  auto stub = Stub(o.address);
  size_t shown = 0;
  if (o.format == "table") {
    std::cout << absl::StrFormat("%-10s  %-9s  %-4s  %6s  %s\n", "date",
                                 "actors", "code", "score", "title");
  }
  while (true) {
    v1::GetTimelineResponse resp;
    grpc::ClientContext ctx;
    Deadline(ctx);
    grpc::Status s = stub->GetTimeline(&ctx, req, &resp);
    if (!s.ok()) return Fail(s, o.address);
    if (o.format == "json") {
      PrintJson(resp);
    } else {
      for (const auto& t : resp.events()) {
        const v1::Event& e = t.event().event();
        std::string marks = t.retracted() ? " [retracted]"
                            : t.corrected() ? " [corrected]"
                                            : "";
        std::cout << absl::StrFormat("%-10s  %-9s  %-4s  %+6.1f  %s%s\n",
                                     e.occurred_on(),
                                     e.source() + ">" + e.target(),
                                     e.event_code(), e.goldstein(), e.title(),
                                     marks);
      }
    }
    shown += resp.events_size();
    if (!o.all || resp.next_page_token().empty()) {
      if (o.format == "table" && !resp.next_page_token().empty()) {
        std::cout << "(more: --all shows every page)\n";
      }
      break;
    }
    req.set_page_token(resp.next_page_token());
  }
  if (o.format == "table") std::cout << shown << " events\n";
  return 0;
}

int RunMovers(const MoversCommandOptions& o) {
  for (auto [opt, text] : {std::pair{"--from", &o.from}, {"--to", &o.to}}) {
    if (text->empty()) {
      return Usage(absl::InvalidArgumentError(std::string(opt) + " is required"));
    }
    if (absl::Status s = CheckDateArgument(opt, *text); !s.ok()) return Usage(s);
  }
  v1::GetMoversRequest req;
  req.set_from(o.from);
  req.set_to(o.to);
  req.set_limit(o.limit);
  req.set_min_heat(o.min_heat);
  req.set_half_life_days(o.half_life);
  req.set_as_of_position(o.as_of);
  v1::GetMoversResponse resp;
  grpc::ClientContext ctx;
  Deadline(ctx);
  grpc::Status s = Stub(o.address)->GetMovers(&ctx, req, &resp);
  if (!s.ok()) return Fail(s, o.address);
  if (o.format == "json") {
    PrintJson(resp);
    return 0;
  }
  auto print = [](const char* title, const auto& list) {
    std::cout << title << "\n";
    for (const auto& m : list) {
      std::cout << absl::StrFormat("  %-8s  %+7.3f -> %+7.3f  (%+.3f)  heat %.3f\n",
                                   m.stream(), m.temperature_from(),
                                   m.temperature_to(), m.change(), m.heat_to());
    }
  };
  print("Warmed most:", resp.warmed());
  print("Cooled most:", resp.cooled());
  return 0;
}

int RunActor(const ActorCommandOptions& o) {
  absl::StatusOr<std::string> a = ResolveActorArgument(o.actor);
  if (!a.ok()) return Usage(a.status());
  if (absl::Status s = CheckDateArgument("--at", o.at); !s.ok()) return Usage(s);
  v1::GetActorSummaryRequest req;
  req.set_actor(*a);
  req.set_at(o.at);
  req.set_half_life_days(o.half_life);
  req.set_as_of_position(o.as_of);
  v1::GetActorSummaryResponse resp;
  grpc::ClientContext ctx;
  Deadline(ctx);
  grpc::Status s = Stub(o.address)->GetActorSummary(&ctx, req, &resp);
  if (!s.ok()) return Fail(s, o.address);
  if (o.format == "json") {
    PrintJson(resp);
    return 0;
  }
  std::cout << resp.actor() << " (" << resp.name() << "), log position "
            << resp.position() << "\n";
  std::cout << absl::StrFormat("  %-7s  %11s  %8s  %6s  %s\n", "partner",
                               "temperature", "heat", "events", "last event");
  for (const auto& p : resp.partners()) {
    std::cout << absl::StrFormat("  %-7s  %+11.3f  %8.3f  %6d  %s %s\n",
                                 p.actor_b(), p.temperature(), p.heat(),
                                 p.events(), p.last_event_on(),
                                 Spark(p.temperature()));
  }
  return 0;
}

int RunStatus(const std::string& address, const std::string& format) {
  v1::GetStatusResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status s = Stub(address)->GetStatus(&ctx, {}, &resp);
  if (!s.ok()) return Fail(s, address);
  if (format == "json") {
    PrintJson(resp);
    return 0;
  }
  std::cout << "state:              "
            << v1::ProjectionState_Name(resp.state()).substr(17) << "\n"
            << "position:           " << resp.projection_position() << "\n"
            << "ingest head:        " << resp.ingest_head() << "\n"
            << "lag:                " << resp.lag() << "\n"
            << "projection version: " << resp.projection_version() << "\n"
            << "following:          " << resp.ingest_address() << "\n";
  if (!resp.last_error().empty()) {
    std::cout << "last error:         " << resp.last_error() << "\n";
  }
  return 0;
}

}  // namespace detente::cli
