#include "projections/read_model_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <system_error>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "common/thread_name.h"
#include "eventlog/family_db.h"
#include "eventlog/keys.h"
#include "eventlog/record_codec.h"
#include "eventlog/rocks_logger.h"
#include "eventlog/rocks_status.h"
#include "eventlog/rocks_tuning.h"
#include "eventlog/table_ingest.h"
#include "spdlog/spdlog.h"

namespace detente {
namespace {

// The table files of a catch-up batch (eventlog/table_ingest.h):
// batch-<checkpoint>-<n>.sst.ingest in the store's directory.
constexpr absl::string_view kTableFilePrefix = "batch-";

// Key layout (docs/projections.md); the 'd' keys live in the column family
// "details", the 'x' keys in "ids", the others in the default one:
//   'm' name                               -> metadata
//   'v' len stream be32(day+bias) be64(pos) -> PairVersion value
//   'a' len stream be32(day+bias)          -> PairDay value (day totals)
//   'd' be64(pos)                          -> the entry (eventlog codec)
//   'x' be64(orig)                         -> be64(orig) be32(day+bias)
//       be64(ver) u8 retracted stream (only for corrected or retracted
//       events: the others are where their 'd' key says)
//   'c' stream                             -> be64(last changed position)
constexpr uint32_t kDayBias = 1u << 31;
const char kCheckpointKey[] = "mcheckpoint";
const char kVersionKey[] = "mprojection_version";

void PutBe32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}
uint32_t GetBe32(absl::string_view in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}
uint32_t BiasDay(DayNumber d) {
  return static_cast<uint32_t>(int64_t{d.value()} + kDayBias);
}
DayNumber UnbiasDay(uint32_t v) {
  return DayNumber(static_cast<int32_t>(int64_t{v} - kDayBias));
}

// 'v' or 'a', then the stream with its length.
std::string StreamPrefix(char kind, absl::string_view stream) {
  std::string k(1, kind);
  k.push_back(static_cast<char>(stream.size()));
  k.append(stream.data(), stream.size());
  return k;
}
std::string VersionKey(absl::string_view stream, DayNumber day, Position pos) {
  std::string k = StreamPrefix('v', stream);
  PutBe32(&k, BiasDay(day));
  keys::PutBigEndian64(&k, pos.value());
  return k;
}
std::string DayKey(absl::string_view stream, DayNumber day) {
  std::string k = StreamPrefix('a', stream);
  PutBe32(&k, BiasDay(day));
  return k;
}
// The keys of a stream's day totals lie in [first, last): the prefix, then
// 4 bytes of the day, which five 0xff bytes bound.
struct DayKeyRange {
  explicit DayKeyRange(absl::string_view stream)
      : first(StreamPrefix('a', stream)),
        last(first + std::string(5, '\xff')) {}
  std::string first, last;
};
std::string DetailKey(Position pos) {
  std::string k(1, 'd');
  keys::PutBigEndian64(&k, pos.value());
  return k;
}
std::string IdKey(Position original) {
  std::string k(1, 'x');
  keys::PutBigEndian64(&k, original.value());
  return k;
}
std::string ChangedKey(absl::string_view stream) {
  std::string k(1, 'c');
  k.append(stream.data(), stream.size());
  return k;
}

constexpr char kDetailsFamily[] = "details";
constexpr char kIdsFamily[] = "ids";

// The store's database with its column families. The entry copies ('d',
// written in position order, so their files never overlap and compactions
// move them down without rewriting them) and the id index ('x', random
// UUIDs) each have their own, so compactions of the versions and day totals
// do not rewrite them.
class StoreDb {
 public:
  explicit StoreDb(std::unique_ptr<FamilyDb> db)
      : db_(std::move(db)),
        details_(db_->Find(kDetailsFamily)),
        ids_(db_->Find(kIdsFamily)) {}

  rocksdb::DB& db() const { return db_->db(); }
  bool has_families() const {
    return db_->Has(kDetailsFamily) && db_->Has(kIdsFamily);
  }
  // The column family of a key, by its tag.
  rocksdb::ColumnFamilyHandle* Of(absl::string_view key) const {
    if (!key.empty() && key[0] == 'd') return details_;
    if (!key.empty() && key[0] == 'x') return ids_;
    return db().DefaultColumnFamily();
  }
  const std::vector<rocksdb::ColumnFamilyHandle*>& families() const {
    return db_->families();
  }
  void Close() { db_->Close().PermitUncheckedError(); }
  StorageMemory Memory() const { return db_->Memory(); }
  StorageCompactions Compactions() const { return db_->Compactions(); }

 private:
  std::unique_ptr<FamilyDb> db_;
  rocksdb::ColumnFamilyHandle* details_;
  rocksdb::ColumnFamilyHandle* ids_;
};

// Adds the deltas of 'a' merge operands to the day totals, in order and one
// by one (pair_day.h). No partial merge: combining operands first would sum
// in another order, and the totals would depend on when RocksDB compacts.
class DayTotalsMerge final : public rocksdb::MergeOperator {
 public:
  bool FullMergeV2(const MergeOperationInput& in,
                   MergeOperationOutput* out) const override {
    PairDay d;
    if (in.existing_value != nullptr &&
        !DecodePairDayValue(
            {in.existing_value->data(), in.existing_value->size()}, &d)) {
      return false;  // RocksDB reports corruption
    }
    for (const rocksdb::Slice& operand : in.operand_list) {
      if (!ApplyDayDeltas({operand.data(), operand.size()}, &d)) return false;
    }
    out->new_value = EncodePairDayValue(d);
    return true;
  }
  const char* Name() const override { return "detente.DayTotals"; }
};

// How the store's database is opened, kept to reopen it after a storage
// failure (with the same block cache and merge operator).
struct StoreConfig {
  std::string path;
  rocksdb::DBOptions db;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
};

StoreConfig MakeStoreConfig(const ReadModelStoreOptions& options) {
  rocksdb::DBOptions o;
  if (options.env != nullptr) o.env = options.env;
  o.create_if_missing = true;
  o.info_log = MakeRocksLogger();
  o.IncreaseParallelism(2);
  // A catch-up leaves 32 and more level-0 files of the default family that
  // each span all of its keys: merged into level 1 on one thread, that took
  // a core for 10-15 s at 10M events. Split into key ranges, it takes both.
  // 3, not 2: RocksDB 7.8 runs subcompactions only when it finds more than
  // one boundary between them (`boundaries_.size() > 1` in
  // CompactionJob::Prepare), so 2 never split (docs/benchmarks.md, round 32).
  // Ranges are at least a table file's 64 MiB, so small compactions stay
  // whole. RocksDB starts a subcompaction's thread itself as it needs one,
  // unlike the store's own threads, which fall back when none can be had
  // (TableIngestTest.WithoutThreadsTheFilesAreWrittenInTurn): a service at
  // its limit of threads would abort in such a compaction (std::thread
  // throws in RocksDB's background thread).
  o.max_subcompactions = 3;
  // Write-ahead log files are deleted once every column family flushed what
  // they hold; bound them (the default would be ~4x all memtables).
  o.max_total_wal_size = 128u << 20;
  std::shared_ptr<rocksdb::Cache> cache =
      rocksdb::NewLRUCache(options.block_cache_bytes);
  // Every family's blocks LZ4-compressed (RocksDB's default is Snappy, as
  // every store before round 28 was written): LZ4 compresses the catch-up's
  // table files in about half Snappy's time and reads faster. Each block
  // records its compression, so files written before read as they did.
  rocksdb::ColumnFamilyOptions meta;
  meta.compression = rocksdb::kLZ4Compression;
  meta.merge_operator = std::make_shared<DayTotalsMerge>();
  // Each stream's versions and day totals continue their memtable inserts
  // from where that stream's last ones went (memory only).
  meta.memtable_insert_with_hint_prefix_extractor = NewStreamInsertHint("va");
  meta.table_factory =
      NewTableFactory(cache, /*bloom_bits_per_key=*/10, options.table_metadata);
  // Entry copies and the id index are read by keys that exist.
  rocksdb::ColumnFamilyOptions details;
  details.compression = rocksdb::kLZ4Compression;
  details.table_factory =
      NewTableFactory(cache, /*bloom_bits_per_key=*/0, options.table_metadata);
  details.write_buffer_size = 32u << 20;
  rocksdb::ColumnFamilyOptions ids;
  ids.compression = rocksdb::kLZ4Compression;
  ids.table_factory =
      NewTableFactory(cache, /*bloom_bits_per_key=*/0, options.table_metadata);
  ids.write_buffer_size = 32u << 20;
  return {options.path,
          o,
          {{rocksdb::kDefaultColumnFamilyName, meta},
           {kDetailsFamily, details},
           {kIdsFamily, ids}}};
}

// A database opened, with what the store keeps in memory of it.
struct OpenedStore {
  std::shared_ptr<StoreDb> db;
  // Ready once the last owner of `db` (the store, a view) has closed it.
  std::future<void> closed;
  bool created = false;
  Position checkpoint;
  absl::flat_hash_map<std::string, Position> changed;  // 'c' keys
};

absl::StatusOr<OpenedStore> OpenStore(const StoreConfig& config,
                                      bool read_only) {
  ASSIGN_OR_RETURN(std::unique_ptr<FamilyDb> family_db,
                   OpenFamilyDb({.path = config.path,
                                 .what = "the read models",
                                 .db = config.db,
                                 .families = config.families,
                                 .read_only = read_only}));
  OpenedStore opened;
  opened.created = family_db->created();
  auto closed = std::make_shared<std::promise<void>>();
  opened.closed = closed->get_future();
  opened.db = std::shared_ptr<StoreDb>(new StoreDb(std::move(family_db)),
                                       [closed](StoreDb* db) {
                                         delete db;  // closes it
                                         closed->set_value();
                                       });
  rocksdb::DB* db = &opened.db->db();
  if (!read_only) RemoveTableFilesLeftOver(*db, kTableFilePrefix);
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), kCheckpointKey, &value);
  if (s.ok()) {
    opened.checkpoint = Position(keys::GetBigEndian64(value).value_or(0));
  } else if (!s.IsNotFound()) {
    RETURN_IF_ERROR(FromRocks(s, "reading the checkpoint"));
  }
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("c"); it->Valid() && it->key().starts_with("c"); it->Next()) {
    opened.changed[std::string(it->key().data() + 1, it->key().size() - 1)] =
        Position(keys::GetBigEndian64({it->value().data(), it->value().size()})
                     .value_or(0));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "loading the stream directory"));
  return opened;
}

