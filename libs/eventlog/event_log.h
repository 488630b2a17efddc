// Start here: the event log, Detente's source of truth.
//
// An append-only log of entries (events, corrections, retractions). Every
// committed entry has a global position (from 1, gapless, strictly increasing
// in commit order) and belongs to the stream of its unordered country pair
// ("JPN-KOR"), in which it has a revision (from 0).
//
// The interface is independent of the storage engine: RocksDB is the
// embedded implementation (rocks_event_log.h); a replicated one can follow
// the same contract. Positions and batch semantics are part of the contract,
// not of RocksDB.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<EventLog> log,
//                    OpenRocksEventLog({.path = "/var/lib/detente/log"}));
//   ASSIGN_OR_RETURN(AppendResult r, log->Append({.entries = {...}}));
//   ASSIGN_OR_RETURN(ReadResult page, log->Read({.from = Position{1}}));
//
// Thread safety: every method may be called from any thread concurrently.
// Appends from many threads are group-committed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/strong_types.h"
#include "domain/entry.h"
#include "domain/uuid.h"
#include "eventlog/entry_filter.h"
#include "eventlog/storage_memory.h"

namespace detente {

// How an append states what it believes of its stream.
struct ExpectedRevision {
  enum class Kind { kAny, kNoStream, kExact };
  Kind kind = Kind::kAny;
  StreamRevision revision;  // with kExact: revision of the stream's last entry
};

struct AppendBatch {
  // 1..kMaxBatchEntries validated entries (domain/validation.h). Entries with
  // a nil event_id get a random one.
  std::vector<Entry> entries;
  // When not kAny, all entries must share one stream.
  ExpectedRevision expected;
};

struct EntryOutcome {
  Uuid event_id;
  Position position;  // new, or the original one for a duplicate
  bool duplicate = false;
  std::string stream;
  StreamRevision stream_revision;
};

struct AppendResult {
  Position first;  // range written by this batch; both 0 when all duplicates
  Position last;
  std::vector<EntryOutcome> outcomes;  // one per entry, in batch order
  Position head;                       // head after the commit
};

// One page of a read.
struct ReadRequest {
  // First position to consider, inclusive. Position{0}: the start (forward)
  // or the head (backward).
  Position from;
  // Last position to consider, inclusive. Position{0}: the head as it is now
  // (forward) or position 1 (backward).
  Position to;
  bool backward = false;
  EntryFilter filter;
  // Stop after this many matching entries.
  size_t max_entries = 1000;
  // Stop after considering this many entries even if few matched, so that
  // sparse filters still make progress that callers can report.
  size_t max_scanned = 100000;
  // Return the entries in their stored encoding (ReadResult::encoded)
  // instead of decoded: the fast path of servers that only pass them on.
  bool encoded = false;
};

// Entries in their stored encoding (eventlog/record_codec.h), back to back
// in one buffer: no allocation per entry.
struct EncodedEntries {
  struct Item {
    Position position;
    size_t offset = 0;
    size_t size = 0;
  };
  std::string bytes;
  std::vector<Item> items;

  size_t size() const { return items.size(); }
  bool empty() const { return items.empty(); }
  absl::string_view record(size_t i) const {
    return absl::string_view(bytes).substr(items[i].offset, items[i].size);
  }
  void Add(Position p, absl::string_view record) {
    items.push_back({p, bytes.size(), record.size()});
    bytes.append(record.data(), record.size());
  }
};

struct ReadResult {
  // Decoded entries, or nothing when the request asked for `encoded`.
  std::vector<RecordedEntry> entries;
  EncodedEntries encoded;
  // Where the next page starts; meaningless when `end` is true.
  Position next;
  // True when the range [from, to] has been fully considered.
  bool end = false;
  // The last position considered (0 when none): everything up to it (or down
  // to it, backwards) has been returned or filtered out.
  Position considered;
};

struct LogInfo {
  Position head;
  uint64_t entry_count = 0;
  uint64_t stream_count = 0;
  uint64_t disk_bytes = 0;
  std::string durability;  // "sync" or "async"
  uint32_t format_version = 0;
  // The local storage's memory (zero where the log has none).
  StorageMemory memory;
  StorageCompactions compactions;
};

// What EventLog::Backup wrote.
struct BackupInfo {
  std::string directory;  // as given
  // The copy holds exactly the entries at positions 1..head.
  Position head;
  uint64_t entry_count = 0;  // equal to head.value(): positions are gapless
  uint64_t files = 0;
  // Sum of the sizes of the copy's files. Hard-linked files count in full,
  // although they share their blocks with the live log.
  uint64_t bytes = 0;
  // True when the immutable data files were hard-linked (the copy is on the
  // log's filesystem) rather than copied.
  bool hard_linked = false;
  absl::Duration duration;
};

class EventLog {
 public:
  virtual ~EventLog() = default;

