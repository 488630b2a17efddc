#include "services/common/process.h"

#include <pthread.h>

#include "absl/synchronization/mutex.h"
#include "spdlog/spdlog.h"

namespace detente {

sigset_t StartServiceProcess(const LoggingOptions& logging,
                             const std::vector<std::string>& config_explain) {
  // Debian's Abseil keeps absl::Mutex's deadlock detection on, a lock-order
  // graph updated on every mutex gRPC creates and destroys (GraphCycles was
  // ~1-2% of an append's CPU). It is a debugging aid, not a safety net.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
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
