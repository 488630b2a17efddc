// detente-grpc-echo ADDRESS READ_EVENTS: the gRPC floor's stand-in server
// (grpc_echo.h), started by detente-bench.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tools/bench/grpc_echo.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: detente-grpc-echo ADDRESS READ_EVENTS\n");
    return 2;
  }
  return detente::bench::RunEchoServer(argv[1],
                                       std::strtoull(argv[2], nullptr, 10));
}
