// The event log's indexes of its entries (format version 5,
// docs/storage-format.md): the id index (event id -> position, kind,
// stream), behind idempotent appends, Get by id and the subjects of
// corrections and retractions; the stream index (each stream's positions
// and revisions, in runs: stream_runs.h), behind reads of one stream; and
// each stream's entry count.
//
// The index of the latest entries is held in memory; all older keys are in
// the database, which receives them a chunk at a time as sorted table files
// (RocksDB's IngestExternalFiles: the 'i' keys into the `ids` column family,
// the 'r' and 'h' keys into the default one), never through a memtable. An
// append therefore writes one key, its entry. Random 16-byte id keys cost
// ~3.3 µs each as memtable (skiplist) inserts in the database's one write
// queue (docs/benchmarks.md, round 10), and the stream keys and counts
// another 15-25% of the bulk load's CPU (round 16); a sort and a file write
// on another thread cost a fraction of that. The mark `'m' "ids_through"`
// says up to which position the database holds every 'i' key, every
// entry's place in its stream's runs and each stream's count; after a crash
// the index past it is read back from the entries, which carry their stream
// and revision (Load). The first Ingest after a Load writes everything in
// memory, so each stream's runs start at its first position past the mark
// and split at the same places as those of an ingestion whose mark a crash
// cut off: they replace that ingestion's runs key for key (capping that
// Ingest would leave stale runs that overlap the next ones).
//
//   LogIndex index;
//   RETURN_IF_ERROR(index.Load(db));              // open, reopen
//   index.RaiseStreamCounts(counts);              // counts read from 'h'
//   ASSIGN_OR_RETURN(auto v, index.Get(db, id));   // memory, then the family
//   index.StreamPositions(stream, lo, hi, ...);   // memory; then the family
//   index.Add(the_written_group);                 // the writer, after a write
//   if (index.waiting() >= chunk)
//     RETURN_IF_ERROR(index.Ingest(db, mu, broken));
//   index.FillFilter(db, 100000);  // a slice; on a thread, while pending
//
// The ids the family holds are also in a filter in memory (id_filter.h),
// which spares the family the lookups of ids it certainly lacks. After a
// Load the filter holds the ids in memory and what Add adds; FillFilter
// reads the family's ids into it a slice at a time, and until it has read
// them all the filter is not used. An id can reach the family only through
// memory (Add or Load, both of which insert it), or was there when its
// slice was read: none is missed.
//
// Thread safety: Get, GetMany, StreamPositions, Add and waiting may be
// called concurrently with each other and with Ingest and FillFilter.
// Ingest, FillFilter and Load may not run at the same time as another
// Ingest, FillFilter or Load (the event log runs FillFilter as Ingest, and
// Ingest on its index thread under its database lock held shared, Load with
// that lock held exclusively or before its threads start, and its last
// Ingest after they stopped).
//
// Private to libs/eventlog.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "domain/uuid.h"
#include "eventlog/id_filter.h"
#include "eventlog/keys.h"

namespace detente {

class LogDb;

// The mark 'm' "ids_through": every entry up to it has its 'i' key and its
// place in a stream run, and is counted by its stream's 'h' key; 0 when
// absent (a new log).
// DATA_LOSS when malformed.
absl::StatusOr<uint64_t> ReadIdsThrough(LogDb& db);

class LogIndex {
 public:
  // One entry of a written group.
  struct Added {
    Uuid id;
    uint64_t position;
    EntryKind kind;
    absl::string_view stream;
    uint64_t revision;  // in its stream
  };

  // Forgets what memory held and reads the index of every entry past the
  // mark back from the entries. Removes files an interrupted Ingest left
  // in the log's directory.
  absl::Status Load(LogDb& db);

  // Raises counts[stream] to the entry count of each stream with entries
  // in memory (the 'h' keys count only those up to the mark, or up to an
  // ingestion whose mark a crash cut off).
  void RaiseStreamCounts(
      absl::flat_hash_map<std::string, uint64_t>& counts) const;

  // The positions of `stream`'s entries in memory within [lo, hi], at most
  // `limit` of them: the lowest ones in ascending order, or with `backward`
  // the highest ones in descending order. A reader calls it before it
  // reads the runs in the database: an entry leaves memory only after
  // its keys are ingested, so the two together miss none (and may both
  // hold one, during an ingestion).
  std::vector<uint64_t> StreamPositions(absl::string_view stream, uint64_t lo,
                                        uint64_t hi, bool backward,
                                        size_t limit) const;

