#include "eventlog/rocks_event_log.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/disk_usage.h"
#include "common/field_violation.h"
#include "common/status_macros.h"
#include "common/thread_name.h"
#include "domain/actors.h"
#include "domain/validation.h"
#include "eventlog/checkpoint.h"
#include "eventlog/keys.h"
#include "eventlog/log_db.h"
#include "eventlog/log_index.h"
#include "eventlog/record_codec.h"
#include "eventlog/rocks_status.h"
#include "eventlog/stream_runs.h"
#include "spdlog/spdlog.h"

namespace detente {
namespace {

std::string EntryField(size_t i, absl::string_view field) {
  return absl::StrCat("entries[", i, "].", field);
}

struct LogState {
  Position head;
  absl::flat_hash_map<std::string, uint64_t> stream_counts;
  // Cluster mode: the sequence of the last replicated group held.
  uint64_t replicated_sequence = 0;
};

constexpr absl::string_view kReplicatedSequence = "replicated_sequence";

absl::StatusOr<LogState> LoadState(LogDb& db);

// What a group commit has staged but not yet written: later batches of the
// same group must see it.
struct GroupOverlay {
  absl::flat_hash_map<Uuid, keys::IdValue> ids;
  absl::flat_hash_map<std::string, uint64_t> stream_counts;
};

// The puts of a group: its entries, in key order, so that consecutive
// memtable inserts land next to each other and the skiplist's insert splice
// is reused.
// The index of the entries ('i', 'r' and 'h' keys) is not in the batch: it
// goes to the LogIndex once written. Its streams are views of strings that
// outlive the write (the batch's Pending::streams, or the received group's
// records).
struct GroupWrites {
  using KeyValue = std::pair<std::string, std::string>;
  std::vector<KeyValue> entries;         // 'e': already ascending
  std::vector<LogIndex::Added> indexed;  // for the LogIndex
  size_t bytes = 0;
};

// Reads of more positions than this do not fill the block cache.
constexpr uint64_t kScanPositions = uint64_t{1} << 16;

class RocksEventLog final : public EventLog {
 public:
  RocksEventLog(RocksEventLogOptions options, LogDbOptions db_options,
                std::unique_ptr<LogDb> db, LogState state)
      : options_(std::move(options)),
        db_options_(std::move(db_options)),
        db_(std::move(db)),
        stream_counts_(std::move(state.stream_counts)),
        applied_sequence_(state.replicated_sequence),
        stream_count_(stream_counts_.size()),
        head_(state.head.value()) {
    write_options_.sync = options_.durability == Durability::kSync;
  }

  // Loads the index of the entries past its mark, starts the replicator
  // (cluster mode) and the threads.
  absl::Status Start() {
    RETURN_IF_ERROR(index_.Load(*db_));
    index_.RaiseStreamCounts(stream_counts_);
    stream_count_.store(stream_counts_.size());
    if (Replicator* r = options_.replicator.get()) {
      RETURN_IF_ERROR(r->Start(applied_sequence_, [this] {
        {
          std::lock_guard lock(queue_mu_);
          received_ = true;
        }
        queue_cv_.notify_one();
      }));
    }
    committer_ = std::thread([this] {
      NameThisThread("log-commit");
      CommitLoop();
    });
    notifier_ = std::thread([this] {
      NameThisThread("log-notify");
      NotifyLoop();
    });
    indexer_ = std::thread([this] {
      NameThisThread("log-index");
      IndexLoop();
    });
    return absl::OkStatus();
  }

  ~RocksEventLog() override { Close(); }

  uint64_t stream_count() const { return stream_count_.load(); }

  absl::StatusOr<AppendResult> Append(AppendBatch batch) override {
    std::promise<absl::StatusOr<AppendResult>> promise;
    std::future<absl::StatusOr<AppendResult>> done = promise.get_future();
    AppendHere(std::move(batch), [&promise](absl::StatusOr<AppendResult> r) {
      promise.set_value(std::move(r));
    });
    return done.get();
  }

  void AppendAsync(AppendBatch batch, AppendCallback done) override {
    Submit(std::move(batch), std::move(done), /*here=*/false);
  }

  void AppendHere(AppendBatch batch, AppendCallback done) override {
    Submit(std::move(batch), std::move(done), /*here=*/true);
  }

  absl::StatusOr<ReadResult> Read(const ReadRequest& request) override;

  absl::Status StorageHealth() const override {
    std::lock_guard lock(health_mu_);
    return storage_error_;
  }

  absl::StatusOr<std::optional<RecordedEntry>> Get(const Uuid& id) override {
    std::shared_lock db_lock(db_mu_);
    if (!db_) return NoDatabase();
    ASSIGN_OR_RETURN(std::optional<keys::IdValue> v, index_.Get(*db_, id));
    if (!v) return std::nullopt;
    ASSIGN_OR_RETURN(RecordedEntry e, ReadEntry(v->position));
    return e;
  }

  Position Head() const override {
    return Position(head_.load(std::memory_order_acquire));
  }

  Position WaitForHead(Position after, absl::Time deadline) override {
    std::unique_lock lock(head_mu_);
    head_cv_.wait_until(lock, absl::ToChronoTime(deadline), [&] {
      return Head() > after || closing_.load();
    });
    return Head();
  }

  bool closing() const override { return closing_.load(); }

  absl::StatusOr<LogInfo> Info() override {
    LogInfo info;
    info.head = Head();
    info.entry_count = info.head.value();
    info.stream_count = stream_count_.load();
    info.durability = options_.replicator ? options_.replicator->durability()
                                          : DurabilityName(options_.durability);
    info.format_version = keys::kFormatVersion;
    {
      std::shared_lock db_lock(db_mu_);
      if (db_) {
        info.memory = db_->Memory();
        info.compactions = db_->Compactions();
      }
    }
    info.memory.id_index = index_.memory_bytes();
    info.memory.id_filter = index_.filter_bytes();
    info.disk_bytes = DirectoryBytes(options_.path);
    return info;
  }

  absl::StatusOr<BackupInfo> Backup(const std::string& directory) override;

  void Close() override {
    {
      std::lock_guard lock(queue_mu_);
      if (closed_) return;
      closed_ = true;
      closing_ = true;
    }
    if (options_.replicator) options_.replicator->Stop();
    queue_cv_.notify_all();
    {
      std::lock_guard lock(head_mu_);
    }
    head_cv_.notify_all();
    if (committer_.joinable()) committer_.join();
    {
      std::lock_guard lock(notify_mu_);
      notify_closed_ = true;
    }
    notify_cv_.notify_all();
    if (notifier_.joinable()) notifier_.join();  // after its queue is empty
    {
      std::lock_guard lock(index_mu_);
      index_stop_ = true;
    }
    index_cv_.notify_all();
    if (indexer_.joinable()) indexer_.join();
    std::lock_guard ingest_lock(ingest_mu_);
    std::unique_lock db_lock(db_mu_);
    if (!db_) return;
    if (!broken_) {
      rocksdb::Status s = db_->db().FlushWAL(/*sync=*/true);
      if (!s.ok()) {
        spdlog::warn("event log: final WAL sync failed: {}", s.ToString());
      }
      // The index still in memory, so that the next open need not read it
      // back from the entries (two calls: a failed ingestion's entries,
      // then the rest). A failure loses nothing: the next open reads them
      // back.
      for (int i = 0; i < 2 && index_.in_memory() > 0; ++i) {
        if (absl::Status st = index_.Ingest(*db_, write_mu_, broken_);
            !st.ok()) {
          spdlog::warn("event log: writing the index at close: {}",
                       st.ToString());
          break;
        }
      }
    }
    rocksdb::Status s = db_->Close();
    if (!s.ok()) spdlog::warn("event log: close failed: {}", s.ToString());
    db_.reset();
  }

 private:
  using Completion =
      std::vector<std::pair<AppendCallback, absl::StatusOr<AppendResult>>>;

  struct Pending {
    AppendBatch batch;
    AppendCallback done;
    // Per entry, computed before the batch is queued (on the caller's
    // thread, so that the one writer does less): the record
    // without what the commit assigns, and the stream (empty for
    // retractions: theirs is their subject's).
    std::vector<std::string> bodies;
    std::vector<std::string> streams;
    // The entries' ids in byte order (the id index's key order), each with
    // its entry's index: the duplicate checks need no sort on the committer.
    std::vector<std::pair<Uuid, size_t>> ids;
  };

