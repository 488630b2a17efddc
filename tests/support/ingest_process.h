// A running detente-ingest for tests: started on a free loopback port over
// a data directory, with a gRPC stub to talk to it.
//
//   auto server = IngestProcess::Start({.binary = DETENTE_INGEST_BIN,
//                                       .data_dir = dir.Sub("data"),
//                                       .log_dir = dir.path()});
//   ASSERT_TRUE(server.ok()) << server.status();
//   (*server)->stub().GetInfo(...);
//   (*server)->Stop();  // SIGTERM, then the exit status
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "detente/v1/ingest.grpc.pb.h"
#include "support/subprocess.h"

namespace detente::itest {

// Polls GetInfo on `address` until it answers OK or `timeout` passes.
absl::Status WaitForIngest(const std::string& address, absl::Duration timeout);

// A channel that accepts and sends messages up to 128 MiB (so tests can
// exceed the server's own limits).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address);

struct IngestProcessOptions {
  std::string binary;    // path of detente-ingest
  std::string data_dir;  // created by the server when missing
  std::string log_dir;   // where ingest-<n>.stdout/.stderr go
  std::vector<std::string> extra_args;
  absl::Duration ready_timeout = absl::Seconds(30);
};

class IngestProcess {
 public:
  // Starts the server and waits until it answers GetInfo. Retries with a new
  // port when the child dies before answering (a port taken meanwhile).
  static absl::StatusOr<std::unique_ptr<IngestProcess>> Start(
      const IngestProcessOptions& options);

  const std::string& address() const { return address_; }
  v1::IngestService::Stub& stub() { return *stub_; }
  Subprocess& process() { return *process_; }
  std::string StderrText() const;

  // Drops stub() (closing its connection), sends SIGTERM and waits up to
  // `timeout` for the exit (SIGKILL after it: nullopt).
  std::optional<ExitStatus> Stop(absl::Duration timeout = absl::Seconds(15));

 private:
  IngestProcess() = default;

  std::string address_;
  std::unique_ptr<Subprocess> process_;
  std::unique_ptr<v1::IngestService::Stub> stub_;
};

}  // namespace detente::itest
