// The gRPC floor: what gRPC itself costs on this machine for the calls of
// scenarios 2 and 5, in the same run, as raw RocksDB is the floor of the
// log's writes and scans (rocks_floor.h).
//
// A stand-in server (`detente-bench --echo-server ADDR`, started as a child
// process) answers IngestService.Append, AppendStream and Read and
// QueryService.GetTemperature with
// canned answers of the real shapes and sizes and does nothing else: no
// validation, no log, no read models. The same client loops as scenarios 1,
// 2, 3 and 5 call it (same requests, same parsing of the answers), so those
// rows print their ratio to what gRPC alone reaches here:
//   "0g gRPC floor: AppendStream x1000"          (1)
//   "0g gRPC floor: Append x1, 1 client"         (2a)
//   "0g gRPC floor: Read of the whole log"       (3)
//   "0g gRPC floor: Append x1, 64 clients"       (2b; the count is
//                                                config.concurrent_appenders)
//   "0g gRPC floor: series, 120 points"          (5a)
//   "0g gRPC floor: series, 3652 points"         (5b)
//   "0g gRPC floor: series as columns, 3652 points" (5b, columns)
//   "0g gRPC floor: series, not_modified"        (5c)
#pragma once

#include <string>

#include "tools/bench/scenarios.h"

namespace detente::bench {

// Starts `echo_bin` (detente-grpc-echo) on a free loopback port, runs the
// floor loops, stops it. Adds the rows above to c.report.
void RunGrpcFloor(BenchContext& c, const std::string& echo_bin,
                  const std::string& log_path);

}  // namespace detente::bench
