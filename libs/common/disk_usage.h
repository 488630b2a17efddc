// How many bytes a directory's files take, for the services' disk gauges
// and GetInfo.
#pragma once

#include <cstdint>
#include <string>

namespace detente {

// The sizes of the regular files under `dir`, subdirectories included;
// what cannot be read counts as nothing (0 for a missing directory).
uint64_t DirectoryBytes(const std::string& dir);

}  // namespace detente
