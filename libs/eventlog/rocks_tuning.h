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
// and that continue with a one-byte length and the stream ('s' len stream
// ... in the log, 'v' and 'a' in the read models), the tag and the stream;
// for other keys their tag. Each range's next insert then starts from where
// that range's last one went instead of from the previous key written, which
// for keys of many streams interleaved is far away.
// For RocksDB's memtable_insert_with_hint_prefix_extractor. Memory only: the
// files are unchanged, so it is no part of any on-disk format.
std::shared_ptr<const rocksdb::SliceTransform> NewStreamInsertHint(
    std::string stream_tags);

// Block-based tables over `cache`, with a 10-bit bloom filter when `bloom`
// (for column families whose lookups often miss).
std::shared_ptr<rocksdb::TableFactory> NewTableFactory(
    std::shared_ptr<rocksdb::Cache> cache, bool bloom);

}  // namespace detente
