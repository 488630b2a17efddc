// The RocksDB key layout of the event log, format version 5. This header and
// docs/storage-format.md are the contract; changing either needs a new
// format version and a migration (log_db.cc migrates versions 1 to 4).
//
// Every key starts with a one-byte tag. The 'e' keys live in the column
// family "entries", the 'i' keys in "ids", the others in the default one
// (version 1 had them all in the default one). Since version 3 the 'i' keys
// of the latest entries may be missing, and since version 4 their stream
// index too, and the 'h' counts may not include them: the index of the
// entries past 'm' "ids_through" is held in memory (log_index.h) and
// written as sorted files a chunk at a time.
//
//   'm' name                         -> metadata ("format_version" -> "5",
//                                       "ids_through" -> be64(position))
//   'e' be64(position)               -> StoredEntry (storage.proto)
//   'i' uuid(16)                     -> be64(position) kind(1) stream
//   'r' len(1) stream be64(position) -> StreamRun (storage.proto): a run of
//                                       the stream's positions from this
//                                       one (stream_runs.h; version 5)
//   'h' stream                       -> be64(entries in the stream)
//   's' len(1) stream be64(position) -> be64(stream revision): versions 1
//                                       to 4, one key per entry; version 5
//                                       has none (the migration packs them
//                                       into 'r' keys)
//
// be64 is big-endian so that byte order equals numeric order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "common/strong_types.h"
#include "domain/entry.h"
#include "domain/uuid.h"

namespace detente::keys {

inline constexpr uint32_t kFormatVersion = 5;
// Meta name: every entry up to this position has its 'i' key and its place
// in a stream run ('s' key before version 5), and is counted by its
// stream's 'h' key.
inline constexpr absl::string_view kIdsThrough = "ids_through";
inline constexpr char kMetaTag = 'm';
inline constexpr char kEntryTag = 'e';
inline constexpr char kIdTag = 'i';
inline constexpr char kStreamTag = 's';  // versions 1 to 4
inline constexpr char kStreamRunTag = 'r';
inline constexpr char kStreamHeadTag = 'h';

void PutBigEndian64(std::string* out, uint64_t v);
std::optional<uint64_t> GetBigEndian64(absl::string_view in);

std::string MetaKey(absl::string_view name);
std::string EntryKey(Position p);
// The position of an entry key; nullopt if `key` is not one.
std::optional<Position> DecodeEntryKey(absl::string_view key);
std::string IdKey(const Uuid& id);
std::string StreamKey(absl::string_view stream, Position p);
// The same keys written into `out` (replacing its content), for writers that
// reuse one buffer per key.
void SetIdKey(std::string* out, const Uuid& id);
void SetStreamKey(std::string* out, absl::string_view stream, Position p);
// Prefix of all StreamKeys of `stream`.
std::string StreamPrefix(absl::string_view stream);
std::optional<Position> DecodeStreamKeyPosition(absl::string_view key);
std::string StreamHeadKey(absl::string_view stream);
// The key of `stream`'s run whose first entry is at `first`, written into
// `out` (replacing its content); keys of one stream order by position.
void SetStreamRunKey(std::string* out, absl::string_view stream,
                     Position first);
std::string StreamRunKey(absl::string_view stream, Position first);
struct StreamRunKeyParts {
  absl::string_view stream;  // a view into the key
  Position first;
};
std::optional<StreamRunKeyParts> DecodeStreamRunKey(absl::string_view key);

// The value of an 'i' key.
struct IdValue {
  Position position;
  EntryKind kind = EntryKind::kEvent;
  std::string stream;
};
std::string EncodeIdValue(const IdValue& v);
// The same value written into `out` (replacing its content).
void SetIdValue(std::string* out, Position position, EntryKind kind,
                absl::string_view stream);
std::optional<IdValue> DecodeIdValue(absl::string_view in);

}  // namespace detente::keys
