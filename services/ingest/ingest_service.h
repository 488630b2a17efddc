// The gRPC IngestService over an EventLog. Thin: each handler converts the
// request (services/common/event_mapping.h), calls the library, converts the
// answer.
//
// Append and AppendStream use gRPC's callback API on raw bytes: requests are
// parsed with the lenient mirror messages (lenient.proto) so that invalid
// UTF-8 is reported by validation like any other rule. AppendStream's
// batches go through the log's AppendAsync, answered from its threads in
// commit order, and concurrent appends share one group commit. A unary
// Append goes through AppendHere: when the log is idle and appends come
// one at a time, gRPC's thread commits it itself (one write and fsync) and
// answers without two thread handoffs; under load it joins the group
// commit like any other. That blocks a callback thread on the disk, which
// gRPC's advice is not to do; it is bounded: one commit runs at a time, so
// at most one of gRPC 1.51's callback threads (at least two) waits, and a
// stalled disk stalls every append, inline or queued. Read and
// Subscribe are callback reactors whose bodies run on a thread of their
// own (ThreadedWriteReactor) and block on a slow reader's flow control,
// which is exactly the back-pressure they need; they hold no callback
// thread.
#pragma once

#include <atomic>
#include <functional>

#include <grpcpp/support/byte_buffer.h>

#include "detente/v1/ingest.grpc.pb.h"
#include "eventlog/event_log.h"
#include "eventlog/subscription.h"
#include "services/common/threaded_write_reactor.h"
#include "services/common/security.h"
#include "services/ingest/ingest_metrics.h"

namespace detente {

struct IngestServiceOptions {
  // Soft limit on the bytes of one Read/Subscribe response message; a page
  // is split when it would exceed it. Default 1 MiB (clients accept 4 MiB).
  size_t max_response_bytes = 1u << 20;
  // Today's UTC date, for the "not in the future" rule. Default: the clock.
  std::function<DayNumber()> today;
  // Optional; not owned.
  IngestMetrics* metrics = nullptr;
  // Who may call what (reader: Read, Subscribe, GetEvent, GetInfo; writer:
  // Append, AppendStream). Optional (nullptr: everyone); not owned.
  const Authorizer* auth = nullptr;
  // Read and Subscribe streams open at once (each holds a thread, a Read
  // two while it reads ahead); more are refused with RESOURCE_EXHAUSTED.
  int max_open_streams = 4096;
};

// Append, AppendStream, Read and Subscribe as raw callback methods, the
// rest (GetEvent, GetInfo, Backup) synchronous.
// Append, AppendStream, Read and Subscribe take and give raw bytes: appends
// parse leniently (services/ingest/lenient.proto) to report bad input
// field by field, reads write stored records straight to the wire.
using IngestServiceBase = v1::IngestService::WithRawCallbackMethod_Append<
    v1::IngestService::WithRawCallbackMethod_AppendStream<
        v1::IngestService::WithRawCallbackMethod_Read<
            v1::IngestService::WithRawCallbackMethod_Subscribe<
                v1::IngestService::Service>>>>;

class IngestService final : public IngestServiceBase {
 public:
  IngestService(EventLog& log, IngestServiceOptions options);

  // Ends Subscribe streams (used on shutdown).
  void StopStreams() { stopping_ = true; }

  grpc::ServerUnaryReactor* Append(grpc::CallbackServerContext* ctx,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* AppendStream(
      grpc::CallbackServerContext* ctx) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Read(
      grpc::CallbackServerContext* ctx,
      const grpc::ByteBuffer* request) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Subscribe(
      grpc::CallbackServerContext* ctx,
      const grpc::ByteBuffer* request) override;
  grpc::Status GetEvent(grpc::ServerContext* ctx,
                        const v1::GetEventRequest* req,
                        v1::GetEventResponse* resp) override;
  grpc::Status GetInfo(grpc::ServerContext* ctx, const v1::GetInfoRequest* req,
                       v1::GetInfoResponse* resp) override;
  // An admin operation (see ingest.proto). Synchronous: it blocks a handler
  // thread for as long as the copy takes, never a callback reactor.
  grpc::Status Backup(grpc::ServerContext* ctx, const v1::BackupRequest* req,
                      v1::BackupResponse* resp) override;

 private:
  class AppendStreamReactor;
  // A validated batch and how its answer describes the entries.
  struct PreparedBatch {
    AppendBatch batch;
    bool summary = false;  // AppendRequest.result_detail SUMMARY
  };
  template <typename Request>
  absl::StatusOr<PreparedBatch> PrepareBatch(Request& req);
  absl::Status Authorize(const grpc::ServerContextBase& ctx, Role role) const;
  // Completes an append: metrics, then the caller's answer.
  void Record(const absl::StatusOr<AppendResult>& r, size_t entries,
              absl::Time start);

  // `stored_records`: send the records as stored (SubscribeRequest).
  grpc::Status RunSubscription(SubscriptionOptions o, bool stored_records,
                               ThreadedWriteReactor& w);

  EventLog& log_;
  IngestServiceOptions options_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> open_streams_{0};
};

}  // namespace detente
