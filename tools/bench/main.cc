// detente-bench: the benchmark suite of issue 6 (docs/benchmarks.md).
//
//   detente-bench                       # full run, 1M events
//   detente-bench --events 10000000     # the 10M-event run
//   detente-bench --smoke               # every scenario for a few seconds
//   detente-bench --scenarios 1,2 --ingest A1,A2 --ingest-pid P1,P2
//       --nats-pid N1,N2,N3             # through two cluster-mode nodes
//
// Starts detente-ingest and detente-query itself on free loopback ports with
// temporary data directories, or measures running ones given with --ingest /
// --query (and their pids for CPU and RSS). --ingest may list several nodes
// of one cluster: scenarios 1 and 2 then spread their streams and clients
// over them round-robin, and their rows are labelled "cluster xN" with the
// CPU and peak RSS of each node (and of the --nats-pid processes). Exit code
// 1 when a scenario saw errors.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tools/bench/grpc_floor.h"
#include "tools/bench/ingest_nodes.h"
#include "tools/bench/rocks_floor.h"
#include "tools/bench/scenarios.h"
#include "tools/bench/service_process.h"

namespace detente::bench {
namespace {

struct Flags {
  bool smoke = false;
  bool keep = false;
  std::set<int> scenarios = {0, 1, 2, 3, 4, 5, 6, 7};
  std::string work_dir, ingest_bin, query_bin, tsv;
  // Extra arguments for detente-query (repeatable --query-arg).
  std::vector<std::string> query_args;
  std::vector<std::string> ingest_addrs;  // --ingest A[,B...]
  std::vector<pid_t> ingest_pids, nats_pids;
  std::string query_addr, query_http;
  pid_t query_pid = -1;
  std::string durability = "sync";
  BenchConfig config;
  bool events_set = false;
};

// The flags, after `msg`: to stderr with exit status 2 after a bad flag,
// to stdout with 0 for --help.
[[noreturn]] void Usage(const char* msg, bool help = false) {
  std::fprintf(
      help ? stdout : stderr,
      "%s\nusage: detente-bench [--smoke] [--events N] [--seconds S]\n"
      "  [--mixed-seconds S] [--pollers N] [--scenarios 0,1,...,7]\n"
      "  [--load-streams N] [--load-window N] [--load-results "
      "summary|entries]\n"
      "  [--query-concurrency N]\n"
      "  [--work-dir DIR] [--keep] [--tsv FILE] [--durability sync|async]\n"
      "  [--dates pool|log]\n"
      "  [--ingest-bin PATH] [--query-bin PATH] [--query-arg ARG]...\n"
      "  [--ingest ADDR[,ADDR...] --ingest-pid PID[,PID...]]\n"
      "  [--nats-pid PID[,PID...]]\n"
      "  [--query ADDR --query-pid PID [--query-http HOST:PORT]]\n",
      msg);
  if (help) {
    std::printf(
        "\nScenarios: 0 floors (fsync, raw RocksDB, gRPC), 1 bulk load,\n"
        "2 unary appends, 3 replay, 4 query-service catch-up, 5 temperature\n"
        "queries and polls, 6 mixed run, 7 the gRPC floor alone.\n"
        "--dates log: event dates rise over the whole log (as in GDELT, every\n"
        "pair has events on many days) instead of repeating with each pool of\n"
        "20,000 event templates (--dates pool, the default).\n"
        "--load-results entries: loads ask for an EntryResult per entry\n"
        "rather than the summary answers a bulk loader asks for (default).\n"
        "docs/benchmarks.md has the commands and every round's results.\n");
  }
  std::exit(help ? 0 : 2);
}

Flags Parse(int argc, char** argv) {
  Flags f;
  BenchConfig& c = f.config;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      Usage("detente-bench: Detente's benchmark suite (issue 6)", true);
    }
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    auto num = [&]() -> double {
      double d = 0;
      std::string v = value();
      if (!absl::SimpleAtod(v, &d)) Usage(("bad number " + v).c_str());
      return d;
    };
    auto pids = [&]() -> std::vector<pid_t> {
      std::vector<pid_t> out;
      for (absl::string_view p : absl::StrSplit(value(), ',')) {
        int n = 0;
        if (!absl::SimpleAtoi(p, &n)) Usage(("bad pid in " + a).c_str());
        out.push_back(static_cast<pid_t>(n));
      }
      return out;
    };
    if (a == "--smoke") {
      f.smoke = true;
    } else if (a == "--keep") {
      f.keep = true;
    } else if (a == "--events") {
      c.events = static_cast<uint64_t>(num());
      f.events_set = true;
    } else if (a == "--seconds") {
      c.seconds = num();
    } else if (a == "--mixed-seconds") {
      c.mixed_seconds = num();
    } else if (a == "--pollers") {
      c.pollers = static_cast<int>(num());
    } else if (a == "--load-streams") {
      c.load_streams = static_cast<int>(num());
    } else if (a == "--load-window") {
      c.load_window = static_cast<int>(num());
    } else if (a == "--load-results") {
      const std::string v = value();
      if (v != "summary" && v != "entries") {
        Usage("--load-results takes summary or entries");
      }
      c.load_summary = v == "summary";
    } else if (a == "--query-concurrency") {
      c.query_concurrency = static_cast<int>(num());
    } else if (a == "--scenarios") {
      f.scenarios.clear();
      for (absl::string_view s : absl::StrSplit(value(), ',')) {
        int n = 0;
        if (!absl::SimpleAtoi(s, &n)) Usage("bad --scenarios");
        f.scenarios.insert(n);
      }
    } else if (a == "--work-dir") {
      f.work_dir = value();
    } else if (a == "--tsv") {
      f.tsv = value();
    } else if (a == "--durability") {
      f.durability = value();
    } else if (a == "--dates") {
      const std::string v = value();
      if (v != "pool" && v != "log") Usage("--dates takes pool or log");
      c.dates_across_log = v == "log";
    } else if (a == "--ingest-bin") {
      f.ingest_bin = value();
    } else if (a == "--query-bin") {
      f.query_bin = value();
    } else if (a == "--query-arg") {
      f.query_args.push_back(value());
    } else if (a == "--ingest") {
      f.ingest_addrs = std::vector<std::string>(
          absl::StrSplit(value(), ',', absl::SkipEmpty()));
    } else if (a == "--ingest-pid") {
      f.ingest_pids = pids();
    } else if (a == "--nats-pid") {
      f.nats_pids = pids();
    } else if (a == "--query") {
      f.query_addr = value();
    } else if (a == "--query-http") {
      f.query_http = value();
    } else if (a == "--query-pid") {
      f.query_pid = static_cast<pid_t>(num());
    } else {
      Usage(("unknown flag " + a).c_str());
    }
  }
  if (!f.ingest_pids.empty() && f.ingest_pids.size() != f.ingest_addrs.size()) {
    Usage("--ingest-pid needs one pid per --ingest address");
  }
  if (f.smoke) {
    if (!f.events_set) c.events = 20000;
    c.seconds = 1;
    c.mixed_seconds = 2;
    c.pollers = 50;
    c.poll_interval_ms = 200;
  }
  return f;
}