  // What needs no log state: ids for entries without one, the batch's own
  // duplicates, streams and record bodies. Calls `done` itself (and returns
  // an error) when the batch is refused.
  static absl::StatusOr<std::unique_ptr<Pending>> Prepare(AppendBatch batch,
                                                          AppendCallback done);
  // About the size of the batch's records once committed.
  static size_t EstimatedBytes(const Pending& p);

  // AppendAsync, or with `here` AppendHere.
  void Submit(AppendBatch batch, AppendCallback done, bool here);
  void CommitLoop();
  // The answers are returned, for the caller to deliver. While the storage
  // is broken it is reopened first; without `may_recover` nothing is done
  // then and nullopt returned.
  std::optional<Completion> CommitGroup(
      std::vector<std::unique_ptr<Pending>>& group, bool may_recover);
  // Cluster mode: CommitGroup through the replicator.
  void CommitReplicated(std::vector<std::unique_ptr<Pending>>& group);
  // Stages every entry of the group; `results` gets one per batch.
  void StageGroup(std::vector<std::unique_ptr<Pending>>& group,
                  std::vector<absl::StatusOr<AppendResult>>& results,
                  GroupOverlay& overlay, GroupWrites& writes, uint64_t& next);
  // Writes staged entries (and, in cluster mode, `sequence`) in one
  // RocksDB batch and publishes the new head `next - 1`. On failure the
  // log is marked broken (reopened before the next commit).
  absl::Status WriteGroup(GroupWrites& writes, const GroupOverlay& overlay,
                          uint64_t next, CommitStats stats,
                          std::optional<uint64_t> sequence);
  // Cluster mode: applies the groups other nodes committed.
  absl::Status ApplyReceived();
  absl::Status StageReceived(const ReplicatedGroup& g, GroupOverlay& overlay,
                             GroupWrites& writes, uint64_t& next);
  // `later_batches`: batches of the group are staged after this one (they
  // look its ids up in the overlay).
  absl::StatusOr<AppendResult> StageBatch(Pending& pending,
                                          GroupOverlay& overlay,
                                          GroupWrites& writes, uint64_t& next,
                                          int64_t now_micros,
                                          bool later_batches);
  absl::StatusOr<std::optional<keys::IdValue>> LookupId(
      const Uuid& id, const GroupOverlay& overlay);
  // LookupId of every id of `ids` (Pending::ids), with one sorted MultiGet
  // for those that are not in the overlay; `out` has one per entry.
  absl::Status LookupIds(const std::vector<std::pair<Uuid, size_t>>& ids,
                         const GroupOverlay& overlay,
                         std::vector<std::optional<keys::IdValue>>& out);
  uint64_t StreamCount(const std::string& stream,
                       const GroupOverlay& overlay) const;
  absl::StatusOr<RecordedEntry> ReadEntry(Position p);
  absl::Status ReadValue(Position p, std::string* value);
  // The stream revision of the entry at `p`: staged earlier in this group,
  // or as its stored record says.
  absl::StatusOr<StreamRevision> RevisionOf(Position p,
                                            const GroupWrites& writes);
  // A correction or retraction stored before records had subject_position
  // gets it from the id index: `value` then views `*amended`.
  absl::Status AddSubjectPosition(Position p, absl::string_view& value,
                                  std::string* amended);
  absl::Status Recover();
  // The index's thread: writes a chunk of the index into the database once
  // enough entries are waiting (LogIndex::Ingest).
  void IndexLoop();
  // One slice of the id filter's fill; false to wait a second before the
  // next (a failure, or no writable database).
  bool FillIdFilter();
  static constexpr size_t kIdFilterSlice = 100000;
  uint64_t fill_failures_ = 0;  // owned by the index thread
  void SetStorageError(absl::Status s) {
    std::lock_guard lock(health_mu_);
    storage_error_ = std::move(s);
  }
  void PublishHead(uint64_t head);
  // The answer of a read while db_ is null (requires db_mu_).
  absl::Status NoDatabase() const {
    absl::Status s = StorageHealth();
    return s.ok() ? absl::UnavailableError("the event log is closed") : s;
  }

  const RocksEventLogOptions options_;
  const LogDbOptions db_options_;
  // Shared by every user of db_; exclusive only while Recover() swaps it.
  mutable std::shared_mutex db_mu_;
  std::unique_ptr<LogDb> db_;
  rocksdb::WriteOptions write_options_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::unique_ptr<Pending>> queue_;  // guarded by queue_mu_
  bool closed_ = false;         // guarded by queue_mu_
  bool received_ = false;       // guarded by queue_mu_: groups to apply
  // A commit (or a reopen) is under way, on the committer thread or on the
  // thread of an AppendHere: the other waits. Guarded by queue_mu_, which
  // also hands the committer's state (stream_counts_, applied_sequence_)
  // from one to the other.
  bool committing_ = false;
  // Batches per commit, a moving average over the last ten or so (one
  // committed by AppendHere counts as one). Guarded by queue_mu_.
  double recent_group_ = 1;
  // Adds a commit of `batches` to recent_group_; queue_mu_ held.
  void CountCommit(size_t batches) {
    recent_group_ = 0.9 * recent_group_ + 0.1 * static_cast<double>(batches);
  }
  std::atomic<bool> closing_{false};

  // Owned by the thread that commits (committing_).
  absl::flat_hash_map<std::string, uint64_t> stream_counts_;
  uint64_t applied_sequence_ = 0;  // cluster mode
  // Set after a failed write: the database is reopened (replaying what the
  // write-ahead log really holds) before the next commit. While reopening
  // fails, db_ is a read-only handle so that reads keep working.
  std::atomic<bool> broken_{false};
  // Failed writes so far: a backup cut while one happened is discarded.
  std::atomic<uint64_t> write_failures_{0};
  // The failure that broke the log, until it recovers: StorageHealth(),
  // and the answer of reads while a reopen left db_ null (a directory gone
  // or short of acknowledged entries).
  mutable std::mutex health_mu_;
  absl::Status storage_error_;  // guarded by health_mu_
  std::atomic<uint64_t> stream_count_;
  // One backup at a time.
  std::mutex backup_mu_;

  mutable std::mutex head_mu_;
  std::condition_variable head_cv_;
  std::atomic<uint64_t> head_;

  std::thread committer_;

  // The entries' ids, stream positions and counts (log_index.h). Chunks are
  // ingested by indexer_, woken by the committer once
  // options_.id_index_chunk entries wait in memory.
  LogIndex index_;
  std::mutex index_mu_;
  std::condition_variable index_cv_;
  bool index_wake_ = false;  // guarded by index_mu_
  bool index_stop_ = false;  // guarded by index_mu_
  std::thread indexer_;
  // An ingestion and a backup's checkpoint never overlap: a checkpoint cut
  // between an ingested file and its mark could hold the mark and not the
  // file. Taken before db_mu_.
  std::mutex ingest_mu_;
  // Held around every write into the database while the committer and the
  // index thread both run (LogIndex::Ingest): one writer at a time. Taken
  // after db_mu_.
  std::mutex write_mu_;

