#include "services/ingest/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <thread>

#include "common/logging.h"
#include "eventlog/rocks_event_log.h"
#include "eventlog/verify.h"
#include "services/ingest/ingest_service.h"
#include "spdlog/spdlog.h"

namespace detente {
namespace {

void FromEnv(const char* name, std::string& out) {
  if (const char* v = std::getenv(name); v != nullptr && *v != '\0') out = v;
}

}  // namespace

IngestServerOptions IngestServerOptionsFromEnv() {
  IngestServerOptions o;
  FromEnv("DETENTE_INGEST_LISTEN", o.listen);
  FromEnv("DETENTE_INGEST_DATA_DIR", o.data_dir);
  FromEnv("DETENTE_DURABILITY", o.durability);
  FromEnv("DETENTE_LOG_LEVEL", o.log_level);
  return o;
}

int RunVerify(const std::string& data_dir) {
  absl::StatusOr<VerifyReport> report = VerifyRocksEventLog(data_dir);
  if (!report.ok()) {
    std::cerr << "cannot verify " << data_dir << ": " << report.status()
              << "\n";
    return 2;
  }
  for (const std::string& p : report->problems) std::cout << "problem: " << p << "\n";
  std::cout << (report->ok() ? "OK" : "INCONSISTENT") << ": " << report->entries
            << " entries, head " << report->head << ", " << report->streams
            << " streams, " << report->problem_count << " problems\n";
  return report->ok() ? 0 : 1;
}

int RunIngestServer(const IngestServerOptions& o) {
  InitLogging({.level = o.log_level, .json = o.log_json});
  // Signals are taken by a dedicated thread (sigwait), so block them in
  // every thread before any is started.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<EventLog>> log = OpenRocksEventLog(
      {.path = o.data_dir,
       .durability =
           o.durability == "async" ? Durability::kAsync : Durability::kSync});
  if (!log.ok()) {
    spdlog::critical("cannot open the event log: {}", log.status().ToString());
    return 1;
  }
  IngestService service(**log, {});

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(o.listen, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(o.max_receive_bytes);
  builder.RegisterService(&service);
  // Let long-lived Subscribe streams keep their connections alive.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    spdlog::critical("cannot listen on {}", o.listen);
    return 1;
  }
  server->GetHealthCheckService()->SetServingStatus(
      "detente.v1.IngestService", true);
  spdlog::info("detente-ingest listening on {} (data {}, durability {})",
               o.listen, o.data_dir, o.durability);

  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("signal {}: shutting down", sig);
    server->GetHealthCheckService()->Shutdown();
    service.StopStreams();
    // In-flight appends get up to 10 s to finish; streams end at once.
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  });
  server->Wait();
  waiter.join();
  (*log)->Close();
  spdlog::info("detente-ingest stopped");
  return 0;
}

}  // namespace detente
