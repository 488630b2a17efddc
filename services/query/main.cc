// detente-query: the query service. Settings come from flags, the
// environment and a TOML file, in that order of precedence
// (docs/configuration.md).
#include <CLI/CLI.hpp>

#include "absl/strings/numbers.h"
#include "services/common/layered_config.h"
#include "services/query/server.h"

int main(int argc, char** argv) {
  detente::QueryServerOptions o;
  std::string config_file;
  CLI::App app{"detente-query: relation temperatures and other read models"};
  detente::LayeredConfig config;
  app.add_option("--config", config_file,
                 "TOML configuration file (DETENTE_CONFIG)");
  config.Add(app.add_option("--listen", o.listen, "gRPC listen address")
                 ->capture_default_str(),
             "listen", "DETENTE_QUERY_LISTEN");
  config.Add(app.add_option("--data-dir", o.data_dir, "Read-model directory")
                 ->capture_default_str(),
             "data_dir", "DETENTE_QUERY_DATA_DIR");
  config.Add(app.add_option("--ingest", o.ingest,
                            "Address of the detente-ingest to follow")
                 ->capture_default_str(),
             "ingest", "DETENTE_INGEST");
  config.Add(app.add_option("--http-listen", o.http_listen,
                            "HTTP/JSON, /metrics and dashboard address, "
                            "\"\" to disable")
                 ->capture_default_str(),
             "http_listen", "DETENTE_QUERY_HTTP_LISTEN");
  config.Add(app.add_option("--web-dir", o.web_dir,
                            "Directory of the dashboard's files"),
             "web_dir", "DETENTE_WEB_DIR");
  config.Add(app.add_option("--max-serving-lag", o.max_serving_lag,
                            "Health is SERVING only within this lag")
                 ->capture_default_str(),
             "max_serving_lag", "DETENTE_MAX_SERVING_LAG");
  config.Add(app.add_option("--answer-cache-mb", o.answer_cache_mb,
                            "MiB per cache of series answers (pair, group) "
                            "kept while their streams do not change; 0 "
                            "disables them")
                 ->capture_default_str(),
             "answer_cache_mb", "DETENTE_ANSWER_CACHE_MB");
  config.Add(app.add_option("--day-cache-mb", o.day_cache_mb,
                            "MiB of day totals of whole pairs (packed, ~19 "
                            "bytes a day) kept in "
                            "memory (kept current as events arrive; "
                            "filled at a start, before listening); 0 "
                            "disables it")
                 ->capture_default_str(),
             "day_cache_mb", "DETENTE_DAY_CACHE_MB");
  config.Add(app.add_option("--catch-up-batch", o.catch_up_batch,
                            "Entries applied as one batch, written as table "
                            "files, while at least as many behind the head "
                            "(16384..200000); 0 applies each message as it "
                            "comes")
                 ->check(CLI::Validator(
                     [](const std::string& v) -> std::string {
                       uint32_t n = 0;
                       if (!absl::SimpleAtoi(v, &n) ||
                           (n != 0 && (n < 16384 || n > 200000))) {
                         return "must be 0 or 16384..200000 entries, not " + v;
                       }
                       return "";
                     },
                     "0|16384..200000"))
                 ->capture_default_str(),
             "catch_up_batch", "DETENTE_CATCH_UP_BATCH");
  config.Add(app.add_option("--subscribe-as", o.subscribe_as,
                            "How the ingestion service sends the log: "
                            "records (as it stores them; the fastest) or "
                            "events")
                 ->check(CLI::IsMember({"records", "events"}))
                 ->capture_default_str(),
             "subscribe_as", "DETENTE_SUBSCRIBE_AS");
  config.Add(app.add_option("--log-level", o.log_level,
                            "trace|debug|info|warn|error")
                 ->capture_default_str(),
             "log_level", "DETENTE_LOG_LEVEL");
  config.Add(app.add_flag("--log-json", o.log_json, "Log JSON lines"),
             "log_json", "DETENTE_LOG_JSON");
  detente::AddSecurityOptions(app, config, o.security);
  detente::AddStorageOptions(app, config, o.storage);
  config.Add(app.add_option("--ingest-tls-ca", o.ingest_tls_ca,
                            "PEM CA to verify the ingestion service (TLS)"),
             "ingest_tls_ca", "DETENTE_INGEST_TLS_CA");
  config.Add(app.add_option("--ingest-tls-cert", o.ingest_tls_cert,
                            "PEM client certificate for the ingestion service"),
             "ingest_tls_cert", "DETENTE_INGEST_TLS_CERT");
  config.Add(app.add_option("--ingest-tls-key", o.ingest_tls_key,
                            "PEM client key for the ingestion service"),
             "ingest_tls_key", "DETENTE_INGEST_TLS_KEY");
  config.Add(app.add_option("--ingest-token-file", o.ingest_token_file,
                            "File holding the token presented to the "
                            "ingestion service"),
             "ingest_token_file", "DETENTE_INGEST_TOKEN_FILE");
  if (int code = config.Parse(app, argc, argv); code >= 0) return code;
  o.config_explain = config.Explain();
  return detente::RunQueryServer(o);
}
