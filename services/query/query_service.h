// The gRPC QueryService over the read models. Thin: each handler maps the
// request (request_mapping.h), asks libs/projections, maps the answer.
// Synchronous API: a Watch stream occupies one gRPC thread while open and
// blocks only itself when its client reads slowly.
#pragma once

#include <atomic>
#include <functional>
#include <semaphore>

#include "detente/v1/query.grpc.pb.h"
#include "services/common/security.h"
#include "services/query/answer_cache.h"
#include "services/query/projection_manager.h"
#include "services/query/query_metrics.h"

namespace detente {

struct QueryServiceOptions {
  // Today's UTC date (the default end of series). Default: the clock.
  std::function<DayNumber()> today;
  // Optional; not owned.
  QueryMetrics* metrics = nullptr;
  // Queries need the reader role, Rebuild admin. Optional (nullptr:
  // everyone); not owned. Calls without a ServerContext (the HTTP gateway,
  // which checks HTTP headers itself) are not checked here.
  const Authorizer* auth = nullptr;
  // Budget of each answer cache (pair and group series; answer_cache.h).
  // 0 disables caching.
  size_t answer_cache_bytes = 64u << 20;
};

class QueryService final : public v1::QueryService::Service {
 public:
  QueryService(ProjectionManager& projections, QueryServiceOptions options);

  // Ends Watch streams (used on shutdown).
  void StopStreams() { stopping_ = true; }

  grpc::Status GetTemperature(grpc::ServerContext*,
                              const v1::GetTemperatureRequest* req,
                              v1::GetTemperatureResponse* resp) override;
  grpc::Status GetGroupTemperature(
      grpc::ServerContext*, const v1::GetGroupTemperatureRequest* req,
      v1::GetGroupTemperatureResponse* resp) override;
  grpc::Status GetTimeline(grpc::ServerContext*,
                           const v1::GetTimelineRequest* req,
                           v1::GetTimelineResponse* resp) override;
  grpc::Status GetMovers(grpc::ServerContext*, const v1::GetMoversRequest* req,
                         v1::GetMoversResponse* resp) override;
  grpc::Status GetActorSummary(grpc::ServerContext*,
                               const v1::GetActorSummaryRequest* req,
                               v1::GetActorSummaryResponse* resp) override;
  grpc::Status Watch(grpc::ServerContext* ctx, const v1::WatchRequest* req,
                     grpc::ServerWriter<v1::WatchResponse>* writer) override;
  grpc::Status GetStatus(grpc::ServerContext*, const v1::GetStatusRequest*,
                         v1::GetStatusResponse* resp) override;
  grpc::Status Rebuild(grpc::ServerContext*, const v1::RebuildRequest*,
                       v1::RebuildResponse* resp) override;

 private:
  absl::Status Temperature(const v1::GetTemperatureRequest& req,
                           v1::GetTemperatureResponse* resp);
  absl::Status Group(const v1::GetGroupTemperatureRequest& req,
                     v1::GetGroupTemperatureResponse* resp);
  absl::Status Timeline(const v1::GetTimelineRequest& req,
                        v1::GetTimelineResponse* resp);
  absl::Status Movers(const v1::GetMoversRequest& req,
                      v1::GetMoversResponse* resp);
  absl::Status ActorSummary(const v1::GetActorSummaryRequest& req,
                            v1::GetActorSummaryResponse* resp);

  grpc::Status Guard(grpc::ServerContext* ctx, Role role) const;

  ProjectionManager& projections_;
  QueryServiceOptions options_;
  std::atomic<bool> stopping_{false};
  AnswerCache<v1::GetTemperatureResponse> pair_answers_;
  AnswerCache<v1::GetGroupTemperatureResponse> group_answers_;
  // Series computed at once (one per core, at least 2): a poll storm after
  // a write queues here instead of every handler thread holding a working
  // set at the same time (memory stayed flat only with a bound).
  std::counting_semaphore<> compute_slots_;
};

}  // namespace detente