  // Appends a batch atomically and returns once it is durable (per the
  // log's durability mode). Errors:
  //  - INVALID_ARGUMENT with field violations ("entries[i].<field>"): the
  //    same id twice in the batch, a subject that is not in the log or is
  //    not an event, a correction that changes the pair, an expected
  //    revision with entries of several streams;
  //  - FAILED_PRECONDITION: expected revision mismatch;
  //  - UNAVAILABLE: storage failure, nothing written; later appends retry;
  //  - CANCELLED: the log is closing.
  // Nothing of a failed batch is written. Entries whose event_id is already
  // in the log are answered as duplicates; a batch of only duplicates
  // succeeds without checking the expected revision (it is a retry).
  virtual absl::StatusOr<AppendResult> Append(AppendBatch batch) = 0;

  // Append without waiting: `done` is called once, with what Append would
  // return, when the batch is durable or has failed. It runs on a thread of
  // the log's (or the caller's, for errors found at once), one callback of
  // AppendAsync at a time in commit order, so it must be quick and must not
  // block; it is how non-blocking servers append.
  using AppendCallback = std::function<void(absl::StatusOr<AppendResult>)>;
  virtual void AppendAsync(AppendBatch batch, AppendCallback done) = 0;

  // AppendAsync for a caller whose thread may wait for one write: when the
  // log is idle (no commit under way, none queued) and appends have been
  // coming one at a time (recent commits were single batches), the batch is
  // committed on the calling thread, which blocks for the write and its
  // fsync, and `done` runs there before this returns. Otherwise (and while
  // the storage is broken, and in cluster mode) it is queued as by
  // AppendAsync. A lone append then saves two thread handoffs (to the
  // committer and back); under load it joins a group commit as before.
  // Callbacks of this call may run beside those of AppendAsync, so callers
  // that need their answers in commit order (a stream's) use AppendAsync.
  // Close() does not wait for a callback running on its caller's thread.
  virtual void AppendHere(AppendBatch batch, AppendCallback done) {
    AppendAsync(std::move(batch), std::move(done));
  }

  // Reads one page in position order (see ReadRequest).
  virtual absl::StatusOr<ReadResult> Read(const ReadRequest& request) = 0;

  // The entry with this event_id, or nullopt.
  virtual absl::StatusOr<std::optional<RecordedEntry>> Get(const Uuid& id) = 0;

  // Position of the last committed entry (0 when empty). Every entry at or
  // below it is readable.
  virtual Position Head() const = 0;

  // Blocks until Head() > after, `deadline` passes, or the log closes.
  // Returns the head.
  virtual Position WaitForHead(Position after, absl::Time deadline) = 0;

  // True once Close() has begun; waiters should stop.
  virtual bool closing() const = 0;

  virtual absl::StatusOr<LogInfo> Info() = 0;

  // Writes an online, consistent copy of the log to `directory`, which must
  // not exist or be empty (missing parents are created), and must not lie
  // inside the log's own directory. The copy is a complete log as of one
  // head position, the one reported: open it like any log (it contains
  // every entry at or below that head and nothing after it). Appends go on
  // meanwhile, except for a short pause while the copy is cut; reads never
  // wait. Where the directory is on the log's filesystem the immutable data
  // files are hard-linked, not copied (cheap, and safe: they are never
  // modified, only deleted, which leaves the link intact). One backup at a
  // time: concurrent calls wait for each other. Errors:
  //  - INVALID_ARGUMENT with a violation named "directory": empty, not
  //    empty, not a directory, or inside the log;
  //  - FAILED_PRECONDITION: the directory (or a parent) cannot be created
  //    or inspected (permissions, a file in the way);
  //  - UNAVAILABLE: a storage failure while copying (nothing is left
  //    behind), the log is recovering from one, or it is closed.
  virtual absl::StatusOr<BackupInfo> Backup(const std::string& directory) = 0;

  // OK while appends can be written, as far as the log knows; else the
  // storage failure that stops them: UNAVAILABLE from a failed write until
  // the log has reopened its storage (it retries every second by itself, or
  // at the next append), DATA_LOSS while the storage holds fewer entries
  // than were acknowledged. For health checks.
  virtual absl::Status StorageHealth() const { return absl::OkStatus(); }

  // Stops accepting appends (they fail with CANCELLED), finishes those in
  // flight, wakes every waiter, flushes and closes the storage. Idempotent;
  // also run by the destructor.
  virtual void Close() = 0;
};

}  // namespace detente
