#include "services/common/storage_options.h"

#include <CLI/CLI.hpp>

#include "services/common/layered_config.h"

namespace detente {

void AddStorageOptions(CLI::App& app, LayeredConfig& config,
                       StorageOptions& o) {
  config.Add(app.add_option("--block-cache-mb", o.block_cache_mb,
                            "MiB of RocksDB block cache")
                 ->check(CLI::Range(size_t{1}, size_t{1} << 20))
                 ->capture_default_str(),
             "block_cache_mb", "DETENTE_BLOCK_CACHE_MB");
  config.Add(
      app.add_flag("--cache-index-and-filters", o.cache_index_and_filters,
                   "Keep RocksDB's index and filter blocks in the "
                   "block cache: memory bounded by --block-cache-mb "
                   "at any data size, slower reads"),
      "cache_index_and_filters", "DETENTE_CACHE_INDEX_AND_FILTERS");
}

}  // namespace detente
