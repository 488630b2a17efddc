#include "projections/pair_version.h"

#include <cstring>

#include "eventlog/keys.h"

namespace detente {

// Layout: be64 original, be64 superseded_at, u8 flags (bit0 retracted_end,
// bit1 reversed, bits 2-4 quad), f64 goldstein (bit pattern, be64), be32
// weight, u8 tag count, then per tag u8 length + bytes.
std::string EncodePairVersionValue(const PairVersion& v) {
  std::string out;
  keys::PutBigEndian64(&out, v.original_position.value());
  keys::PutBigEndian64(&out, v.superseded_at.value());
  out.push_back(static_cast<char>((v.retracted_end ? 1 : 0) |
                                  (v.reversed ? 2 : 0) |
                                  (static_cast<int>(v.quad) << 2)));
  uint64_t bits;
  std::memcpy(&bits, &v.goldstein, sizeof bits);
  keys::PutBigEndian64(&out, bits);
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v.weight >> shift) & 0xff));
  }
  out.push_back(static_cast<char>(v.tags.size()));
  for (const std::string& t : v.tags) {
    out.push_back(static_cast<char>(t.size()));
    out.append(t);
  }
  return out;
}

bool DecodePairVersionValue(absl::string_view in, PairVersion* v) {
  if (in.size() < 30) return false;
  v->original_position = Position(*keys::GetBigEndian64(in));
  v->superseded_at = Position(*keys::GetBigEndian64(in.substr(8)));
  const uint8_t flags = static_cast<uint8_t>(in[16]);
  v->retracted_end = flags & 1;
  v->reversed = flags & 2;
  v->quad = static_cast<QuadClass>((flags >> 2) & 7);
  uint64_t bits = *keys::GetBigEndian64(in.substr(17));
  std::memcpy(&v->goldstein, &bits, sizeof bits);
  v->weight = 0;
  for (int i = 25; i < 29; ++i) v->weight = (v->weight << 8) | uint8_t(in[i]);
  const size_t count = static_cast<uint8_t>(in[29]);
  size_t at = 30;
  v->tags.clear();
  for (size_t i = 0; i < count; ++i) {
    if (at >= in.size()) return false;
    size_t len = static_cast<uint8_t>(in[at++]);
    if (at + len > in.size()) return false;
    v->tags.emplace_back(in.substr(at, len));
    at += len;
  }
  return at == in.size();
}

}  // namespace detente
