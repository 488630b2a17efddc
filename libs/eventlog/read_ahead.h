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
// At most `depth` pages wait for the caller. Destroying a ReadAhead stops
// it (after the one Read in progress, if any).
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
  void Run(EventLog& log, ReadRequest req, uint64_t limit);

  const size_t depth_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<absl::StatusOr<ReadResult>> pages_;  // guarded by mu_
  bool finished_ = false;  // the last page is in pages_ (guarded by mu_)
  bool stop_ = false;      // guarded by mu_
  std::thread thread_;     // last: started once the rest is ready
};

}  // namespace detente
