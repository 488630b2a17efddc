// What every service process does first: set up logging, report where its
// settings came from, and block SIGINT/SIGTERM in every thread so that one
// thread can wait for them (sigwait) and shut the service down in order.
//
//   sigset_t signals = StartServiceProcess(logging, config_explain);
//   ... start servers and threads ...
//   std::thread waiter([&] { WaitForShutdownSignal(signals); ... });
#pragma once

#include <signal.h>

#include <string>
#include <vector>

#include "common/logging.h"

namespace detente {

// Call before any thread is started.
sigset_t StartServiceProcess(const LoggingOptions& logging,
                             const std::vector<std::string>& config_explain);

// Blocks until SIGINT or SIGTERM; logs and returns the signal.
int WaitForShutdownSignal(const sigset_t& signals);

}  // namespace detente
