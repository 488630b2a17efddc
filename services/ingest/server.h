// Wiring of the detente-ingest process: open the log, build the gRPC server
// (service, health, reflection), serve until SIGTERM/SIGINT, shut down
// gracefully (stop accepting, finish in-flight appends, flush, close).
#pragma once

#include <string>

namespace detente {

struct IngestServerOptions {
  std::string listen = "127.0.0.1:7601";
  std::string data_dir = "var/ingest";
  std::string durability = "sync";
  std::string log_level = "info";
  bool log_json = false;
  // Largest request accepted, bytes (larger: RESOURCE_EXHAUSTED).
  int max_receive_bytes = 64 << 20;
};

// Defaults overridden by DETENTE_INGEST_LISTEN, DETENTE_INGEST_DATA_DIR,
// DETENTE_DURABILITY, DETENTE_LOG_LEVEL.
IngestServerOptions IngestServerOptionsFromEnv();

// Returns the process exit code.
int RunIngestServer(const IngestServerOptions& options);
int RunVerify(const std::string& data_dir);

}  // namespace detente