// Where an original event's current version lives.
struct Current {
  Position original;
  DayNumber day;
  Position version;
  bool retracted = false;
  std::string stream;
};
std::string EncodeCurrent(const Current& c) {
  std::string out;
  keys::PutBigEndian64(&out, c.original.value());
  PutBe32(&out, BiasDay(c.day));
  keys::PutBigEndian64(&out, c.version.value());
  out.push_back(c.retracted ? 1 : 0);
  out.append(c.stream);
  return out;
}
std::optional<Current> DecodeCurrent(absl::string_view in) {
  if (in.size() < 21) return std::nullopt;
  Current c;
  c.original = Position(*keys::GetBigEndian64(in));
  c.day = UnbiasDay(GetBe32(in.substr(8)));
  c.version = Position(*keys::GetBigEndian64(in.substr(12)));
  c.retracted = in[20] != 0;
  c.stream = std::string(in.substr(21));
  return c;
}

// The fields of a record, as views into it. DATA_LOSS when it does not
// decode, or lacks the stream its commit writes.
absl::Status DecodeView(const LogRecord& r, RecordView* v) {
  absl::Status s = DecodeRecordView(r.record, v);
  if (s.ok() && v->stream.empty()) s = absl::DataLossError("no stream");
  if (!s.ok()) {
    return absl::DataLossError(absl::StrCat(
        "entry at position ", r.position.value(), ": ", s.message()));
  }
  return absl::OkStatus();
}

// The first day of an event's or a correction's date.
absl::StatusOr<DayNumber> DayOf(const LogRecord& r, const RecordView& v) {
  absl::StatusOr<EventDate> date = EventDate::Parse(v.occurred_on);
  if (!date.ok()) {
    return absl::DataLossError(absl::StrCat(
        "entry at position ", r.position.value(), ": bad occurred_on"));
  }
  return date->first_day();
}

absl::StatusOr<PairVersion> VersionOf(const LogRecord& r, const RecordView& e,
                                      Position original) {
  PairVersion v;
  ASSIGN_OR_RETURN(v.day, DayOf(r, e));
  v.version_position = r.position;
  v.original_position = original;
  v.quad = static_cast<QuadClass>(e.quad_class);
  v.goldstein = e.goldstein;
  v.weight = e.weight;
  v.tags.reserve(e.tags.size());
  for (absl::string_view t : e.tags) v.tags.emplace_back(t);
  // The stream is "A-B" with A < B; reversed when B acts on A.
  v.reversed = e.source > e.target;
  return v;
}

// Decoded read models of whole streams (their versions, or their day
// totals), kept in memory so that a query does not re-read and re-decode
// them from RocksDB each time. An entry is tagged with the stream's
// last-changed position; it is valid for a view whose snapshot holds exactly
// that last change (see Cacheable). An entry never replaces one with a later
// tag (a reader of an older snapshot may finish after Apply advanced the
// entry). Bounded by an estimate of its bytes; when full, the least recently
// used entries go first (polls are skewed towards the busiest pairs, whose
// streams are also the dearest to read again). A stream too big to keep
// (more than a quarter of the bound) is remembered as such, so that readers
// scan only the range they need instead of the whole stream.
template <typename Payload>
class StreamCache {
 public:
  struct Items {
    Position last_changed;
    Payload items;  // key order
    size_t bytes = 0;
  };
  explicit StreamCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  size_t max_bytes() const { return max_bytes_; }

  // The estimate of what the entries hold, which the bound applies to.
  size_t bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
  }

  std::shared_ptr<const Items> Find(const std::string& stream,
                                    Position last_changed) const {
    std::lock_guard lock(mu_);
    auto it = map_.find(stream);
    if (it == map_.end() || it->second->items->last_changed != last_changed) {
      return nullptr;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->items;
  }

  // Find without counting as a use (Apply advancing an entry).
  std::shared_ptr<const Items> Peek(const std::string& stream,
                                    Position last_changed) const {
    std::lock_guard lock(mu_);
    auto it = map_.find(stream);
    if (it == map_.end() || it->second->items->last_changed != last_changed) {
      return nullptr;
    }
    return it->second->items;
  }

  // Replaces the entry tagged `before` by `v`, in its place in the order of
  // use; nothing when the entry is gone or tagged otherwise.
  void Advance(const std::string& stream, Position before,
               std::shared_ptr<const Items> v) {
    std::lock_guard lock(mu_);
    auto it = map_.find(stream);
    if (it == map_.end() || it->second->items->last_changed != before) return;
    bytes_ += v->bytes;
    bytes_ -= it->second->items->bytes;
    it->second->items = std::move(v);
    while (bytes_ > max_bytes_ && !lru_.empty()) {
      bytes_ -= lru_.back().items->bytes;
      map_.erase(lru_.back().stream);
      lru_.pop_back();
    }
  }

  // Drops every entry (the store reopened its database).
  void Clear() {
    std::lock_guard lock(mu_);
    lru_.clear();
    map_.clear();
    too_big_.clear();
    bytes_ = 0;
  }

  bool TooBig(const std::string& stream, Position last_changed) const {
    std::lock_guard lock(mu_);
    auto it = too_big_.find(stream);
    return it != too_big_.end() && it->second == last_changed;
  }

  void Insert(const std::string& stream, std::shared_ptr<const Items> v) {
    std::lock_guard lock(mu_);
    if (v->bytes > max_bytes_ / 4) {  // one stream may not crowd out all
      too_big_[stream] = v->last_changed;
      return;
    }
    too_big_.erase(stream);
    if (auto it = map_.find(stream); it != map_.end()) {
      if (it->second->items->last_changed > v->last_changed) return;
      bytes_ -= it->second->items->bytes;
      lru_.erase(it->second);
      map_.erase(it);
    }
    while (bytes_ + v->bytes > max_bytes_ && !lru_.empty()) {
      bytes_ -= lru_.back().items->bytes;
      map_.erase(lru_.back().stream);
      lru_.pop_back();
    }
    bytes_ += v->bytes;
    lru_.push_front(Entry{stream, std::move(v)});
    map_.emplace(stream, lru_.begin());
  }

 private:
  struct Entry {
    std::string stream;
    std::shared_ptr<const Items> items;
  };
  const size_t max_bytes_;
  mutable std::mutex mu_;
  mutable std::list<Entry> lru_;  // most recently used first; guarded by mu_
  absl::flat_hash_map<std::string, typename std::list<Entry>::iterator> map_;
  absl::flat_hash_map<std::string, Position> too_big_;
  size_t bytes_ = 0;  // guarded by mu_
};
using VersionCache = StreamCache<std::vector<PairVersion>>;
using DayCache = StreamCache<StreamDays>;

