#include "eventlog/keys.h"

namespace detente::keys {

void PutBigEndian64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

std::optional<uint64_t> GetBigEndian64(absl::string_view in) {
  if (in.size() < 8) return std::nullopt;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

namespace {

// tag len(1) stream be64(p): the 's' and 'r' keys.
void SetTaggedStreamKey(std::string* out, char tag, absl::string_view stream,
                        Position p) {
  out->assign(1, tag);
  out->push_back(static_cast<char>(stream.size()));
  out->append(stream.data(), stream.size());
  PutBigEndian64(out, p.value());
}

std::optional<StreamRunKeyParts> DecodeTaggedStreamKey(char tag,
                                                       absl::string_view key) {
  if (key.size() < 10 || key[0] != tag) return std::nullopt;
  const size_t len = static_cast<uint8_t>(key[1]);
  if (key.size() != 2 + len + 8) return std::nullopt;
  return StreamRunKeyParts{key.substr(2, len),
                           Position(*GetBigEndian64(key.substr(2 + len)))};
}

}  // namespace

std::string MetaKey(absl::string_view name) {
  std::string k(1, kMetaTag);
  k.append(name.data(), name.size());
  return k;
}

std::string EntryKey(Position p) {
  std::string k(1, kEntryTag);
  PutBigEndian64(&k, p.value());
  return k;
}

std::optional<Position> DecodeEntryKey(absl::string_view key) {
  if (key.size() != 9 || key[0] != kEntryTag) return std::nullopt;
  return Position(*GetBigEndian64(key.substr(1)));
}

void SetIdKey(std::string* out, const Uuid& id) {
  out->assign(1, kIdTag);
  out->append(reinterpret_cast<const char*>(id.bytes().data()),
              id.bytes().size());
}

std::string IdKey(const Uuid& id) {
  std::string k;
  SetIdKey(&k, id);
  return k;
}

std::string StreamPrefix(absl::string_view stream) {
  std::string k(1, kStreamTag);
  k.push_back(static_cast<char>(stream.size()));
  k.append(stream.data(), stream.size());
  return k;
}

void SetStreamKey(std::string* out, absl::string_view stream, Position p) {
  SetTaggedStreamKey(out, kStreamTag, stream, p);
}

std::string StreamKey(absl::string_view stream, Position p) {
  std::string k;
  SetStreamKey(&k, stream, p);
  return k;
}

std::optional<Position> DecodeStreamKeyPosition(absl::string_view key) {
  std::optional<StreamRunKeyParts> parts =
      DecodeTaggedStreamKey(kStreamTag, key);
  if (!parts) return std::nullopt;
  return parts->first;
}

void SetStreamRunKey(std::string* out, absl::string_view stream,
                     Position first) {
  SetTaggedStreamKey(out, kStreamRunTag, stream, first);
}

std::string StreamRunKey(absl::string_view stream, Position first) {
  std::string k;
  SetStreamRunKey(&k, stream, first);
  return k;
}

std::optional<StreamRunKeyParts> DecodeStreamRunKey(absl::string_view key) {
  return DecodeTaggedStreamKey(kStreamRunTag, key);
}

std::string StreamHeadKey(absl::string_view stream) {
  std::string k(1, kStreamHeadTag);
  k.append(stream.data(), stream.size());
  return k;
}

void SetIdValue(std::string* out, Position position, EntryKind kind,
                absl::string_view stream) {
  out->clear();
  PutBigEndian64(out, position.value());
  out->push_back(static_cast<char>(kind));
  out->append(stream.data(), stream.size());
}

std::string EncodeIdValue(const IdValue& v) {
  std::string out;
  SetIdValue(&out, v.position, v.kind, v.stream);
  return out;
}

std::optional<IdValue> DecodeIdValue(absl::string_view in) {
  if (in.size() < 9) return std::nullopt;
  uint8_t kind = static_cast<uint8_t>(in[8]);
  if (kind < 1 || kind > 3) return std::nullopt;
  return IdValue{Position(*GetBigEndian64(in)), static_cast<EntryKind>(kind),
                 std::string(in.substr(9))};
}

}  // namespace detente::keys
