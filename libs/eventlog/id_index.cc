#include "eventlog/id_index.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "eventlog/log_db.h"
#include "eventlog/record_codec.h"
#include "eventlog/rocks_status.h"
#include "spdlog/spdlog.h"

namespace detente {
namespace {

// A table file being written for ingestion, in the log's directory (so that
// the ingestion moves it by a hard link). RocksDB ignores files it did not
// name; Load removes one a crash left behind.
constexpr absl::string_view kIngestPrefix = "id-index-";
constexpr absl::string_view kIngestSuffix = ".sst.ingest";

std::string IngestPath(const std::string& dir, uint64_t through) {
  return absl::StrCat(dir, "/", kIngestPrefix, through, kIngestSuffix);
}

// Through the database's environment, like every other change to its
// directory.
void RemoveIngestFiles(rocksdb::Env& env, const std::string& dir) {
  std::vector<std::string> names;
  if (!env.GetChildren(dir, &names).ok()) return;
  for (const std::string& name : names) {
    if (absl::StartsWith(name, kIngestPrefix) &&
        absl::EndsWith(name, kIngestSuffix)) {
      env.DeleteFile(absl::StrCat(dir, "/", name)).PermitUncheckedError();
    }
  }
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
absl::Status IdIndex::Load(LogDb& db, const std::string& dir) {
  RemoveIngestFiles(*db.db().GetEnv(), dir);
  ASSIGN_OR_RETURN(const uint64_t mark, ReadIdsThrough(db));
  Streams streams;
  Map ids;
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
    ids[*id] = Slot{p->value(), streams.Intern(v.stream),
                    static_cast<EntryKind>(v.kind)};
    through = p->value();
  }
  RETURN_IF_ERROR(FromRocks(it->status(),
                            "reading the entries past the id "
                            "index's mark"));
  if (!ids.empty()) {
    spdlog::info("event log: {} ids of entries {}..{} read back into memory",
                 ids.size(), mark + 1, through);
  }
  std::lock_guard lock(mu_);
  streams_ = std::move(streams);
  active_ = std::move(ids);
  active_through_ = through;
  frozen_ = Map();
  frozen_through_ = 0;
  return absl::OkStatus();
}

uint32_t IdIndex::Streams::Intern(absl::string_view stream) {
  auto [it, inserted] = index.try_emplace(std::string(stream),
                                          static_cast<uint32_t>(names.size()));
  if (inserted) names.emplace_back(stream);
  return it->second;
}

std::optional<keys::IdValue> IdIndex::FindInMemory(const Uuid& id) const {
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
absl::StatusOr<std::optional<keys::IdValue>> IdIndex::Get(
    LogDb& db, const Uuid& id) const {
  {
    std::lock_guard lock(mu_);
    if (std::optional<keys::IdValue> v = FindInMemory(id)) return v;
  }
  std::string value;
  rocksdb::Status s =
      db.db().Get(rocksdb::ReadOptions(), db.ids(), keys::IdKey(id), &value);
  if (s.IsNotFound()) return std::nullopt;
  RETURN_IF_ERROR(FromRocks(s, "reading the id index"));
  std::optional<keys::IdValue> v = keys::DecodeIdValue(value);
  if (!v) return absl::DataLossError("corrupt id index entry");
  return v;
}

absl::Status IdIndex::GetMany(
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
  }
  if (ids.empty()) return absl::OkStatus();
  // The 'i' keys in key (= id byte) order.
  std::sort(ids.begin(), ids.end());
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

size_t IdIndex::Add(const std::vector<Added>& ids) {
  std::lock_guard lock(mu_);
  for (const Added& a : ids) {
    active_.insert_or_assign(
        a.id, Slot{a.position, streams_.Intern(a.stream), a.kind});
    active_through_ = std::max(active_through_, a.position);
  }
  return active_.size();
}

size_t IdIndex::waiting() const {
  std::lock_guard lock(mu_);
  return active_.size();
}

size_t IdIndex::in_memory() const {
  std::lock_guard lock(mu_);
  return active_.size() + frozen_.size();
}

uint64_t IdIndex::memory_bytes() const {
  static_assert(sizeof(Map::value_type) == 32);
  std::lock_guard lock(mu_);
  // A flat table's slot and its control byte per bucket.
  constexpr uint64_t kPerBucket = sizeof(Map::value_type) + 1;
  uint64_t streams = 0;
  for (const std::string& s : streams_.names) {
    streams += sizeof(s) + s.capacity();
  }
  return (active_.capacity() + frozen_.capacity()) * kPerBucket + streams +
         streams_.index.capacity() * (sizeof(std::string) + 8);
}

absl::Status IdIndex::Ingest(LogDb& db, const std::string& dir,
                             std::mutex& writes, std::atomic<bool>& broken) {
  std::vector<std::string> streams;  // a copy: Add may grow streams_
  {
    std::lock_guard lock(mu_);
    if (frozen_.empty()) {  // else: a failed ingestion's ids, first
      if (active_.empty()) return absl::OkStatus();
      std::swap(frozen_, active_);
      frozen_through_ = active_through_;
    }
    streams = streams_.names;
  }
  // 1. One table file of the ids, in key order. Only this thread changes
  // frozen_ now, so it is read without the lock.
  std::vector<const Map::value_type*> sorted;
  sorted.reserve(frozen_.size());
  for (const auto& kv : frozen_) sorted.push_back(&kv);
  std::sort(sorted.begin(), sorted.end(),
            [](const Map::value_type* a, const Map::value_type* b) {
              return a->first < b->first;
            });
  const rocksdb::Options options = db.db().GetOptions(db.ids());
  const std::string path = IngestPath(dir, frozen_through_);
  absl::Status written = [&]() -> absl::Status {
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(options), options,
                                  db.ids());
    RETURN_IF_ERROR(FromRocks(writer.Open(path), "writing an id index file"));
    std::string key, value;
    for (const Map::value_type* kv : sorted) {
      keys::SetIdKey(&key, kv->first);
      keys::SetIdValue(&value, Position(kv->second.position), kv->second.kind,
                       streams[kv->second.stream]);
      RETURN_IF_ERROR(
          FromRocks(writer.Put(key, value), "writing an id index file"));
    }
    RETURN_IF_ERROR(FromRocks(writer.Finish(), "writing an id index file"));
    // The database's writes from here on: one writer at a time.
    std::lock_guard write_lock(writes);
    if (broken) {
      return absl::UnavailableError(
          "not indexing ids: a write to the log failed (until it reopens)");
    }
    // 2. The entries before their ids (a no-op in sync durability).
    RETURN_IF_ERROR(
        FromRocks(db.db().SyncWAL(), "syncing the log before indexing ids"));
    // 3. Into the family: moved (hard-linked) into the database, durable
    // in its manifest when this returns.
    rocksdb::IngestExternalFileOptions ingest;
    ingest.move_files = true;
    ingest.write_global_seqno = false;
    return FromRocks(db.db().IngestExternalFile(db.ids(), {path}, ingest),
                     "ingesting an id index file");
  }();
  // Gone already when the ingestion moved it; through the database's
  // environment, like every other change to its directory.
  db.db().GetEnv()->DeleteFile(path).PermitUncheckedError();
  RETURN_IF_ERROR(written);
  // 4. The mark, after the ids it covers. A crash between the two leaves
  // the ids in the family and in memory again after Load: harmless.
  std::string mark;
  keys::PutBigEndian64(&mark, frozen_through_);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  {
    std::lock_guard write_lock(writes);
    if (broken) {
      return absl::UnavailableError(
          "not marking ids: a write to the log failed (until it reopens)");
    }
    rocksdb::Status s =
        db.db().Put(sync, db.meta(), keys::MetaKey(keys::kIdsThrough), mark);
    // A failed write of the mark breaks the log like a failed commit: its
    // write-ahead log must not be synced again before a reopen.
    if (!s.ok()) broken = true;
    RETURN_IF_ERROR(FromRocks(s, "writing the id index's mark"));
  }
  std::lock_guard lock(mu_);
  frozen_ = Map();
  return absl::OkStatus();
}

}  // namespace detente
