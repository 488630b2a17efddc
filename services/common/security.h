// Transport security and bearer-token authorization, shared by the
// services (docs/security.md).
//
// TLS: server certificate and key from PEM files; with a client CA, clients
// must present a certificate it signed (mTLS). Tokens: a file of
// "<role> <token> [name]" lines; roles reader < writer < admin (each
// includes the ones before it). Tokens are compared through their SHA-256
// digests in constant time and never logged. Without a tokens file,
// authorization is off (a warning is logged); with one, calls without a
// valid token are refused, except reads when anonymous reads are allowed.
//
//   ASSIGN_OR_RETURN(auto auth, Authorizer::Load(options.security));
//   RETURN_IF_ERROR(auth->Check(ctx->client_metadata(), Role::kWriter));
#pragma once

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/support/string_ref.h>

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace CLI {
class App;
}

namespace detente {

class LayeredConfig;

struct SecurityOptions {
  std::string tls_cert;       // PEM certificate chain of the server
  std::string tls_key;        // PEM private key of the server
  std::string tls_client_ca;  // PEM CA: require and verify client certs
  std::string tokens_file;    // "" = no authorization
  bool allow_anonymous_reads = false;
};

// --tls-cert, --tls-key, --tls-client-ca, --tokens-file,
// --allow-anonymous-reads (and DETENTE_TLS_CERT, ... in the environment).
void AddSecurityOptions(CLI::App& app, LayeredConfig& config,
                        SecurityOptions& o);

// Insecure when no certificate is configured.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const SecurityOptions& o);

// Reads a whole (PEM or token) file; INVALID_ARGUMENT naming `what` if not.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path,
                                           absl::string_view what);

enum class Role { kNone = 0, kReader = 1, kWriter = 2, kAdmin = 3 };

class Authorizer {
 public:
  // Disabled when o.tokens_file is empty.
  static absl::StatusOr<std::unique_ptr<Authorizer>> Load(
      const SecurityOptions& o);

  bool enabled() const { return enabled_; }

  // OK when `authorization` ("Bearer <token>") grants `needed`.
  // UNAUTHENTICATED: missing or unknown token. PERMISSION_DENIED: the
  // token's role is below `needed`.
  absl::Status Check(absl::string_view authorization, Role needed) const;
  // The same from gRPC metadata (key "authorization").
  absl::Status Check(
      const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
      Role needed) const;

 private:
  struct Token {
    std::array<unsigned char, 32> digest;
    Role role;
  };
  bool enabled_ = false;
  bool anonymous_reads_ = false;
  std::vector<Token> tokens_;
};

}  // namespace detente
