#include "tools/cli/client.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace detente::cli {

std::string ResolveAddress(const std::string& flag, const char* env_name,
                           const char* fallback) {
  if (!flag.empty()) return flag;
  if (const char* v = std::getenv(env_name); v != nullptr && *v != '\0') {
    return v;
  }
  return fallback;
}

std::shared_ptr<grpc::Channel> Connect(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                   args);
}

namespace {
const char* CodeName(int code) {
  static const char* kNames[] = {
      "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
      "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  return code >= 0 && code <= 16 ? kNames[code] : "UNKNOWN";
}
}  // namespace

std::string DescribeError(const grpc::Status& status) {
  std::string out = absl::StrCat(CodeName(status.error_code()), ": ",
                                 status.error_message());
  google::rpc::Status rich;
  if (!status.error_details().empty() &&
      rich.ParseFromString(status.error_details())) {
    for (const auto& any : rich.details()) {
      google::rpc::BadRequest bad;
      if (!any.UnpackTo(&bad)) continue;
      for (const auto& v : bad.field_violations()) {
        absl::StrAppend(&out, "\n  ", v.field(), ": ", v.description());
      }
    }
  }
  return out;
}

}  // namespace detente::cli
