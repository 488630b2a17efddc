// The RocksDB memory settings both services share (docs/configuration.md,
// docs/operations.md "Memory").
#pragma once

#include <cstddef>

#include "eventlog/rocks_tuning.h"

namespace CLI {
class App;
}

namespace detente {

class LayeredConfig;

struct StorageOptions {
  // MiB of RocksDB block cache (uncompressed data blocks, and the index and
  // filter blocks when cache_index_and_filters).
  size_t block_cache_mb = 64;
  // Keep the tables' index and filter blocks in the block cache, partitioned,
  // so that the storage's memory stays within block_cache_mb + the
  // memtables however large the data grows; reads that miss the cache get
  // slower (docs/benchmarks.md, round 11).
  bool cache_index_and_filters = false;

  size_t block_cache_bytes() const { return block_cache_mb << 20; }
  TableMetadata table_metadata() const {
    return cache_index_and_filters ? TableMetadata::kInCache
                                   : TableMetadata::kOutsideCache;
  }
};

// --block-cache-mb (block_cache_mb, DETENTE_BLOCK_CACHE_MB) and
// --cache-index-and-filters (cache_index_and_filters,
// DETENTE_CACHE_INDEX_AND_FILTERS).
void AddStorageOptions(CLI::App& app, LayeredConfig& config, StorageOptions& o);

}  // namespace detente
