#include "eventlog/log_index.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table_properties.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <iterator>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "eventlog/log_db.h"
#include "eventlog/record_codec.h"
#include "eventlog/rocks_status.h"
#include "eventlog/stream_runs.h"
#include "eventlog/table_ingest.h"
#include "spdlog/spdlog.h"

namespace detente {
namespace {

// The index's table files: id-index-<through>-<n>.sst.ingest in the log's
// directory (table_ingest.h).
constexpr absl::string_view kIngestPrefix = "id-index-";

// The ids the family holds: its tables' entries (no id is ever deleted)
// and its memtables' (a migration writes through them); RocksDB's
// estimate-num-keys only when the tables' properties cannot be read.
uint64_t CountIds(LogDb& db) {
  uint64_t n = 0;
  rocksdb::TablePropertiesCollection tables;
  if (db.db().GetPropertiesOfAllTables(db.ids(), &tables).ok()) {
    for (const auto& [file, props] : tables) {
      n += props->num_entries -
           std::min(props->num_entries, props->num_deletions);
    }
  } else if (!db.db().GetIntProperty(db.ids(), "rocksdb.estimate-num-keys",
                                     &n)) {
    n = 0;
  }
  for (const char* memtables : {"rocksdb.num-entries-active-mem-table",
                                "rocksdb.num-entries-imm-mem-tables"}) {
    uint64_t m = 0;
    if (db.db().GetIntProperty(db.ids(), memtables, &m)) n += m;
  }
  return n;
}

}  // namespace

absl::StatusOr<uint64_t> ReadIdsThrough(LogDb& db) {
  std::string value;
  rocksdb::Status s = db.db().Get(rocksdb::ReadOptions(), db.meta(),
                                  keys::MetaKey(keys::kIdsThrough), &value);
  if (s.IsNotFound()) return 0;  // a new log: every id is in its entries
  RETURN_IF_ERROR(FromRocks(s, "reading the id index's mark"));
  std::optional<uint64_t> through = keys::GetBigEndian64(value);
  if (!through) return absl::DataLossError("corrupt id index mark");
  return *through;
}

// Everything is read into new tables first: after a failure the index is
// as it was.
absl::Status LogIndex::Load(LogDb& db) {
  {
    // Whatever happens below, the filter (of the database before) is not
    // used until it is filled again.
    std::lock_guard lock(mu_);
    filter_ready_ = false;
    filter_pending_.store(true, std::memory_order_release);
  }
  RemoveTableFilesLeftOver(db.db(), kIngestPrefix);
  ASSIGN_OR_RETURN(const uint64_t mark, ReadIdsThrough(db));
  Streams streams;
  Map ids;
  Tails tails;
  uint64_t through = mark;
  std::unique_ptr<rocksdb::Iterator> it(
      db.db().NewIterator(rocksdb::ReadOptions(), db.entries()));
  RecordView v;
  for (it->Seek(keys::EntryKey(Position(mark + 1))); it->Valid(); it->Next()) {
    std::optional<Position> p =
        keys::DecodeEntryKey({it->key().data(), it->key().size()});
    if (!p) return absl::DataLossError("malformed key in the log");
    RETURN_IF_ERROR(
        DecodeRecordView({it->value().data(), it->value().size()}, &v));
    absl::StatusOr<Uuid> id = Uuid::FromBytes(v.event_id);
    if (!id.ok()) {
      return absl::DataLossError(absl::StrCat("the entry at position ",
                                              p->value(), " has no valid id"));
    }
    const uint32_t stream = streams.Intern(v.stream);
    ids[*id] = Slot{p->value(), stream, static_cast<EntryKind>(v.kind)};
    tails[stream].Add(p->value(), v.stream_revision);
    through = p->value();
  }
  RETURN_IF_ERROR(FromRocks(it->status(),
                            "reading the entries past the id "
                            "index's mark"));
  if (!ids.empty()) {
    spdlog::info(
        "event log: the index of entries {}..{} read back into memory ({} "
        "ids)",
        mark + 1, through, ids.size());
  }
  // The filter's base has room for the ids the family holds (its fill) and
  // an eighth more; the ids added later go to filters after it, which grow.
  const uint64_t in_family = CountIds(db);
  std::lock_guard lock(mu_);
  filter_.Reset(in_family + in_family / 8);  // not ready since the start
  for (const auto& [id, slot] : ids) filter_.Insert(id);
  filter_cursor_.clear();
  streams_ = std::move(streams);
  active_ = std::move(ids);
  active_streams_ = std::move(tails);
  active_through_ = through;
  frozen_ = Map();
  frozen_streams_ = Tails();
  frozen_through_ = 0;
  return absl::OkStatus();
}

void LogIndex::RaiseStreamCounts(
    absl::flat_hash_map<std::string, uint64_t>& counts) const {
  std::lock_guard lock(mu_);
  for (const Tails* tails : {&frozen_streams_, &active_streams_}) {
    for (const auto& [stream, tail] : *tails) {
      uint64_t& count = counts[streams_.names[stream]];
      count = std::max(count, tail.first + tail.positions.size());
    }
  }
}

std::vector<uint64_t> LogIndex::StreamPositions(absl::string_view stream,
                                                uint64_t lo, uint64_t hi,
                                                bool backward,
                                                size_t limit) const {
  std::vector<uint64_t> out;
  std::lock_guard lock(mu_);
  auto name = streams_.index.find(stream);
  if (name == streams_.index.end() || lo > hi) return out;
  // Frozen positions are all below the active ones.
  std::array<const std::vector<uint64_t>*, 2> parts{};
  size_t n = 0;
  for (const Tails* tails : {&frozen_streams_, &active_streams_}) {
    auto it = tails->find(name->second);
    if (it != tails->end()) parts[n++] = &it->second.positions;
  }
  if (backward) std::reverse(parts.begin(), parts.begin() + n);
  for (size_t k = 0; k < n && out.size() < limit; ++k) {
    const std::vector<uint64_t>& v = *parts[k];
    auto first = std::lower_bound(v.begin(), v.end(), lo);
    auto last = std::upper_bound(first, v.end(), hi);
    const size_t take =
        std::min<size_t>(limit - out.size(), static_cast<size_t>(last - first));
    if (backward) {
      out.insert(out.end(), std::make_reverse_iterator(last),
                 std::make_reverse_iterator(last - take));
    } else {
      out.insert(out.end(), first, first + take);
    }
  }
  return out;
}

uint32_t LogIndex::Streams::Intern(absl::string_view stream) {
  auto [it, inserted] = index.try_emplace(std::string(stream),
                                          static_cast<uint32_t>(names.size()));
  if (inserted) names.emplace_back(stream);
  return it->second;
}

std::optional<keys::IdValue> LogIndex::FindInMemory(const Uuid& id) const {
  auto it = active_.find(id);
  if (it == active_.end()) {
    it = frozen_.find(id);
    if (it == frozen_.end()) return std::nullopt;
  }
  const Slot& s = it->second;
  return keys::IdValue{Position(s.position), s.kind, streams_.names[s.stream]};
}

// Memory first: an id leaves memory only after its file is ingested, so one
// that is not found there and then not found in the family either was not
// in the index when the lookup began.
absl::StatusOr<std::optional<keys::IdValue>> LogIndex::Get(
    LogDb& db, const Uuid& id) const {
  {
    std::lock_guard lock(mu_);
    if (std::optional<keys::IdValue> v = FindInMemory(id)) return v;
    if (filter_ready_ && !filter_.MayContain(id)) return std::nullopt;
  }
  family_lookups_.fetch_add(1, std::memory_order_relaxed);
  std::string value;
  rocksdb::Status s =
      db.db().Get(rocksdb::ReadOptions(), db.ids(), keys::IdKey(id), &value);
  if (s.IsNotFound()) return std::nullopt;
  RETURN_IF_ERROR(FromRocks(s, "reading the id index"));
  std::optional<keys::IdValue> v = keys::DecodeIdValue(value);
  if (!v) return absl::DataLossError("corrupt id index entry");
  return v;
}

absl::Status LogIndex::GetMany(
    LogDb& db, std::vector<std::pair<Uuid, size_t>>& ids,
    std::vector<std::optional<keys::IdValue>>& out) const {
  {
    std::lock_guard lock(mu_);
    if (!active_.empty() || !frozen_.empty()) {
      auto found = [&](const std::pair<Uuid, size_t>& id) {
        std::optional<keys::IdValue> v = FindInMemory(id.first);
        if (!v) return false;
        out[id.second] = std::move(v);
        return true;
      };
      ids.erase(std::remove_if(ids.begin(), ids.end(), found), ids.end());
    }
    if (filter_ready_) filter_.RemoveAbsent(ids);  // keeps their order
  }
  if (ids.empty()) return absl::OkStatus();
  family_lookups_.fetch_add(ids.size(), std::memory_order_relaxed);
  // The 'i' keys in key (= id byte) order; the committer's come sorted.
  if (!std::is_sorted(ids.begin(), ids.end())) std::sort(ids.begin(), ids.end());
  std::vector<std::array<char, 17>> keys(ids.size());
  std::vector<rocksdb::Slice> key_slices;
  key_slices.reserve(ids.size());
  for (size_t j = 0; j < ids.size(); ++j) {
    keys[j][0] = keys::kIdTag;
    std::memcpy(keys[j].data() + 1, ids[j].first.bytes().data(), 16);
    key_slices.emplace_back(keys[j].data(), keys[j].size());
  }
  std::vector<rocksdb::PinnableSlice> values(ids.size());
  std::vector<rocksdb::Status> statuses(ids.size());
  db.db().MultiGet(rocksdb::ReadOptions(), db.ids(), ids.size(),
                   key_slices.data(), values.data(), statuses.data(),
                   /*sorted_input=*/true);
  for (size_t j = 0; j < ids.size(); ++j) {
    if (statuses[j].IsNotFound()) continue;
    RETURN_IF_ERROR(FromRocks(statuses[j], "reading the id index"));
    std::optional<keys::IdValue> v =
        keys::DecodeIdValue({values[j].data(), values[j].size()});
    if (!v) return absl::DataLossError("corrupt id index entry");
    out[ids[j].second] = std::move(v);
  }
  return absl::OkStatus();
}

size_t LogIndex::Add(const std::vector<Added>& entries) {
  std::lock_guard lock(mu_);
  filter_.InsertAll(entries,
                    [](const Added& a) -> const Uuid& { return a.id; });
  for (const Added& a : entries) {
    const uint32_t stream = streams_.Intern(a.stream);
    active_.insert_or_assign(a.id, Slot{a.position, stream, a.kind});
    active_streams_[stream].Add(a.position, a.revision);
    active_through_ = std::max(active_through_, a.position);
  }
  return active_.size();
}

absl::StatusOr<bool> LogIndex::FillFilter(LogDb& db, size_t max_ids) {
  if (!filter_pending()) return true;
  IdFilter* base;
  {
    std::lock_guard lock(mu_);
    base = &filter_.base();  // stable until the next Load
  }
  rocksdb::ReadOptions read;
  read.fill_cache = false;  // one pass: the cache keeps what lookups read
  std::unique_ptr<rocksdb::Iterator> it(db.db().NewIterator(read, db.ids()));
  if (filter_cursor_.empty()) {
    it->SeekToFirst();
  } else {
    it->Seek(filter_cursor_);
    if (it->Valid() && it->key() == filter_cursor_) it->Next();
  }
  size_t n = 0;
  for (; it->Valid() && n < max_ids; it->Next(), ++n) {
    const rocksdb::Slice key = it->key();
    absl::StatusOr<Uuid> id =
        key.size() == 17 && key[0] == keys::kIdTag
            ? Uuid::FromBytes(absl::string_view(key.data() + 1, 16))
            : absl::DataLossError("malformed key in the id index");
    if (!id.ok()) return id.status();
    base->Insert(*id);
    if (n + 1 == max_ids) filter_cursor_.assign(key.data(), key.size());
  }
  RETURN_IF_ERROR(
      FromRocks(it->status(), "reading the id index into its filter"));
  if (it->Valid()) return false;  // the next call goes on from the cursor
  std::lock_guard lock(mu_);
  filter_ready_ = true;
  filter_pending_.store(false, std::memory_order_release);
  spdlog::info("event log: the id filter holds the id index ({} MiB)",
               filter_.bytes() >> 20);
  return true;
}

size_t LogIndex::waiting() const {
  std::lock_guard lock(mu_);
  return active_.size();
}

size_t LogIndex::in_memory() const {
  std::lock_guard lock(mu_);
  return active_.size() + frozen_.size();
}

uint64_t LogIndex::memory_bytes() const {
  static_assert(sizeof(Map::value_type) == 32);
  std::lock_guard lock(mu_);
  // A flat table's slot and its control byte per bucket.
  constexpr uint64_t kPerBucket = sizeof(Map::value_type) + 1;
  uint64_t streams = 0;
  for (const std::string& s : streams_.names) {
    streams += sizeof(s) + s.capacity();
  }
  uint64_t positions = 0;
  for (const Tails* tails : {&frozen_streams_, &active_streams_}) {
    positions += tails->capacity() * (sizeof(Tails::value_type) + 1);
    for (const auto& [stream, tail] : *tails) {
      positions += tail.positions.capacity() * sizeof(uint64_t);
    }
  }
  return (active_.capacity() + frozen_.capacity()) * kPerBucket + streams +
         streams_.index.capacity() * (sizeof(std::string) + 8) + positions;
}

uint64_t LogIndex::filter_bytes() const {
  std::lock_guard lock(mu_);
  return filter_.bytes();
}

absl::Status LogIndex::Ingest(LogDb& db, std::mutex& writes,
                              std::atomic<bool>& broken) {
  std::vector<std::string> streams;  // a copy: Add may grow streams_
  {
    std::lock_guard lock(mu_);
    if (frozen_.empty() && frozen_streams_.empty()) {
      // else: a failed ingestion's entries, first
      if (active_.empty() && active_streams_.empty()) return absl::OkStatus();
      // All of it: the stream runs rely on it (log_index.h).
      std::swap(frozen_, active_);
      std::swap(frozen_streams_, active_streams_);
      frozen_through_ = active_through_;
    }
    streams = streams_.names;
  }
  // 1. The keys of each table file in key order. Only this thread changes
  // frozen_ and frozen_streams_ now, so they are read without the lock.
  // The ids are copied out of the table and compared as two big-endian
  // words: sorting pointers into it cost a cache miss and a memcmp call
  // per comparison, 5% of a bulk load's CPU (docs/benchmarks.md, round 18).
  struct IdRow {
    uint64_t high, low;  // the id's bytes, big-endian: their byte order
    Slot slot;
  };
  std::vector<IdRow> ids;
  ids.reserve(frozen_.size());
  for (const auto& [id, slot] : frozen_) {
    const absl::string_view bytes(
        reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size());
    ids.push_back({*keys::GetBigEndian64(bytes),
                   *keys::GetBigEndian64(bytes.substr(8)), slot});
  }
  std::sort(ids.begin(), ids.end(), [](const IdRow& a, const IdRow& b) {
    return a.high != b.high ? a.high < b.high : a.low < b.low;
  });
  // 'h' stream: by the stream's bytes.
  std::vector<const Tails::value_type*> heads;
  heads.reserve(frozen_streams_.size());
  for (const auto& kv : frozen_streams_) heads.push_back(&kv);
  std::sort(heads.begin(), heads.end(),
            [&](const Tails::value_type* a, const Tails::value_type* b) {
              return streams[a->first] < streams[b->first];
            });
  // 'r' len(1) stream be64(position): by length, then bytes, then position
  // (each stream's runs in position order: PutStreamRuns).
  std::vector<const Tails::value_type*> by_length = heads;
  std::stable_sort(by_length.begin(), by_length.end(),
                   [&](const Tails::value_type* a, const Tails::value_type* b) {
                     return streams[a->first].size() < streams[b->first].size();
                   });
  // Each file's keys are written on a thread of their own (IngestTables):
  // the three share nothing but what is read here.
  auto put = [](rocksdb::SstFileWriter& file, const std::string& key,
                const std::string& value) -> absl::Status {
    return FromRocks(file.Put(key, value), "writing an index file");
  };
  // 2. The files, ingested together after a sync of the write-ahead log
  // (the entries before their index: a no-op in sync durability), under
  // `writes` and unless `broken`. The 'h' and 'r' files are two: one would
  // span the 'm' keys in the memtable and force a flush.
  const std::vector<TableWrites> tables = {
      {db.ids(),
       [&](rocksdb::SstFileWriter& file) -> absl::StatusOr<uint64_t> {
         std::string key, value;
         for (const IdRow& row : ids) {
           key.assign(1, keys::kIdTag);
           keys::PutBigEndian64(&key, row.high);
           keys::PutBigEndian64(&key, row.low);
           keys::SetIdValue(&value, Position(row.slot.position), row.slot.kind,
                            streams[row.slot.stream]);
           RETURN_IF_ERROR(put(file, key, value));
         }
         return ids.size();
       }},
      {db.meta(),
       [&](rocksdb::SstFileWriter& file) -> absl::StatusOr<uint64_t> {
         std::string key, value;
         for (const Tails::value_type* kv : heads) {
           const StreamTail& tail = kv->second;
           key = keys::StreamHeadKey(streams[kv->first]);
           value.clear();
           keys::PutBigEndian64(&value, tail.first + tail.positions.size());
           RETURN_IF_ERROR(put(file, key, value));
         }
         return heads.size();
       }},
      {db.meta(),
       [&](rocksdb::SstFileWriter& file) -> absl::StatusOr<uint64_t> {
         uint64_t n = 0;
         for (const Tails::value_type* kv : by_length) {
           const StreamTail& tail = kv->second;
           RETURN_IF_ERROR(PutStreamRuns(
               streams[kv->first], tail.first, tail.positions,
               [&](const std::string& key, const std::string& value) {
                 ++n;
                 return put(file, key, value);
               }));
         }
         return n;
       }},
  };
  RETURN_IF_ERROR(IngestTables(db.db(),
                               absl::StrCat(kIngestPrefix, frozen_through_),
                               tables, {.writes = &writes, .broken = &broken}));
  // 3. The mark, after the keys it covers. A crash between the two leaves
  // the keys in the database and in memory again after Load: harmless.
  std::string mark;
  keys::PutBigEndian64(&mark, frozen_through_);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  {
    std::lock_guard write_lock(writes);
    if (broken) {
      return absl::UnavailableError(
          "not marking the index: a write to the log failed (until it "
          "reopens)");
    }
    rocksdb::Status s =
        db.db().Put(sync, db.meta(), keys::MetaKey(keys::kIdsThrough), mark);
    // A failed write of the mark breaks the log like a failed commit: its
    // write-ahead log must not be synced again before a reopen.
    if (!s.ok()) broken = true;
    RETURN_IF_ERROR(FromRocks(s, "writing the index's mark"));
  }
  std::lock_guard lock(mu_);
  frozen_ = Map();
  frozen_streams_ = Tails();
  return absl::OkStatus();
}

}  // namespace detente
