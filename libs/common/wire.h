// Protocol Buffers wire-format primitives (varints, tags, length-delimited
// fields, fixed64), for the few hot paths that write or read messages
// without building generated message objects: the log's stored records
// (libs/eventlog/record_codec.cc) and the Read/Subscribe responses
// (services/common/recorded_wire.cc). The encoding is the one described at
// protobuf.dev/programming-guides/encoding; generated code reads and writes
// the same bytes, which the codecs' tests check.
//
//   std::string out;
//   wire::PutString(&out, 3, "KOR");         // field 3, length-delimited
//   wire::PutVarintField(&out, 7, 2);        // field 7, varint
//   wire::Reader r(out);
//   while (r.Next()) { r.field(); r.type(); r.bytes() / r.varint(); }
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "absl/base/attributes.h"
#include "absl/strings/string_view.h"

namespace detente::wire {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

inline void PutVarint(std::string* out, uint64_t v) {
  char buf[10];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}

inline void PutTag(std::string* out, uint32_t field, WireType type) {
  PutVarint(out, (static_cast<uint64_t>(field) << 3) | type);
}

inline void PutVarintField(std::string* out, uint32_t field, uint64_t v) {
  PutTag(out, field, kVarint);
  PutVarint(out, v);
}

// proto3 implicit presence: nothing for 0.
inline void PutVarintFieldIfSet(std::string* out, uint32_t field, uint64_t v) {
  if (v != 0) PutVarintField(out, field, v);
}

inline void PutString(std::string* out, uint32_t field, absl::string_view s) {
  PutTag(out, field, kLen);
  PutVarint(out, s.size());
  out->append(s.data(), s.size());
}

// proto3 implicit presence: nothing for "".
inline void PutStringIfSet(std::string* out, uint32_t field,
                           absl::string_view s) {
  if (!s.empty()) PutString(out, field, s);
}

// A packed repeated varint field (nothing when `values` is empty).
template <typename Values>
void PutPackedVarints(std::string* out, uint32_t field, const Values& values) {
  if (values.empty()) return;
  size_t bytes = 0;
  for (uint64_t v : values) bytes += VarintSize(v);
  PutTag(out, field, kLen);
  PutVarint(out, bytes);
  for (uint64_t v : values) PutVarint(out, v);
}

inline void PutDouble(std::string* out, uint32_t field, double d) {
  PutTag(out, field, kFixed64);
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof(bits));
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(bits >> (8 * i));
  out->append(buf, 8);
}

// Writers into a buffer sized beforehand (with the sizes above): each
// writes at `p` and returns the end of what it wrote. For hot paths that
// size a message first and then write it in one pass, without the bounds
// checks of appending to a string.
inline char* WriteVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}
inline char* WriteTag(char* p, uint32_t field, WireType type) {
  return WriteVarint(p, (static_cast<uint64_t>(field) << 3) | type);
}
inline char* WriteBytes(char* p, absl::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}
inline char* WriteFixed64(char* p, uint64_t bits) {
  for (int i = 0; i < 8; ++i) *p++ = static_cast<char>(bits >> (8 * i));
  return p;
}
// The size of a tag.
inline size_t TagSize(uint32_t field) {
  return VarintSize(static_cast<uint64_t>(field) << 3);
}

// Reads one varint at `p` (not past `end`) into `v` and moves `p` past it.
// False when it is cut off or longer than 10 bytes.
inline bool ReadVarint(const uint8_t*& p, const uint8_t* end, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p == end) return false;
    const uint8_t b = *p++;
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (b < 0x80) {
      *v = result;
      return true;
    }
  }
  return false;  // more than 10 bytes
}

// Calls f(value) for each varint of a packed repeated field's bytes; stops
// and returns false at a malformed varint or when f returns false.
template <typename F>
bool ForEachPackedVarint(absl::string_view packed, F f) {
  const auto* p = reinterpret_cast<const uint8_t*>(packed.data());
  const auto* end = p + packed.size();
  while (p != end) {
    uint64_t v;
    if (!ReadVarint(p, end, &v) || !f(v)) return false;
  }
  return true;
}

