// A filter of the event ids in the id index's column family, in memory: it
// answers "certainly not there" for almost every id an append brings (new
// ids), so that the committer's duplicate check asks RocksDB only about the
// ~1% it cannot rule out, instead of probing the bloom filter of each of
// the family's dozen files for every id (round 26 of docs/benchmarks.md).
// The same idea as EventStoreDB's stream existence filter.
//
// A split-block bloom filter (blocks of eight 32-bit words, one bit set in
// each, as in Parquet's and Impala's): about 1% false positives at
// `capacity` ids, 10 bits each. IdFilterChain keeps a base filter, which a
// bulk fill writes (the ids already stored), and after it filters for the
// ids inserted one by one: once one is full, a filter of twice its size
// takes the ids that follow. A lookup asks every filter, so their rates
// add up: ~1% for each full one (about 3% after 10M ids inserted one by
// one; a start folds them all into one base again). Never a false
// negative: an id inserted is always "maybe".
//
//   IdFilterChain filter(/*base_capacity=*/4'000'000);
//   filter.base().Insert(stored);       // the fill, on a thread of its own
//   filter.Insert(id);                  // the owner, under its lock
//   if (!filter.MayContain(other)) { /* certainly never inserted */ }
//
// Thread safety: none of its own. The owner inserts and asks under its
// lock; the fill writes only the base filter, which nobody reads until the
// fill is over and the owner has seen that under its lock. No filter has
// two writers, so inserts are plain stores.
//
// Private to libs/eventlog.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "domain/uuid.h"

namespace detente {

class IdFilter {
 public:
  explicit IdFilter(size_t capacity);

  void Insert(const Uuid& id) { InsertHash(Hash(id)); }
  bool MayContain(const Uuid& id) const { return MayContainHash(Hash(id)); }

  // The same in two steps, for many ids at once: Prefetch each one's block
  // first, then ask.
  static uint64_t Hash(const Uuid& id);
  void InsertHash(uint64_t h);
  bool MayContainHash(uint64_t h) const;
  void Prefetch(uint64_t h) const { __builtin_prefetch(&BlockOf(h)); }

  size_t capacity() const { return capacity_; }
  size_t inserted() const { return inserted_; }
  size_t bytes() const { return blocks_.size() * sizeof(Block); }

 private:
  struct alignas(32) Block {
    uint32_t words[8];
  };
  // The block of a hash; its low 32 bits pick the eight bits.
  const Block& BlockOf(uint64_t h) const;

  size_t capacity_;
  std::vector<Block> blocks_;
  size_t inserted_ = 0;
};

class IdFilterChain {
 public:
  // Starts afresh: a base filter of this capacity (at least kMinCapacity)
  // and one of kMinCapacity for inserts.
  explicit IdFilterChain(size_t base_capacity = 0) { Reset(base_capacity); }
  void Reset(size_t base_capacity);

  // Into the newest filter (never the base), which is replaced by one of
  // twice the capacity once full (the full one kept for lookups).
  void Insert(const Uuid& id);
  // The same for many: their blocks are fetched before any is written.
  template <typename T, typename IdOf>
  void InsertAll(const std::vector<T>& items, IdOf id_of);
  bool MayContain(const Uuid& id) const;
  // Removes from `ids` (id, anything) those certainly never inserted.
  template <typename T>
  void RemoveAbsent(std::vector<std::pair<Uuid, T>>& ids) const;

  // The base filter: a bulk fill inserts here without the owner's lock.
  IdFilter& base() { return *filters_.front(); }
  size_t bytes() const;
  size_t filters() const { return filters_.size(); }

  static constexpr size_t kMinCapacity = 1u << 20;

 private:
  // A filter of twice the newest one's capacity becomes the newest.
  void Grow();

  std::vector<std::unique_ptr<IdFilter>> filters_;  // base first
};

template <typename T, typename IdOf>
void IdFilterChain::InsertAll(const std::vector<T>& items, IdOf id_of) {
  std::vector<uint64_t> hashes(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    hashes[i] = IdFilter::Hash(id_of(items[i]));
    filters_.back()->Prefetch(hashes[i]);
  }
  for (uint64_t h : hashes) {
    if (filters_.back()->inserted() >= filters_.back()->capacity()) Grow();
    filters_.back()->InsertHash(h);
  }
}

template <typename T>
void IdFilterChain::RemoveAbsent(std::vector<std::pair<Uuid, T>>& ids) const {
  // Every block is asked for before any is read: the misses overlap.
  std::vector<uint64_t> hashes(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    hashes[i] = IdFilter::Hash(ids[i].first);
    for (const auto& f : filters_) f->Prefetch(hashes[i]);
  }
  size_t kept = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    bool maybe = false;
    for (const auto& f : filters_) {
      if (f->MayContainHash(hashes[i])) {
        maybe = true;
        break;
      }
    }
    if (maybe) {
      if (kept != i) ids[kept] = std::move(ids[i]);
      ++kept;
    }
  }
  ids.resize(kept);
}

}  // namespace detente