// Counted by what the buffer holds: one filled by appends holds up to
// twice what it packs, and the bound is on memory.
size_t DayItemsBytes(const std::string& stream, const StreamDays& days) {
  return sizeof(DayCache::Items) + stream.size() + 64 + days.held_bytes();
}

// A stream's days (in day order, none empty) plus a batch's merge operands
// of that stream (key order: 'a' keys of `prefix_size` bytes, then the day),
// counted exactly as the merge operator counts them, so that the result is
// what a scan would read after the batch. False on a malformed operand.
bool AdvanceDays(const StreamDays& days,
                 std::span<const std::pair<std::string, std::string>> run,
                 size_t prefix_size, StreamDays* out) {
  std::vector<PairDay> changed;
  changed.reserve(run.size());
  for (const auto& [key, operand] : run) {
    // A day without live events holds zeros, as does a new one.
    PairDay d = days.Get(
        UnbiasDay(GetBe32(absl::string_view(key).substr(prefix_size))));
    if (!ApplyDayDeltas(operand, &d)) return false;
    changed.push_back(d);
  }
  *out = days.With(std::move(changed));
  return true;
}

// A cache entry of the stream's days: `entry` advanced by a batch's merge
// operands of the stream (key order), tagged `after`; null on a malformed
// operand.
std::shared_ptr<const DayCache::Items> AdvancedEntry(
    const std::string& stream, const DayCache::Items& entry,
    std::span<const std::pair<std::string, std::string>> run, Position after) {
  auto next = std::make_shared<DayCache::Items>();
  if (!AdvanceDays(entry.items, run, 2 + stream.size(), &next->items)) {
    return nullptr;
  }
  next->last_changed = after;
  next->bytes = DayItemsBytes(stream, next->items);
  return next;
}

// Readers scanning a stream's day totals to cache them, and the batches
// Apply applied to that stream meanwhile, so that what a reader caches is
// brought up to the stream's latest change. Without it, a scan of a busy
// pair (10-20 ms under load) outlived the pair's next change, landed stale
// and was never advanced (Apply advances only an entry of the stream's last
// change), so every later poll scanned again: the mixed run's slow mode.
// One lock orders Apply's step for a stream (record, advance the cached
// entry) with a reader's end of scan (replay, insert): no batch falls
// between them.
class DayScans {
 public:
  using Run = std::span<const std::pair<std::string, std::string>>;
  struct Batch {
    Position before, after;  // the stream's last change before and after
    std::vector<std::pair<std::string, std::string>> operands;  // key order
  };

  // A reader is about to scan the stream's days (before it reads the
  // stream's last change: a batch after that is recorded).
  uint64_t Begin(const std::string& stream) {
    std::lock_guard lock(mu_);
    const uint64_t id = ++next_id_;
    scans_[stream].push_back(Scan{id, {}});
    return id;
  }

  // Apply's step for one stream of a batch: recorded for the readers
  // scanning it, then `step` (advancing the cached entry) under the lock.
  template <typename Step>
  void Record(const std::string& stream, Position before, Position after,
              Run run, const Step& step) {
    std::lock_guard lock(mu_);
    if (auto it = scans_.find(stream); it != scans_.end()) {
      for (Scan& scan : it->second) {
        scan.batches.push_back({before, after, {run.begin(), run.end()}});
      }
    }
    step();
  }

  // Ends the reader's scan; `finish` gets the batches recorded for it, in
  // order, and runs under the lock.
  template <typename Finish>
  void End(const std::string& stream, uint64_t id, const Finish& finish) {
    std::lock_guard lock(mu_);
    std::vector<Batch> batches;
    if (auto it = scans_.find(stream); it != scans_.end()) {
      std::vector<Scan>& list = it->second;
      for (size_t i = 0; i < list.size(); ++i) {
        if (list[i].id != id) continue;
        batches = std::move(list[i].batches);
        list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
      if (list.empty()) scans_.erase(it);
    }
    finish(batches);
  }

 private:
  struct Scan {
    uint64_t id;
    std::vector<Batch> batches;
  };
  std::mutex mu_;
  uint64_t next_id_ = 0;                                      // guarded by mu_
  absl::flat_hash_map<std::string, std::vector<Scan>> scans_;  // guarded by mu_
};

// What a view needs from its store to use the caches: the stream's last
// change and the checkpoint, read together (Apply updates both together,
// after its write).
class VersionSource {
 public:
  virtual ~VersionSource() = default;
  virtual std::pair<Position, Position> LastChangedAndCheckpoint(
      const std::string& stream) const = 0;
  virtual VersionCache& versions() const = 0;
  virtual DayCache& days() const = 0;
  virtual DayScans& day_scans() const = 0;
  virtual void CountDayScan() const = 0;
  virtual void AfterDayScanForTest() const = 0;
};

// A view holds its database open: a store reopening after a storage
// failure waits for its views to end. Without a database (the store could
// not reopen it), every read fails with `failure`.
class RocksReadView final : public ReadView {
 public:
  RocksReadView(std::shared_ptr<const StoreDb> store,
                const VersionSource* source, Position checkpoint,
                absl::Status failure)
      : store_(std::move(store)),
        db_(store_ ? &store_->db() : nullptr),
        source_(source),
        snapshot_(db_ ? db_->GetSnapshot() : nullptr),
        position_(checkpoint),
        failure_(std::move(failure)) {
    if (db_ == nullptr) return;
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot_;
    std::string value;
    if (db_->Get(ro, kCheckpointKey, &value).ok()) {
      position_ = Position(keys::GetBigEndian64(value).value_or(0));
    }
  }
  ~RocksReadView() override {
    if (db_ != nullptr) db_->ReleaseSnapshot(snapshot_);
  }

  Position position() const override { return position_; }

