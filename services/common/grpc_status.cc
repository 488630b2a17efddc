#include "services/common/grpc_status.h"

#include "common/field_violation.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace detente {

void ToRpcStatus(const absl::Status& status, google::rpc::Status* out) {
  out->set_code(static_cast<int32_t>(status.code()));
  out->set_message(std::string(status.message()));
  std::vector<FieldViolation> violations = GetFieldViolations(status);
  if (violations.empty()) return;
  google::rpc::BadRequest bad;
  for (const FieldViolation& v : violations) {
    google::rpc::BadRequest::FieldViolation* f = bad.add_field_violations();
    f->set_field(v.field);
    f->set_description(v.description);
  }
  out->add_details()->PackFrom(bad);
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbers.
  auto code = static_cast<grpc::StatusCode>(status.code());
  if (GetFieldViolations(status).empty()) {
    return grpc::Status(code, std::string(status.message()));
  }
  google::rpc::Status rich;
  ToRpcStatus(status, &rich);
  return grpc::Status(code, std::string(status.message()),
                      rich.SerializeAsString());
}

}  // namespace detente
