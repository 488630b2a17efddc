#include "services/query/http_gateway.h"

#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/field_violation.h"
#include "common/thread_name.h"
#include "domain/date.h"
#include "google/rpc/status.pb.h"
#include "services/common/grpc_status.h"
#include "services/query/http_params.h"
#include "spdlog/spdlog.h"

namespace detente {
namespace {

int HttpStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    default:
      return 500;
  }
}

std::string ToJson(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions o;
  o.always_print_primitive_fields = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  return out;
}

void SendError(httplib::Response& res, const grpc::Status& s,
               bool path_actor) {
  google::rpc::Status rich;
  if (s.error_details().empty() ||
      !rich.ParseFromString(s.error_details())) {
    rich.set_code(s.error_code());
    rich.set_message(s.error_message());
  }
  int http = HttpStatusOf(s.error_code());
  // An unknown actor named in the path is a resource that does not exist.
  if (path_actor && s.error_code() == grpc::StatusCode::INVALID_ARGUMENT &&
      s.error_message().find("unknown CAMEO actor code") != std::string::npos &&
      (s.error_message().rfind("actor", 0) == 0)) {
    http = 404;
  }
  res.status = http;
  res.set_content(ToJson(rich), "application/json");
}

void SendStatus(httplib::Response& res, const absl::Status& s) {
  SendError(res, ToGrpcStatus(s), false);
}

HttpQuery QueryOf(const httplib::Request& req) {
  HttpQuery q;
  for (const auto& [k, v] : req.params) q[k] = v;
  return q;
}

}  // namespace

HttpGateway::HttpGateway(QueryService& service, HttpGatewayOptions options)
    : service_(service), options_(std::move(options)) {}

HttpGateway::~HttpGateway() { Stop(); }

