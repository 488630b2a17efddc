// Logging: spdlog, configured once per process. Libraries log through
// spdlog's default logger; services call InitLogging from main.
//
//   detente::InitLogging({.level = "info", .json = false});
//   spdlog::info("listening on {}", address);
#pragma once

#include <string>

namespace detente {

struct LoggingOptions {
  // One of trace, debug, info, warn, error, off. Default info.
  std::string level = "info";
  // JSON lines instead of plain text.
  bool json = false;
};

// Sets spdlog's default logger to stderr with the given level and format.
void InitLogging(const LoggingOptions& options);

}  // namespace detente
