// The gRPC IngestService over an EventLog. Thin: each handler converts the
// request (services/common/event_mapping.h), calls the library, converts the
// answer. Uses gRPC's synchronous API: handlers run on gRPC's thread pool and
// may block (on a group commit or on a slow reader's flow control), which
// is exactly the back-pressure Read, Subscribe and AppendStream need.
#pragma once

#include <atomic>
#include <functional>

#include "detente/v1/ingest.grpc.pb.h"
#include "eventlog/event_log.h"

namespace detente {

struct IngestServiceOptions {
  // Soft limit on the bytes of one Read/Subscribe response message; a page
  // is split when it would exceed it. Default 1 MiB (clients accept 4 MiB).
  size_t max_response_bytes = 1u << 20;
  // Today's UTC date, for the "not in the future" rule. Default: the clock.
  std::function<DayNumber()> today;
};

class IngestService final : public v1::IngestService::Service {
 public:
  IngestService(EventLog& log, IngestServiceOptions options);

  // Ends Subscribe streams (used on shutdown).
  void StopStreams() { stopping_ = true; }

  grpc::Status Append(grpc::ServerContext* ctx, const v1::AppendRequest* req,
                      v1::AppendResponse* resp) override;
  grpc::Status AppendStream(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::AppendStreamResponse,
                               v1::AppendStreamRequest>* stream) override;
  grpc::Status Read(grpc::ServerContext* ctx, const v1::ReadRequest* req,
                    grpc::ServerWriter<v1::ReadResponse>* writer) override;
  grpc::Status Subscribe(
      grpc::ServerContext* ctx, const v1::SubscribeRequest* req,
      grpc::ServerWriter<v1::SubscribeResponse>* writer) override;
  grpc::Status GetEvent(grpc::ServerContext* ctx,
                        const v1::GetEventRequest* req,
                        v1::GetEventResponse* resp) override;
  grpc::Status GetInfo(grpc::ServerContext* ctx, const v1::GetInfoRequest* req,
                       v1::GetInfoResponse* resp) override;

 private:
  absl::Status DoAppend(const v1::AppendRequest& req, v1::AppendResponse* resp);

  EventLog& log_;
  IngestServiceOptions options_;
  std::atomic<bool> stopping_{false};
};

}  // namespace detente
