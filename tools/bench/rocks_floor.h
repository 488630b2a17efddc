// The floor: raw RocksDB on the same machine, in the same run, with the same
// event encoding (eventlog/record_codec.h under eventlog/keys.h's entry
// keys), the same table options as the event log and the same WriteOptions
// durability. Only the 'e' entry key is written: the event log also writes
// its id, stream and stream-head index keys, which is part of what the
// ratio measures.
#pragma once

#include <cstdint>
#include <string>

#include "tools/bench/report.h"
#include "tools/bench/synth_events.h"

namespace detente::bench {

struct FloorOptions {
  std::string dir;              // scratch directory (created, then removed)
  uint64_t events = 1000000;    // for batch loads and the scan
  double single_seconds = 5;    // one event per commit
  int concurrent_writers = 64;  // for the concurrent single-event floor
};

// fsync latency of the disk under `dir`: 4 KiB write + fdatasync, n times.
Result MeasureFsync(const std::string& dir, int n);

// Adds the floor results to `report`:
//   "0a raw batches x1000 fsync", "0b raw single event fsync",
//   "0c raw 64 concurrent single fsync", "0d raw batches x1000 no fsync",
//   "0e raw forward scan", "0f raw forward scan + decode",
//   "0h"/"0i"/"0j" single commits through RocksDB's WAL files, through the
//   event log's WAL written into zeros (eventlog/zeroed_wal.h), and through
//   it after 0.2 ms asleep each (as a lone append arrives), taking turns.
void RunRocksFloor(const FloorOptions& o, const SynthEvents& gen,
                   Report& report);

}  // namespace detente::bench