  // The committer's answers are delivered by a thread of their own: a
  // callback (a gRPC Finish or StartWrite) may do real work inline, such as
  // sending the response, which on the committer thread delayed the next
  // commit. (An AppendHere committed on its caller's thread is answered
  // there.)
  void Notify(Completion c);
  void NotifyLoop();
  std::mutex notify_mu_;
  std::condition_variable notify_cv_;
  std::deque<Completion> notify_queue_;  // guarded by notify_mu_
  bool notify_closed_ = false;           // guarded by notify_mu_
  std::thread notifier_;
};

void RocksEventLog::Notify(Completion c) {
  {
    std::lock_guard lock(notify_mu_);
    notify_queue_.push_back(std::move(c));
  }
  notify_cv_.notify_one();
}

void RocksEventLog::NotifyLoop() {
  while (true) {
    Completion c;
    {
      std::unique_lock lock(notify_mu_);
      notify_cv_.wait(lock,
                      [&] { return !notify_queue_.empty() || notify_closed_; });
      if (notify_queue_.empty()) return;  // closed, and everything delivered
      c = std::move(notify_queue_.front());
      notify_queue_.pop_front();
    }
    for (auto& [done, result] : c) done(std::move(result));
  }
}

bool RocksEventLog::FillIdFilter() {
  std::lock_guard ingest_lock(ingest_mu_);
  std::shared_lock db_lock(db_mu_);
  // Not on a broken or read-only database: Recover's Load starts the fill
  // again anyway.
  if (!db_ || broken_) return false;
  absl::StatusOr<bool> filled = index_.FillFilter(*db_, kIdFilterSlice);
  if (!filled.ok()) {
    // The first failure, then one a minute while they last.
    if (fill_failures_++ % 60 == 0) {
      spdlog::warn(
          "event log: reading the id index into its filter: {} (lookups ask "
          "the index's files meanwhile; retrying every second; {} failures)",
          filled.status().ToString(), fill_failures_);
    }
    return false;
  }
  return true;
}

void RocksEventLog::IndexLoop() {
  std::unique_lock lock(index_mu_);
  // The id filter is filled a slice at a time between ingestions (log_index.h);
  // after a failed slice, or on a broken database, not before this time.
  std::chrono::steady_clock::time_point fill_after{};
  while (true) {
    // Woken by the committer for an ingestion; every second anyway, to see
    // a fill that a reopen's Load started.
    index_cv_.wait_for(lock, std::chrono::seconds(1), [&] {
      return index_wake_ || index_stop_ ||
             (index_.filter_pending() &&
              std::chrono::steady_clock::now() >= fill_after);
    });
    if (index_stop_) return;
    if (!index_wake_) {
      if (!index_.filter_pending() ||
          std::chrono::steady_clock::now() < fill_after) {
        continue;
      }
      lock.unlock();
      const bool filled = FillIdFilter();
      lock.lock();
      if (!filled) {
        fill_after = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      }
      continue;
    }
    index_wake_ = false;
    lock.unlock();
    absl::Status s;
    {
      std::lock_guard ingest_lock(ingest_mu_);
      std::shared_lock db_lock(db_mu_);
      // Not on a broken or read-only database: the index waits in memory,
      // and Recover reads it back anyway.
      if (db_ && !broken_) {
        s = index_.Ingest(*db_, write_mu_, broken_);
        if (!s.ok() && broken_) {
          // Its mark's write failed: the committer reopens the log (every
          // storage_retry from now, without waiting for an append).
          SetStorageError(absl::UnavailableError(
              absl::StrCat("storage failure (retry later): ", s.message())));
          { std::lock_guard queue_lock(queue_mu_); }
          queue_cv_.notify_all();
        }
      }
    }
    lock.lock();
    if (!s.ok()) {
      spdlog::warn(
          "event log: writing the index: {} (it stays in memory; retrying "
          "every second)",
          s.ToString());
      // Not at every commit while the fault lasts, but without waiting for
      // another chunk either.
      index_cv_.wait_for(lock, std::chrono::seconds(1),
                         [&] { return index_stop_; });
      index_wake_ = true;
    } else if (index_.waiting() >= options_.id_index_chunk) {
      index_wake_ = true;  // a chunk filled while this one was written
    }
  }
}

void RocksEventLog::Submit(AppendBatch batch, AppendCallback done, bool here) {
  absl::StatusOr<std::unique_ptr<Pending>> prepared =
      Prepare(std::move(batch), std::move(done));
  if (!prepared.ok()) return;  // answered already
  std::unique_ptr<Pending> pending = *std::move(prepared);
  bool commit_here = false;
  {
    std::lock_guard lock(queue_mu_);
    if (!closing_) {
      // Not in cluster mode, whose commits wait for the replicated log,
      // nor while the storage is broken: the committer reopens it.
      // Nor when recent commits were groups: appends come in crowds then,
      // and one committed alone here would make the crowd behind it wait
      // for its fsync and then for the committer to wake.
      commit_here = here && !committing_ && queue_.empty() && !received_ &&
                    recent_group_ < 1.25 && !broken_ && !options_.replicator;
      if (commit_here) {
        committing_ = true;
      } else {
        queue_.push_back(std::move(pending));
      }
    }
  }
  if (!commit_here) {
    if (pending) {  // not queued: the log is closing
      pending->done(absl::CancelledError("the event log is closing"));
      return;
    }
    queue_cv_.notify_one();
    return;
  }
  std::vector<std::unique_ptr<Pending>> group;
  group.push_back(std::move(pending));
  std::optional<Completion> c;
  {
    // However the commit ends: the committer is woken for what came in
    // meanwhile, and for a storage that broke, which it reopens every
    // storage_retry even if no append comes.
    absl::Cleanup done_committing = [this, &c] {
      bool wake;
      {
        std::lock_guard lock(queue_mu_);
        committing_ = false;
        // A batch handed back is counted by the committer's group.
        if (c) CountCommit(1);
        wake = !queue_.empty() || received_ || closing_ || broken_;
      }
      if (wake) queue_cv_.notify_one();
    };
    c = CommitGroup(group, /*may_recover=*/false);
    if (!c) {
      // The storage broke since the check above: the committer reopens it
      // (not this thread, a server's), then commits the batch first.
      std::lock_guard lock(queue_mu_);
      queue_.push_front(std::move(group.front()));
    }
  }
  if (!c) return;
  for (auto& [callback, result] : *c) callback(std::move(result));
}

void RocksEventLog::CommitLoop() {
  Replicator* const replicator = options_.replicator.get();
  // Cluster mode: a group travels as one message of the replicated log.
  const size_t max_group_bytes =
      replicator ? replicator->max_group_bytes() : SIZE_MAX;
  while (true) {
    std::vector<std::unique_ptr<Pending>> group;
    std::vector<std::unique_ptr<Pending>> too_large;
    bool received = false;
    {
      std::unique_lock lock(queue_mu_);
      auto ready = [&] {
        return !committing_ && (!queue_.empty() || closing_ || received_);
      };
      // While the storage is broken, it is reopened every storage_retry
      // even when no append comes: the log recovers (and StorageHealth()
      // says so) once the fault clears, not only at the next append. In
      // cluster mode not only when another node's group comes either: the
      // reopen restarts replication from the last group written, which
      // brings the ones missed.
      const absl::Duration retry = options_.storage_retry;
      while (!ready()) {
        if (!broken_ || retry <= absl::ZeroDuration()) {
          // Also woken when the index's thread breaks the log.
          queue_cv_.wait(lock, [&] {
            return ready() || (broken_ && retry > absl::ZeroDuration());
          });
        } else if (!queue_cv_.wait_for(lock, absl::ToChronoNanoseconds(retry),
                                       ready) &&
                   !committing_) {
          committing_ = true;
          lock.unlock();
          Recover().IgnoreError();  // the next append gets its error
          lock.lock();
          committing_ = false;
        }
      }
      if (queue_.empty() && !received_) return;  // closing, all done
      received = std::exchange(received_, false);
      committing_ = true;
      size_t entries = 0;
      size_t bytes = 0;
      while (!queue_.empty()) {
        const Pending& next = *queue_.front();
        const size_t next_bytes = EstimatedBytes(next);
        if (!group.empty() &&
            (entries + next.batch.entries.size() > options_.max_group_entries ||
             bytes + next_bytes > max_group_bytes)) {
          break;
        }
        if (next_bytes > max_group_bytes) {
          too_large.push_back(std::move(queue_.front()));
        } else {
          entries += next.batch.entries.size();
          bytes += next_bytes;
          group.push_back(std::move(queue_.front()));
        }
        queue_.pop_front();
      }
      if (!group.empty()) CountCommit(group.size());
    }
    if (!too_large.empty()) {
      Completion c;
      for (auto& p : too_large) {
        c.emplace_back(
            std::move(p->done),
            InvalidArgumentWithViolations(
                {{"entries",
                  absl::StrCat("the batch takes about ", EstimatedBytes(*p),
                               " bytes, more than the ", max_group_bytes,
                               " bytes of one message of the replicated log; "
                               "split it")}}));
      }
      Notify(std::move(c));
    }
    if (replicator) {
      if (received && group.empty()) {
        absl::Status s = broken_ ? Recover() : absl::OkStatus();
        if (s.ok()) {
          std::shared_lock db_lock(db_mu_);
          s = ApplyReceived();
        }
        if (!s.ok()) {
          spdlog::warn("event log: applying replicated groups: {}",
                       s.ToString());
        }
      }
      if (!group.empty()) CommitReplicated(group);
    } else if (!group.empty()) {
      Notify(*CommitGroup(group, /*may_recover=*/true));
    }
    std::lock_guard lock(queue_mu_);
    committing_ = false;
  }
}

size_t RocksEventLog::EstimatedBytes(const Pending& p) {
  size_t n = 16;
  for (size_t i = 0; i < p.bodies.size(); ++i) {
    n += p.bodies[i].size() + p.streams[i].size() + 32;
  }
  return n;
}

void RocksEventLog::StageGroup(
    std::vector<std::unique_ptr<Pending>>& group,
    std::vector<absl::StatusOr<AppendResult>>& results, GroupOverlay& overlay,
    GroupWrites& writes, uint64_t& next) {
  results.clear();
  results.reserve(group.size());
  const int64_t now = absl::ToUnixMicros(absl::Now());
  for (size_t k = 0; k < group.size(); ++k) {
    results.push_back(StageBatch(*group[k], overlay, writes, next, now,
                                 /*later_batches=*/k + 1 < group.size()));
  }
}

absl::Status RocksEventLog::WriteGroup(GroupWrites& writes,
                                       const GroupOverlay& overlay,
                                       uint64_t next, CommitStats stats,
                                       std::optional<uint64_t> sequence) {
  rocksdb::WriteBatch wb(writes.bytes + 128);
  for (const auto& [k, v] : writes.entries) wb.Put(db_->entries(), k, v);
  if (sequence) {
    std::string value;
    keys::PutBigEndian64(&value, *sequence);
    wb.Put(db_->meta(), keys::MetaKey(kReplicatedSequence), value);
  }
  const uint64_t entries = next - head_.load() - 1;
  const absl::Time write_start = absl::Now();
  rocksdb::Status s;
  {
    std::lock_guard write_lock(write_mu_);
    s = db_->db().Write(write_options_, &wb);
    // Under the lock: the index's ingestion checks it there before it syncs
    // the write-ahead log (LogIndex::Ingest, table_ingest.h).
    if (!s.ok()) broken_ = true;
  }
  if (!s.ok()) {
    write_failures_.fetch_add(1);
    spdlog::error("event log: write failed, {} entries not written: {}",
                  entries, s.ToString());
    absl::Status failed = absl::UnavailableError(absl::StrCat(
        "storage failure, nothing written (retry later): ", s.ToString()));
    SetStorageError(failed);
    return failed;
  }
  if (options_.on_commit && stats.batches > 0) {  // not other nodes' groups
    stats.entries = static_cast<size_t>(entries);
    stats.write = absl::Now() - write_start;
    options_.on_commit(stats);
  }
  for (auto& [stream, count] : overlay.stream_counts) {
    stream_counts_[stream] = count;
  }
  stream_count_.store(stream_counts_.size());
  if (sequence) applied_sequence_ = *sequence;
  // Before the head: a reader who sees an entry finds its id and its place
  // in its stream.
  if (index_.Add(writes.indexed) >= options_.id_index_chunk) {
    {
      std::lock_guard lock(index_mu_);
      index_wake_ = true;
    }
    index_cv_.notify_one();
  }
  PublishHead(next - 1);
  return absl::OkStatus();
}

std::optional<RocksEventLog::Completion> RocksEventLog::CommitGroup(
    std::vector<std::unique_ptr<Pending>>& group, bool may_recover) {
  std::vector<absl::StatusOr<AppendResult>> results;
  if (broken_) {
    if (!may_recover) return std::nullopt;
    absl::Status s = Recover();
    if (!s.ok()) {
      Completion c;
      for (auto& p : group) c.emplace_back(std::move(p->done), s);
      return c;
    }
  }
  std::shared_lock db_lock(db_mu_);
  GroupOverlay overlay;
  GroupWrites writes;
  uint64_t next = head_.load() + 1;
  StageGroup(group, results, overlay, writes, next);
  if (!writes.entries.empty()) {
    absl::Status s =
        WriteGroup(writes, overlay, next, {.batches = group.size()}, std::nullopt);
    if (!s.ok()) {
      for (auto& r : results) {
        if (r.ok()) r = s;
      }
    }
  }
  Completion c;
  c.reserve(group.size());
  for (size_t i = 0; i < group.size(); ++i) {
    if (results[i].ok()) results[i]->head = Head();
    c.emplace_back(std::move(group[i]->done), std::move(results[i]));
  }
  return c;
}

// Cluster mode. Staging is the embedded log's; what changes is that the
// staged group is first stored in the replicated log, at the place right
// after the last group this copy holds, and written here only then. When
// another node's group took that place, this copy applies it and restages.
void RocksEventLog::CommitReplicated(
    std::vector<std::unique_ptr<Pending>>& group) {
  Replicator& replicator = *options_.replicator;
  std::vector<absl::StatusOr<AppendResult>> results;
  auto answer = [&](std::optional<absl::Status> all) {
    Completion c;
    c.reserve(group.size());
    for (size_t i = 0; i < group.size(); ++i) {
      if (all) {
        c.emplace_back(std::move(group[i]->done), *all);
        continue;
      }
      if (results[i].ok()) results[i]->head = Head();
      c.emplace_back(std::move(group[i]->done), std::move(results[i]));
    }
    Notify(std::move(c));
  };
  // Contention with other nodes is resolved by retrying; a bound keeps a
  // pathological case from holding the appends forever.
  constexpr int kMaxAttempts = 100;
  size_t lost_races = 0;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (broken_) {
      if (absl::Status s = Recover(); !s.ok()) return answer(s);
    }
    std::shared_lock db_lock(db_mu_);
    if (absl::Status s = ApplyReceived(); !s.ok()) return answer(s);
    GroupOverlay overlay;
    GroupWrites writes;
    uint64_t next = head_.load() + 1;
    StageGroup(group, results, overlay, writes, next);
    if (writes.entries.empty()) {
      // Nothing to publish, so no compare-and-set proves this copy current.
      // Duplicates are certain (the ids are in the log), but a refusal
      // (subject not in the log, expected revision) may only mean that
      // another node's acknowledged group has not arrived yet: catch up to
      // the stream as it is now, and stage again if anything came.
      const bool refused = std::any_of(results.begin(), results.end(),
                                       [](const auto& r) { return !r.ok(); });
      if (!refused) return answer(std::nullopt);
      const uint64_t before = applied_sequence_;
      db_lock.unlock();
      if (absl::Status s = replicator.CatchUp(before); !s.ok()) return answer(s);
      db_lock.lock();
      if (absl::Status s = ApplyReceived(); !s.ok()) return answer(s);
      if (applied_sequence_ == before) return answer(std::nullopt);
      continue;
    }
    std::vector<absl::string_view> records;
    records.reserve(writes.entries.size());
    for (const auto& kv : writes.entries) records.emplace_back(kv.second);
    const std::string encoded =
        EncodeReplicatedGroup(Position(head_.load() + 1), records);
    const uint64_t after = applied_sequence_;
    const absl::Time publish_start = absl::Now();
    absl::StatusOr<uint64_t> seq = replicator.Publish(after, encoded);
    if (seq.ok()) {
      absl::Status s = WriteGroup(writes, overlay, next,
                                  {.batches = group.size(),
                                   .replicate = absl::Now() - publish_start,
                                   .lost_races = lost_races},
                                  *seq);
      if (!s.ok()) {
        // Stored in the replicated log but not here: it comes back through
        // TakeReceived after the reopen. The appends are not acknowledged;
        // a retry finds them as duplicates.
        for (auto& r : results) {
          if (r.ok()) r = s;
        }
      }
      return answer(std::nullopt);
    }
    if (seq.status().code() != absl::StatusCode::kAborted) {
      return answer(seq.status());
    }
    db_lock.unlock();
    ++lost_races;
    // Another node committed first: wait for its groups and restage.
    if (absl::Status s = replicator.CatchUp(after); !s.ok()) return answer(s);
    if (closing_) return answer(absl::CancelledError("the event log is closing"));
  }
  answer(absl::UnavailableError(absl::StrCat(
      "the replicated log kept changing under ", kMaxAttempts,
      " attempts to commit; retry later")));
}

absl::Status RocksEventLog::ApplyReceived() {
  while (true) {
    std::vector<ReplicatedGroup> groups =
        options_.replicator->TakeReceived(applied_sequence_);
    if (groups.empty()) return absl::OkStatus();
    // One RocksDB batch per bounded run of groups.
    size_t i = 0;
    while (i < groups.size()) {
      GroupOverlay overlay;
      GroupWrites writes;
      uint64_t next = head_.load() + 1;
      uint64_t sequence = applied_sequence_;
      absl::Status s;
      for (; s.ok() && i < groups.size() && writes.bytes < (32u << 20); ++i) {
        if (groups[i].sequence != sequence + 1) {
          s = absl::InternalError(absl::StrCat(
              "replicated group ", groups[i].sequence, " after ", sequence));
          break;
        }
        s = StageReceived(groups[i], overlay, writes, next);
        if (s.ok()) sequence = groups[i].sequence;
      }
      if (s.ok() && sequence != applied_sequence_) {
        s = WriteGroup(writes, overlay, next, {}, sequence);
      }
      if (!s.ok()) {
        // What was taken and not written must be received again.
        options_.replicator->Restart(applied_sequence_);
        return s;
      }
    }
  }
}

absl::Status RocksEventLog::StageReceived(const ReplicatedGroup& g,
                                          GroupOverlay& overlay,
                                          GroupWrites& writes,
                                          uint64_t& next) {
  auto inconsistent = [&](absl::string_view why) {
    return absl::DataLossError(absl::StrCat(
        "replicated group ", g.sequence, " does not follow this copy (head ",
        next - 1, "): ", why));
  };
  if (g.first.value() != next) {
    return inconsistent(absl::StrCat("it starts at ", g.first.value()));
  }
  RecordView v;
  for (const std::string& record : g.records) {
    RETURN_IF_ERROR(DecodeRecordView(record, &v));
    absl::StatusOr<Uuid> id = Uuid::FromBytes(v.event_id);
    if (!id.ok()) return inconsistent("a record without a valid id");
    // A view of `record`, which outlives the write.
    const absl::string_view stream_view = v.stream;
    const std::string stream(stream_view);
    uint64_t& count =
        overlay.stream_counts.try_emplace(stream, StreamCount(stream, overlay))
            .first->second;
    if (v.stream_revision != count) {
      return inconsistent(absl::StrCat("stream ", stream, " revision ",
                                       v.stream_revision, ", expected ", count));
    }
    ++count;
    const Position p(next++);
    const auto kind = static_cast<EntryKind>(v.kind);
    writes.bytes += record.size() + 2 * stream.size() + 100;
    writes.entries.emplace_back(keys::EntryKey(p), record);
    writes.indexed.push_back(
        {*id, p.value(), kind, stream_view, v.stream_revision});
    overlay.ids[*id] = keys::IdValue{p, kind, stream};
  }
  return absl::OkStatus();
}

void RocksEventLog::PublishHead(uint64_t head) {
  {
    std::lock_guard lock(head_mu_);
    head_.store(head, std::memory_order_release);
  }
  head_cv_.notify_all();
}

// After a failed write RocksDB's write-ahead log may hold a torn record or
// the whole failed batch; only a reopen, which replays it, makes the
// in-memory state (head, stream counts) certain again. A batch that failed
// but reached the log completely reappears here, unacknowledged but whole.
absl::Status RocksEventLog::Recover() {
  std::unique_lock db_lock(db_mu_);
  auto fail = [this](absl::Status s) {
    SetStorageError(s);
    return s;
  };
  auto unavailable = [](absl::string_view what, const absl::Status& s) {
    return absl::UnavailableError(absl::StrCat(
        "storage failure, nothing written (retry later): ", what, ": ",
        s.message()));
  };
  const uint64_t acknowledged = head_.load();
  // Acknowledged entries are not on disk: the directory was replaced,
  // restored from an older copy or lost while the service ran. Appending
  // now would give their positions to other events, and reading would show
  // subscribers a history without them. Both are refused until the entries
  // are back; each append, and the committer every storage_retry, retries
  // this reopen. (Cluster mode restarts replication from the sequence this
  // log stored, which re-applies a lost suffix from the replicated log:
  // tested for a node restarted on an older copy, cluster_test
  // ANodeRestoredFromAnOlderCopy..., and for this reopen after a full disk,
  // ANodeWhoseDiskFilled...; not for a directory swapped while it runs.)
  auto lost = [&](const LogState& state) -> std::optional<absl::Status> {
    if (options_.replicator || state.head.value() >= acknowledged) {
      return std::nullopt;
    }
    absl::Status s = absl::DataLossError(absl::StrCat(
        "the event log at ", options_.path, " ends at position ",
        state.head.value(), " but positions up to ", acknowledged,
        " were acknowledged: its directory was replaced or lost while the "
        "service ran; restore it (appends and reads are refused until then)"));
    if (s != StorageHealth()) {
      spdlog::error("event log: {}", std::string(s.message()));
    }
    return s;
  };
  if (db_) {
    db_->Close().PermitUncheckedError();
    db_.reset();
  }
  // The log existed when the service opened it: a directory that has gone
  // is a failure to report, never a new empty log in its place.
  LogDbOptions reopen = db_options_;
  reopen.db.create_if_missing = false;
  // A read-only look first, which writes nothing: a directory that lacks
  // acknowledged entries is refused before a read-write open writes its
  // own files (a manifest, an options file, a write-ahead log) into it.
  // The handle also serves reads if the read-write open fails.
  absl::StatusOr<std::unique_ptr<LogDb>> ro =
      OpenLogDb(reopen, options_.path, LogDbMode::kReadOnly);
  if (!ro.ok()) return fail(unavailable("reopening the log", ro.status()));
  {
    absl::StatusOr<LogState> seen = LoadState(**ro);
    if (!seen.ok()) {
      return fail(unavailable("reloading the log", seen.status()));
    }
    if (std::optional<absl::Status> s = lost(*seen)) return fail(*s);
  }
  absl::StatusOr<std::unique_ptr<LogDb>> db =
      OpenLogDb(reopen, options_.path, LogDbMode::kReadWrite);
  if (!db.ok()) {
    db_ = *std::move(ro);  // reads keep working until the fault clears
    if (absl::Status s = index_.Load(*db_); !s.ok()) {
      spdlog::warn("event log: reading back the latest entries' index: {}",
                   s.ToString());
    }
    return fail(unavailable("reopening the log", db.status()));
  }
  (*ro)->Close().PermitUncheckedError();
  ro->reset();
  absl::StatusOr<LogState> state = LoadState(**db);
  if (!state.ok()) {
    return fail(unavailable("reloading the log", state.status()));
  }
  // Checked again: the directory may have been replaced between the opens.
  if (std::optional<absl::Status> s = lost(*state)) return fail(*s);
  // The index of what the write-ahead log held past the mark, a failed
  // write's batch among them.
  if (absl::Status s = index_.Load(**db); !s.ok()) {
    return fail(unavailable("reading back the latest entries' index", s));
  }
  db_ = *std::move(db);
  stream_counts_ = std::move(state->stream_counts);
  index_.RaiseStreamCounts(stream_counts_);
  if (options_.replicator) {
    applied_sequence_ = state->replicated_sequence;
    options_.replicator->Restart(applied_sequence_);
  }
  stream_count_.store(stream_counts_.size());
  if (state->head.value() != acknowledged) {
    spdlog::warn(
        "event log: {} entries of a failed write reached the log; head {}",
        state->head.value() - acknowledged, state->head.value());
  }
  PublishHead(state->head.value());
  broken_ = false;
  SetStorageError(absl::OkStatus());
  spdlog::info("event log: storage recovered after a failure (head {})",
               state->head.value());
  return absl::OkStatus();
}

// The checkpoint runs beside the committer (appends never wait for a
// backup) and holds a prefix of its write batches. Its head is read back
// from the copy; the copy is kept only once the live log has published that
// head with no failed write in between, so its entries are exactly the live
// log's first `head` entries (a failed write could otherwise leave the copy
// with a batch that the live log, after recovery, does not have).
absl::StatusOr<BackupInfo> RocksEventLog::Backup(const std::string& directory) {
  const absl::Time start = absl::Now();
  std::lock_guard backup_lock(backup_mu_);
  if (closing_) return absl::UnavailableError("the event log is closed");
  RETURN_IF_ERROR(PrepareBackupDirectory(directory, options_.path));
  auto discard = [&](absl::Status why) {
    ClearBackupDirectory(directory);
    return why;
  };
  const uint64_t failures_before = write_failures_.load();
  {
    std::lock_guard ingest_lock(ingest_mu_);
    std::shared_lock db_lock(db_mu_);
    if (!db_ || closing_) {
      return absl::UnavailableError("the event log is closed");
    }
    if (broken_) {
      return absl::UnavailableError(
          "the event log is recovering from a storage failure; retry later");
    }
    if (absl::Status s = WriteCheckpoint(db_->db(), directory); !s.ok()) {
      return discard(s);
    }
  }
  absl::StatusOr<std::unique_ptr<LogDb>> copy =
      OpenLogDb(db_options_, directory, LogDbMode::kReadOnly);
  if (!copy.ok()) return discard(copy.status());
  absl::StatusOr<LogState> state = LoadState(**copy);
  (*copy)->Close().PermitUncheckedError();
  copy->reset();
  if (!state.ok()) return discard(state.status());
  const Position head = state->head;
  // A batch in the copy may be written but not yet published: wait for it.
  if (Head() < head) {
    WaitForHead(Position(head.value() - 1), absl::Now() + absl::Seconds(30));
  }
  if (closing_) {
    return discard(absl::UnavailableError("the event log closed during the backup"));
  }
  if (Head() < head || write_failures_.load() != failures_before) {
    return discard(absl::UnavailableError(
        "a write failed while the backup was cut; the backup was discarded, "
        "retry later"));
  }
  const DirectorySummary summary = SummarizeBackup(directory, options_.path);
  BackupInfo info;
  info.directory = directory;
  info.head = head;
  info.entry_count = head.value();
  info.files = summary.files;
  info.bytes = summary.bytes;
  info.hard_linked = summary.same_filesystem;
  info.duration = absl::Now() - start;
  spdlog::info("event log: backup to {} at head {} ({} files, {} bytes, {})",
               directory, head.value(), info.files, info.bytes,
               absl::FormatDuration(info.duration));
  return info;
}

absl::StatusOr<std::optional<keys::IdValue>> RocksEventLog::LookupId(
    const Uuid& id, const GroupOverlay& overlay) {
  if (auto it = overlay.ids.find(id); it != overlay.ids.end()) {
    return it->second;
  }
  return index_.Get(*db_, id);
}

absl::Status RocksEventLog::LookupIds(
    const std::vector<std::pair<Uuid, size_t>>& ids,
    const GroupOverlay& overlay,
    std::vector<std::optional<keys::IdValue>>& out) {
  out.assign(ids.size(), std::nullopt);
  std::vector<std::pair<Uuid, size_t>> rest;  // still in byte order
  if (overlay.ids.empty()) {
    rest = ids;
  } else {
    rest.reserve(ids.size());
    for (const auto& [id, i] : ids) {
      if (auto it = overlay.ids.find(id); it != overlay.ids.end()) {
        out[i] = it->second;
      } else {
        rest.emplace_back(id, i);
      }
    }
  }
  if (rest.empty()) return absl::OkStatus();
  return index_.GetMany(*db_, rest, out);
}

uint64_t RocksEventLog::StreamCount(const std::string& stream,
                                    const GroupOverlay& overlay) const {
  if (auto it = overlay.stream_counts.find(stream);
      it != overlay.stream_counts.end()) {
    return it->second;
  }
  auto it = stream_counts_.find(stream);
  return it == stream_counts_.end() ? 0 : it->second;
}

absl::StatusOr<std::unique_ptr<RocksEventLog::Pending>> RocksEventLog::Prepare(
    AppendBatch batch, AppendCallback done) {
  auto refuse = [&](absl::Status s) {
    done(s);
    return s;
  };
  std::vector<Entry>& entries = batch.entries;
  const size_t n = entries.size();
  if (n == 0 || n > kMaxBatchEntries) {
    return refuse(InvalidArgumentWithViolations(
        {{"entries", absl::StrCat("a batch holds 1 to ", kMaxBatchEntries,
                                  " entries, not ", n)}}));
  }
  // Ids: assign missing ones, sort them, reject repeats within the batch
  // (each repeat named with its first occurrence, in entry order).
  auto p = std::make_unique<Pending>();
  p->ids.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (entries[i].event_id.is_nil()) entries[i].event_id = Uuid::Random();
    p->ids.emplace_back(entries[i].event_id, i);
  }
  std::sort(p->ids.begin(), p->ids.end());
  std::vector<std::pair<size_t, size_t>> repeats;  // (index, first index)
  for (size_t k = 1, first = 0; k < n; ++k) {
    if (p->ids[k].first != p->ids[first].first) {
      first = k;
    } else {
      repeats.emplace_back(p->ids[k].second, p->ids[first].second);
    }
  }
  if (!repeats.empty()) {
    std::sort(repeats.begin(), repeats.end());
    std::vector<FieldViolation> violations;
    for (const auto& [i, first] : repeats) {
      violations.push_back(
          {EntryField(i, "event_id"),
           absl::StrCat("\"", entries[i].event_id.ToString(),
                        "\" appears twice in the batch (also entries[", first,
                        "])")});
    }
    return refuse(InvalidArgumentWithViolations(std::move(violations)));
  }
  p->bodies.reserve(n);
  p->streams.resize(n);
  for (size_t i = 0; i < n; ++i) {
    Entry& e = entries[i];
    double goldstein = 0;
    QuadClass quad = QuadClass::kUnspecified;
    if (e.kind != EntryKind::kRetraction) {
      p->streams[i] = StreamName(e.data.source, e.data.target);
      goldstein = EffectiveGoldstein(e.data);
      quad = QuadClassOfRoot(CameoRoot(e.data.event_code));
    }
    p->bodies.push_back(EncodeRecordBody(e, goldstein, quad));
    // The committer needs only the ids and kinds: the texts are freed here,
    // on the caller's thread that allocated them, not on the committer's.
    e.data = EventData();
  }
  p->batch = std::move(batch);
  p->done = std::move(done);
  return p;
}

