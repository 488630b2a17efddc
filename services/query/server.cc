#include "services/query/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/disk_usage.h"
#include "common/thread_name.h"
#include "services/common/health_publisher.h"
#include "services/common/process.h"
#include "services/query/http_gateway.h"
#include "services/query/projection_manager.h"
#include "services/query/query_service.h"
#include "spdlog/spdlog.h"

namespace detente {
namespace {

absl::StatusOr<FollowerOptions> FollowerSettings(const QueryServerOptions& o) {
  FollowerOptions f;
  f.ingest_address = o.ingest;
  f.catch_up_batch = o.catch_up_batch;
  f.stored_records = o.subscribe_as != "events";
  if (!o.ingest_tls_ca.empty()) {
    grpc::SslCredentialsOptions ssl;
    auto ca = ReadSecretFile(o.ingest_tls_ca, "--ingest-tls-ca");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    if (!o.ingest_tls_cert.empty()) {
      auto cert = ReadSecretFile(o.ingest_tls_cert, "--ingest-tls-cert");
      auto key = ReadSecretFile(o.ingest_tls_key, "--ingest-tls-key");
      if (!cert.ok()) return cert.status();
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    f.credentials = grpc::SslCredentials(ssl);
  }
  if (!o.ingest_token_file.empty()) {
    auto token = ReadSecretFile(o.ingest_token_file, "--ingest-token-file");
    if (!token.ok()) return token.status();
    f.token = std::string(absl::StripAsciiWhitespace(*token));
  }
  return f;
}

}  // namespace

int RunQueryServer(const QueryServerOptions& o) {
  const sigset_t signals = StartServiceProcess(
      {.level = o.log_level, .json = o.log_json}, o.config_explain);

  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds =
      MakeServerCredentials(o.security);
  absl::StatusOr<std::unique_ptr<Authorizer>> auth = Authorizer::Load(o.security);
  absl::StatusOr<FollowerOptions> follower = FollowerSettings(o);
  for (const absl::Status& s : {creds.status(), auth.status(), follower.status()}) {
    if (!s.ok()) {
      spdlog::critical("{}", std::string(s.message()));
      return 2;
    }
  }
  absl::StatusOr<std::unique_ptr<ProjectionManager>> projections =
      ProjectionManager::Open(
          {.data_dir = o.data_dir,
           .follower = *follower,
           .day_cache_bytes = o.day_cache_mb << 20,
           .block_cache_bytes = o.storage.block_cache_bytes(),
           .table_metadata = o.storage.table_metadata()});
  if (!projections.ok()) {
    spdlog::critical("cannot open the read models: {}",
                     projections.status().ToString());
    return 1;
  }
  QueryMetrics metrics;
  QueryService service(**projections,
                       {.metrics = &metrics,
                        .auth = auth->get(),
                        .answer_cache_bytes = o.answer_cache_mb << 20});

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(o.listen, *creds, &port);
  builder.RegisterService(&service);
  // Keep the synchronous handlers' threads: with gRPC's defaults (1..2
  // idle pollers) a burst of small requests made it create and end a thread
  // for most calls (copy_process and munmap dominated not-modified polls).
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 2);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 16);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 256);
  // Keepalive: dashboards holding Watch streams may ping every 10 s without
  // data; faster pingers get GOAWAY after two strikes.
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    spdlog::critical("cannot listen on {}", o.listen);
    return 1;
  }
  // Health tells the truth: SERVING only while connected and within
  // max_serving_lag of the ingestion head.
  std::atomic<bool> stopping{false};
  // The storage gauges follow every two seconds.
  std::thread health([&] {
    NameThisThread("health");
    HealthPublisher publisher(*server, "detente.v1.QueryService");
    for (int tick = 0; !stopping; ++tick) {
      if (tick % 8 == 0) {
        const std::shared_ptr<ReadModelStore> store = (*projections)->store();
        metrics.SetStorage(store->Memory(), store->Compactions(),
                           DirectoryBytes(o.data_dir));
        const ReadModelStore::AppliedEntries applied = store->Applied();
        metrics.SetApplied(applied.memtables, applied.tables);
      }
      ProjectionStatus st = (*projections)->status();
      const uint64_t lag = st.ingest_head > st.position
                               ? st.ingest_head.value() - st.position.value()
                               : 0;
      // Nor while the read models cannot be written (a full disk): the
      // answers would fall ever further behind.
      const bool serving = st.follower_state != FollowerState::kDisconnected &&
                           st.follower_state != FollowerState::kConnecting &&
                           lag <= o.max_serving_lag && st.storage_error.empty();
      metrics.SetProjection(st.position.value(), st.ingest_head.value(),
                            serving);
      publisher.Set(
          serving,
          absl::StrCat("position ", st.position.value(), ", lag ", lag,
                       st.storage_error.empty() ? "" : ", ", st.storage_error));
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  });
  HttpGateway http(service, {.listen = o.http_listen,
                             .web_dir = o.web_dir,
                             .tls_cert = o.security.tls_cert,
                             .tls_key = o.security.tls_key,
                             .tls_client_ca = o.security.tls_client_ca,
                             .auth = auth->get(),
                             .metrics = &metrics});
  if (!o.http_listen.empty()) {
    absl::Status s = http.Start();
    if (!s.ok()) {
      spdlog::critical("{}", s.ToString());
      stopping = true;
      health.join();
      server->Shutdown();
      return 1;
    }
  }
  spdlog::info("detente-query listening on {} (data {}, following {})",
               o.listen, o.data_dir, o.ingest);
  std::thread waiter([&] {
    NameThisThread("signal-wait");
    WaitForShutdownSignal(signals);
    server->GetHealthCheckService()->Shutdown();
    service.StopStreams();
    stopping = true;
    http.Stop();
    (*projections)->Stop();
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  });
  server->Wait();
  waiter.join();
  health.join();
  projections->reset();
  spdlog::info("detente-query stopped");
  return 0;
}

}  // namespace detente
