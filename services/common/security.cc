#include "services/common/security.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/layered_config.h"
#include "spdlog/spdlog.h"

namespace detente {
namespace {

std::array<unsigned char, 32> Digest(absl::string_view token) {
  std::array<unsigned char, 32> d;
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(),
         d.data());
  return d;
}

}  // namespace

void AddSecurityOptions(CLI::App& app, LayeredConfig& config,
                        SecurityOptions& o) {
  config.Add(app.add_option("--tls-cert", o.tls_cert,
                            "PEM certificate chain: serve TLS"),
             "tls_cert", "DETENTE_TLS_CERT");
  config.Add(app.add_option("--tls-key", o.tls_key, "PEM private key"),
             "tls_key", "DETENTE_TLS_KEY");
  config.Add(app.add_option("--tls-client-ca", o.tls_client_ca,
                            "PEM CA: require client certificates (mTLS)"),
             "tls_client_ca", "DETENTE_TLS_CLIENT_CA");
  config.Add(app.add_option("--tokens-file", o.tokens_file,
                            "Bearer tokens with roles (docs/security.md)"),
             "tokens_file", "DETENTE_TOKENS_FILE");
  config.Add(app.add_flag("--allow-anonymous-reads", o.allow_anonymous_reads,
                          "With --tokens-file: reads need no token"),
             "allow_anonymous_reads", "DETENTE_ALLOW_ANONYMOUS_READS");
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path,
                                           absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": cannot read ", path));
  }
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const SecurityOptions& o) {
  if (o.tls_cert.empty() && o.tls_key.empty()) {
    if (!o.tls_client_ca.empty()) {
      return absl::InvalidArgumentError(
          "--tls-client-ca needs --tls-cert and --tls-key");
    }
    return grpc::InsecureServerCredentials();
  }
  if (o.tls_cert.empty() || o.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  grpc::SslServerCredentialsOptions ssl;
  auto cert = ReadSecretFile(o.tls_cert, "--tls-cert");
  if (!cert.ok()) return cert.status();
  auto key = ReadSecretFile(o.tls_key, "--tls-key");
  if (!key.ok()) return key.status();
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!o.tls_client_ca.empty()) {
    auto ca = ReadSecretFile(o.tls_client_ca, "--tls-client-ca");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    ssl.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

absl::StatusOr<std::unique_ptr<Authorizer>> Authorizer::Load(
    const SecurityOptions& o) {
  auto a = std::unique_ptr<Authorizer>(new Authorizer());
  a->anonymous_reads_ = o.allow_anonymous_reads;
  if (o.tokens_file.empty()) {
    spdlog::warn("authorization is off: no --tokens-file (anyone who reaches "
                 "the port may read and write)");
    return a;
  }
  auto text = ReadSecretFile(o.tokens_file, "--tokens-file");
  if (!text.ok()) return text.status();
  a->enabled_ = true;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    std::vector<absl::string_view> parts =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    Role role = Role::kNone;
    if (parts.size() >= 2) {
      if (parts[0] == "reader") role = Role::kReader;
      if (parts[0] == "writer") role = Role::kWriter;
      if (parts[0] == "admin") role = Role::kAdmin;
    }
    if (role == Role::kNone || parts[1].size() < 16) {
      return absl::InvalidArgumentError(absl::StrCat(
          o.tokens_file, ":", line_no,
          ": expected \"reader|writer|admin <token of at least 16 "
          "characters> [name]\""));
    }
    a->tokens_.push_back({Digest(parts[1]), role});
  }
  spdlog::info("authorization on: {} tokens{}", a->tokens_.size(),
               a->anonymous_reads_ ? ", anonymous reads allowed" : "");
  return a;
}

absl::Status Authorizer::Check(absl::string_view authorization,
                               Role needed) const {
  if (!enabled_) return absl::OkStatus();
  if (authorization.empty()) {
    if (anonymous_reads_ && needed == Role::kReader) return absl::OkStatus();
    return absl::UnauthenticatedError(
        "a bearer token is required (authorization: Bearer <token>)");
  }
  absl::string_view token = authorization;
  if (!absl::ConsumePrefix(&token, "Bearer ") &&
      !absl::ConsumePrefix(&token, "bearer ")) {
    return absl::UnauthenticatedError(
        "the authorization header must be \"Bearer <token>\"");
  }
  const std::array<unsigned char, 32> d = Digest(token);
  Role found = Role::kNone;
  // Every token is compared, in constant time, whatever matches.
  for (const Token& t : tokens_) {
    const bool match = CRYPTO_memcmp(t.digest.data(), d.data(), d.size()) == 0;
    found = match && t.role > found ? t.role : found;
  }
  if (found == Role::kNone) {
    return absl::UnauthenticatedError("unknown token");
  }
  if (found < needed) {
    static const char* kNames[] = {"none", "reader", "writer", "admin"};
    return absl::PermissionDeniedError(
        absl::StrCat("this call needs the ", kNames[int(needed)],
                     " role; the token has ", kNames[int(found)]));
  }
  return absl::OkStatus();
}

absl::Status Authorizer::Check(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
    Role needed) const {
  if (!enabled_) return absl::OkStatus();
  auto it = metadata.find("authorization");
  absl::string_view value;
  if (it != metadata.end()) value = {it->second.data(), it->second.size()};
  return Check(value, needed);
}

}  // namespace detente
