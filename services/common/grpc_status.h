// The one place where library errors (absl::Status) become wire errors.
// Field violations carried by the status (common/field_violation.h) become
// a google.rpc.BadRequest in the status details (grpc-status-details-bin).
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace google::rpc {
class Status;
}

namespace detente {

grpc::Status ToGrpcStatus(const absl::Status& status);

// The same error as a google.rpc.Status message (for per-batch errors inside
// a stream, e.g. AppendStreamResponse.error).
void ToRpcStatus(const absl::Status& status, google::rpc::Status* out);

}  // namespace detente
