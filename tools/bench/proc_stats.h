// What a process costs, read from /proc: CPU time (utime + stime of
// /proc/<pid>/stat) and resident memory (VmRSS, VmHWM of /proc/<pid>/status).
//
//   ProcSample before = SampleProc(pid);
//   ... run ...
//   ProcSample after = SampleProc(pid);
//   double cpu_s = after.cpu_seconds - before.cpu_seconds;
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace detente::bench {

struct ProcSample {
  bool ok = false;
  double cpu_seconds = 0;   // user + system, all threads
  uint64_t rss_bytes = 0;   // VmRSS
  uint64_t peak_bytes = 0;  // VmHWM: peak RSS since start or the last reset
};

ProcSample SampleProc(pid_t pid);

// Resets VmHWM to the current RSS (writes "5" to /proc/<pid>/clear_refs;
// needs the same user). False when not permitted.
bool ResetPeakRss(pid_t pid);

}  // namespace detente::bench
