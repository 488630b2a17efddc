#include "services/query/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>

#include <cstdlib>
#include <thread>

#include "common/logging.h"
#include "services/query/http_gateway.h"
#include "services/query/projection_manager.h"
#include "services/query/query_service.h"
#include "spdlog/spdlog.h"

namespace detente {
namespace {

void FromEnv(const char* name, std::string& out) {
  if (const char* v = std::getenv(name); v != nullptr && *v != '\0') out = v;
}

}  // namespace

QueryServerOptions QueryServerOptionsFromEnv() {
  QueryServerOptions o;
  FromEnv("DETENTE_QUERY_LISTEN", o.listen);
  FromEnv("DETENTE_QUERY_DATA_DIR", o.data_dir);
  FromEnv("DETENTE_INGEST", o.ingest);
  FromEnv("DETENTE_QUERY_HTTP_LISTEN", o.http_listen);
  FromEnv("DETENTE_WEB_DIR", o.web_dir);
  FromEnv("DETENTE_LOG_LEVEL", o.log_level);
  return o;
}

int RunQueryServer(const QueryServerOptions& o) {
  InitLogging({.level = o.log_level, .json = o.log_json});
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<ProjectionManager>> projections =
      ProjectionManager::Open(
          {.data_dir = o.data_dir, .follower = {.ingest_address = o.ingest}});
  if (!projections.ok()) {
    spdlog::critical("cannot open the read models: {}",
                     projections.status().ToString());
    return 1;
  }
  QueryService service(**projections, {});

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(o.listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    spdlog::critical("cannot listen on {}", o.listen);
    return 1;
  }
  server->GetHealthCheckService()->SetServingStatus("detente.v1.QueryService",
                                                    true);
  HttpGateway http(service, {.listen = o.http_listen, .web_dir = o.web_dir});
  if (!o.http_listen.empty()) {
    absl::Status s = http.Start();
    if (!s.ok()) {
      spdlog::critical("{}", s.ToString());
      server->Shutdown();
      return 1;
    }
  }
  spdlog::info("detente-query listening on {} (data {}, following {})",
               o.listen, o.data_dir, o.ingest);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("signal {}: shutting down", sig);
    server->GetHealthCheckService()->Shutdown();
    service.StopStreams();
    http.Stop();
    (*projections)->Stop();
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  });
  server->Wait();
  waiter.join();
  projections->reset();
  spdlog::info("detente-query stopped");
  return 0;
}

}  // namespace detente
