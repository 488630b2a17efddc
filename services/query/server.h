// Wiring of the detente-query process: the read models (projection
// manager, which follows detente-ingest), the gRPC server (query service,
// health, reflection), graceful shutdown on SIGTERM/SIGINT.
#pragma once

#include <string>
#include <vector>

#include "services/common/security.h"
#include "services/common/storage_options.h"

namespace detente {

// Every setting, with its default (docs/configuration.md).
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
  // gRPC health says SERVING only while the read models are connected and
  // at most this many entries behind the ingestion head.
  uint64_t max_serving_lag = 1000;
  // Budget of each series answer cache (pair, group), MiB; 0 disables.
  size_t answer_cache_mb = 64;
  // Budget of the day totals of whole pairs (packed), MiB; 0 disables.
  size_t day_cache_mb = 192;
  // Entries gathered into one batch while far behind the head
  // (FollowerOptions::catch_up_batch); 0 applies each message as it comes.
  uint32_t catch_up_batch = 50000;
  // How the ingestion service sends the log: "records" (as it stores them,
  // FollowerOptions::stored_records) or "events" (RecordedEvents).
  std::string subscribe_as = "records";
  // The gRPC and HTTP servers' TLS and tokens.
  SecurityOptions security;
  StorageOptions storage;  // the read models' block cache
  // Towards the ingestion service: CA to verify it, a client certificate
  // and key for mTLS, and a file holding the token to present.
  std::string ingest_tls_ca;
  std::string ingest_tls_cert;
  std::string ingest_tls_key;
  std::string ingest_token_file;
  std::vector<std::string> config_explain;
};

// Returns the process exit code.
int RunQueryServer(const QueryServerOptions& options);

}  // namespace detente