// Reads the fields of one message in order. Next() returns false at the end
// or on malformed input (then ok() is false).
class Reader {
 public:
  explicit Reader(absl::string_view in)
      : p_(reinterpret_cast<const uint8_t*>(in.data())), end_(p_ + in.size()) {}

  // Inlined for the common case, a field with a one-byte tag (numbers up to
  // 15) whose value or length, if a varint, is one byte too, or a fixed64:
  // most fields of the stored records (not their fields 16-21, nor the
  // revisions, times and positions, whose varints are longer). Anything
  // else goes the general way (NextSlow), which reads the same fields.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool Next() {
    if (end_ - p_ >= 2 && p_[0] < 0x80 && p_[0] >= 8) {
      const uint8_t tag = p_[0];
      const uint8_t b = p_[1];
      const uint32_t type = tag & 7;
      if (type == kVarint && b < 0x80) {
        Took(tag, 2);
        varint_ = b;
        return true;
      }
      if (type == kLen && b < 0x80 && b <= end_ - p_ - 2) {
        bytes_ = absl::string_view(reinterpret_cast<const char*>(p_ + 2), b);
        Took(tag, 2 + b);
        return true;
      }
      if (type == kFixed64 && end_ - p_ >= 9) {
        varint_ = Fixed64At(p_ + 1);
        Took(tag, 9);
        return true;
      }
    }
    return NextSlow();
  }

  bool ok() const { return ok_; }
  uint32_t field() const { return field_; }
  uint32_t type() const { return type_; }
  // For kVarint, kFixed64 and kFixed32 fields.
  uint64_t varint() const { return varint_; }
  double as_double() const {
    double d;
    std::memcpy(&d, &varint_, sizeof(d));
    return d;
  }
  // For kLen fields: a view into the input.
  absl::string_view bytes() const { return bytes_; }

 private:
  ABSL_ATTRIBUTE_NOINLINE bool NextSlow() {
    if (p_ == end_) return false;
    uint64_t tag;
    if (!ReadVarint(&tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff) {
      return Fail();
    }
    field_ = static_cast<uint32_t>(tag >> 3);
    type_ = static_cast<uint32_t>(tag & 7);
    switch (type_) {
      case kVarint:
        return ReadVarint(&varint_) || Fail();
      case kFixed64:
        if (end_ - p_ < 8) return Fail();
        varint_ = Fixed64At(p_);
        p_ += 8;
        return true;
      case kFixed32:
        if (end_ - p_ < 4) return Fail();
        varint_ = 0;
        for (int i = 0; i < 4; ++i) varint_ |= static_cast<uint64_t>(p_[i]) << (8 * i);
        p_ += 4;
        return true;
      case kLen: {
        uint64_t n;
        if (!ReadVarint(&n) || n > static_cast<uint64_t>(end_ - p_)) {
          return Fail();
        }
        bytes_ = absl::string_view(reinterpret_cast<const char*>(p_), n);
        p_ += n;
        return true;
      }
      default:  // groups (3, 4) and reserved types: not in our messages
        return Fail();
    }
  }

  static uint64_t Fixed64At(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
    return v;
  }
  void Took(uint8_t tag, size_t n) {
    field_ = tag >> 3;
    type_ = tag & 7;
    p_ += n;
  }
  bool Fail() {
    ok_ = false;
    p_ = end_;
    return false;
  }
  bool ReadVarint(uint64_t* v) { return wire::ReadVarint(p_, end_, v); }

  const uint8_t* p_;
  const uint8_t* end_;
  bool ok_ = true;
  uint32_t field_ = 0;
  uint32_t type_ = 0;
  uint64_t varint_ = 0;
  absl::string_view bytes_;
};

}  // namespace detente::wire
