#include "eventlog/verify.h"

#include <rocksdb/db.h>

#include <algorithm>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "eventlog/keys.h"
#include "eventlog/log_db.h"
#include "eventlog/log_index.h"
#include "eventlog/record_codec.h"
#include "eventlog/rocks_status.h"

namespace detente {
namespace {

class Walker {
 public:
  explicit Walker(LogDb& db) : log_db_(db), db_(db.db()) {}

  absl::StatusOr<VerifyReport> Run() {
    RETURN_IF_ERROR(CheckFormat());
    RETURN_IF_ERROR(WalkEntries());
    RETURN_IF_ERROR(
        CountIndex(log_db_.ids(), keys::kIdTag, "id index", ids_found_));
    RETURN_IF_ERROR(CountIndex(log_db_.meta(), keys::kStreamTag, "stream index",
                               streams_found_));
    RETURN_IF_ERROR(CheckStreamHeads());
    report_.streams = revisions_.size();
    return std::move(report_);
  }

 private:
  template <typename... Args>
  void Problem(const Args&... args) {
    ++report_.problem_count;
    if (report_.problems.size() < 100) {
      report_.problems.push_back(absl::StrCat(args...));
    }
  }

  absl::Status CheckFormat() {
    std::string v;
    rocksdb::Status s = db_.Get(rocksdb::ReadOptions(),
                                keys::MetaKey("format_version"), &v);
    if (s.IsNotFound()) {
      Problem("no format version");
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(FromRocks(s, "reading the format version"));
    // Versions 1 (every key in the default column family) and 2 (every
    // 'i' key written with its entry) are sound too: detente-ingest
    // migrates them when it opens them.
    if (v == "1" || v == "2") return absl::OkStatus();
    if (v != "3" && v != std::to_string(keys::kFormatVersion)) {
      Problem("format version ", v, ", expected 1 to ", keys::kFormatVersion);
      return absl::OkStatus();
    }
    // Version 3: the 'i' keys of entries past the mark may be missing
    // (they were in memory), or written already by an ingestion whose mark
    // a crash cut off. Version 4: their 's' keys too, and the 'h' counts
    // may count only the entries up to the mark, or up to such an
    // ingestion.
    absl::StatusOr<uint64_t> through = ReadIdsThrough(log_db_);
    if (!through.ok() &&
        through.status().code() != absl::StatusCode::kDataLoss) {
      return through.status();
    }
    if (!through.ok()) {
      // One problem, not one per entry: the keys are checked as if the
      // mark were 0.
      Problem("the index's mark is malformed");
    }
    ids_through_ = through.value_or(0);
    if (v != "3") streams_through_ = ids_through_;
    return absl::OkStatus();
  }

  absl::Status WalkEntries() {
    const std::string prefix(1, keys::kEntryTag);
    std::unique_ptr<rocksdb::Iterator> it(
        db_.NewIterator(rocksdb::ReadOptions(), log_db_.entries()));
    uint64_t expected = 1;
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
         it->Next()) {
      std::optional<Position> p =
          keys::DecodeEntryKey({it->key().data(), it->key().size()});
      if (!p) {
        Problem("malformed entry key");
        continue;
      }
      if (p->value() != expected) {
        Problem("gap: expected position ", expected, ", found ", p->value());
      }
      expected = p->value() + 1;
      ++report_.entries;
      report_.head = p->value();
      absl::StatusOr<RecordedEntry> e =
          DecodeRecord(*p, {it->value().data(), it->value().size()});
      if (!e.ok()) {
        Problem(e.status().message());
        continue;
      }
      RETURN_IF_ERROR(CheckEntry(*e));
    }
    return FromRocks(it->status(), "walking the log");
  }