absl::StatusOr<AppendResult> RocksEventLog::StageBatch(
    Pending& pending, GroupOverlay& overlay, GroupWrites& writes,
    uint64_t& next, int64_t now_micros, bool later_batches) {
  const AppendBatch& batch = pending.batch;
  const std::vector<Entry>& entries = batch.entries;
  const size_t n = entries.size();
  std::vector<FieldViolation> violations;

  // 1. Duplicates of entries already in the log (or earlier in the group).
  std::vector<std::optional<keys::IdValue>> existing;
  RETURN_IF_ERROR(LookupIds(pending.ids, overlay, existing));
  bool all_duplicates = true;
  bool has_subjects = false;
  for (size_t i = 0; i < n; ++i) {
    if (!existing[i]) all_duplicates = false;
    if (entries[i].kind != EntryKind::kEvent) has_subjects = true;
  }

  // 2. Streams, and the subjects of corrections and retractions.
  std::vector<std::string>& streams = pending.streams;
  absl::flat_hash_map<Uuid, size_t> batch_new;  // earlier in batch: index
  // Per correction or retraction: its subject's position, or the index of
  // its subject earlier in this batch (positioned in step 4).
  std::vector<Position> subject_positions(has_subjects ? n : 0);
  std::vector<size_t> subject_index(has_subjects ? n : 0, n);
  for (size_t i = 0; i < n; ++i) {
    const Entry& e = entries[i];
    if (existing[i]) {
      streams[i] = existing[i]->stream;
      continue;
    }
    if (e.kind != EntryKind::kEvent) {
      std::optional<keys::IdValue> subject;
      if (auto it = batch_new.find(e.subject_event_id); it != batch_new.end()) {
        const size_t j = it->second;
        subject = keys::IdValue{Position(), entries[j].kind, streams[j]};
        subject_index[i] = j;
      } else {
        ASSIGN_OR_RETURN(subject, LookupId(e.subject_event_id, overlay));
        if (subject) subject_positions[i] = subject->position;
      }
      const std::string field = EntryField(i, "subject_event_id");
      const std::string subject_text = e.subject_event_id.ToString();
      if (!subject) {
        violations.push_back(
            {field, absl::StrCat("event \"", subject_text,
                                 "\" is not in the log")});
      } else if (subject->kind != EntryKind::kEvent) {
        violations.push_back(
            {field,
             absl::StrCat("\"", subject_text, "\" is a ",
                          subject->kind == EntryKind::kCorrection
                              ? "correction"
                              : "retraction",
                          "; name the original event instead")});
      } else if (e.kind == EntryKind::kRetraction) {
        streams[i] = subject->stream;
      } else if (streams[i] != subject->stream) {
        violations.push_back(
            {EntryField(i, "target"),
             absl::StrCat("a correction keeps the pair of its event (",
                          subject->stream, "), not ", streams[i],
                          "; retract the event and append a new one")});
      }
    }
    // Only corrections and retractions look back into their own batch.
    if (has_subjects) batch_new[e.event_id] = i;
  }
  if (!violations.empty()) {
    return InvalidArgumentWithViolations(std::move(violations));
  }

  // The outcomes of duplicates, their revisions included: before anything
  // of this batch is staged, so that a failure leaves the group as it was.
  AppendResult result;
  result.outcomes.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (!existing[i]) continue;
    EntryOutcome& o = result.outcomes[i];
    o.event_id = entries[i].event_id;
    o.position = existing[i]->position;
    o.duplicate = true;
    o.stream = existing[i]->stream;
    ASSIGN_OR_RETURN(o.stream_revision, RevisionOf(o.position, writes));
  }
  if (all_duplicates) return result;

  // 3. The expected revision.
  if (batch.expected.kind != ExpectedRevision::Kind::kAny) {
    for (size_t i = 1; i < n; ++i) {
      if (streams[i] != streams[0]) {
        return InvalidArgumentWithViolations(
            {{"expected_revision",
              absl::StrCat("an expected revision applies to one stream; the "
                           "batch spans ",
                           streams[0], " and ", streams[i])}});
      }
    }
    const uint64_t count = StreamCount(streams[0], overlay);
    const bool ok =
        batch.expected.kind == ExpectedRevision::Kind::kNoStream
            ? count == 0
            : count == batch.expected.revision.value() + 1;
    if (!ok) {
      std::string expected =
          batch.expected.kind == ExpectedRevision::Kind::kNoStream
              ? "no stream"
              : absl::StrCat("revision ", batch.expected.revision.value());
      std::string actual =
          count == 0 ? "no stream" : absl::StrCat("revision ", count - 1);
      return StatusWithViolations(
          absl::StatusCode::kFailedPrecondition,
          {{"expected_revision",
            absl::StrCat("stream ", streams[0], ": expected ", expected,
                         ", actual ", actual)}});
    }
  }

  // 4. Assign positions and revisions; stage the writes.
  for (size_t i = 0; i < n; ++i) {
    if (existing[i]) continue;  // its outcome is set above
    const Entry& e = entries[i];
    EntryOutcome& o = result.outcomes[i];
    o.event_id = e.event_id;
    o.stream = streams[i];
    // One lookup when the group has staged the stream already.
    auto [it, inserted] = overlay.stream_counts.try_emplace(streams[i], 0);
    if (inserted) {
      auto known = stream_counts_.find(streams[i]);
      if (known != stream_counts_.end()) it->second = known->second;
    }
    uint64_t& count = it->second;
    o.position = Position(next++);
    o.stream_revision = StreamRevision(count++);
    if (result.first.value() == 0) result.first = o.position;
    result.last = o.position;

    // Cluster mode may stage a batch again (after another node's commit).
    std::string record = options_.replicator ? pending.bodies[i]
                                             : std::move(pending.bodies[i]);
    Position subject;
    if (e.kind != EntryKind::kEvent) {
      subject = subject_index[i] < n
                    ? result.outcomes[subject_index[i]].position
                    : subject_positions[i];
    }
    AppendRecordCommit(streams[i], o.stream_revision, now_micros, subject,
                       &record);
    writes.bytes += record.size() + 2 * streams[i].size() + 100;
    writes.entries.emplace_back(keys::EntryKey(o.position), std::move(record));
    writes.indexed.push_back({e.event_id, o.position.value(), e.kind,
                              streams[i], o.stream_revision.value()});
    if (later_batches) {
      overlay.ids[e.event_id] = keys::IdValue{o.position, e.kind, streams[i]};
    }
  }
  return result;
}

