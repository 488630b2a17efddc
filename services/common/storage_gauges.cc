#include "services/common/storage_gauges.h"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace detente {

struct StorageGauges::Impl {
  explicit Impl(prometheus::Registry& registry)
      : memory(prometheus::BuildGauge()
                   .Name("detente_storage_memory_bytes")
                   .Help("Storage memory by kind: memtables, table_readers "
                         "(index and filter blocks outside the block cache), "
                         "block_cache (in use), id_index (the event log's "
                         "latest ids, before they are written), id_filter "
                         "(its filter of every id), day_cache and "
                         "version_cache (the read models' cached streams)")
                   .Register(registry)),
        memtables(memory.Add({{"kind", "memtables"}})),
        table_readers(memory.Add({{"kind", "table_readers"}})),
        block_cache(memory.Add({{"kind", "block_cache"}})),
        id_index(memory.Add({{"kind", "id_index"}})),
        id_filter(memory.Add({{"kind", "id_filter"}})),
        day_cache(memory.Add({{"kind", "day_cache"}})),
        version_cache(memory.Add({{"kind", "version_cache"}})),
        capacity(prometheus::BuildGauge()
                     .Name("detente_storage_block_cache_capacity_bytes")
                     .Help("RocksDB block cache size (--block-cache-mb)")
                     .Register(registry)
                     .Add({})),
        disk(prometheus::BuildGauge()
                 .Name("detente_storage_disk_bytes")
                 .Help("Bytes of the storage's files on disk")
                 .Register(registry)
                 .Add({})),
        pending_compaction(
            prometheus::BuildGauge()
                .Name("detente_storage_pending_compaction_bytes")
                .Help("RocksDB's estimate of the bytes compactions must "
                      "rewrite before the storage settles")
                .Register(registry)
                .Add({})),
        running_compactions(
            prometheus::BuildGauge()
                .Name("detente_storage_running_compactions")
                .Help("RocksDB compactions and memtable flushes running now")
                .Register(registry)
                .Add({})) {}

  prometheus::Family<prometheus::Gauge>& memory;
  prometheus::Gauge& memtables;
  prometheus::Gauge& table_readers;
  prometheus::Gauge& block_cache;
  prometheus::Gauge& id_index;
  prometheus::Gauge& id_filter;
  prometheus::Gauge& day_cache;
  prometheus::Gauge& version_cache;
  prometheus::Gauge& capacity;
  prometheus::Gauge& disk;
  prometheus::Gauge& pending_compaction;
  prometheus::Gauge& running_compactions;
};

StorageGauges::StorageGauges(prometheus::Registry& registry)
    : impl_(std::make_unique<Impl>(registry)) {}
StorageGauges::~StorageGauges() = default;

void StorageGauges::Set(const StorageMemory& m, const StorageCompactions& c,
                        uint64_t disk_bytes) {
  impl_->memtables.Set(static_cast<double>(m.memtables));
  impl_->table_readers.Set(static_cast<double>(m.table_readers));
  impl_->block_cache.Set(static_cast<double>(m.block_cache_usage));
  impl_->id_index.Set(static_cast<double>(m.id_index));
  impl_->id_filter.Set(static_cast<double>(m.id_filter));
  impl_->day_cache.Set(static_cast<double>(m.day_cache));
  impl_->version_cache.Set(static_cast<double>(m.version_cache));
  impl_->capacity.Set(static_cast<double>(m.block_cache_capacity));
  impl_->disk.Set(static_cast<double>(disk_bytes));
  impl_->pending_compaction.Set(static_cast<double>(c.pending_bytes));
  impl_->running_compactions.Set(static_cast<double>(c.running));
}

}  // namespace detente
