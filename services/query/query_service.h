// The gRPC QueryService over the read models. Thin: each handler maps the
// request (request_mapping.h), asks libs/projections, maps the answer.
// The series methods (GetTemperature, GetGroupTemperature: the dashboards'
// polls) use the callback API with raw messages: not-modified answers and
// answers from the cache, kept as their serialized bytes, are sent from
// gRPC's thread without building a message; the rest is computed on a
// ComputePool. The other methods use the synchronous API: a Watch stream
// occupies one gRPC thread while open and blocks only itself when its
// client reads slowly.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <semaphore>

#include "detente/v1/query.grpc.pb.h"
#include "services/common/security.h"
#include "services/query/answer_cache.h"
#include "services/query/compute_pool.h"
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

using QueryServiceBase = v1::QueryService::WithRawCallbackMethod_GetTemperature<
    v1::QueryService::WithRawCallbackMethod_GetGroupTemperature<
        v1::QueryService::Service>>;

class QueryService final : public QueryServiceBase {
 public:
  QueryService(ProjectionManager& projections, QueryServiceOptions options);

  // Ends Watch streams (used on shutdown).
  void StopStreams() { stopping_ = true; }

  grpc::ServerUnaryReactor* GetTemperature(grpc::CallbackServerContext* ctx,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetGroupTemperature(
      grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
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

  // The same answers as messages, blocking (the HTTP gateway, Watch).
  absl::Status Temperature(const v1::GetTemperatureRequest& req,
                           v1::GetTemperatureResponse* resp);
  absl::Status Group(const v1::GetGroupTemperatureRequest& req,
                     v1::GetGroupTemperatureResponse* resp);

 private:
  // A series answer: the serialized response without its position (field 1,
  // which proto3 writes first), shared with the answer cache, and the
  // position. The two make the response: Uint64Field(1, position) + body.
  struct Reply {
    std::shared_ptr<const std::string> body;
    uint64_t position = 0;
  };
  // nullopt: the answer needs computing, which `may_compute` false forbids.
  using MaybeReply = absl::StatusOr<std::optional<Reply>>;
  MaybeReply PairSeries(const v1::GetTemperatureRequest& req, bool may_compute,
                        QueryTimer& timer);
  MaybeReply GroupSeries(const v1::GetGroupTemperatureRequest& req,
                         bool may_compute, QueryTimer& timer);
  // An "as of now" answer from the cache (or nullopt without may_compute),
  // else computed by `compute`, which sets `computed_at` to its position.
  MaybeReply Cached(AnswerCache<std::string>& cache, const std::string& key,
                    const std::function<uint64_t()>& read_tag,
                    const ReadModelStore& store, bool may_compute,
                    QueryTimer& timer,
                    const std::function<absl::StatusOr<std::string>()>& compute,
                    const uint64_t& computed_at);
  // A series method over the callback API (see the top of this file).
  template <typename Request>
  grpc::ServerUnaryReactor* Serve(
      grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response, const char* method,
      MaybeReply (QueryService::*series)(const Request&, bool, QueryTimer&));
  absl::Status Timeline(const v1::GetTimelineRequest& req,
                        v1::GetTimelineResponse* resp);
  absl::Status Movers(const v1::GetMoversRequest& req,
                      v1::GetMoversResponse* resp);
  absl::Status ActorSummary(const v1::GetActorSummaryRequest& req,
                            v1::GetActorSummaryResponse* resp);

  grpc::Status Guard(const grpc::ServerContextBase* ctx, Role role) const;

  ProjectionManager& projections_;
  QueryServiceOptions options_;
  std::atomic<bool> stopping_{false};
  AnswerCache<std::string> pair_answers_;   // GetTemperatureResponse bodies
  AnswerCache<std::string> group_answers_;  // GetGroupTemperatureResponse
  // Series computed at once (one per core, at least 2): a poll storm after
  // a write queues here instead of every handler thread holding a working
  // set at the same time (memory stayed flat only with a bound).
  std::counting_semaphore<> compute_slots_;
  // Last member: destroyed (its tasks run, its threads joined) first.
  ComputePool pool_;
};

}  // namespace detente