absl::Status HttpGateway::Start() {
  if (options_.tls_cert.empty() != options_.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (!options_.tls_cert.empty()) {
    auto ssl = std::make_unique<httplib::SSLServer>(
        options_.tls_cert.c_str(), options_.tls_key.c_str(),
        options_.tls_client_ca.empty() ? nullptr
                                       : options_.tls_client_ca.c_str());
    if (!ssl->is_valid()) {
      return absl::InvalidArgumentError(
          "HTTP: cannot load the TLS certificate or key");
    }
    server_ = std::move(ssl);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& s = *server_;
  // Authorization for the API (not for /metrics or the dashboard's files,
  // which hold no data: the page asks the API with the user's token).
  s.set_pre_routing_handler([this](const httplib::Request& req,
                                   httplib::Response& res) {
    if (options_.auth == nullptr || req.path.rfind("/v1/", 0) != 0) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    absl::Status a = options_.auth->Check(
        req.get_header_value("Authorization"), Role::kReader);
    if (a.ok()) return httplib::Server::HandlerResponse::Unhandled;
    if (absl::IsUnauthenticated(a)) {
      res.set_header("WWW-Authenticate", "Bearer");
    }
    SendStatus(res, a);
    return httplib::Server::HandlerResponse::Handled;
  });
  s.set_logger([this](const httplib::Request&, const httplib::Response& res) {
    if (options_.metrics) options_.metrics->CountHttp(res.status);
  });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(options_.metrics ? options_.metrics->Render() : "",
                    "text/plain; version=0.0.4");
  });
  s.set_keep_alive_max_count(1000);
  s.set_read_timeout(30, 0);
  s.set_payload_max_length(64 * 1024);

  // Runs a query with If-None-Match handling and sends the answer.
  auto answer = [this](const httplib::Request& http, httplib::Response& res,
                       auto& request, auto& response, auto call,
                       auto set_since, bool path_actor) {
    if (!Ready()) {
      SendError(res,
                grpc::Status(grpc::StatusCode::UNAVAILABLE,
                             "not ready: the query service has not reached "
                             "the ingestion service yet"),
                false);
      return;
    }
    const int32_t today = TodayUtc().value();
    if (http.has_header("If-None-Match")) {
      if (std::optional<uint64_t> p =
              PositionFromEtag(http.get_header_value("If-None-Match"), today)) {
        set_since(request, *p);
      }
    }
    grpc::Status st = call(&request, &response);
    if (!st.ok()) {
      SendError(res, st, path_actor);
      return;
    }
    res.set_header("ETag", MakeEtag(response.position(), today));
    res.set_header("Cache-Control", "no-cache");
    if (response.not_modified()) {
      res.status = 304;
      return;
    }
    res.set_content(ToJson(response), "application/json");
  };

  s.Get(R"(/v1/pairs/([^/]+)/([^/]+)/temperature)",
        [this, answer](const httplib::Request& http, httplib::Response& res) {
          v1::GetTemperatureRequest req;
          v1::GetTemperatureResponse resp;
          req.set_actor_a(http.matches[1]);
          req.set_actor_b(http.matches[2]);
          absl::Status p = ApplySeriesParams(QueryOf(http),
                                             req.mutable_options(), {});
          if (!p.ok()) return SendStatus(res, p);
          answer(http, res, req, resp,
                 [this](auto* q, auto* r) {
                   return ToGrpcStatus(service_.Temperature(*q, r));
                 },
                 [](auto& q, uint64_t p) {
                   q.mutable_options()->set_if_changed_since(p);
                 },
                 true);
        });
  s.Get("/v1/groups/temperature",
        [this, answer](const httplib::Request& http, httplib::Response& res) {
          v1::GetGroupTemperatureRequest req;
          v1::GetGroupTemperatureResponse resp;
          HttpQuery q = QueryOf(http);
          for (absl::string_view a :
               absl::StrSplit(q["actors"], ',', absl::SkipEmpty())) {
            req.add_actors(std::string(a));
          }
          absl::Status p =
              ApplySeriesParams(q, req.mutable_options(), {"actors"});
          if (!p.ok()) return SendStatus(res, p);
          answer(http, res, req, resp,
                 [this](auto* q, auto* r) {
                   return ToGrpcStatus(service_.Group(*q, r));
                 },
                 [](auto& q, uint64_t p) {
                   q.mutable_options()->set_if_changed_since(p);
                 },
                 false);
        });
  auto timeline = [this, answer](const httplib::Request& http,
                                 httplib::Response& res, std::string a,
                                 std::string b) {
    v1::GetTimelineRequest req;
    v1::GetTimelineResponse resp;
    req.set_actor_a(a);
    req.set_actor_b(b);
    absl::Status p = ApplyTimelineParams(QueryOf(http), &req);
    if (!p.ok()) return SendStatus(res, p);
    answer(http, res, req, resp,
           [this](auto* q, auto* r) {
             return service_.GetTimeline(nullptr, q, r);
           },
           [](auto& q, uint64_t p) { q.set_if_changed_since(p); }, true);
  };
  s.Get(R"(/v1/pairs/([^/]+)/([^/]+)/timeline)",
        [timeline](const httplib::Request& http, httplib::Response& res) {
          timeline(http, res, http.matches[1], http.matches[2]);
        });
  s.Get(R"(/v1/actors/([^/]+)/timeline)",
        [timeline](const httplib::Request& http, httplib::Response& res) {
          timeline(http, res, http.matches[1], "");
        });
  s.Get("/v1/movers",
        [this, answer](const httplib::Request& http, httplib::Response& res) {
          v1::GetMoversRequest req;
          v1::GetMoversResponse resp;
          absl::Status p = ApplyMoversParams(QueryOf(http), &req);
          if (!p.ok()) return SendStatus(res, p);
          answer(http, res, req, resp,
                 [this](auto* q, auto* r) {
                   return service_.GetMovers(nullptr, q, r);
                 },
                 [](auto& q, uint64_t p) { q.set_if_changed_since(p); }, false);
        });
  s.Get(R"(/v1/actors/([^/]+))",
        [this, answer](const httplib::Request& http, httplib::Response& res) {
          v1::GetActorSummaryRequest req;
          v1::GetActorSummaryResponse resp;
          req.set_actor(http.matches[1]);
          absl::Status p = ApplyActorParams(QueryOf(http), &req);
          if (!p.ok()) return SendStatus(res, p);
          answer(http, res, req, resp,
                 [this](auto* q, auto* r) {
                   return service_.GetActorSummary(nullptr, q, r);
                 },
                 [](auto& q, uint64_t p) { q.set_if_changed_since(p); }, true);
        });
  s.Get("/v1/status", [this](const httplib::Request&, httplib::Response& res) {
    v1::GetStatusResponse resp;
    service_.GetStatus(nullptr, nullptr, &resp);
    res.set_header("Cache-Control", "no-cache");
    res.set_content(ToJson(resp), "application/json");
  });
  if (!options_.web_dir.empty() &&
      !s.set_mount_point("/", options_.web_dir)) {
    spdlog::warn("http: dashboard directory {} not found; / is not served",
                 options_.web_dir);
  }
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404 && res.body.empty()) {
      google::rpc::Status st;
      st.set_code(static_cast<int>(grpc::StatusCode::NOT_FOUND));
      st.set_message("no such resource");
      res.set_content(ToJson(st), "application/json");
    }
  });

  std::pair<std::string, std::string> hp =
      absl::StrSplit(options_.listen, absl::MaxSplits(':', 1));
  int port = 0;
  if (!absl::SimpleAtoi(hp.second, &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http-listen: \"", options_.listen, "\" is not host:port"));
  }
  port_ = port == 0 ? s.bind_to_any_port(hp.first) : port;
  if (port != 0 && !s.bind_to_port(hp.first, port)) port_ = -1;
  if (port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for HTTP on ", options_.listen));
  }
  thread_ = std::thread([this] {
    NameThisThread("http-listen");
    server_->listen_after_bind();
  });
  spdlog::info("detente-query HTTP on {}:{}", hp.first, port_);
  return absl::OkStatus();
}

bool HttpGateway::Ready() {
  v1::GetStatusResponse s;
  service_.GetStatus(nullptr, nullptr, &s);
  return s.projection_position() > 0 ||
         s.state() != v1::PROJECTION_STATE_DISCONNECTED;
}

void HttpGateway::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace detente
