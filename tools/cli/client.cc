#include "tools/cli/client.h"

#include <grpcpp/support/client_interceptor.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

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

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// Adds "authorization: Bearer <token>" to every call of the channel (call
// credentials would need TLS; tokens also work in plaintext on loopback).
class TokenInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit TokenInterceptor(std::string header) : header_(std::move(header)) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* m) override {
    if (m->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::
                PRE_SEND_INITIAL_METADATA)) {
      m->GetSendInitialMetadata()->insert({"authorization", header_});
    }
    m->Proceed();
  }

 private:
  std::string header_;
};

class TokenInterceptorFactory
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit TokenInterceptorFactory(std::string token)
      : header_("Bearer " + std::move(token)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new TokenInterceptor(header_);
  }

 private:
  std::string header_;
};

}  // namespace

std::shared_ptr<grpc::Channel> Connect(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  std::shared_ptr<grpc::ChannelCredentials> creds =
      grpc::InsecureChannelCredentials();
  auto read = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream pem;
    pem << in.rdbuf();
    return pem.str();
  };
  if (const std::string ca = Env("DETENTE_TLS_CA"); !ca.empty()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = read(ca);
    if (const std::string cert = Env("DETENTE_TLS_CERT"); !cert.empty()) {
      ssl.pem_cert_chain = read(cert);
      ssl.pem_private_key = read(Env("DETENTE_TLS_KEY"));
    }
    creds = grpc::SslCredentials(ssl);
  }
  std::vector<std::unique_ptr<
      grpc::experimental::ClientInterceptorFactoryInterface>>
      interceptors;
  if (const std::string token = Env("DETENTE_TOKEN"); !token.empty()) {
    interceptors.push_back(std::make_unique<TokenInterceptorFactory>(token));
  }
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      address, creds, args, std::move(interceptors));
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
