// detente-ingest: the ingestion service. Flags override environment
// variables, which override defaults (see docs/operations.md).
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "services/ingest/server.h"

int main(int argc, char** argv) {
  detente::IngestServerOptions o = detente::IngestServerOptionsFromEnv();
  std::string verify_dir;
  CLI::App app{"detente-ingest: appends diplomatic events to the event log"};
  app.add_option("--listen", o.listen, "gRPC listen address (DETENTE_INGEST_LISTEN)")
      ->capture_default_str();
  app.add_option("--data-dir", o.data_dir, "Log directory (DETENTE_INGEST_DATA_DIR)")
      ->capture_default_str();
  app.add_option("--durability", o.durability,
                 "sync: acknowledge after fsync; async: may lose the last "
                 "moments on a machine crash (DETENTE_DURABILITY)")
      ->check(CLI::IsMember({"sync", "async"}))
      ->capture_default_str();
  app.add_option("--log-level", o.log_level, "trace|debug|info|warn|error")
      ->capture_default_str();
  app.add_flag("--log-json", o.log_json, "Log JSON lines instead of text");
  app.add_option("--verify", verify_dir,
                 "Walk the log in DIR, report inconsistencies and exit "
                 "(0 sound, 1 inconsistent, 2 unreadable)");
  CLI11_PARSE(app, argc, argv);
  if (!verify_dir.empty()) return detente::RunVerify(verify_dir);
  return detente::RunIngestServer(o);
}
