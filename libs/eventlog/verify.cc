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
#include "eventlog/stream_runs.h"

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
    if (runs_) {
      RETURN_IF_ERROR(CountRuns());
    } else {
      RETURN_IF_ERROR(CountIndex(log_db_.meta(), keys::kStreamTag,
                                 "stream index", streams_found_));
    }
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
    if (v != "3" && v != "4" && v != std::to_string(keys::kFormatVersion)) {
      Problem("format version ", v, ", expected 1 to ", keys::kFormatVersion);
      return absl::OkStatus();
    }
    // Version 3: the 'i' keys of entries past the mark may be missing
    // (they were in memory), or written already by an ingestion whose mark
    // a crash cut off. Version 4: their 's' keys too, and the 'h' counts
    // may count only the entries up to the mark, or up to such an
    // ingestion. Version 5: the same, with runs ('r' keys) for 's' keys.
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
    runs_ = v == std::to_string(keys::kFormatVersion);
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
    std::optional<uint64_t> indexed_revision;
    if (runs_) {
      ASSIGN_OR_RETURN(indexed_revision, FindInRuns(e.stream, pos));
    } else {
      std::string v;
      rocksdb::Status s = db_.Get(rocksdb::ReadOptions(),
                                  keys::StreamKey(e.stream, e.position), &v);
      if (!s.IsNotFound()) {
        RETURN_IF_ERROR(FromRocks(s, "reading the stream index"));
        indexed_revision = keys::GetBigEndian64(v).value_or(UINT64_MAX);
      }
    }
    if (!indexed_revision) {
      if (pos <= streams_through_) {
        Problem("position ", pos, ": missing from the stream index");
      }
    } else {
      ++streams_found_;
      revisions_indexed_[e.stream] = next_rev;
      if (*indexed_revision != e.stream_revision.value()) {
        Problem("position ", pos, ": stream index revision disagrees");
      }
    }
    std::string v;
    rocksdb::Status s = db_.Get(rocksdb::ReadOptions(), log_db_.ids(),
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

  // Version 5: the revision the stream's runs give `pos`, or nullopt when
  // no run holds it. The entries come in position order, so each stream's
  // runs are read in order too, one at a time; a run's positions that the
  // walk passes by without a match name no entry of the stream. (Runs that
  // overlap are CountRuns' to report; a malformed run is skipped.)
  absl::StatusOr<std::optional<uint64_t>> FindInRuns(const std::string& stream,
                                                     uint64_t pos) {
    RunCursor& c = cursors_[stream];
    for (;;) {
      while (c.next < c.run.positions.size() && c.run.positions[c.next] < pos) {
        Problem("stream index of ", stream, " names position ",
                c.run.positions[c.next], ", not one of its entries");
        ++c.next;
      }
      if (c.next < c.run.positions.size()) {
        if (c.run.positions[c.next] != pos) return std::nullopt;
        return c.run.first_revision + c.next++;
      }
      if (c.done) return std::nullopt;
      // The stream's next run: the first key after the current one's.
      if (!runs_it_) {
        runs_it_.reset(db_.NewIterator(rocksdb::ReadOptions(), log_db_.meta()));
      }
      std::string from = keys::StreamRunKey(stream, Position(c.key));
      if (c.loaded) from.push_back('\0');
      runs_it_->Seek(from);
      RETURN_IF_ERROR(
          FromRocks(runs_it_->status(), "reading the stream index"));
      std::optional<keys::StreamRunKeyParts> parts;
      if (runs_it_->Valid()) {
        parts = keys::DecodeStreamRunKey(
            {runs_it_->key().data(), runs_it_->key().size()});
      }
      c.run.positions.clear();
      c.next = 0;
      if (!parts || parts->stream != stream) {
        c.done = true;
        return std::nullopt;
      }
      c.key = parts->first.value();
      c.loaded = true;
      if (!DecodeStreamRun(c.key,
                           {runs_it_->value().data(), runs_it_->value().size()},
                           &c.run)
               .ok()) {
        c.run.positions.clear();  // CountRuns reports it
      }
    }
  }

  // Version 5: every run is well-formed, and they hold exactly the
  // positions the walk found in them.
  absl::Status CountRuns() {
    const std::string prefix(1, keys::kStreamRunTag);
    std::unique_ptr<rocksdb::Iterator> it(
        db_.NewIterator(rocksdb::ReadOptions(), log_db_.meta()));
    uint64_t n = 0;
    StreamRun run;
    std::string stream;  // of the run before, and its last position
    uint64_t last = 0;
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
         it->Next()) {
      std::optional<keys::StreamRunKeyParts> parts =
          keys::DecodeStreamRunKey({it->key().data(), it->key().size()});
      if (!parts) {
        Problem("malformed key in the stream index");
        continue;
      }
      absl::Status decoded = DecodeStreamRun(
          parts->first.value(), {it->value().data(), it->value().size()}, &run);
      if (!decoded.ok()) {
        Problem("stream index of ", parts->stream, ": ", decoded.message());
        continue;
      }
      if (parts->stream == stream && parts->first.value() <= last) {
        Problem("stream index of ", stream, ": the run at ",
                parts->first.value(), " overlaps the one before");
      }
      stream.assign(parts->stream.data(), parts->stream.size());
      last = run.positions.back();
      n += run.positions.size();
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "counting the stream index"));
    if (n != streams_found_) {
      Problem("stream index has ", n, " positions for ", streams_found_,
              " entries");
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
      // Up to the mark at least (version 4), and every entry whose place
      // in the stream index is there (the 'h' and 'r' files are ingested
      // together), at most
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
  // The same for the stream index ('s' keys, all of them before version
  // 4; runs since version 5).
  uint64_t streams_through_ = UINT64_MAX;
  uint64_t streams_found_ = 0;
  bool runs_ = false;
  struct RunCursor {
    StreamRun run;        // empty after a malformed one
    uint64_t key = 0;     // the position in the run's key
    bool loaded = false;  // a run was read (`key` is its)
    size_t next = 0;      // run.positions[next] is the next to match
    bool done = false;    // no run after it
  };
  absl::flat_hash_map<std::string, RunCursor> cursors_;
  std::unique_ptr<rocksdb::Iterator> runs_it_;
  // Each stream's entry count: in the whole log, and up to streams_through_.
  absl::flat_hash_map<std::string, uint64_t> revisions_;
  absl::flat_hash_map<std::string, uint64_t> revisions_at_mark_;
  // And up to its last entry in the stream index.
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
