// Prometheus gauges of a service's RocksDB storage: its memory by kind, its
// compactions left and its size on disk (docs/operations.md lists them).
// prometheus-cpp stays out of this header.
#pragma once

#include <cstdint>
#include <memory>

#include "eventlog/storage_memory.h"

namespace prometheus {
class Registry;
}

namespace detente {

class StorageGauges {
 public:
  explicit StorageGauges(prometheus::Registry& registry);
  ~StorageGauges();

  void Set(const StorageMemory& memory, const StorageCompactions& compactions,
           uint64_t disk_bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace detente
