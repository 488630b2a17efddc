// RocksDB settings shared by the event log and the read models.
#pragma once

#include <memory>
#include <string>

namespace rocksdb {
class Cache;
class SliceTransform;
class TableFactory;
}  // namespace rocksdb

namespace detente {

// A key's range for the hints: for keys whose tag is one of `stream_tags`
// and that continue with a one-byte length and the stream ('v' and 'a' in
// the read models), the tag and the stream;
// for other keys their tag. Each range's next insert then starts from where
// that range's last one went instead of from the previous key written, which
// for keys of many streams interleaved is far away.
// For RocksDB's memtable_insert_with_hint_prefix_extractor. Memory only: the
// files are unchanged, so it is no part of any on-disk format.
std::shared_ptr<const rocksdb::SliceTransform> NewStreamInsertHint(
    std::string stream_tags);

// Where the tables' index and bloom-filter blocks live.
enum class TableMetadata {
  // In each open table's reader, outside the block cache: the fastest
  // reads, but this memory grows with the data (~3.9 bytes per event of the
  // log; docs/operations.md, "Memory").
  kOutsideCache,
  // Partitioned, in the block cache at high priority, only each table's
  // top-level index pinned: memory stays within the block cache's size
  // whatever the data's size, at the cost of reads that miss the cache
  // (8-24% slower in docs/benchmarks.md, round 10). For logs of hundreds
  // of millions of events.
  kInCache,
};

// Block-based tables over `cache`, with a bloom filter of
// `bloom_bits_per_key` bits per key when above 0 (for column families
// whose lookups often miss; 10 bits: ~1% false positives, 16: ~0.1%). Memory
// only: the files' format does not depend on `metadata` beyond their index
// layout, which any reader handles.
std::shared_ptr<rocksdb::TableFactory> NewTableFactory(
    std::shared_ptr<rocksdb::Cache> cache, int bloom_bits_per_key,
    TableMetadata metadata = TableMetadata::kOutsideCache);

}  // namespace detente
