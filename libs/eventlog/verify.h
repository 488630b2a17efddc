// A full consistency walk of a RocksDB event log on disk, for operators
// (`detente-ingest --verify DATA_DIR`) and for crash tests. Opens the
// database read-only; may run while the service is up (it then checks the
// state as of the moment it opened; RocksDB reads the manifest and then the
// write-ahead log, so a flush or an id index file landing between the two
// can show as a problem that a second run does not repeat: for a certain
// answer, verify a stopped service's directory or a backup).
//
// Checks: the format version; positions gapless from 1; every entry decodes;
// stream revisions count from 0 in position order and agree with the stream
// index and the stream heads; no event_id appears twice; the id index maps
// every event_id to its entry (up to its mark, `'m' "ids_through"`; past it
// an id may not be written yet) and holds nothing else; subjects of
// corrections and retractions are events at lower positions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace detente {

struct VerifyReport {
  uint64_t entries = 0;
  uint64_t streams = 0;
  uint64_t head = 0;
  // Human-readable inconsistencies (at most 100 kept); empty when sound.
  std::vector<std::string> problems;
  uint64_t problem_count = 0;
  bool ok() const { return problem_count == 0; }
};

// Error only when the database cannot be opened or read at all.
absl::StatusOr<VerifyReport> VerifyRocksEventLog(const std::string& path);

}  // namespace detente
