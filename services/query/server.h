// Wiring of the detente-query process: the read models (projection
// manager, which follows detente-ingest), the gRPC server (query service,
// health, reflection), graceful shutdown on SIGTERM/SIGINT.
#pragma once

#include <string>

namespace detente {

struct QueryServerOptions {
  std::string listen = "127.0.0.1:7602";
  std::string data_dir = "var/query";
  std::string ingest = "127.0.0.1:7601";
  // HTTP/JSON and the dashboard; "" disables them.
  std::string http_listen = "127.0.0.1:7680";
  // The dashboard's files (index.html); "" serves no page.
  std::string web_dir;
  std::string log_level = "info";
  bool log_json = false;
};

// Defaults overridden by DETENTE_QUERY_LISTEN, DETENTE_QUERY_DATA_DIR,
// DETENTE_INGEST, DETENTE_QUERY_HTTP_LISTEN, DETENTE_WEB_DIR,
// DETENTE_LOG_LEVEL.
QueryServerOptions QueryServerOptionsFromEnv();

// Returns the process exit code.
int RunQueryServer(const QueryServerOptions& options);

}  // namespace detente
