#include "tools/bench/proc_stats.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace detente::bench {

ProcSample SampleProc(pid_t pid) {
  ProcSample s;
  if (pid <= 0) return s;
  const std::string dir = "/proc/" + std::to_string(pid);
  std::ifstream stat(dir + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return s;
  // Fields after the command name, which is in parentheses and may hold
  // spaces: state is field 3, utime 14, stime 15.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return s;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  s.cpu_seconds = static_cast<double>(utime + stime) / tick;
  std::ifstream status(dir + "/status");
  while (std::getline(status, line)) {
    auto kb = [&](const char* key) -> uint64_t {
      return std::stoull(line.substr(std::string(key).size())) * 1024;
    };
    if (line.rfind("VmRSS:", 0) == 0) s.rss_bytes = kb("VmRSS:");
    if (line.rfind("VmHWM:", 0) == 0) s.peak_bytes = kb("VmHWM:");
  }
  s.ok = true;
  return s;
}

bool ResetPeakRss(pid_t pid) {
  std::ofstream f("/proc/" + std::to_string(pid) + "/clear_refs");
  if (!f) return false;
  f << "5";
  return static_cast<bool>(f.flush());
}

}  // namespace detente::bench
