// UUIDs, the event ids (idempotency keys). 16 bytes; canonical text is
// lower-case 8-4-4-4-12 hex. Parsing accepts upper case too.
//
//   absl::StatusOr<Uuid> id =
//       Uuid::Parse("6b9d4fc1-630f-4bea-a000-000000000001");
//   Uuid fresh = Uuid::Random();  // version 4
#pragma once

#include <array>
#include <bit>
#include <compare>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace detente {

class Uuid {
 public:
  Uuid() = default;  // the nil UUID
  explicit Uuid(const std::array<uint8_t, 16>& bytes) : bytes_(bytes) {}

  // INVALID_ARGUMENT unless `text` is 36 characters of 8-4-4-4-12 hex.
  static absl::StatusOr<Uuid> Parse(absl::string_view text);
  // From exactly 16 raw bytes (as stored in keys). INVALID_ARGUMENT otherwise.
  static absl::StatusOr<Uuid> FromBytes(absl::string_view bytes);
  // A random version-4 UUID. Thread-safe.
  static Uuid Random();

  bool is_nil() const;
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  // The 16 raw bytes as a string (for keys).
  std::string AsBytes() const;
  std::string ToString() const;
  // Appends the canonical text (36 characters) to `out`.
  void AppendText(std::string* out) const;
  // Writes the canonical text at `out` (room for 36 characters); returns
  // its end.
  char* WriteText(char* out) const;

  // Byte order (memcmp), compared as two big-endian words.
  friend std::strong_ordering operator<=>(const Uuid& a, const Uuid& b) {
    if (const uint64_t x = a.Word(0), y = b.Word(0); x != y) return x <=> y;
    return a.Word(1) <=> b.Word(1);
  }
  friend bool operator==(const Uuid&, const Uuid&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const Uuid& u) {
    return H::combine(std::move(h), u.bytes_);
  }

 private:
  // Bytes 8*i..8*i+7 as a big-endian number.
  uint64_t Word(int i) const {
    uint64_t w;
    std::memcpy(&w, bytes_.data() + 8 * i, 8);
    if constexpr (std::endian::native == std::endian::little) {
      w = __builtin_bswap64(w);
    }
    return w;
  }

  std::array<uint8_t, 16> bytes_{};
};

}  // namespace detente
