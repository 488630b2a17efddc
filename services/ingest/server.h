// Wiring of the detente-ingest process: open the log, build the gRPC server
// (service, health, reflection), serve until SIGTERM/SIGINT, shut down
// gracefully (stop accepting, finish in-flight appends, flush, close).
#pragma once

#include <string>
#include <vector>

#include "services/common/security.h"
#include "services/common/storage_options.h"

namespace detente {

// Every setting, with its default (docs/configuration.md).
struct IngestServerOptions {
  std::string listen = "127.0.0.1:7601";
  std::string data_dir = "var/ingest";
  std::string durability = "sync";
  // "rocksdb": the embedded log in data_dir. "jetstream": cluster mode
  // (docs/cluster.md), the log is a JetStream stream and data_dir this
  // node's copy of it.
  std::string log = "rocksdb";
  std::string nats;  // NATS URLs, comma-separated (jetstream)
  std::string nats_stream = "DETENTE";
  int nats_replicas = 3;  // when this node creates the stream
  std::string log_level = "info";
  bool log_json = false;
  // Prometheus /metrics address; "" (the default) serves none.
  std::string metrics_listen;  // e.g. "127.0.0.1:9601"
  // Largest request accepted, bytes (larger: RESOURCE_EXHAUSTED).
  int max_receive_bytes = 64 << 20;
  // Concurrent calls (HTTP/2 streams) per client connection.
  int max_concurrent_streams = 256;
  // Ids the id index holds in memory before writing them as one file
  // (RocksEventLogOptions::id_index_chunk).
  size_t id_index_chunk = 450000;
  SecurityOptions security;
  StorageOptions storage;  // the log's block cache
  // Where each setting came from, logged at start (LayeredConfig).
  std::vector<std::string> config_explain;
};

// Returns the process exit code.
int RunIngestServer(const IngestServerOptions& options);
int RunVerify(const std::string& data_dir);

}  // namespace detente
