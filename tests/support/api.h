// Helpers for talking to detente-ingest in tests: building events, reading
// the whole log, decoding google.rpc.BadRequest details.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "detente/v1/ingest.grpc.pb.h"
#include "google/rpc/status.pb.h"

namespace detente::itest {

// A plain event (kind unspecified, i.e. an event).
v1::Event MakeEvent(const std::string& id, const std::string& occurred_on,
                    const std::string& source, const std::string& target,
                    const std::string& event_code,
                    const std::string& title = "");

// A random version 4 UUID in lower-case canonical form.
std::string RandomUuid(std::mt19937_64& rng);

// Field names of the google.rpc.BadRequest in details[0] of `status`, in
// order; empty when there is none.
std::vector<std::string> BadRequestFields(const google::rpc::Status& status);
// The same for a gRPC status (its error_details hold a google.rpc.Status).
std::vector<std::string> BadRequestFields(const grpc::Status& status);

// Everything a Read answered.
struct ReadOutcome {
  grpc::Status status;
  std::vector<v1::RecordedEvent> events;
  std::vector<int> message_sizes;  // events per response message
  uint64_t head_position = 0;      // of the last message
};
ReadOutcome ReadAll(v1::IngestService::Stub& stub, const v1::ReadRequest& req);

// grpc.health.v1.Health/Check of `service` ("" for the server as a whole)
// at `address`: 1 SERVING, 2 NOT_SERVING, 0 unknown, -1 when the call
// failed.
int HealthStatus(const std::string& address, const std::string& service);

// GetInfo, or a failed status.
grpc::Status GetInfo(v1::IngestService::Stub& stub, v1::GetInfoResponse* out);

// A deadline `seconds` from now.
inline std::chrono::system_clock::time_point In(double seconds) {
  return std::chrono::system_clock::now() +
         std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

}  // namespace detente::itest
