// How much memory a RocksDB database of the project holds, by kind (for
// metrics and docs/operations.md, "Memory"), and the compactions it has
// still to do. No RocksDB in this header.
#pragma once

#include <cstdint>

namespace detente {

struct StorageMemory {
  // Write buffers (memtables), active and immutable, of every column family.
  uint64_t memtables = 0;
  // Open tables' index and bloom-filter blocks held outside the block cache:
  // grows with the data unless they are kept in the cache
  // (--cache-index-and-filters).
  uint64_t table_readers = 0;
  // The block cache: what it holds, and its size.
  uint64_t block_cache_usage = 0;
  uint64_t block_cache_capacity = 0;
  // The event log's latest ids, held in memory until they are written as
  // one file (eventlog/log_index.h); 0 elsewhere.
  uint64_t id_index = 0;
  // The event log's filter of every id in its index (eventlog/id_filter.h):
  // 10 bits per id; 0 elsewhere.
  uint64_t id_filter = 0;
  // The query service's read models: the day totals and the event versions
  // of whole streams, decoded and kept in memory (--day-cache-mb bounds the
  // first, 128 MiB the second), counted by what their vectors hold; 0
  // elsewhere.
  uint64_t day_cache = 0;
  uint64_t version_cache = 0;
};

// The background work a database has left before it settles: until then its
// reads merge more files and its compactions take CPU from them (the read
// models right after a catch-up, docs/benchmarks.md).
struct StorageCompactions {
  // RocksDB's estimate of the bytes that compactions must rewrite to bring
  // every level within its target size, summed over the column families.
  uint64_t pending_bytes = 0;
  // Compactions (automatic or asked for) and memtable flushes running now.
  uint64_t running = 0;

  bool settled() const { return pending_bytes == 0 && running == 0; }
};

}  // namespace detente
