// The subcommands of the `detente` command line. Each returns the process
// exit code: 0 success, 1 failure reported by a service or rejected input,
// 2 usage or connection error.
#pragma once

#include <string>
#include <vector>

namespace detente::cli {

struct IngestOptions {
  std::string address;
  std::vector<std::string> files;  // "-" for stdin
  int batch = 1000;
  bool strict = false;
  bool quiet = false;
};
int RunIngest(const IngestOptions& o);

struct ReadOptions {
  std::string address;
  std::string pair;  // "KOR-JPN" or empty
  uint64_t from = 0;
  uint64_t to = 0;
  bool backward = false;
  bool by_date = false;  // sort by event date (ties by position)
  std::string format = "table";  // table | jsonl
  uint64_t limit = 0;
};
int RunRead(const ReadOptions& o);

int RunInfo(const std::string& address);

}  // namespace detente::cli