  absl::Status CheckEntry(const RecordedEntry& e) {
    const uint64_t pos = e.position.value();
    uint64_t& next_rev = revisions_[e.stream];
    if (e.stream_revision.value() != next_rev) {
      Problem("position ", pos, ": stream ", e.stream, " revision ",
              e.stream_revision.value(), ", expected ", next_rev);
    }
    next_rev = e.stream_revision.value() + 1;
    if (pos <= streams_through_) revisions_at_mark_[e.stream] = next_rev;
    std::string v;
    rocksdb::Status s = db_.Get(rocksdb::ReadOptions(),
                                keys::StreamKey(e.stream, e.position), &v);
    if (s.IsNotFound()) {
      if (pos <= streams_through_) {
        Problem("position ", pos, ": missing from the stream index");
      }
    } else {
      RETURN_IF_ERROR(FromRocks(s, "reading the stream index"));
      ++streams_found_;
      revisions_indexed_[e.stream] = next_rev;
      if (keys::GetBigEndian64(v).value_or(UINT64_MAX) !=
          e.stream_revision.value()) {
        Problem("position ", pos, ": stream index revision disagrees");
      }
    }
    s = db_.Get(rocksdb::ReadOptions(), log_db_.ids(),
                keys::IdKey(e.entry.event_id), &v);
    if (s.IsNotFound()) {
      if (pos <= ids_through_) {
        Problem("position ", pos, ": event_id ", e.entry.event_id.ToString(),
                " missing from the id index");
      }
    } else {
      RETURN_IF_ERROR(FromRocks(s, "reading the id index"));
      ++ids_found_;
      std::optional<keys::IdValue> id = keys::DecodeIdValue(v);
      if (!id || id->position != e.position || id->kind != e.entry.kind ||
          id->stream != e.stream) {
        Problem("position ", pos, ": id index entry of ",
                e.entry.event_id.ToString(), " disagrees (duplicate id?)");
      }
    }
    if (e.entry.kind != EntryKind::kEvent) {
      auto it = kinds_.find(e.entry.subject_event_id);
      if (it == kinds_.end() || it->second.first != EntryKind::kEvent) {
        Problem("position ", pos, ": subject ",
                e.entry.subject_event_id.ToString(),
                " is not an earlier event");
      } else if (e.subject_position.value() != 0 &&
                 e.subject_position != it->second.second) {
        Problem("position ", pos, ": subject_position ",
                e.subject_position.value(), ", but the subject is at ",
                it->second.second.value());
      }
    }
    auto [it, inserted] =
        kinds_.try_emplace(e.entry.event_id, e.entry.kind, e.position);
    if (!inserted) {
      Problem("position ", pos, ": event_id ", e.entry.event_id.ToString(),
              " is also at position ", it->second.second.value());
    }
    return absl::OkStatus();
  }

  // The index has exactly `expected` keys.
  absl::Status CountIndex(rocksdb::ColumnFamilyHandle* family, char tag,
                          absl::string_view name, uint64_t expected) {
    const std::string prefix(1, tag);
    std::unique_ptr<rocksdb::Iterator> it(
        db_.NewIterator(rocksdb::ReadOptions(), family));
    uint64_t n = 0;
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
         it->Next()) {
      ++n;
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "counting an index"));
    if (n != expected) {
      Problem(name, " has ", n, " keys for ", expected, " entries");
    }
    return absl::OkStatus();
  }

  absl::Status CheckStreamHeads() {
    const std::string prefix(1, keys::kStreamHeadTag);
    std::unique_ptr<rocksdb::Iterator> it(
        db_.NewIterator(rocksdb::ReadOptions()));
    uint64_t heads_at_mark = 0;
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
         it->Next()) {
      std::string stream(it->key().data() + 1, it->key().size() - 1);
      uint64_t count =
          keys::GetBigEndian64({it->value().data(), it->value().size()})
              .value_or(UINT64_MAX);
      // Up to the mark at least (version 4), and every entry whose 's' key
      // is there (the 'h' and 's' files are ingested together), at most
      // all of the log.
      auto r = revisions_.find(stream);
      const uint64_t all = r == revisions_.end() ? 0 : r->second;
      auto m = revisions_at_mark_.find(stream);
      auto indexed = revisions_indexed_.find(stream);
      const uint64_t at_mark =
          std::max(m == revisions_at_mark_.end() ? 0 : m->second,
                   indexed == revisions_indexed_.end() ? 0 : indexed->second);
      if (count < at_mark || count > all) {
        Problem("stream head of ", stream, " says ", count,
                " entries, log has ", all,
                at_mark == all
                    ? ""
                    : absl::StrCat(" (at least ", at_mark, " expected)"));
      }
      if (m != revisions_at_mark_.end()) ++heads_at_mark;
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "reading stream heads"));
    if (heads_at_mark != revisions_at_mark_.size()) {
      Problem(revisions_at_mark_.size() - heads_at_mark, " of ",
              revisions_at_mark_.size(),
              " streams with entries up to the mark have no stream head");
    }
    return absl::OkStatus();
  }

  LogDb& log_db_;
  rocksdb::DB& db_;
  VerifyReport report_;
  // Entries up to this position must have their 'i' key (all, before
  // version 3).
  uint64_t ids_through_ = UINT64_MAX;
  // Entries whose 'i' key was found: the id index's expected key count.
  uint64_t ids_found_ = 0;
  // The same for the 's' keys (all, before version 4).
  uint64_t streams_through_ = UINT64_MAX;
  uint64_t streams_found_ = 0;
  // Each stream's entry count: in the whole log, and up to streams_through_.
  absl::flat_hash_map<std::string, uint64_t> revisions_;
  absl::flat_hash_map<std::string, uint64_t> revisions_at_mark_;
  // And up to its last entry with an 's' key.
  absl::flat_hash_map<std::string, uint64_t> revisions_indexed_;
  absl::flat_hash_map<Uuid, std::pair<EntryKind, Position>> kinds_;
};

}  // namespace

absl::StatusOr<VerifyReport> VerifyRocksEventLog(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<LogDb> db,
                   OpenLogDb(MakeLogDbOptions(8u << 20, nullptr), path,
                             LogDbMode::kReadOnly));
  return Walker(*db).Run();
}

}  // namespace detente