absl::StatusOr<StreamRevision> RocksEventLog::RevisionOf(
    Position p, const GroupWrites& writes) {
  if (!writes.indexed.empty() && p.value() >= writes.indexed[0].position) {
    // Staged earlier in this group, in position order.
    const size_t i = p.value() - writes.indexed[0].position;
    if (i < writes.indexed.size() && writes.indexed[i].position == p.value()) {
      return StreamRevision(writes.indexed[i].revision);
    }
    return absl::InternalError(
        absl::StrCat("position ", p.value(), " is not staged"));
  }
  std::string value;
  RETURN_IF_ERROR(ReadValue(p, &value));
  RecordView v;
  RETURN_IF_ERROR(DecodeRecordView(value, &v));
  return StreamRevision(v.stream_revision);
}

absl::Status RocksEventLog::ReadValue(Position p, std::string* value) {
  rocksdb::Status s = db_->db().Get(rocksdb::ReadOptions(), db_->entries(),
                                    keys::EntryKey(p), value);
  if (s.IsNotFound()) {
    return absl::DataLossError(
        absl::StrCat("position ", p.value(), " is indexed but missing"));
  }
  return FromRocks(s, "reading an entry");
}

absl::Status RocksEventLog::AddSubjectPosition(Position p,
                                               absl::string_view& value,
                                               std::string* amended) {
  const std::optional<absl::string_view> subject =
      SubjectLackingPosition(value);
  if (!subject) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<keys::IdValue> id,
                   index_.Get(*db_, *Uuid::FromBytes(*subject)));
  if (!id) {
    return absl::DataLossError(
        absl::StrCat("the subject of the entry at position ", p.value(),
                     " is not in the id index"));
  }
  amended->assign(value.data(), value.size());
  AppendSubjectPosition(id->position, amended);
  value = *amended;
  return absl::OkStatus();
}

