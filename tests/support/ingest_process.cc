#include "support/ingest_process.h"

#include <signal.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "support/temp_dir.h"

namespace detente::itest {

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(128 << 20);
  args.SetMaxSendMessageSize(128 << 20);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                   args);
}

absl::Status WaitForIngest(const std::string& address, absl::Duration timeout) {
  auto stub = v1::IngestService::NewStub(MakeChannel(address));
  const absl::Time deadline = absl::Now() + timeout;
  grpc::Status last;
  while (true) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(500));
    v1::GetInfoResponse info;
    last = stub->GetInfo(&ctx, v1::GetInfoRequest(), &info);
    if (last.ok()) return absl::OkStatus();
    if (absl::Now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("detente-ingest at ", address,
                   " did not answer GetInfo: ", last.error_message()));
}

absl::StatusOr<std::unique_ptr<IngestProcess>> IngestProcess::Start(
    const IngestProcessOptions& o) {
  static std::atomic<int> counter{0};
  absl::Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const int n = counter++;
    const int port = PickFreePort();
    if (port <= 0) return absl::InternalError("no free port");
    std::unique_ptr<IngestProcess> p(new IngestProcess());
    p->address_ = absl::StrCat("127.0.0.1:", port);
    SubprocessOptions so;
    so.binary = o.binary;
    so.args = {"--listen", p->address_, "--data-dir", o.data_dir};
    so.args.insert(so.args.end(), o.extra_args.begin(), o.extra_args.end());
    so.stdout_path = absl::StrCat(o.log_dir, "/ingest-", n, ".stdout");
    so.stderr_path = absl::StrCat(o.log_dir, "/ingest-", n, ".stderr");
    p->process_ = std::make_unique<Subprocess>(std::move(so));
    if (absl::Status s = p->process_->Start(); !s.ok()) return s;
    // Poll readiness, but stop early if the child died.
    const absl::Time deadline = absl::Now() + o.ready_timeout;
    while (true) {
      last = WaitForIngest(p->address_, absl::Milliseconds(200));
      if (last.ok()) {
        p->stub_ = v1::IngestService::NewStub(MakeChannel(p->address_));
        return p;
      }
      if (!p->process_->running() ||
          p->process_->WaitFor(absl::ZeroDuration()).has_value()) {
        last = absl::InternalError(absl::StrCat(
            "detente-ingest exited before answering (",
            p->process_->Wait().ToString(), "); stderr: ", p->StderrText()));
        break;
      }
      if (absl::Now() >= deadline) return last;
    }
  }
  return last;
}

std::string IngestProcess::StderrText() const {
  return ReadFileOrEmpty(process_->options().stderr_path);
}

std::optional<ExitStatus> IngestProcess::Stop(absl::Duration timeout) {
  // Close our connection first: the server's graceful shutdown waits for
  // connected clients to go away (about 5 s with an idle channel open).
  stub_.reset();
  process_->Kill(SIGTERM);
  std::optional<ExitStatus> s = process_->WaitFor(timeout);
  if (!s) {
    process_->Kill(SIGKILL);
    process_->Wait();
  }
  return s;
}

}  // namespace detente::itest
