#include "services/common/process.h"

#include <pthread.h>

#include "spdlog/spdlog.h"

namespace detente {

sigset_t StartServiceProcess(const LoggingOptions& logging,
                             const std::vector<std::string>& config_explain) {
  InitLogging(logging);
  for (const std::string& line : config_explain) {
    spdlog::info("setting: {}", line);
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

int WaitForShutdownSignal(const sigset_t& signals) {
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {}: shutting down", sig);
  return sig;
}

}  // namespace detente