  absl::Status ForEachVersion(
      const std::string& stream, DayNumber from, DayNumber to,
      const std::function<bool(const PairVersion&)>& fn) const override {
    if (db_ == nullptr) return failure_;
    const std::optional<Position> last_changed = Cacheable(stream);
    VersionCache& cache = source_->versions();
    if (!last_changed || cache.TooBig(stream, *last_changed)) {
      return Scan(stream, from, to, fn);
    }
    std::shared_ptr<const VersionCache::Items> cached =
        cache.Find(stream, *last_changed);
    if (cached == nullptr) {
      auto fresh = std::make_shared<VersionCache::Items>();
      fresh->last_changed = *last_changed;
      RETURN_IF_ERROR(Scan(stream, DayNumber(kMinDay), DayNumber(kMaxDay),
                           [&](const PairVersion& v) {
                             fresh->bytes += 16;
                             for (const std::string& t : v.tags) {
                               fresh->bytes += sizeof(std::string) + t.size();
                             }
                             fresh->items.push_back(v);
                             return true;
                           }));
      fresh->items.shrink_to_fit();
      fresh->bytes += sizeof(VersionCache::Items) + stream.size() + 64 +
                      fresh->items.capacity() * sizeof(PairVersion);
      cached = fresh;
      cache.Insert(stream, std::move(fresh));
    }
    const std::vector<PairVersion>& all = cached->items;
    auto it = std::lower_bound(
        all.begin(), all.end(), from,
        [](const PairVersion& v, DayNumber d) { return v.day < d; });
    for (; it != all.end() && !(to < it->day); ++it) {
      if (!fn(*it)) break;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::shared_ptr<const StreamDays>> Days(
      const std::string& stream) const override {
    if (db_ == nullptr) return failure_;
    DayCache& cache = source_->days();
    DayScans& scans = source_->day_scans();
    const uint64_t scan = scans.Begin(stream);
    const std::optional<Position> last_changed = Cacheable(stream);
    if (last_changed) {
      if (auto cached = cache.Find(stream, *last_changed)) {
        scans.End(stream, scan, [](const std::vector<DayScans::Batch>&) {});
        return std::shared_ptr<const StreamDays>(cached, &cached->items);
      }
    }
    auto fresh = std::make_shared<DayCache::Items>();
    source_->CountDayScan();
    auto packed = std::make_shared<PackedDays>();
    absl::Status scanned = ScanDays(stream, packed.get());
    packed->ShrinkToFit();
    fresh->items = StreamDays(std::move(packed));
    fresh->bytes = DayItemsBytes(stream, fresh->items);
    fresh->last_changed = last_changed.value_or(Position());
    source_->AfterDayScanForTest();
    scans.End(stream, scan, [&](const std::vector<DayScans::Batch>& batches) {
      if (!scanned.ok() || !last_changed) return;
      // The view gets its snapshot's days; the cache gets them advanced by
      // the batches applied since, as far as they follow on.
      std::shared_ptr<const DayCache::Items> entry = fresh;
      for (const DayScans::Batch& b : batches) {
        if (b.before != entry->last_changed) break;
        auto next = AdvancedEntry(stream, *entry, b.operands, b.after);
        if (next == nullptr) break;
        entry = std::move(next);
      }
      cache.Insert(stream, std::move(entry));
    });
    RETURN_IF_ERROR(scanned);
    return std::shared_ptr<const StreamDays>(fresh, &fresh->items);
  }

  absl::StatusOr<RecordedEntry> Entry(Position version) const override {
    if (db_ == nullptr) return failure_;
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot_;
    std::string value;
    RETURN_IF_ERROR(
        FromRocks(db_->Get(ro, store_->Of("d"), DetailKey(version), &value),
                  "reading an entry"));
    return DecodeRecord(version, value);
  }

 private:
  // Limits of the day range a version key can hold.
  static constexpr int32_t kMinDay = -719162;  // 0001-01-01
  static constexpr int32_t kMaxDay = 2932896;  // 9999-12-31

  // The stream's last change L when the snapshot holds exactly the stream's
  // read models as of L: the store, read after the snapshot was taken, has
  // published a checkpoint >= ours and still reports L <= ours, so no change
  // of the stream lies in (L, position_]. None: read the snapshot itself.
  std::optional<Position> Cacheable(const std::string& stream) const {
    const auto [last_changed, published] =
        source_->LastChangedAndCheckpoint(stream);
    if (last_changed.value() != 0 && position_ <= published &&
        last_changed <= position_) {
      return last_changed;
    }
    return std::nullopt;
  }

  // An iterator over [lo, hi) of the snapshot; the bounds must outlive it.
  std::unique_ptr<rocksdb::Iterator> NewRangeIterator(
      const rocksdb::Slice& lo, const rocksdb::Slice& hi) const {
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot_;
    ro.iterate_lower_bound = &lo;
    ro.iterate_upper_bound = &hi;
    return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ro));
  }

  absl::Status Scan(const std::string& stream, DayNumber from, DayNumber to,
                    const std::function<bool(const PairVersion&)>& fn) const {
    const std::string prefix = StreamPrefix('v', stream);
    std::string lower = prefix, upper = prefix;
    PutBe32(&lower, BiasDay(from));
    PutBe32(&upper, BiasDay(to) + 1);
    const rocksdb::Slice lo(lower), hi(upper);
    std::unique_ptr<rocksdb::Iterator> it = NewRangeIterator(lo, hi);
    PairVersion v;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      absl::string_view key(it->key().data(), it->key().size());
      if (key.size() != prefix.size() + 12) {
        return absl::DataLossError("malformed version key");
      }
      v.day = UnbiasDay(GetBe32(key.substr(prefix.size())));
      v.version_position =
          Position(*keys::GetBigEndian64(key.substr(prefix.size() + 4)));
      if (!DecodePairVersionValue({it->value().data(), it->value().size()},
                                  &v)) {
        return absl::DataLossError("malformed version value");
      }
      if (!fn(v)) break;
    }
    return FromRocks(it->status(), "reading versions");
  }

  absl::Status ScanDays(const std::string& stream, PackedDays* out) const {
    const DayKeyRange range(stream);
    const std::string& prefix = range.first;
    const rocksdb::Slice lo(range.first), hi(range.last);
    std::unique_ptr<rocksdb::Iterator> it = NewRangeIterator(lo, hi);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      absl::string_view key(it->key().data(), it->key().size());
      if (key.size() != prefix.size() + 4) {
        return absl::DataLossError("malformed day key");
      }
      PairDay d;
      d.day = UnbiasDay(GetBe32(key.substr(prefix.size())));
      if (!DecodePairDayValue({it->value().data(), it->value().size()}, &d)) {
        return absl::DataLossError("malformed day totals");
      }
      if (!d.empty()) out->Append(d);
    }
    return FromRocks(it->status(), "reading day totals");
  }

  const std::shared_ptr<const StoreDb> store_;
  rocksdb::DB* const db_;
  const VersionSource* source_;
  const rocksdb::Snapshot* const snapshot_;
  Position position_;
  const absl::Status failure_;
};

