// The query service's own RocksDB store of read models (docs/projections.md).
// It is fed by the log's entries in position order and commits each applied
// batch's updates atomically with its checkpoint position (one WriteBatch, or
// for a big batch one ingestion of table files), so that after any crash or
// restart every entry counts exactly once.
//
//   ASSIGN_OR_RETURN(auto store, ReadModelStore::Open({.path = dir}));
//   RETURN_IF_ERROR(store->Apply(entries, Position{1000}));
//   RETURN_IF_ERROR(store->ApplyRecords(records, Position{2000}));
//   std::unique_ptr<ReadView> view = store->View();
//   view->ForEachVersion("JPN-KOR", from, to, [](const PairVersion& v) {...});
//
// After a failed write (a full disk, an I/O error) the store reopens its
// database at the next Apply, without a restart (docs/projections.md); the
// reopen waits for the views to end, so a thread must not hold a view while
// it asks for another.
//
// Thread safety: Apply from one thread at a time (the follower); View,
// LastChanged, Streams and the waits from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/strong_types.h"
#include "domain/entry.h"
#include "eventlog/rocks_tuning.h"
#include "eventlog/storage_memory.h"
#include "projections/pair_day.h"
#include "projections/pair_version.h"

namespace rocksdb {
class Env;
}

namespace detente {

// Bump when the read models' layout or meaning changes: a store of another
// version is discarded and rebuilt from the log.
// 2: per-pair, per-day totals ('a' keys).
// 3: the entry copies ('d') and the id index ('x') in column families of
//    their own.
// 4: the id index keyed by the original event's position, not its id.
// 5: id index keys only for corrected or retracted events.
inline constexpr uint32_t kProjectionVersion = 5;

struct ReadModelStoreOptions {
  std::string path;  // created when missing
  size_t block_cache_bytes = 64u << 20;
  // Where the tables' index and filter blocks live: kInCache bounds the
  // store's memory by block_cache_bytes (eventlog/rocks_tuning.h).
  TableMetadata table_metadata = TableMetadata::kOutsideCache;
  // Day-total merge operands written before the first background compaction
  // of the day totals (then each time the count doubles; skipped while a
  // catch-up writes table files, whose own compactions merge them).
  uint64_t first_day_totals_compaction = 1u << 20;
  // Day totals of whole streams kept in memory (kept current by
  // Apply), least recently used first out; 0 keeps none (every read scans
  // RocksDB). Packed (pair_day.h, StreamDays): ~19 bytes per day of a pair
  // on average, so the busiest pair of a 10M log (~21k days) takes ~0.4
  // MiB, and a 10M log with dates over 59 years (5.0M pair-days) ~94 MB.
  size_t day_cache_bytes = 192u << 20;
  // A batch of at least this many entries (the follower gathers such
  // batches while far behind the head, --catch-up-batch >= 16384) is
  // written as table files and ingested rather than
  // through the memtables (table_ingest.h); 0: never.
  size_t ingest_min_entries = 16384;
  // Environment for file I/O; nullptr means rocksdb::Env::Default(). Tests
  // pass one that fails or records what was synced.
  rocksdb::Env* env = nullptr;
  // Tests only: called by a view after it scanned a stream's day totals and
  // before it caches them (to apply a batch in between).
  std::function<void()> after_day_scan_for_test;
};

// An entry as the log stores it: its position and its record (the
// eventlog codec, eventlog/record_codec.h), which the store keeps as the
// entry's copy. The follower passes the records it receives as they came,
// without decoding them into RecordedEntry first.
struct LogRecord {
  Position position;
  absl::string_view record;
};

// A consistent read-only view (a RocksDB snapshot) of the store.
class ReadView {
 public:
  virtual ~ReadView() = default;
  // The checkpoint the view reflects.
  virtual Position position() const = 0;
  // Every version of the stream's events dated in [from, to], in (day,
  // version position) order. Stops early when `fn` returns false.
  virtual absl::Status ForEachVersion(
      const std::string& stream, DayNumber from, DayNumber to,
      const std::function<bool(const PairVersion&)>& fn) const = 0;
  // The totals of every day of the stream with live events as of the view's
  // position (never as of an earlier one), in day order, packed. Shared:
  // kept in memory while the stream does not change.
  virtual absl::StatusOr<std::shared_ptr<const StreamDays>> Days(
      const std::string& stream) const = 0;
  // The full entry that wrote a version.
  virtual absl::StatusOr<RecordedEntry> Entry(Position version) const = 0;
};

class ReadModelStore {
 public:
  // Entries applied through the memtables, and as table files
  // (ingest_min_entries).
  struct AppliedEntries {
    uint64_t memtables = 0;
    uint64_t tables = 0;
  };

