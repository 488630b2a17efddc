// `detente backup DIR`: the IngestService.Backup admin RPC.
#include <chrono>
#include <iostream>

#include "absl/strings/str_format.h"
#include "detente/v1/ingest.grpc.pb.h"
#include "tools/cli/client.h"
#include "tools/cli/commands.h"

namespace detente::cli {
namespace {

std::string HumanBytes(uint64_t bytes) {
  if (bytes < 1024) return absl::StrFormat("%d B", bytes);
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes) / 1024;
  int u = 0;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  return absl::StrFormat("%.1f %s", v, units[u]);
}

}  // namespace

int RunBackup(const BackupOptions& o) {
  auto stub = v1::IngestService::NewStub(Connect(o.address));
  v1::BackupRequest req;
  req.set_directory(o.directory);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::seconds(o.timeout_seconds));
  v1::BackupResponse resp;
  grpc::Status s = stub->Backup(&ctx, req, &resp);
  if (!s.ok()) {
    std::cerr << "error: " << DescribeError(s) << "\n";
    return s.error_code() == grpc::StatusCode::UNAVAILABLE &&
                   s.error_message().find("connect") != std::string::npos
               ? 2
               : 1;
  }
  std::cout << "backup:         " << resp.directory() << " (on the server)\n"
            << "head position:  " << resp.head_position() << "\n"
            << "entries:        " << resp.entry_count() << "\n"
            << "files:          " << resp.file_count() << ", "
            << HumanBytes(resp.bytes())
            << (resp.hard_linked() ? " (data files hard-linked to the log's)"
                                   : " (copied)")
            << "\n"
            << "bytes:          " << resp.bytes() << "\n"
            << absl::StrFormat("time:           %.3f s\n",
                               static_cast<double>(resp.duration_ms()) / 1000);
  return 0;
}

}  // namespace detente::cli