class RocksReadModelStore final : public ReadModelStore,
                                  public VersionSource {
 public:
  RocksReadModelStore(StoreConfig config, OpenedStore opened,
                      uint64_t first_compaction, size_t day_cache_bytes,
                      size_t ingest_min_entries,
                      std::function<void()> after_day_scan_for_test)
      : config_(std::move(config)),
        db_(std::move(opened.db)),
        db_closed_(std::move(opened.closed)),
        ingest_min_entries_(ingest_min_entries),
        default_family_options_(
            db_->db().GetOptions(db_->db().DefaultColumnFamily())),
        next_compaction_(first_compaction),
        checkpoint_(opened.checkpoint),
        days_(day_cache_bytes),
        after_day_scan_for_test_(std::move(after_day_scan_for_test)) {
    for (auto& [stream, pos] : opened.changed) Touch(stream, pos);
  }
  ~RocksReadModelStore() override {
    WakeAll();
    StopCompactor();
    if (db_) db_->Close();
  }

  absl::Status ApplyRecords(const std::vector<LogRecord>& records,
                            Position checkpoint) override;

  void SetStopping(bool stopping) override { stopping_ = stopping; }

  void CaughtUp() override {
    if (!StorageHealth().ok()) return;
    if (compactions_ == CompactionMode::kCatchUp) {
      SetCompactions(CompactionMode::kDraining);
      WarmDayCache();  // beside the compactions and the first queries
    }
  }

  void WarmDayCache() override {
    const size_t budget = days_.max_bytes() / 8 * 7;
    if (budget == 0 || stopping_) return;
    const absl::Time start = absl::Now();
    const std::vector<std::string> streams = Streams();
    if (streams.empty()) return;
    std::vector<DayKeyRange> bounds(streams.begin(), streams.end());
    std::vector<rocksdb::Range> ranges;
    ranges.reserve(bounds.size());
    for (const DayKeyRange& b : bounds) ranges.emplace_back(b.first, b.last);
    std::vector<uint64_t> sizes(streams.size(), 0);
    rocksdb::SizeApproximationOptions approx;
    approx.include_memtables = true;
    db_->db()
        .GetApproximateSizes(approx, db_->Of("a"), ranges.data(),
                             static_cast<int>(ranges.size()), sizes.data())
        .PermitUncheckedError();  // all zeros: name order then
    std::vector<size_t> order(streams.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return sizes[a] > sizes[b]; });
    std::unique_ptr<ReadView> view = View();
    size_t read = 0;
    for (size_t i : order) {
      if (stopping_ || days_.bytes() >= budget) break;
      if (!view->Days(streams[i]).ok()) break;  // the next query says why
      ++read;
    }
    // Read again (from the cache) the other way round, so that the largest
    // are the most recently used, the last to go.
    for (size_t k = read; k-- > 0;) view->Days(streams[order[k]]).IgnoreError();
    spdlog::info(
        "read models: the day totals of {} of {} pairs read into the cache "
        "({:.1f} MiB) in {}",
        read, streams.size(), static_cast<double>(days_.bytes()) / (1 << 20),
        absl::FormatDuration(absl::Now() - start));
  }

  Position checkpoint() const override {
    std::lock_guard lock(mu_);
    return checkpoint_;
  }

  absl::Status StorageHealth() const override {
    std::lock_guard lock(mu_);
    return storage_error_;
  }

  Position WaitForCheckpoint(Position after, absl::Time deadline) override {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, absl::ToChronoTime(deadline),
                   [&] { return checkpoint_ > after || woken_; });
    return checkpoint_;
  }

  void WakeAll() override {
    {
      std::lock_guard lock(mu_);
      woken_ = true;
    }
    cv_.notify_all();
  }

  std::unique_ptr<ReadView> View() const override {
    std::shared_ptr<const StoreDb> db = CurrentDb();
    return std::make_unique<RocksReadView>(
        db, static_cast<const VersionSource*>(this), checkpoint(),
        db ? absl::OkStatus() : Unreadable());
  }

  Position LastChanged(const std::string& stream) const override {
    std::lock_guard lock(mu_);
    auto it = changed_.find(stream);
    return it == changed_.end() ? Position() : it->second;
  }

  std::vector<std::string> Streams() const override {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    out.reserve(changed_.size());
    for (const auto& [stream, pos] : changed_) out.push_back(stream);
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<std::string> StreamsOf(const std::string& actor) const override {
    std::lock_guard lock(mu_);
    auto it = by_actor_.find(actor);
    if (it == by_actor_.end()) return {};
    return std::vector<std::string>(it->second.begin(), it->second.end());
  }

  // Nothing while a reopen is under way (the metrics thread does not wait).
  StorageMemory Memory() const override {
    std::shared_ptr<const StoreDb> db = DbUnlessReopening();
    StorageMemory m = db ? db->Memory() : StorageMemory();
    m.day_cache = days_.bytes();
    m.version_cache = versions_.bytes();
    return m;
  }
  StorageCompactions Compactions() const override {
    // The day totals' compaction counts from its thread's start to its
    // end; RocksDB's count has it only while CompactRange runs, so a
    // caller waiting for settled() could go on just before it starts.
    // The flag and its count of changes are read before RocksDB's figures
    // and again after: a compaction that began (or ended) between the two
    // reads changed the count, and counts as running.
    const uint64_t changes_before = compacting_changes_.load();
    const bool compacting_before = compacting_;
    std::shared_ptr<const StoreDb> db = DbUnlessReopening();
    StorageCompactions c = db ? db->Compactions() : StorageCompactions();
    if (compacting_before || compacting_ ||
        compacting_changes_.load() != changes_before) {
      c.running = std::max<uint64_t>(c.running, 1);
    }
    return c;
  }
  AppliedEntries Applied() const override {
    return {applied_through_memtables_.load(), applied_as_tables_.load()};
  }
  uint64_t DayScanCountForTest() const override {
    return day_scan_count_.load();
  }

  uint64_t Level0FilesForTest() const override {
    std::shared_ptr<const StoreDb> db = CurrentDb();
    return db ? Level0FilesOf(*db) : 0;
  }

  std::vector<std::pair<std::string, std::string>> DumpForTest()
      const override {
    std::vector<std::pair<std::string, std::string>> out;
    std::shared_ptr<const StoreDb> db = CurrentDb();
    if (!db) return out;
    for (rocksdb::ColumnFamilyHandle* family : db->families()) {
      std::unique_ptr<rocksdb::Iterator> it(
          db->db().NewIterator(rocksdb::ReadOptions(), family));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        out.emplace_back(it->key().ToString(), it->value().ToString());
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::pair<Position, Position> LastChangedAndCheckpoint(
      const std::string& stream) const override {
    std::lock_guard lock(mu_);
    auto it = changed_.find(stream);
    return {it == changed_.end() ? Position() : it->second, checkpoint_};
  }
  VersionCache& versions() const override { return versions_; }
  DayCache& days() const override { return days_; }
  DayScans& day_scans() const override { return day_scans_; }
  void CountDayScan() const override { day_scan_count_.fetch_add(1); }
  void AfterDayScanForTest() const override {
    if (after_day_scan_for_test_) after_day_scan_for_test_();
  }

  // Requires mu_ (or construction).
  void Touch(const std::string& stream, Position pos) {
    auto [it, inserted] = changed_.try_emplace(stream, pos);
    if (!inserted) {
      it->second = std::max(it->second, pos);
      return;
    }
    std::pair<std::string, std::string> actors =
        absl::StrSplit(stream, absl::MaxSplits('-', 1));
    by_actor_[actors.first].insert(stream);
    by_actor_[actors.second].insert(stream);
  }

  // A batch being applied: the writes, plus the values it staged for the
  // keys that later entries of the same batch may read back (ids and
  // versions, for corrections and retractions), plus one merge operand per
  // day whose totals it changes (the deltas in entry order: pair_day.h).
  // The writes go in key order at the end (Sort()), so that consecutive
  // memtable inserts land next to each other and the skiplist's insert
  // splice is reused: in entry order the 'v', 'd' and 'x' keys of each entry
  // interleave and every insert was a full search (half of catch-up's CPU).
  struct Staging {
    std::vector<std::pair<std::string, std::string>> puts;
    absl::flat_hash_map<std::string, std::string> readable;
    absl::flat_hash_map<std::string, std::string> day_deltas;
    // The day keys and their operands in key order (by Sort()).
    std::vector<std::pair<std::string, std::string>> merges;
    // Only corrections and retractions read back (Get()): until the first
    // of them, the batch keeps no copies (events put only what may be read
    // back, so the puts so far are the copies).
    bool keeps_readable = false;
    void KeepReadable() {
      if (keeps_readable) return;
      keeps_readable = true;
      for (const auto& [key, value] : puts)
        readable.insert_or_assign(key, value);
    }
    absl::Status Put(std::string key, std::string value, bool read_back) {
      if (read_back && keeps_readable) readable.insert_or_assign(key, value);
      puts.emplace_back(std::move(key), std::move(value));
      return absl::OkStatus();
    }
    // Counts a version's event in (sign +1) or out of (sign -1) its day.
    void CountDay(absl::string_view stream, const PairVersion& v, int sign) {
      AppendDayDelta(&day_deltas[DayKey(stream, v.day)], v, sign);
    }
    // Puts the batch in key order, a key put twice once with its later
    // value, and the day keys with their operands too (into merges).
    void Sort() {
      std::stable_sort(puts.begin(), puts.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      size_t kept = 0;
      for (size_t i = 0; i < puts.size(); ++i) {
        if (i + 1 < puts.size() && puts[i + 1].first == puts[i].first) continue;
        if (kept != i) puts[kept] = std::move(puts[i]);
        ++kept;
      }
      puts.resize(kept);
      merges.assign(day_deltas.begin(), day_deltas.end());
      std::sort(merges.begin(), merges.end());
    }
  };
  // While batches are written as table files (a catch-up), each adds a
  // level-0 file of the default family spanning all of its keys, and
  // RocksDB's default of compacting every 4 such files into level 1
  // rewrote level 1 over and over: at 10M events, the compactions took a
  // third of the catch-up's CPU and stalled it. So they wait for
  // kCatchUpLevel0Files files meanwhile (docs/benchmarks.md, round 14).
  // After kLiveAfterBatches batches in a row through the memtables (not on
  // the first: a follower near the gathering threshold would flip back and
  // forth), the compactions start again (kDraining), and Apply waits for
  // them to merge the level-0 files the catch-up left before it writes on,
  // as RocksDB's own advice for bulk loads has it: otherwise they ran right
  // after the catch-up, beside the first queries (a core for ~5 s at 10M
  // events; docs/benchmarks.md, round 22). The write stalls come
  // back only once level 0 is below RocksDB's slowdown threshold again
  // (kLive), so that the first live batches do not stall on the files the
  // catch-up left (ingestion itself is never stalled). When the follower
  // reaches the head first (CaughtUp), the compactions start again without
  // a wait: what it applies then is already visible.
  enum class CompactionMode { kLive, kCatchUp, kDraining };
  static constexpr int kCatchUpLevel0Files = 32;
  static constexpr int kLiveAfterBatches = 8;
  // Apply's thread only, before each batch.
  void SetCompactionsFor(bool tables) {
    if (tables) {
      memtable_batches_in_a_row_ = 0;
      if (compactions_ != CompactionMode::kCatchUp) {
        SetCompactions(CompactionMode::kCatchUp);
      }
      return;
    }
    if (compactions_ == CompactionMode::kCatchUp &&
        ++memtable_batches_in_a_row_ >= kLiveAfterBatches) {
      if (SetCompactions(CompactionMode::kDraining)) AwaitLevel0Merged();
      WarmDayCache();
    }
    if (compactions_ == CompactionMode::kDraining &&
        Level0Files() <
            uint64_t(default_family_options_.level0_slowdown_writes_trigger)) {
      SetCompactions(CompactionMode::kLive);
    }
  }
  // False when RocksDB refused the options (logged).
  bool SetCompactions(CompactionMode to) {
    compactions_ = to;
    const rocksdb::ColumnFamilyOptions& live = default_family_options_;
    const bool live_trigger = to != CompactionMode::kCatchUp;
    const bool live_stalls = to == CompactionMode::kLive;
    const int files = live_trigger ? live.level0_file_num_compaction_trigger
                                   : kCatchUpLevel0Files;
    const int slowdown = live_stalls ? live.level0_slowdown_writes_trigger
                                     : 3 * kCatchUpLevel0Files;
    const int stop =
        live_stalls ? live.level0_stop_writes_trigger : 4 * kCatchUpLevel0Files;
    rocksdb::Status s = db_->db().SetOptions(
        db_->db().DefaultColumnFamily(),
        {{"level0_file_num_compaction_trigger", std::to_string(files)},
         {"level0_slowdown_writes_trigger", std::to_string(slowdown)},
         {"level0_stop_writes_trigger", std::to_string(stop)}});
    if (!s.ok()) {
      spdlog::warn("read models: setting the compactions: {}", s.ToString());
    }
    return s.ok();
  }
  // Waits until level 0 is below the compaction trigger. Ends sooner, with
  // a warning, when no compaction is pending or running any more (they
  // cannot bring it lower), when a background job fails, when the follower
  // is stopping (SetStopping), or after kDrainWait.
  static constexpr absl::Duration kDrainWait = absl::Seconds(60);
  void AwaitLevel0Merged() {
    const uint64_t files = Level0Files();
    const uint64_t trigger =
        default_family_options_.level0_file_num_compaction_trigger;
    if (files < trigger) return;
    const uint64_t errors = BackgroundErrors();
    const absl::Time start = absl::Now();
    int idle_polls = 0;
    const char* cut_short = nullptr;
    while (Level0Files() >= trigger) {
      // Two polls in a row with nothing pending or running: nothing will
      // bring level 0 lower.
      idle_polls = db_->Compactions().settled() ? idle_polls + 1 : 0;
      if (stopping_) {
        cut_short = "the follower is stopping";
      } else if (BackgroundErrors() != errors) {
        cut_short = "a background job of RocksDB failed";
      } else if (absl::Now() - start > kDrainWait) {
        cut_short = "it took too long";
      } else if (idle_polls >= 2) {
        cut_short = "no compaction is pending or running";
      }
      if (cut_short != nullptr) {
        spdlog::warn(
            "read models: applying on with {} of the catch-up's {} "
            "level-0 files left after {}: {}",
            Level0Files(), files, absl::FormatDuration(absl::Now() - start),
            cut_short);
        return;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    spdlog::info("read models: the catch-up's {} level-0 files merged in {}",
                 files, absl::FormatDuration(absl::Now() - start));
  }
  uint64_t BackgroundErrors() const {
    uint64_t n = 0;
    db_->db().GetIntProperty(rocksdb::DB::Properties::kBackgroundErrors, &n);
    return n;
  }
  uint64_t Level0Files() const { return Level0FilesOf(*db_); }
  static uint64_t Level0FilesOf(const StoreDb& db) {
    std::string files;
    uint64_t n = 0;
    if (db.db().GetProperty(
            db.db().DefaultColumnFamily(),
            rocksdb::DB::Properties::kNumFilesAtLevelPrefix + "0", &files) &&
        absl::SimpleAtoi(files, &n)) {
      return n;
    }
    return 0;
  }

  std::shared_ptr<const StoreDb> DbUnlessReopening() const {
    std::lock_guard lock(db_mu_);
    return reopening_ ? nullptr : db_;
  }

  // Commits a sorted batch through the memtables (and the write-ahead log).
  absl::Status Write(const Staging& wb);
  // Commits a sorted batch as one table file per column family, ingested
  // atomically (table_ingest.h).
  absl::Status Ingest(const Staging& wb, Position checkpoint);
  void AdvanceCachedDays(
      const std::vector<std::pair<std::string, std::string>>& merges,
      const absl::flat_hash_map<std::string, Position>& touched);
  // `v` is scratch space (reused for its capacity).
  absl::Status ApplyOne(Staging& wb, const LogRecord& r, RecordView& v,
                        absl::flat_hash_map<std::string, Position>& touched);
  absl::StatusOr<std::optional<std::string>> Get(Staging& wb,
                                                 const std::string& key);
  // Where the original event at `original` has its current version: its
  // 'x' key once corrected or retracted, else its own entry copy. Nothing
  // when no such event was applied.
  absl::StatusOr<std::optional<Current>> CurrentOf(Staging& wb,
                                                   Position original);

  // Merge operands stack up above the bottom level of the LSM tree until a
  // compaction reaches it, and every read adds them up again (a catch-up of
  // 10M events left ~14 operands per day of the busiest pairs). So the day
  // totals are compacted in the background each time the operands written
  // since opening double (from 1M on by default): O(size) work in all.
  void CompactDayTotals() {
    if (compacting_.exchange(true)) return;
    ++compacting_changes_;
    if (compactor_.joinable()) compactor_.join();
    auto compact = [this, db = db_] {
      NameThisThread("rm-compact");
      rocksdb::CompactRangeOptions o;
      o.exclusive_manual_compaction = false;
      const rocksdb::Slice begin("a"), end("b");
      rocksdb::Status s = db->db().CompactRange(o, &begin, &end);
      if (!s.ok() && !s.IsIncomplete()) {
        spdlog::warn("read models: compacting day totals: {}", s.ToString());
      }
      SetNotCompacting();
    };
    try {
      compactor_ = std::thread(std::move(compact));
    } catch (const std::system_error& e) {
      // No thread to be had (a limit): RocksDB's own compactions get there
      // later; this one waits for the next doubling.
      spdlog::warn("read models: not compacting day totals now: {}", e.what());
      SetNotCompacting();
    }
  }

  // Ends a running CompactDayTotals() and waits for its thread.
  void StopCompactor() {
    if (db_) db_->db().DisableManualCompaction();
    if (compactor_.joinable()) compactor_.join();
    SetNotCompacting();
  }

  // The database views read, once no reopen is under way; null when the
  // last reopen could not open it at all.
  std::shared_ptr<const StoreDb> CurrentDb() const {
    std::unique_lock lock(db_mu_);
    db_cv_.wait(lock, [&] { return !reopening_; });
    return db_;
  }
  absl::Status Unreadable() const {
    return absl::UnavailableError(
        "the read models' storage failed and could not be reopened yet");
  }
  absl::Status Reopen();

  const StoreConfig config_;
  // Replaced only by Reopen, on Apply's thread (which reads it without
  // db_mu_, and so do Ingest's file writers, which Apply's thread waits
  // for); other threads take it with CurrentDb().
  std::shared_ptr<StoreDb> db_;
  std::future<void> db_closed_;  // of db_ (OpenedStore::closed)
  mutable std::mutex db_mu_;
  mutable std::condition_variable db_cv_;
  bool reopening_ = false;  // guarded by db_mu_
  const size_t ingest_min_entries_;
  // The default family's options as opened (Apply's thread only reads).
  const rocksdb::ColumnFamilyOptions default_family_options_;
  CompactionMode compactions_ = CompactionMode::kLive;  // Apply's thread only
  int memtable_batches_in_a_row_ = 0;             // Apply's thread only
  std::atomic<uint64_t> applied_through_memtables_{0};
  std::atomic<uint64_t> applied_as_tables_{0};
  uint64_t operands_ = 0;                  // Apply's thread only
  uint64_t next_compaction_;               // Apply's thread only
  std::atomic<bool> compacting_{false};
  // Counts each change of compacting_ (Compactions() reads it twice).
  std::atomic<uint64_t> compacting_changes_{0};
  void SetNotCompacting() {
    compacting_ = false;
    ++compacting_changes_;
  }
  std::atomic<bool> stopping_{false};
  std::thread compactor_;                  // Apply's thread and destructor
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Position checkpoint_;  // guarded by mu_
  // The write failure after which the database must be reopened before it
  // is written again (set and cleared by Apply's thread). RocksDB refuses
  // writes after one anyway, and a sync of a write-ahead log whose append
  // failed aborts the process in Debian's build (its assertions are on).
  absl::Status storage_error_;  // guarded by mu_
  bool woken_ = false;   // guarded by mu_
  absl::flat_hash_map<std::string, Position> changed_;  // guarded by mu_
  absl::flat_hash_map<std::string, std::set<std::string>> by_actor_;
  // Decoded versions per stream: 128 MiB at most.
  mutable VersionCache versions_{128u << 20};
  mutable DayCache days_;  // day totals per stream, packed
  mutable DayScans day_scans_;
  mutable std::atomic<uint64_t> day_scan_count_{0};
  std::function<void()> after_day_scan_for_test_;
};

// Kept current by Apply rather than dropped: while writers change the
// busiest pairs every few milliseconds, a dashboard's poll would otherwise
// re-read the pair's days (~21k for the busiest pair of a 10M log) each time.
void RocksReadModelStore::AdvanceCachedDays(
    const std::vector<std::pair<std::string, std::string>>& merges,
    const absl::flat_hash_map<std::string, Position>& touched) {
  for (size_t i = 0; i < merges.size();) {
    // Keys in order, so each stream's days are one run ('a' len stream day).
    const std::string& first = merges[i].first;
    const size_t prefix_size = 2 + static_cast<uint8_t>(first[1]);
    const absl::string_view prefix(first.data(), prefix_size);
    size_t end = i + 1;
    while (end < merges.size() &&
           absl::StartsWith(merges[end].first, prefix)) {
      ++end;
    }
    const std::string stream(first, 2, prefix_size - 2);
    // Apply alone changes the streams' last changes: this is the one before
    // the batch, which the cached days must reflect to be advanced.
    const Position before = LastChanged(stream);
    auto now = touched.find(stream);
    const DayScans::Run run(merges.data() + i, end - i);
    i = end;
    if (now == touched.end()) continue;
    day_scans_.Record(stream, before, now->second, run, [&] {
      std::shared_ptr<const DayCache::Items> cached =
          before.value() == 0 ? nullptr : days_.Peek(stream, before);
      if (cached == nullptr) return;
      if (auto next = AdvancedEntry(stream, *cached, run, now->second)) {
        days_.Advance(stream, before, std::move(next));
      }
    });
  }
}

absl::StatusOr<std::optional<std::string>> RocksReadModelStore::Get(
    Staging& wb, const std::string& key) {
  if (auto it = wb.readable.find(key); it != wb.readable.end()) {
    return it->second;
  }
  std::string value;
  rocksdb::Status s =
      db_->db().Get(rocksdb::ReadOptions(), db_->Of(key), key, &value);
  if (s.IsNotFound()) return std::nullopt;
  RETURN_IF_ERROR(FromRocks(s, "reading the read models"));
  return value;
}

absl::StatusOr<std::optional<Current>> RocksReadModelStore::CurrentOf(
    Staging& wb, Position original) {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, Get(wb, IdKey(original)));
  if (raw) return DecodeCurrent(*raw);
  // Never corrected nor retracted: its own entry copy is its current version.
  ASSIGN_OR_RETURN(std::optional<std::string> detail,
                   Get(wb, DetailKey(original)));
  if (!detail) return std::nullopt;
  const LogRecord record{original, *detail};
  RecordView subject;
  RETURN_IF_ERROR(DecodeView(record, &subject));
  if (subject.kind != static_cast<uint32_t>(EntryKind::kEvent)) {
    return std::nullopt;
  }
  ASSIGN_OR_RETURN(DayNumber day, DayOf(record, subject));
  return Current{original, day, original, false, std::string(subject.stream)};
}

absl::Status RocksReadModelStore::ApplyOne(
    Staging& wb, const LogRecord& r, RecordView& e,
    absl::flat_hash_map<std::string, Position>& touched) {
  RETURN_IF_ERROR(DecodeView(r, &e));
  const auto kind = static_cast<EntryKind>(e.kind);
  if (kind == EntryKind::kEvent) {
    ASSIGN_OR_RETURN(PairVersion v, VersionOf(r, e, r.position));
    RETURN_IF_ERROR(wb.Put(VersionKey(e.stream, v.day, r.position),
                           EncodePairVersionValue(v), true));
    // Read back (from the batch) only by a correction or retraction of it
    // in the same batch: an event's 'x' key is written when that happens.
    RETURN_IF_ERROR(wb.Put(DetailKey(r.position), std::string(r.record), true));
    wb.CountDay(e.stream, v, +1);
    touched.insert_or_assign(e.stream, r.position);
    return absl::OkStatus();
  }
  // Corrections and retractions change their subject's current version.
  if (e.subject_position == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the ", kind == EntryKind::kCorrection ? "correction" : "retraction",
        " at position ", r.position.value(),
        " came without subject_position: the ingestion service is older than "
        "this query service; upgrade detente-ingest"));
  }
  wb.KeepReadable();
  ASSIGN_OR_RETURN(std::optional<Current> current,
                   CurrentOf(wb, Position(e.subject_position)));
  if (!current || current->retracted) {
    // The log guarantees the subject precedes; a retracted event stays
    // retracted (a later correction of it changes nothing).
    return absl::OkStatus();
  }
  const std::string old_key =
      VersionKey(current->stream, current->day, current->version);
  ASSIGN_OR_RETURN(std::optional<std::string> old_raw, Get(wb, old_key));
  PairVersion old;
  if (!old_raw || !DecodePairVersionValue(*old_raw, &old)) {
    return absl::DataLossError(
        absl::StrCat("read models: missing version of the event at position ",
                     current->original.value()));
  }
  old.day = current->day;
  old.superseded_at = r.position;
  old.retracted_end = kind == EntryKind::kRetraction;
  RETURN_IF_ERROR(wb.Put(old_key, EncodePairVersionValue(old), true));
  wb.CountDay(current->stream, old, -1);
  if (kind == EntryKind::kRetraction) {
    current->retracted = true;
  } else {
    ASSIGN_OR_RETURN(PairVersion v, VersionOf(r, e, current->original));
    RETURN_IF_ERROR(wb.Put(VersionKey(current->stream, v.day, r.position),
                           EncodePairVersionValue(v), true));
    RETURN_IF_ERROR(
        wb.Put(DetailKey(r.position), std::string(r.record), false));
    wb.CountDay(current->stream, v, +1);
    current->day = v.day;
    current->version = r.position;
  }
  RETURN_IF_ERROR(wb.Put(IdKey(Position(e.subject_position)),
                         EncodeCurrent(*current), true));
  touched[current->stream] = r.position;
  return absl::OkStatus();
}

absl::Status RocksReadModelStore::Write(const Staging& wb) {
  rocksdb::WriteBatch batch;
  for (const auto& [key, value] : wb.puts) {
    RETURN_IF_ERROR(FromRocks(batch.Put(db_->Of(key), key, value), "staging"));
  }
  for (const auto& [key, operand] : wb.merges) {
    RETURN_IF_ERROR(FromRocks(batch.Merge(key, operand), "staging"));
  }
  // Not fsynced: the read models can always be re-derived from the log, and
  // the checkpoint commits with them, so a lost suffix is simply re-read.
  return FromRocks(db_->db().Write(rocksdb::WriteOptions(), &batch),
                   "writing the read models");
}

// The same keys and values as Write, in the same families. The day totals'
// operands become merge entries of the default family's file: ingested
// above everything before them, they are added to the totals in the same
// order as through the memtable.
absl::Status RocksReadModelStore::Ingest(const Staging& wb,
                                         Position checkpoint) {
  std::vector<TableWrites> writes;
  for (rocksdb::ColumnFamilyHandle* family : db_->families()) {
    // By id: the handles opened with the families are not the database's
    // own DefaultColumnFamily().
    const uint32_t id = family->GetID();
    const bool is_default = id == db_->db().DefaultColumnFamily()->GetID();
    writes.push_back(
        {family,
         [this, &wb, id, is_default](
             rocksdb::SstFileWriter& file) -> absl::StatusOr<uint64_t> {
           uint64_t added = 0;
           auto merge = wb.merges.begin();
           // The day keys ('a') sort before every other key of the default
           // family ('c', 'm', 'v'); merged by key all the same.
           auto merges_before = [&](const std::string* key) -> absl::Status {
             for (; is_default && merge != wb.merges.end() &&
                    (key == nullptr || merge->first < *key);
                  ++merge, ++added) {
               RETURN_IF_ERROR(
                   FromRocks(file.Merge(merge->first, merge->second),
                             "writing a table file"));
             }
             return absl::OkStatus();
           };
           for (const auto& [key, value] : wb.puts) {
             if (db_->Of(key)->GetID() != id) continue;
             RETURN_IF_ERROR(merges_before(&key));
             RETURN_IF_ERROR(
                 FromRocks(file.Put(key, value), "writing a table file"));
             ++added;
           }
           RETURN_IF_ERROR(merges_before(nullptr));
           return added;
         }});
  }
  return IngestTables(
      db_->db(), absl::StrCat(kTableFilePrefix, checkpoint.value()), writes);
}

// After a failed write: RocksDB keeps the error and refuses writes until the
// database is reopened, and the write-ahead log may hold the failed batch
// whole (a failed fsync) or not at all, never a part of it that a reopen
// would replay. So the store closes the database once its views have
// ended (new views wait meanwhile) and opens it again, then reloads its
// checkpoint and stream directory from what it holds and drops the decoded
// caches. When the read-write open fails (the fault lasts), the views read
// a read-only open of the database until the next try.
absl::Status RocksReadModelStore::Reopen() {
  StopCompactor();
  std::shared_ptr<StoreDb> old;
  {
    std::lock_guard lock(db_mu_);
    reopening_ = true;
    old = std::move(db_);
  }
  // The last view to end (with its query: milliseconds) closes it.
  old.reset();
  if (db_closed_.valid()) db_closed_.wait();
  absl::StatusOr<OpenedStore> opened = OpenStore(config_, false);
  absl::Status result = opened.status();
  if (!opened.ok()) opened = OpenStore(config_, /*read_only=*/true);
  if (opened.ok()) {
    versions_.Clear();
    days_.Clear();
    std::lock_guard lock(mu_);
    if (opened->checkpoint < checkpoint_) {
      // Batches applied but not synced were lost (a failed fsync may drop
      // them): they are applied again from the log.
      spdlog::warn(
          "read models: reopened at checkpoint {}, behind {}; re-applying "
          "from the log",
          opened->checkpoint.value(), checkpoint_.value());
    }
    checkpoint_ = opened->checkpoint;
    changed_.clear();
    by_actor_.clear();
    for (auto& [stream, pos] : opened->changed) Touch(stream, pos);
  }
  {
    std::lock_guard lock(db_mu_);
    if (opened.ok()) {
      db_ = std::move(opened->db);
      db_closed_ = std::move(opened->closed);
    }
    reopening_ = false;
  }
  db_cv_.notify_all();
  cv_.notify_all();
  if (!result.ok()) return result;
  // Opened with RocksDB's own compaction settings.
  compactions_ = CompactionMode::kLive;
  memtable_batches_in_a_row_ = 0;
  spdlog::info(
      "read models: reopened {} after a storage failure (checkpoint "
      "{})",
      config_.path, checkpoint().value());
  return absl::OkStatus();
}

absl::Status RocksReadModelStore::ApplyRecords(
    const std::vector<LogRecord>& records, Position checkpoint) {
  if (const absl::Status failed = StorageHealth(); !failed.ok()) {
    if (absl::Status s = Reopen(); !s.ok()) {
      return absl::UnavailableError(
          absl::StrCat("the read models' storage failed (", failed.message(),
                       ") and cannot be reopened yet: ", s.message()));
    }
    std::lock_guard lock(mu_);
    storage_error_ = absl::OkStatus();
  }
  const Position from = this->checkpoint();
  if (checkpoint <= from) return absl::OkStatus();
  Staging wb;
  wb.puts.reserve(2 * records.size() + 1);
  absl::flat_hash_map<std::string, Position> touched;
  uint64_t applied = 0;
  RecordView view;
  for (const LogRecord& r : records) {
    if (r.position <= from) continue;
    if (r.position > checkpoint) {
      return absl::InvalidArgumentError("entry beyond the batch's checkpoint");
    }
    RETURN_IF_ERROR(ApplyOne(wb, r, view, touched));
    ++applied;
  }
  for (const auto& [stream, pos] : touched) {
    std::string value;
    keys::PutBigEndian64(&value, pos.value());
    RETURN_IF_ERROR(wb.Put(ChangedKey(stream), std::move(value), false));
  }
  std::string cp;
  keys::PutBigEndian64(&cp, checkpoint.value());
  RETURN_IF_ERROR(wb.Put(kCheckpointKey, std::move(cp), false));
  wb.Sort();
  const bool bulk =
      ingest_min_entries_ > 0 && records.size() >= ingest_min_entries_;
  SetCompactionsFor(bulk);
  if (absl::Status s = bulk ? Ingest(wb, checkpoint) : Write(wb); !s.ok()) {
    // Reopened by the next Apply (its retry).
    {
      std::lock_guard lock(mu_);
      storage_error_ = s;
    }
    spdlog::warn("read models: {} entries not written: {}", applied,
                 s.ToString());
    return s;
  }
  (bulk ? applied_as_tables_ : applied_through_memtables_) += applied;
  AdvanceCachedDays(wb.merges, touched);
  operands_ += wb.day_deltas.size();
  if (operands_ >= next_compaction_) {
    next_compaction_ = 2 * operands_;
    // Not during a catch-up: each compaction of its level-0 files merges
    // the operands into level 1 anyway, and this one would rewrite all of
    // them as well, since every such file spans the day totals (2 of the 7
    // compactions of a 10M catch-up were these; round 32).
    if (compactions_ != CompactionMode::kCatchUp) CompactDayTotals();
  }
  {
    std::lock_guard lock(mu_);
    for (const auto& [stream, pos] : touched) Touch(stream, pos);
    checkpoint_ = checkpoint;
  }
  cv_.notify_all();
  return absl::OkStatus();
}

}  // namespace

absl::Status ReadModelStore::Apply(const std::vector<RecordedEntry>& entries,
                                   Position checkpoint) {
  std::vector<std::string> encoded;
  encoded.reserve(entries.size());
  std::vector<LogRecord> records;
  records.reserve(entries.size());
  for (const RecordedEntry& e : entries) {
    encoded.push_back(EncodeRecord(e));
    records.push_back({e.position, encoded.back()});
  }
  return ApplyRecords(records, checkpoint);
}

absl::StatusOr<std::unique_ptr<ReadModelStore>> ReadModelStore::Open(
    const ReadModelStoreOptions& options) {
  StoreConfig config = MakeStoreConfig(options);
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  ASSIGN_OR_RETURN(OpenedStore opened, OpenStore(config, /*read_only=*/false));
  rocksdb::DB* db = &opened.db->db();
  if (opened.created) {
    // Synced, once: a power cut right after would otherwise leave a store
    // without a version, discarded at the next start.
    rocksdb::WriteOptions sync;
    sync.sync = true;
    RETURN_IF_ERROR(FromRocks(
        db->Put(sync, kVersionKey, std::to_string(kProjectionVersion)),
        "writing the projection version"));
  } else {
    // Another version (or a store that never got one) is rebuilt.
    std::string value;
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), kVersionKey, &value);
    if (s.IsNotFound())
      value = "none";
    else
      RETURN_IF_ERROR(FromRocks(s, "reading the projection version"));
    if (value != std::to_string(kProjectionVersion) ||
        !opened.db->has_families()) {
      return absl::FailedPreconditionError(
          absl::StrCat("read models have projection version ", value,
                       ", this build writes ", kProjectionVersion));
    }
  }
  spdlog::info("read models: opened {} (checkpoint {}, {} streams)",
               options.path, opened.checkpoint.value(), opened.changed.size());
  // A reopen never creates the database anew (a directory gone while the
  // service ran is a failure, not an empty store).
  config.db.create_if_missing = false;
  return std::make_unique<RocksReadModelStore>(
      std::move(config), std::move(opened),
      std::max<uint64_t>(1, options.first_day_totals_compaction),
      options.day_cache_bytes, options.ingest_min_entries,
      options.after_day_scan_for_test);
}

}  // namespace detente