  absl::StatusOr<std::optional<keys::IdValue>> Get(LogDb& db,
                                                   const Uuid& id) const;
  // The ids of `ids` (id, index into `out`), best in byte order (sorted
  // here otherwise): sets out[index] for each id the index holds. One sorted
  // MultiGet for those not in memory. Removes those found in memory.
  absl::Status GetMany(LogDb& db, std::vector<std::pair<Uuid, size_t>>& ids,
                       std::vector<std::optional<keys::IdValue>>& out) const;

  // The entries of a group once they are written, in position order.
  // Returns waiting() after them.
  size_t Add(const std::vector<Added>& ids);

  // Reads up to `max_ids` more ids of the family into the filter, from
  // where the last call since the Load stopped; true once it has read them
  // all (the filter then serves Get and GetMany). After a failure the next
  // call starts the slice again.
  absl::StatusOr<bool> FillFilter(LogDb& db, size_t max_ids);
  // The filter has ids of the family still to read.
  bool filter_pending() const {
    return filter_pending_.load(std::memory_order_acquire);
  }
  // Ids Get and GetMany asked the family about (not in memory, and not
  // ruled out by the filter), since the start.
  uint64_t family_lookups() const {
    return family_lookups_.load(std::memory_order_relaxed);
  }

  // Entries in memory not yet being ingested.
  size_t waiting() const;
  // Entries in memory, waiting or being ingested.
  size_t in_memory() const;
  // Bytes the index in memory takes (its tables' slots, the streams'
  // positions and names).
  uint64_t memory_bytes() const;
  // Bytes the filter takes.
  uint64_t filter_bytes() const;

  // Writes the index of the entries waiting in memory into the database as
  // sorted table files ('i' keys; 'h' keys; 'r' keys), ingested together in
  // one atomic step (table_ingest.h), then the mark; afterwards memory
  // holds only entries added meanwhile. If the previous call failed, writes
  // that call's entries instead (and leaves the ones waiting for the next
  // call). Those entries are made durable first (a sync of the write-ahead log:
  // in async durability they may not be yet), so that after any crash a key of
  // the index names an entry in the log. After a failure the same entries are
  // tried again by the next call (and are served from memory meanwhile).
  // `writes` and `broken` are the owner's, as IngestTables' guard
  // (table_ingest.h: held around the database's writes, not the files'
  // writing; nothing written once broken); the mark is written under
  // `writes` too, and a failed write of it sets `broken`. The owner's other
  // writers hold `writes` so that RocksDB never merges another thread's
  // batch into a write group (which ThreadSanitizer cannot follow through
  // the uninstrumented library).
  absl::Status Ingest(LogDb& db, std::mutex& writes, std::atomic<bool>& broken);

 private:
  // 32 bytes with its key: the stream is an index into streams_.
  struct Slot {
    uint64_t position;
    uint32_t stream;
    EntryKind kind;
  };
  using Map = absl::flat_hash_map<Uuid, Slot>;
  // One stream's entries in memory: consecutive revisions from `first`.
  struct StreamTail {
    uint64_t first = 0;
    std::vector<uint64_t> positions;  // ascending
    // The stream's next entry, at `position` with `revision`.
    void Add(uint64_t position, uint64_t revision) {
      if (positions.empty()) first = revision;
      positions.push_back(position);
    }
  };
  // By index into streams_.
  using Tails = absl::flat_hash_map<uint32_t, StreamTail>;
  // Every stream named by a slot, by index, and the index of each. They
  // only grow until the next Load (a few bytes per pair of countries ever
  // seen); Ingest copies the names.
  struct Streams {
    std::vector<std::string> names;
    absl::flat_hash_map<std::string, uint32_t> index;
    uint32_t Intern(absl::string_view stream);
  };
  std::optional<keys::IdValue> FindInMemory(const Uuid& id) const;

  mutable std::mutex mu_;
  Streams streams_;              // guarded by mu_
  Map active_;                   // guarded by mu_; Add inserts here
  Tails active_streams_;         // guarded by mu_; Add appends here
  uint64_t active_through_ = 0;  // guarded by mu_: last position added
  // Being ingested: swapped in from active_ under mu_, and then changed only
  // by Ingest and Load (readers read it under mu_).
  Map frozen_;
  Tails frozen_streams_;
  uint64_t frozen_through_ = 0;  // owned by Ingest and Load

  IdFilterChain filter_;       // guarded by mu_ (but inserts into its base)
  bool filter_ready_ = false;  // guarded by mu_: every id of the family in it
  std::atomic<bool> filter_pending_{true};  // !filter_ready_, for the thread
  // The last id key FillFilter read (empty: none yet). Owned by FillFilter
  // and Load.
  std::string filter_cursor_;
  mutable std::atomic<uint64_t> family_lookups_{0};
};

}  // namespace detente
