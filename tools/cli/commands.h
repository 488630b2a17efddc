// The subcommands of the `detente` command line. Each returns the process
// exit code: 0 success, 1 failure reported by a service or rejected input,
// 2 usage or connection error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace detente::cli {

struct IngestOptions {
  std::string address;
  std::vector<std::string> files;  // "-" for stdin; .gz read directly
  std::string format;  // jsonl | csv | gdelt | icews; empty: guess per file
  int batch = 1000;
  bool strict = false;
  bool quiet = false;  // no progress bar
};
int RunIngest(const IngestOptions& o);

struct ReadOptions {
  std::string address;
  std::string pair;  // "KOR-JPN" or empty
  uint64_t from = 0;
  uint64_t to = 0;
  bool backward = false;
  bool by_date = false;          // sort by event date (ties by position)
  std::string format = "table";  // table | jsonl
  uint64_t limit = 0;
};
int RunRead(const ReadOptions& o);

int RunInfo(const std::string& address);

// `detente backup DIR`: an online copy of the log into DIR, a directory on
// the ingestion service's machine (IngestService.Backup, an admin call).
struct BackupOptions {
  std::string address;
  std::string directory;  // absolute, on the server; new or empty
  int timeout_seconds = 3600;
};
int RunBackup(const BackupOptions& o);

// `detente export`: filters as in detente.v1.EventFilter; empty = all.
struct ExportOptions {
  std::string address;
  uint64_t from = 0;  // first position, 0 = the start
  uint64_t to = 0;    // last position, 0 = the head when the export starts
  std::string pair;
  std::vector<std::string> actors;
  std::string occurred_from;
  std::string occurred_to;
  std::vector<std::string> cameo_roots;
  std::vector<std::string> tags;
  bool quiet = false;  // no "exported N entries" on stderr
};
int RunExport(const ExportOptions& o);

// `detente synth`: see tools/cli/synth_history.h for the meaning.
struct SynthCommandOptions {
  uint64_t events = 10000;
  uint64_t seed = 1;
  int actors = 200;
  double late_fraction = 0.05;
  double corrections = 0.02;
  double retractions = 0.01;
  std::string out = "-";
};
int RunSynth(const SynthCommandOptions& o);

}  // namespace detente::cli
