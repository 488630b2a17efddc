// Connections of the `detente` command line to the services.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

namespace detente::cli {

// Default addresses: those the README's run command uses.
inline constexpr char kDefaultIngest[] = "127.0.0.1:7601";
inline constexpr char kDefaultQuery[] = "127.0.0.1:7602";

// Address from the flag, else the environment variable, else the default.
std::string ResolveAddress(const std::string& flag, const char* env_name,
                           const char* fallback);

// A channel to a service. DETENTE_TOKEN, when set, is sent as a bearer
// token on every call; DETENTE_TLS_CA (a PEM file) switches to TLS and
// verifies the server against it; DETENTE_TLS_CERT and DETENTE_TLS_KEY add
// a client certificate (mutual TLS).
std::shared_ptr<grpc::Channel> Connect(const std::string& address);

// "INVALID_ARGUMENT: message" plus one line per BadRequest field violation.
std::string DescribeError(const grpc::Status& status);

}  // namespace detente::cli
