// Answers of series queries kept while their streams do not change: the
// dashboards' case, which ask the same few pairs again and again. An answer
// is stored with the position of the last entry that changed its streams
// (ReadModelStore::LastChanged, or the maximum over a group's streams) and
// the store it came from; it is served only while both are still the same,
// so a served answer equals a fresh computation except for the `position`
// field, which the caller sets to the current position. Only answers "as of
// now" are cached (an as_of answer is cheap to recompute and rarely asked
// twice). Least recently used answers go first when the byte budget is
// full; a budget of 0 disables the cache.
//
//   AnswerCache<v1::GetTemperatureResponse> cache(64 << 20);
//   if (auto hit = cache.Get(key, tag, store)) { resp->CopyFrom(*hit); ... }
//   ... compute resp ...
//   cache.Put(key, tag, store, *resp);
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace detente {

template <typename Response>
class AnswerCache {
 public:
  explicit AnswerCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  bool enabled() const { return max_bytes_ > 0; }

  // The cached answer for `key` if it was computed at the same `tag` from
  // the same `store`; nullptr otherwise.
  std::shared_ptr<const Response> Get(const std::string& key, uint64_t tag,
                                      const void* store) {
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) {
      ++misses_;
      return nullptr;
    }
    Entry& e = *it->second;
    if (e.tag != tag || e.store != store) {
      ++misses_;
      return nullptr;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    ++hits_;
    return e.answer;
  }

  void Put(const std::string& key, uint64_t tag, const void* store,
           const Response& answer) {
    if (!enabled()) return;
    const size_t bytes = key.size() + answer.SpaceUsedLong() + 64;
    if (bytes > max_bytes_ / 4) return;  // one answer never takes it all
    auto copy = std::make_shared<Response>(answer);
    std::lock_guard lock(mu_);
    if (auto it = index_.find(key); it != index_.end()) {
      used_ -= it->second->bytes;
      lru_.erase(it->second);
      index_.erase(it);
    }
    lru_.push_front(Entry{key, tag, store, std::move(copy), bytes});
    index_[key] = lru_.begin();
    used_ += bytes;
    while (used_ > max_bytes_ && !lru_.empty()) {
      used_ -= lru_.back().bytes;
      index_.erase(lru_.back().key);
      lru_.pop_back();
    }
  }

  uint64_t hits() const {
    std::lock_guard lock(mu_);
    return hits_;
  }
  uint64_t misses() const {
    std::lock_guard lock(mu_);
    return misses_;
  }

 private:
  struct Entry {
    std::string key;
    uint64_t tag;
    const void* store;
    std::shared_ptr<const Response> answer;
    size_t bytes;
  };

  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // most recent first
  absl::flat_hash_map<std::string, typename std::list<Entry>::iterator> index_;
  size_t used_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

}  // namespace detente
