// detente-ingest: the ingestion service. Settings come from flags, the
// environment and a TOML file, in that order of precedence
// (docs/configuration.md).
#include <CLI/CLI.hpp>

#include <iostream>

#include "services/common/layered_config.h"
#include "services/ingest/server.h"

int main(int argc, char** argv) {
  detente::IngestServerOptions o;
  std::string verify_dir, config_file;
  CLI::App app{"detente-ingest: appends diplomatic events to the event log"};
  detente::LayeredConfig config;
  app.add_option("--config", config_file,
                 "TOML configuration file (DETENTE_CONFIG)");
  config.Add(app.add_option("--listen", o.listen, "gRPC listen address")
                 ->capture_default_str(),
             "listen", "DETENTE_INGEST_LISTEN");
  config.Add(app.add_option("--data-dir", o.data_dir, "Log directory")
                 ->capture_default_str(),
             "data_dir", "DETENTE_INGEST_DATA_DIR");
  config.Add(app.add_option("--durability", o.durability,
                            "sync: acknowledge after fsync; async: may lose "
                            "the last moments on a machine crash")
                 ->check(CLI::IsMember({"sync", "async"}))
                 ->capture_default_str(),
             "durability", "DETENTE_DURABILITY");
  config.Add(app.add_option("--log", o.log,
                            "rocksdb: the embedded log in --data-dir; "
                            "jetstream: cluster mode, the log is a NATS "
                            "JetStream stream and --data-dir this node's copy")
                 ->check(CLI::IsMember({"rocksdb", "jetstream"}))
                 ->capture_default_str(),
             "log", "DETENTE_LOG");
  config.Add(app.add_option("--nats", o.nats,
                            "NATS servers of the cluster, comma-separated "
                            "(nats://host:4222,...)"),
             "nats", "DETENTE_NATS");
  config.Add(app.add_option("--nats-stream", o.nats_stream,
                            "JetStream stream that holds the log")
                 ->capture_default_str(),
             "nats_stream", "DETENTE_NATS_STREAM");
  config.Add(app.add_option("--nats-replicas", o.nats_replicas,
                            "Replicas of the stream when this node creates it")
                 ->check(CLI::Range(1, 5))
                 ->capture_default_str(),
             "nats_replicas", "DETENTE_NATS_REPLICAS");
  config.Add(app.add_option("--log-level", o.log_level,
                            "trace|debug|info|warn|error")
                 ->capture_default_str(),
             "log_level", "DETENTE_LOG_LEVEL");
  config.Add(app.add_flag("--log-json", o.log_json, "Log JSON lines"),
             "log_json", "DETENTE_LOG_JSON");
  config.Add(app.add_option("--metrics-listen", o.metrics_listen,
                            "Prometheus /metrics address, \"\" to disable")
                 ->capture_default_str(),
             "metrics_listen", "DETENTE_INGEST_METRICS_LISTEN");
  config.Add(app.add_option("--max-receive-bytes", o.max_receive_bytes,
                            "Largest request accepted")
                 ->capture_default_str(),
             "max_receive_bytes", "");
  config.Add(app.add_option("--max-concurrent-streams",
                            o.max_concurrent_streams,
                            "Concurrent calls per client connection")
                 ->capture_default_str(),
             "max_concurrent_streams", "");
  config.Add(app.add_option("--id-index-chunk", o.id_index_chunk,
                            "Entries whose index (ids, stream positions) "
                            "is kept in memory before it is written as "
                            "sorted files (~50 bytes each; read back from "
                            "the log at start)")
                 ->check(CLI::Range(size_t{1}, size_t{50000000}))
                 ->capture_default_str(),
             "id_index_chunk", "DETENTE_ID_INDEX_CHUNK");
  detente::AddSecurityOptions(app, config, o.security);
  detente::AddStorageOptions(app, config, o.storage);
  app.add_option("--verify", verify_dir,
                 "Walk the log in DIR, report inconsistencies and exit "
                 "(0 sound, 1 inconsistent, 2 unreadable)");
  if (int code = config.Parse(app, argc, argv); code >= 0) return code;
  if (!verify_dir.empty()) return detente::RunVerify(verify_dir);
  if (o.log == "jetstream" && o.nats.empty()) {
    std::cerr << "--log=jetstream needs --nats (the NATS servers)\n";
    return 2;
  }
  o.config_explain = config.Explain();
  return detente::RunIngestServer(o);
}
