// HTTP/JSON beside gRPC: the same answers as QueryService's methods, printed
// with protobuf's JSON printer (proto3 JSON mapping), plus the dashboard's
// static files at `/`.
//
//   GET /v1/pairs/{a}/{b}/temperature?from=&to=&resolution=&half_life_days=
//       &prior=&directed=&as_of_position=&tags=&quad_classes=
//   GET /v1/groups/temperature?actors=USA,KOR,JPN&...
//   GET /v1/pairs/{a}/{b}/timeline?from=&to=&page_size=&page_token=...
//   GET /v1/actors/{a}/timeline?...
//   GET /v1/movers?from=&to=&limit=&min_heat=...
//   GET /v1/actors/{a}?at=...
//   GET /v1/status
//   GET /metrics (Prometheus text format)
//
// Every answer carries an ETag derived from the log position it reflects
// (and the server's date); If-None-Match with it gets 304 Not Modified when
// nothing that affects the answer changed. Errors: a google.rpc.Status as
// JSON with the HTTP status of its code (400 bad parameter, 404 unknown
// actor in the path, 503 not ready).
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "services/common/security.h"
#include "services/query/query_metrics.h"
#include "services/query/query_service.h"

namespace httplib {
class Server;
}

namespace detente {

struct HttpGatewayOptions {
  std::string listen = "127.0.0.1:7680";  // "" disables HTTP
  // Directory of the dashboard (index.html and its assets); "" serves none.
  std::string web_dir;
  // HTTPS with these PEM files (both or none); with tls_client_ca, clients
  // must present a certificate it signed.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  // Bearer tokens (Authorization header): reader for every GET except
  // /metrics and the dashboard's files. Optional; not owned.
  const Authorizer* auth = nullptr;
  // Counts requests by status and serves /metrics. Optional; not owned.
  QueryMetrics* metrics = nullptr;
};

class HttpGateway {
 public:
  HttpGateway(QueryService& service, HttpGatewayOptions options);
  ~HttpGateway();

  // Binds and starts serving on a thread of its own.
  absl::Status Start();
  void Stop();
  int port() const { return port_; }

 private:
  // False until the query service has reached the ingestion service once.
  bool Ready();

  QueryService& service_;
  HttpGatewayOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace detente
