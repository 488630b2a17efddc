#include "eventlog/rocks_tuning.h"

#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

namespace detente {
namespace {

class StreamInsertHint final : public rocksdb::SliceTransform {
 public:
  explicit StreamInsertHint(std::string stream_tags)
      : stream_tags_(std::move(stream_tags)) {}
  const char* Name() const override { return "detente.StreamInsertHint"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    if (key.size() >= 2 && stream_tags_.find(key[0]) != std::string::npos) {
      const size_t n = 2 + static_cast<unsigned char>(key[1]);
      if (n <= key.size()) return rocksdb::Slice(key.data(), n);
    }
    return rocksdb::Slice(key.data(), 1);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return !key.empty();
  }

 private:
  const std::string stream_tags_;
};

}  // namespace

std::shared_ptr<const rocksdb::SliceTransform> NewStreamInsertHint(
    std::string stream_tags) {
  return std::make_shared<StreamInsertHint>(std::move(stream_tags));
}

std::shared_ptr<rocksdb::TableFactory> NewTableFactory(
    std::shared_ptr<rocksdb::Cache> cache, int bloom_bits_per_key,
    TableMetadata metadata) {
  const bool bloom = bloom_bits_per_key > 0;
  rocksdb::BlockBasedTableOptions t;
  if (bloom) {
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(bloom_bits_per_key));
  }
  t.block_cache = std::move(cache);
  if (metadata == TableMetadata::kInCache) {
    // Index and filter partitions of ~4 KiB are loaded into the cache as
    // reads need them; only the small top-level index of each table stays
    // pinned. High priority (the cache keeps half of its capacity for such
    // blocks) so that scans of data blocks do not push them out first.
    t.cache_index_and_filter_blocks = true;
    t.cache_index_and_filter_blocks_with_high_priority = true;
    t.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
    t.partition_filters = bloom;
    t.metadata_cache_options.top_level_index_pinning =
        rocksdb::PinningTier::kAll;
    t.metadata_cache_options.partition_pinning = rocksdb::PinningTier::kNone;
    t.metadata_cache_options.unpartitioned_pinning =
        rocksdb::PinningTier::kNone;
  }
  return std::shared_ptr<rocksdb::TableFactory>(
      rocksdb::NewBlockBasedTableFactory(t));
}

}  // namespace detente