absl::StatusOr<RecordedEntry> RocksEventLog::ReadEntry(Position p) {
  std::string value;
  RETURN_IF_ERROR(ReadValue(p, &value));
  absl::string_view view = value;
  std::string amended;
  RETURN_IF_ERROR(AddSubjectPosition(p, view, &amended));
  return DecodeRecord(p, view);
}

absl::StatusOr<ReadResult> RocksEventLog::Read(const ReadRequest& req) {
  std::shared_lock db_lock(db_mu_);
  if (!db_) return NoDatabase();
  ReadResult result;
  const uint64_t head = Head().value();
  uint64_t lo, hi;
  if (!req.backward) {
    lo = std::max<uint64_t>(req.from.value(), 1);
    hi = req.to.value() == 0 ? head : std::min(req.to.value(), head);
  } else {
    hi = req.from.value() == 0 ? head : std::min(req.from.value(), head);
    lo = std::max<uint64_t>(req.to.value(), 1);
  }
  if (lo > hi) {
    result.end = true;
    return result;
  }
  const bool by_stream = !req.filter.stream.empty();
  // By stream: the latest entries' positions are in memory, the older ones
  // in the stream's runs; read memory first (LogIndex::StreamPositions),
  // then merge the two, each in the read's order.
  // No more than the read can take: with only the stream as its filter,
  // every position scanned matches.
  EntryFilter beyond_stream = req.filter;
  beyond_stream.stream.clear();
  std::vector<uint64_t> in_memory;
  if (by_stream) {
    const size_t limit = beyond_stream.empty()
                             ? std::min(req.max_entries, req.max_scanned)
                             : req.max_scanned;
    in_memory = index_.StreamPositions(req.filter.stream, lo, hi, req.backward,
                                       std::max<size_t>(limit, 1));
  }
  size_t next_in_memory = 0;
  // The database's positions: the stream's runs, or else the entries.
  std::optional<StreamRunReader> runs;
  std::unique_ptr<rocksdb::Iterator> it;
  const std::string lower = keys::EntryKey(Position(lo));
  const std::string upper = keys::EntryKey(Position(hi + 1));  // exclusive
  rocksdb::Slice lower_slice(lower), upper_slice(upper);
  if (by_stream) {
    runs.emplace(db_->db(), db_->meta(), req.filter.stream, lo, hi,
                 req.backward);
  } else {
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = &lower_slice;
    ro.iterate_upper_bound = &upper_slice;
    // A long range of positions is a scan (a replay, a catch-up): each
    // block is read once, and keeping it would push out of the cache what
    // lookups read again (a stream's entries, the index and filter
    // partitions). Round 27 of docs/benchmarks.md: replay +10%. Short
    // ranges (subscribers at the head, reading the same new blocks) fill it.
    ro.fill_cache = hi - lo < kScanPositions;
    it.reset(db_->db().NewIterator(ro, db_->entries()));
    if (req.backward) {
      it->SeekToLast();
    } else {
      it->SeekToFirst();
    }
  }
  size_t scanned = 0;
  size_t matched = 0;
  uint64_t last = 0;
  bool stopped_early = false;
  // Encoded reads skip decoding unless a filter beyond the stream (which
  // the stream index applies by itself) must look at the entries.
  const bool must_decode = !req.encoded || !beyond_stream.empty();
  std::string by_stream_value, amended;
  if (req.encoded) result.encoded.bytes.reserve(req.max_entries * 256);
  // The next position to read, from the iterator or from memory (both
  // when they hold the same one: `advance` then moves past it in both);
  // nullopt at the end.
  bool from_iterator = false;
  bool from_memory_too = false;
  auto peek = [&]() -> absl::StatusOr<std::optional<Position>> {
    from_iterator = from_memory_too = false;
    std::optional<Position> from_keys;
    if (by_stream) {
      ASSIGN_OR_RETURN(const std::optional<uint64_t> p, runs->Peek());
      if (p) from_keys = Position(*p);
    } else if (it->Valid()) {
      rocksdb::Slice key = it->key();
      from_keys = keys::DecodeEntryKey({key.data(), key.size()});
      if (!from_keys) return absl::DataLossError("malformed key in the log");
    }
    std::optional<Position> from_memory;
    if (next_in_memory < in_memory.size()) {
      from_memory = Position(in_memory[next_in_memory]);
    }
    auto first = [&](Position a, Position b) {
      return req.backward ? a.value() > b.value() : a.value() < b.value();
    };
    if (from_keys && (!from_memory || !first(*from_memory, *from_keys))) {
      from_iterator = true;
      from_memory_too = from_memory == from_keys;
      return from_keys;
    }
    from_memory_too = from_memory.has_value();
    return from_memory;
  };
  auto advance = [&] {
    if (from_iterator) {
      if (by_stream) {
        runs->Next();
      } else {
        req.backward ? it->Prev() : it->Next();
      }
    }
    if (from_memory_too) ++next_in_memory;
  };
  for (;; advance()) {
    ASSIGN_OR_RETURN(const std::optional<Position> p, peek());
    if (!p) break;
    absl::string_view value;
    if (by_stream) {
      RETURN_IF_ERROR(ReadValue(*p, &by_stream_value));
      value = by_stream_value;
    } else {
      value = absl::string_view(it->value().data(), it->value().size());
    }
    RETURN_IF_ERROR(AddSubjectPosition(*p, value, &amended));
    last = p->value();
    ++scanned;
    if (!must_decode) {
      result.encoded.Add(*p, value);
      ++matched;
    } else {
      ASSIGN_OR_RETURN(RecordedEntry e, DecodeRecord(*p, value));
      if (req.filter.Matches(e)) {
        if (req.encoded) {
          result.encoded.Add(*p, value);
        } else {
          result.entries.push_back(std::move(e));
        }
        ++matched;
      }
    }
    if (matched >= req.max_entries || scanned >= req.max_scanned) {
      stopped_early = true;
      break;
    }
  }
  // (A stream's runs report their errors from Peek.)
  if (it) RETURN_IF_ERROR(FromRocks(it->status(), "reading the log"));
  const uint64_t bound = req.backward ? lo : hi;
  // Without an early stop the whole range was considered, also the
  // positions an index skipped.
  result.considered = Position(stopped_early ? last : bound);
  result.end = !stopped_early || last == bound;
  if (!result.end) {
    result.next = Position(req.backward ? last - 1 : last + 1);
  }
  return result;
}

