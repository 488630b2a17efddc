#include "eventlog/read_ahead.h"

#include <algorithm>
#include <system_error>
#include <utility>

#include "common/thread_name.h"

namespace detente {

ReadAhead::ReadAhead(EventLog& log, ReadRequest first, uint64_t limit,
                     size_t depth)
    : log_(log),
      req_(std::move(first)),
      remaining_(limit == 0 ? UINT64_MAX : limit),
      page_size_(req_.max_entries),
      depth_(std::max<size_t>(depth, 1)) {}

ReadAhead::~ReadAhead() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

absl::StatusOr<ReadResult> ReadAhead::ReadPage(bool* last) {
  req_.max_entries =
      static_cast<size_t>(std::min<uint64_t>(page_size_, remaining_));
  absl::StatusOr<ReadResult> page = log_.Read(req_);
  *last = !page.ok() || page->end;
  if (page.ok()) {
    const uint64_t got =
        req_.encoded ? page->encoded.size() : page->entries.size();
    remaining_ -= std::min(got, remaining_);
    if (remaining_ == 0) {
      *last = true;
      page->end = true;
    } else if (!*last) {
      req_.from = page->next;
    }
  }
  return page;
}

void ReadAhead::Run() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || pages_.size() < depth_; });
      if (stop_) return;
    }
    bool last = false;
    absl::StatusOr<ReadResult> page = ReadPage(&last);
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
  if (done_) {
    ReadResult end;
    end.end = true;
    return end;
  }
  if (!started_ || inline_) {
    started_ = true;
    bool last = false;
    absl::StatusOr<ReadResult> page = ReadPage(&last);
    done_ = last;
    if (!last && !inline_) {
      try {
        thread_ = std::thread([this] {
          NameThisThread("read-ahead");
          Run();
        });
      } catch (const std::system_error&) {
        inline_ = true;  // no thread to be had: the next pages read here
      }
    }
    return page;
  }
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !pages_.empty() || finished_; });
  if (pages_.empty()) {  // (not reached: done_ is set with the last page)
    done_ = true;
    ReadResult end;
    end.end = true;
    return end;
  }
  absl::StatusOr<ReadResult> page = std::move(pages_.front());
  pages_.pop_front();
  done_ = finished_ && pages_.empty();
  lock.unlock();
  cv_.notify_all();
  return page;
}

}  // namespace detente
