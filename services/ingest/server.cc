#include "services/ingest/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/thread_name.h"
#include "eventlog/rocks_event_log.h"
#include "eventlog/verify.h"
#include "jetstream/jetstream_replicator.h"
#include "services/common/health_publisher.h"
#include "services/common/process.h"
#include "services/common/storage_gauges.h"
#include "services/ingest/ingest_service.h"
#include "spdlog/spdlog.h"

namespace detente {
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
  const sigset_t signals = StartServiceProcess(
      {.level = o.log_level, .json = o.log_json}, o.config_explain);

  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds =
      MakeServerCredentials(o.security);
  absl::StatusOr<std::unique_ptr<Authorizer>> auth = Authorizer::Load(o.security);
  for (const absl::Status& s : {creds.status(), auth.status()}) {
    if (!s.ok()) {
      spdlog::critical("{}", std::string(s.message()));
      return 2;
    }
  }
  auto registry = std::make_shared<prometheus::Registry>();
  IngestMetrics metrics(*registry);
  StorageGauges storage_gauges(*registry);
  std::unique_ptr<prometheus::Exposer> exposer;
  if (!o.metrics_listen.empty()) {
    try {
      exposer = std::make_unique<prometheus::Exposer>(o.metrics_listen);
      exposer->RegisterCollectable(registry);
    } catch (const std::exception& e) {
      spdlog::critical("cannot serve metrics on {}: {}", o.metrics_listen,
                       e.what());
      return 1;
    }
  }

  RocksEventLogOptions local{
      .path = o.data_dir,
      .durability =
          o.durability == "async" ? Durability::kAsync : Durability::kSync,
      .block_cache_bytes = o.storage.block_cache_bytes(),
      .table_metadata = o.storage.table_metadata(),
      .id_index_chunk = o.id_index_chunk,
      .on_commit = [&metrics,
                    cluster = o.log == "jetstream"](const CommitStats& c) {
        metrics.RecordCommit(c.entries, c.batches, c.write);
        if (cluster) metrics.RecordReplication(c.replicate, c.lost_races);
      }};
  absl::StatusOr<std::unique_ptr<EventLog>> log =
      o.log == "jetstream"
          ? OpenJetStreamEventLog({.urls = SplitNatsUrls(o.nats),
                                   .stream = o.nats_stream,
                                   .replicas = o.nats_replicas},
                                  std::move(local))
          : OpenRocksEventLog(local);
  if (!log.ok()) {
    spdlog::critical("cannot open the event log: {}", log.status().ToString());
    return 1;
  }
  metrics.SetHead((*log)->Head().value());
  IngestService service(**log, {.metrics = &metrics, .auth = auth->get()});

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(o.listen, *creds, &port);
  builder.SetMaxReceiveMessageSize(o.max_receive_bytes);
  builder.RegisterService(&service);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             o.max_concurrent_streams);
  // Keepalive: clients (long Subscribe streams) may ping every 10 s without
  // data; faster pingers get GOAWAY after two strikes. The server pings idle
  // connections every 60 s and drops them when no answer comes in 20 s.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    spdlog::critical("cannot listen on {}", o.listen);
    return 1;
  }
  // Health follows the log's storage: NOT_SERVING while appends cannot be
  // written (a storage failure until the log has reopened its storage, or
  // acknowledged entries missing from it: EventLog::StorageHealth).
  std::atomic<bool> stopping{false};
  // The storage gauges follow once a second.
  std::thread health([&] {
    NameThisThread("health");
    HealthPublisher publisher(*server, "detente.v1.IngestService");
    for (int tick = 0; !stopping; ++tick) {
      const absl::Status storage = (*log)->StorageHealth();
      publisher.Set(storage.ok(),
                    storage.ok() ? "the log can write" : storage.ToString());
      if (tick % 4 == 0) {
        if (absl::StatusOr<LogInfo> info = (*log)->Info(); info.ok()) {
          storage_gauges.Set(info->memory, info->compactions, info->disk_bytes);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  });
  spdlog::info("detente-ingest listening on {}{} (data {}, durability {}{})",
               o.listen, o.security.tls_cert.empty() ? "" : " with TLS",
               o.data_dir,
               o.log == "jetstream"
                   ? absl::StrCat("cluster: JetStream stream ", o.nats_stream,
                                  " at ", o.nats)
                   : o.durability,
               o.metrics_listen.empty() ? "" : ", metrics on " + o.metrics_listen);

  std::thread waiter([&] {
    NameThisThread("signal-wait");
    WaitForShutdownSignal(signals);
    server->GetHealthCheckService()->Shutdown();
    service.StopStreams();
    // In-flight appends get up to 10 s to finish; streams end at once.
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  });
  server->Wait();
  waiter.join();
  stopping = true;
  health.join();
  (*log)->Close();
  spdlog::info("detente-ingest stopped");
  return 0;
}

}  // namespace detente
