// The gRPC floor's stand-in server (grpc_floor.h): detente-grpc-echo.
//
// Answers IngestService.Append, AppendStream and Read and
// QueryService.GetTemperature as the services would, with canned answers of
// the real shapes and sizes, and does nothing else: no validation, no log, no
// read models. It is built as the services are (jemalloc, Abseil's deadlock
// detection off) and parses requests as they do (appends with the lenient
// mirror on an AppendArena; series requests from the raw buffer), so that
// what it costs is gRPC's own work.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace detente::bench {

// Canned series answers shaped like scenario 5's: 2014-2023, values of the
// same kinds and magnitudes, counts every month (monthly) and on one day in
// 30 (daily), which gives the size of the real daily answers for the bench's
// busiest pairs (161-167 KB with points, 157 KB as columns).
struct CannedSeries {
  std::shared_ptr<const std::string> monthly, daily, daily_columns,
      not_modified;
};

CannedSeries MakeCannedSeries();

// Serves on `address` until SIGTERM or SIGINT (a Read sends `read_events`
// events); the exit status for main().
int RunEchoServer(const std::string& address, uint64_t read_events);

}  // namespace detente::bench