  static absl::StatusOr<std::unique_ptr<ReadModelStore>> Open(
      const ReadModelStoreOptions& options);
  virtual ~ReadModelStore() = default;

  // Applies records with positions > checkpoint() (others are skipped: a
  // resumed subscription may repeat some) and sets the checkpoint, atomically.
  // While StorageHealth() is not OK it first reopens the database (also
  // with no records: the follower's retry when none come). DATA_LOSS, with
  // nothing applied, when a record does not decode.
  virtual absl::Status ApplyRecords(const std::vector<LogRecord>& records,
                                    Position checkpoint) = 0;
  // The same for decoded entries (encoded first).
  absl::Status Apply(const std::vector<RecordedEntry>& entries,
                     Position checkpoint);

  // Tells the store that the batches applied so far brought it up to the
  // head: it compacts what a catch-up written as table files piled up
  // (ingest_min_entries), and reads the pairs' day totals into the day
  // cache. From Apply's thread. Eight batches in a row through the
  // memtables after such a catch-up start the compactions too, and the
  // eighth Apply waits until they have merged what it left (seconds at 10M
  // events), then fills the day cache (docs/projections.md, "Catch-up as
  // table files").
  virtual void CaughtUp() = 0;
  // Reads the pairs' day totals into the day cache, the largest first (by
  // RocksDB's estimate of their size), until it is seven-eighths full:
  // otherwise each pair's first query reads the pair's whole history (up
  // to ~8 ms for a pair with events on 21k days; docs/benchmarks.md, rounds
  // 23 and 24). CaughtUp and the eighth batch above call it; the query
  // service calls it once more right after opening the store (a restart),
  // before it follows the log or listens. Ends sooner when the follower
  // stops (SetStopping; not before it starts). From Apply's thread, or
  // before the follower starts.
  virtual void WarmDayCache() = 0;
  // While set, Apply does not wait for those compactions, and a wait under
  // way ends (the follower is stopping; it sets this before it joins its
  // applying thread and clears it after). From any thread.
  virtual void SetStopping(bool stopping) = 0;

  virtual Position checkpoint() const = 0;
  // OK, or the storage failure of the last Apply while the store has not
  // yet reopened its database (the next Apply tries; queries go on from what
  // was committed before it).
  virtual absl::Status StorageHealth() const = 0;
  // Blocks until checkpoint() > after or the deadline; returns it.
  virtual Position WaitForCheckpoint(Position after, absl::Time deadline) = 0;
  // Wakes every waiter (used on shutdown).
  virtual void WakeAll() = 0;

  virtual std::unique_ptr<ReadView> View() const = 0;

  // Position of the last entry that changed the stream (0: never).
  virtual Position LastChanged(const std::string& stream) const = 0;
  // Every stream with at least one entry, sorted.
  virtual std::vector<std::string> Streams() const = 0;
  // The streams of an actor, sorted.
  virtual std::vector<std::string> StreamsOf(const std::string& actor) const = 0;
  // RocksDB's memory, by kind.
  virtual StorageMemory Memory() const = 0;
  // The compactions it has left (nothing while it reopens), its own
  // compaction of the day totals included from the start of its thread.
  virtual StorageCompactions Compactions() const = 0;
  // Entries applied since the store was opened, by how their batch was
  // written.
  virtual AppliedEntries Applied() const = 0;
  // A full dump of keys and values, for the rebuild-equality tests.
  virtual std::vector<std::pair<std::string, std::string>> DumpForTest()
      const = 0;
  // How many times a view read a stream's day totals from RocksDB (rather
  // than from the cache), for tests.
  virtual uint64_t DayScanCountForTest() const = 0;
  // Table files at level 0 of the default family (versions, day totals),
  // for tests.
  virtual uint64_t Level0FilesForTest() const = 0;
};

}  // namespace detente
