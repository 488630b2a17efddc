// Answers of series queries kept while their streams do not change: the
// dashboards' case, which ask the same few pairs again and again.
//
// An answer is tagged with the position of the last entry that changed its
// streams (ReadModelStore::LastChanged, or the maximum over a group's
// streams) and the store it came from. It is stored only when that tag did
// not move while it was computed (so it is exactly the streams' state at the
// tag), and served only while the tag and the store are the same. The
// caller labels a served answer with max(checkpoint read before the tag,
// tag): a position at which the streams were in exactly that state.
// Callers that miss on the same key and tag at the same time wait for one
// computation instead of each computing (a poll storm after a write). Only
// answers "as of now" are cached. Least recently used answers go first when
// the byte budget is full; a budget of 0 disables the cache.
//
//   AnswerCache<v1::GetTemperatureResponse> cache(64 << 20);
//   auto r = cache.GetOrCompute(key, [&] { return store.LastChanged(s); },
//                               store_ptr, compute);
//   // r->answer, r->fresh (false: from the cache or another caller)
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace detente {

template <typename Response>
class AnswerCache {
 public:
  struct Result {
    std::shared_ptr<const Response> answer;
    bool fresh = false;  // computed by this call
    uint64_t tag = 0;    // the streams' last change the answer reflects
  };
  using Compute = std::function<absl::StatusOr<Response>()>;
  using ReadTag = std::function<uint64_t()>;

  explicit AnswerCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  bool enabled() const { return max_bytes_ > 0; }

  // The answer kept for the key at this tag, without computing or waiting:
  // for callers that must not block (gRPC's callback threads).
  std::optional<Result> Find(const std::string& key, uint64_t tag,
                             const void* store) {
    if (!enabled()) return std::nullopt;
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end() || it->second->tag != tag ||
        it->second->store != store) {
      return std::nullopt;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    return Result{it->second->answer, false, tag};
  }

  absl::StatusOr<Result> GetOrCompute(const std::string& key,
                                      const ReadTag& read_tag,
                                      const void* store,
                                      const Compute& compute) {
    if (!enabled()) return ComputeFresh(compute, read_tag());
    const uint64_t tag = read_tag();
    std::shared_future<Shared> wait;
    std::promise<Shared> mine;
    {
      std::lock_guard lock(mu_);
      if (auto it = index_.find(key); it != index_.end() &&
                                      it->second->tag == tag &&
                                      it->second->store == store) {
        lru_.splice(lru_.begin(), lru_, it->second);
        return Result{it->second->answer, false, tag};
      }
      auto f = inflight_.find(key);
      if (f != inflight_.end() && f->second.tag == tag &&
          f->second.store == store) {
        wait = f->second.future;
      } else if (f == inflight_.end()) {
        inflight_.emplace(key, InFlight{tag, store, mine.get_future().share()});
      }
    }
    if (wait.valid()) {
      Shared s = wait.get();
      if (s && *s) return Result{*s, false, tag};
      // The other computation failed or saw its streams change: our own.
      return ComputeFresh(compute, tag);
    }
    absl::StatusOr<Result> r = ComputeFresh(compute, tag);
    // Exact only if nothing changed the streams while computing.
    const bool exact = r.ok() && read_tag() == tag;
    std::lock_guard lock(mu_);
    if (auto f = inflight_.find(key);
        f != inflight_.end() && f->second.tag == tag && f->second.store == store) {
      inflight_.erase(f);
      mine.set_value(exact ? std::make_shared<Answer>(r->answer) : nullptr);
    }
    if (exact) PutLocked(key, tag, store, r->answer);
    return r;
  }

 private:
  using Answer = std::shared_ptr<const Response>;
  using Shared = std::shared_ptr<Answer>;  // null: compute yourself
  struct Entry {
    std::string key;
    uint64_t tag;
    const void* store;
    Answer answer;
    size_t bytes;
  };
  struct InFlight {
    uint64_t tag;
    const void* store;
    std::shared_future<Shared> future;
  };

  static absl::StatusOr<Result> ComputeFresh(const Compute& compute,
                                             uint64_t tag) {
    absl::StatusOr<Response> r = compute();
    if (!r.ok()) return r.status();
    return Result{std::make_shared<const Response>(*std::move(r)), true, tag};
  }

  // Answers are protobuf messages or their bytes.
  static size_t SizeOf(const std::string& bytes) { return bytes.size(); }
  template <typename Message>
  static size_t SizeOf(const Message& m) {
    return m.SpaceUsedLong();
  }

  void PutLocked(const std::string& key, uint64_t tag, const void* store,
                 Answer answer) {
    if (!enabled()) return;
    const size_t bytes = key.size() + SizeOf(*answer) + 64;
    if (bytes > max_bytes_ / 4) return;  // one answer never takes it all
    if (auto it = index_.find(key); it != index_.end()) {
      used_ -= it->second->bytes;
      lru_.erase(it->second);
      index_.erase(it);
    }
    lru_.push_front(Entry{key, tag, store, std::move(answer), bytes});
    index_[key] = lru_.begin();
    used_ += bytes;
    while (used_ > max_bytes_ && !lru_.empty()) {
      used_ -= lru_.back().bytes;
      index_.erase(lru_.back().key);
      lru_.pop_back();
    }
  }

  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // most recent first
  absl::flat_hash_map<std::string, typename std::list<Entry>::iterator> index_;
  absl::flat_hash_map<std::string, InFlight> inflight_;
  size_t used_ = 0;
};

}  // namespace detente