absl::StatusOr<LogState> LoadState(LogDb& db) {
  LogState state;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db().NewIterator(rocksdb::ReadOptions(), db.entries()));
  it->SeekForPrev(keys::EntryKey(Position(UINT64_MAX)));
  if (it->Valid()) {
    if (std::optional<Position> p =
            keys::DecodeEntryKey({it->key().data(), it->key().size()})) {
      state.head = *p;
    }
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "finding the head"));
  it.reset(db.db().NewIterator(rocksdb::ReadOptions(), db.meta()));
  const std::string prefix(1, keys::kStreamHeadTag);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    std::string stream(it->key().data() + 1, it->key().size() - 1);
    state.stream_counts[stream] =
        keys::GetBigEndian64({it->value().data(), it->value().size()})
            .value_or(0);
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "loading stream heads"));
  std::string sequence;
  rocksdb::Status s =
      db.db().Get(rocksdb::ReadOptions(), db.meta(),
                  keys::MetaKey(kReplicatedSequence), &sequence);
  if (s.ok()) {
    state.replicated_sequence = keys::GetBigEndian64(sequence).value_or(0);
  } else if (!s.IsNotFound()) {
    RETURN_IF_ERROR(FromRocks(s, "reading the replicated sequence"));
  }
  return state;
}

}  // namespace