std::string SiblingBinary(const char* argv0, const std::string& rel) {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) self = argv0;
  return (self.parent_path() / rel).lexically_normal().string();
}

}  // namespace

int Main(int argc, char** argv) {
  Flags f = Parse(argc, argv);
  if (f.ingest_bin.empty()) {
    f.ingest_bin = SiblingBinary(argv[0], "../../services/ingest/detente-ingest");
  }
  if (f.query_bin.empty()) {
    f.query_bin = SiblingBinary(argv[0], "../../services/query/detente-query");
  }
  if (f.work_dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/detente-bench-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) Usage("cannot create a work dir");
    f.work_dir = tmpl;
  }
  std::filesystem::create_directories(f.work_dir);
  std::printf("# detente-bench%s: %lu events, work dir %s\n",
              f.smoke ? " --smoke" : "",
              static_cast<unsigned long>(f.config.events), f.work_dir.c_str());

  SynthEvents gen({.seed = 7});
  Report report;
  BenchContext c;
  c.config = f.config;
  c.gen = &gen;
  c.report = &report;

  report.Add(MeasureFsync(f.work_dir, f.smoke ? 50 : 500));
  if (f.scenarios.count(0)) {
    RunRocksFloor({.dir = f.work_dir + "/floor",
                   .events = f.config.events,
                   .single_seconds = f.smoke ? 0.5 : 5,
                   .concurrent_writers = f.config.concurrent_appenders},
                  gen, report);
  }
  if (f.scenarios.count(0) || f.scenarios.count(7)) {
    RunGrpcFloor(c, SiblingBinary(argv[0], "detente-grpc-echo"),
                 f.work_dir + "/echo.log");
  }

  ChildProcess ingest_proc, query_proc;
  if (f.ingest_addrs.empty()) {
    c.ingest.address = FreeLoopbackAddress();
    c.ingest.http_address = FreeLoopbackAddress();
    ingest_proc = ChildProcess::Start(
        f.ingest_bin,
        {"--listen", c.ingest.address, "--data-dir", f.work_dir + "/ingest",
         "--durability", f.durability, "--metrics-listen",
         c.ingest.http_address, "--log-level", "warn"},
        f.work_dir + "/ingest.log");
    c.ingest.pid = ingest_proc.pid();
    // As for the query service below: a channel made before the service
    // listens answers nothing for seconds after its refused connections.
    WaitForListener(c.ingest.address, 30);
    c.ingest.channel = MakeChannel(c.ingest.address);
    c.ingest_nodes.push_back(c.ingest);
  } else {
    for (size_t i = 0; i < f.ingest_addrs.size(); ++i) {
      ServiceHandle node{.address = f.ingest_addrs[i]};
      if (i < f.ingest_pids.size()) node.pid = f.ingest_pids[i];
      node.channel = MakeChannel(node.address);
      c.ingest_nodes.push_back(node);
    }
    c.ingest = c.ingest_nodes[0];
  }
  for (size_t i = 0; i < f.nats_pids.size(); ++i) {
    c.side_processes.push_back(
        {.name = "nats-" + std::to_string(i + 1), .pid = f.nats_pids[i]});
  }
  for (const ServiceHandle& node : c.ingest_nodes) {
    if (!WaitForIngest(node, 30)) {
      std::fprintf(stderr, "detente-ingest at %s does not answer (log: %s)\n",
                   node.address.c_str(), (f.work_dir + "/ingest.log").c_str());
      return 1;
    }
  }
  LabelNodes(c);
  if (c.system != "detente") {
    std::printf(
        "# %zu ingest nodes (%s), rows labelled \"%s\", durability %s\n",
        c.ingest_nodes.size(), absl::StrJoin(f.ingest_addrs, ", ").c_str(),
        c.system.c_str(), c.durability.c_str());
  }

  auto start_query = [&]() -> bool {
    if (!f.query_addr.empty()) {
      c.query.address = f.query_addr;
      c.query.pid = f.query_pid;
      c.query.http_address = f.query_http;
    } else {
      c.query.address = FreeLoopbackAddress();
      c.query.http_address = FreeLoopbackAddress();
      std::vector<std::string> args = {
          "--listen", c.query.address, "--data-dir", f.work_dir + "/query",
          "--ingest", c.ingest.address, "--http-listen", c.query.http_address,
          "--log-level", "warn"};
      args.insert(args.end(), f.query_args.begin(), f.query_args.end());
      query_proc = ChildProcess::Start(f.query_bin, args,
                                       f.work_dir + "/query.log");
      c.query.pid = query_proc.pid();
      // The channel is made once the service listens: a gRPC channel whose
      // first connection was refused answered nothing for ~10 s afterwards
      // (scenario 4 counted that as catch-up time).
      if (!WaitForListener(c.query.address, 15)) return false;
    }
    c.query.channel = MakeChannel(c.query.address);
    return c.query.pid > 0 || !f.query_addr.empty();
  };

  // Synthetic events are numbered: continue after what the log holds, so
  // that appends against a log loaded earlier (--ingest, or a kept work dir)
  // are new events, not duplicates of the ones already there.
  c.next_index = IngestHead(c.ingest);
  if (f.scenarios.count(1)) RunBulkLoad(c);
  if (f.scenarios.count(2)) {
    RunUnaryAppends(c);
    // Not against services started elsewhere: their /metrics is unknown.
    if (f.scenarios.count(1) && !c.ingest.http_address.empty()) {
      RunSettledAppends(c);
    }
  }
  if (f.scenarios.count(3)) RunReplay(c);
  const bool need_query = f.scenarios.count(4) || f.scenarios.count(5) ||
                          f.scenarios.count(6);
  if (f.scenarios.count(4)) {
    // From empty also in a kept work dir (--keep --work-dir W, run again):
    // the read models of an earlier run would make it a restart.
    if (f.query_addr.empty())
      std::filesystem::remove_all(f.work_dir + "/query");
    // Waits for the catch-up's compactions unless scenario 5 follows:
    // its first rows run beside them, and 5e waits for them after.
    RunCatchUp(c, start_query,
               /*settle=*/!f.scenarios.count(5) && f.query_addr.empty());
  } else if (need_query) {
    start_query();
  }
  if (f.scenarios.count(5)) {
    RunTemperatureQueries(c);
    RunHttpPolls(c);
    // Not against a query service started elsewhere (it did not catch up
    // in this run).
    if (f.scenarios.count(4) && f.query_addr.empty()) RunSettledQueries(c);
  }
  if (f.scenarios.count(6)) RunMixed(c);

  const uint64_t head = IngestHead(c.ingest);
  const uint64_t disk = IngestDiskBytes(c.ingest);
  Result d{.scenario = "disk bytes per event (ingest log)", .system = "detente",
           .durability = "-", .unit = "bytes/ev"};
  d.rate = head > 0 ? static_cast<double>(disk) / static_cast<double>(head) : 0;
  d.note = std::to_string(disk) + " bytes, " + std::to_string(head) + " events";
  report.Add(d);

  report.PrintTable();
  if (!f.tsv.empty()) report.WriteTsv(f.tsv);
  query_proc.Stop();
  ingest_proc.Stop();
  if (!f.keep) std::filesystem::remove_all(f.work_dir);
  for (const Result& r : report.results()) {
    if (r.note.find("ERROR") != std::string::npos ||
        r.note.find("DID NOT") != std::string::npos) {
      std::fprintf(stderr, "errors in: %s\n", r.scenario.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace detente::bench

int main(int argc, char** argv) { return detente::bench::Main(argc, argv); }
