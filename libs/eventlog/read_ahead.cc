#include "eventlog/read_ahead.h"

#include <algorithm>
#include <utility>

#include "common/thread_name.h"

namespace detente {

ReadAhead::ReadAhead(EventLog& log, ReadRequest first, uint64_t limit,
                     size_t depth)
    : depth_(std::max<size_t>(depth, 1)),
      thread_([this, &log, first = std::move(first), limit]() mutable {
        NameThisThread("read-ahead");
        Run(log, std::move(first), limit);
      }) {}

ReadAhead::~ReadAhead() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ReadAhead::Run(EventLog& log, ReadRequest req, uint64_t limit) {
  uint64_t remaining = limit == 0 ? UINT64_MAX : limit;
  const size_t page_size = req.max_entries;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || pages_.size() < depth_; });
      if (stop_) return;
    }
    req.max_entries = static_cast<size_t>(
        std::min<uint64_t>(page_size, remaining));
    absl::StatusOr<ReadResult> page = log.Read(req);
    bool last = !page.ok() || page->end;
    if (page.ok()) {
      const uint64_t got = req.encoded ? page->encoded.size()
                                       : page->entries.size();
      remaining -= std::min(got, remaining);
      if (remaining == 0) {
        last = true;
        page->end = true;
      } else if (!last) {
        req.from = page->next;
      }
    }
    {
      std::lock_guard lock(mu_);
      pages_.push_back(std::move(page));
      finished_ = last;
    }
    cv_.notify_all();
    if (last) return;
  }
}

absl::StatusOr<ReadResult> ReadAhead::Next() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !pages_.empty() || finished_; });
  if (pages_.empty()) {
    ReadResult done;
    done.end = true;
    return done;
  }
  absl::StatusOr<ReadResult> page = std::move(pages_.front());
  pages_.pop_front();
  lock.unlock();
  cv_.notify_all();
  return page;
}

}  // namespace detente