std::string DurabilityName(Durability d) {
  return d == Durability::kSync ? "sync" : "async";
}

absl::StatusOr<std::unique_ptr<EventLog>> OpenRocksEventLog(
    const RocksEventLogOptions& options) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("event log path is empty");
  }
  // RocksDB creates only the last directory of the path; make the rest.
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat(
        "cannot create the event log directory ", options.path, ": ",
        ec.message()));
  }
  // Only a log that syncs every write has its WAL written into zeros: with
  // unsynced writes a power cut could leave a hole that RocksDB's reader
  // replays past (log_db.h).
  LogDbOptions o = MakeLogDbOptions(
      options.block_cache_bytes, options.env, options.table_metadata,
      options.durability == Durability::kSync ? WalFiles::kZeroed
                                              : WalFiles::kAppended);
  ASSIGN_OR_RETURN(std::unique_ptr<LogDb> db,
                   OpenLogDb(o, options.path, LogDbMode::kReadWrite));
  ASSIGN_OR_RETURN(LogState state, LoadState(*db));
  const bool copy = state.replicated_sequence > 0;
  if (options.replicator && !copy && state.head.value() > 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        options.path,
        " holds an embedded log; a cluster node needs an empty directory or "
        "its own copy of the cluster's log (docs/cluster.md)"));
  }
  if (!options.replicator && copy) {
    return absl::FailedPreconditionError(absl::StrCat(
        options.path,
        " is a cluster node's copy of a replicated log; start the node with "
        "--log=jetstream, or import its entries into a new log "
        "(docs/cluster.md)"));
  }
  const Position head = state.head;
  auto log = std::make_unique<RocksEventLog>(options, std::move(o),
                                            std::move(db), std::move(state));
  RETURN_IF_ERROR(log->Start());
  // After Start: the streams of the entries past the index's mark count.
  spdlog::info("event log: opened {} (head {}, {} streams, durability {})",
               options.path, head.value(), log->stream_count(),
               DurabilityName(options.durability));
  return log;
}

}  // namespace detente
