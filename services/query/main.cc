// detente-query: the query service. Flags override environment variables,
// which override defaults (see docs/operations.md).
#include <CLI/CLI.hpp>

#include "services/query/server.h"

int main(int argc, char** argv) {
  detente::QueryServerOptions o = detente::QueryServerOptionsFromEnv();
  CLI::App app{"detente-query: relation temperatures and other read models"};
  app.add_option("--listen", o.listen, "gRPC listen address (DETENTE_QUERY_LISTEN)")
      ->capture_default_str();
  app.add_option("--data-dir", o.data_dir,
                 "Read-model directory (DETENTE_QUERY_DATA_DIR)")
      ->capture_default_str();
  app.add_option("--ingest", o.ingest,
                 "Address of the detente-ingest to follow (DETENTE_INGEST)")
      ->capture_default_str();
  app.add_option("--http-listen", o.http_listen,
                 "HTTP/JSON and dashboard address, \"\" to disable "
                 "(DETENTE_QUERY_HTTP_LISTEN)")
      ->capture_default_str();
  app.add_option("--web-dir", o.web_dir,
                 "Directory of the dashboard's files (DETENTE_WEB_DIR)");
  app.add_option("--log-level", o.log_level, "trace|debug|info|warn|error")
      ->capture_default_str();
  app.add_flag("--log-json", o.log_json, "Log JSON lines instead of text");
  CLI11_PARSE(app, argc, argv);
  return detente::RunQueryServer(o);
}
