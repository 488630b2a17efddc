// Starts a service binary as a child process on a free loopback port and
// stops it by its pid (SIGTERM, then SIGKILL after a grace period).
//
//   ChildProcess ingest = ChildProcess::Start(path, {"--listen", addr, ...},
//                                             log_path);
//   ingest.Stop();
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace detente::bench {

// A loopback port that was free a moment ago ("127.0.0.1:PORT").
std::string FreeLoopbackAddress();

// "host:port" split; port 0 when there is none, or it is not a number.
std::pair<std::string, int> SplitHostPort(const std::string& address);

// Waits until something accepts TCP connections at `address`
// ("127.0.0.1:PORT"); false after `seconds`.
bool WaitForListener(const std::string& address, double seconds);

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(ChildProcess&& o) noexcept : pid_(o.pid_) { o.pid_ = -1; }
  ChildProcess& operator=(ChildProcess&& o) noexcept;
  ~ChildProcess() { Stop(); }

  // stdout and stderr go to `log_path`. pid() is -1 when exec failed.
  static ChildProcess Start(const std::string& path,
                            const std::vector<std::string>& args,
                            const std::string& log_path);
  pid_t pid() const { return pid_; }
  bool running() const;
  // SIGTERM, wait up to 15 s, then SIGKILL. Idempotent.
  void Stop();

 private:
  pid_t pid_ = -1;
};

}  // namespace detente::bench
