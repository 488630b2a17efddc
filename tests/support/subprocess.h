// A child process for multi-process tests: the real binaries, started with
// fork/execve, their stdout and stderr redirected to files.
//
//   Subprocess p({.binary = DETENTE_INGEST_BIN, .args = {"--listen", addr},
//                 .stdout_path = dir + "/out", .stderr_path = dir + "/err"});
//   ASSERT_TRUE(p.Start().ok());
//   p.Kill(SIGTERM);
//   ExitStatus s = p.Wait();  // s.exited && s.code == 0
//
// The destructor kills a still-running child with SIGKILL and reaps it. The
// child also gets SIGKILL when the thread that started it dies (Linux
// PR_SET_PDEATHSIG), so a crashed test leaves no server behind: start
// children from the test's main thread. Not thread-safe: one owner thread.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace detente::itest {

// How a child ended.
struct ExitStatus {
  bool exited = false;  // true: exit(code); false: killed by `signal`
  int code = 0;
  int signal = 0;
  std::string ToString() const;
};

struct SubprocessOptions {
  std::string binary;             // absolute path
  std::vector<std::string> args;  // without argv[0]
  // Added to (or replacing in) the parent's environment.
  std::vector<std::pair<std::string, std::string>> env;
  std::string stdout_path;  // required
  std::string stderr_path;  // required
};

class Subprocess {
 public:
  explicit Subprocess(SubprocessOptions options);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  absl::Status Start();
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && !status_.has_value(); }

  // Sends `signal` if the child has not been reaped yet.
  void Kill(int signal);
  // Blocks until the child ends.
  ExitStatus Wait();
  // Like Wait, but gives up after `timeout` (nullopt: still running).
  std::optional<ExitStatus> WaitFor(absl::Duration timeout);

  const SubprocessOptions& options() const { return options_; }

 private:
  // Non-blocking waitpid; true once reaped.
  bool Poll();

  SubprocessOptions options_;
  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
};

// Runs a binary to completion (killed after `timeout`), returning its exit
// status and what it wrote to stdout and stderr.
struct RunResult {
  ExitStatus status;
  std::string out;
  std::string err;
};
RunResult RunToCompletion(SubprocessOptions options,
                          absl::Duration timeout = absl::Seconds(60));

std::string ReadFileOrEmpty(const std::string& path);

}  // namespace detente::itest
