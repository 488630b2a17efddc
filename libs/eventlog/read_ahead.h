// Pages of a read, read from the log on a thread of its own while the
// caller consumes the previous ones: a replay's reading (RocksDB's blocks,
// their decompression, the copies) overlaps what the caller does with each
// page (the ingestion service encodes and sends it). Two cores do the work
// one did; round 27 of docs/benchmarks.md.
//
//   ReadAhead pages(log, request, /*limit=*/0);
//   for (;;) {
//     absl::StatusOr<ReadResult> page = pages.Next();
//     if (!page.ok()) return page.status();
//     Use(*page);
//     if (page->end) break;
//   }
//
// The pages are those of calling log.Read(request) and then Read again
// from each page's `next`, in order, until a page that ends the range,
// `limit` entries in all (0: no limit; the last page is cut to it and
// reported as `end`), or an error, which Next returns in the page's place.
//
// The first page is read by the first Next, on the caller's thread; only
// a read with more pages starts the thread, which then keeps at most
// `depth` pages waiting for the caller (one more may be in progress).
// Where no thread can be had (a limit of the process), every page is read
// by Next. Destroying a ReadAhead stops it after the Read in progress, if
// any.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "eventlog/event_log.h"

namespace detente {

class ReadAhead {
 public:
  ReadAhead(EventLog& log, ReadRequest first, uint64_t limit = 0,
            size_t depth = 2);
  ~ReadAhead();
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // The next page, waiting for it. After a page with `end` or an error, a
  // page with `end` and no entries.
  absl::StatusOr<ReadResult> Next();

 private:
  // Reads the page at req_ and moves req_ past it; sets `*last` when no
  // page follows it. Only one thread at a time: the caller's before the
  // thread starts (or where it could not), the thread's after.
  absl::StatusOr<ReadResult> ReadPage(bool* last);
  void Run();

  EventLog& log_;
  ReadRequest req_;
  uint64_t remaining_;
  const size_t page_size_;
  const size_t depth_;
  bool started_ = false;  // a first page was read (caller's thread only)
  bool inline_ = false;   // no thread: Next reads (caller's thread only)
  bool done_ = false;     // Next returned the last page (caller's thread only)

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<absl::StatusOr<ReadResult>> pages_;  // guarded by mu_
  bool finished_ = false;  // the last page is in pages_ (guarded by mu_)
  bool stop_ = false;      // guarded by mu_
  std::thread thread_;
};

}  // namespace detente
