// UUIDs, the event ids (idempotency keys). 16 bytes; canonical text is
// lower-case 8-4-4-4-12 hex. Parsing accepts upper case too.
//
//   absl::StatusOr<Uuid> id =
//       Uuid::Parse("6b9d4fc1-630f-4bea-a000-000000000001");
//   Uuid fresh = Uuid::Random();  // version 4
#pragma once

#include <array>
#include <cstdint>
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

  friend auto operator<=>(const Uuid&, const Uuid&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const Uuid& u) {
    return H::combine(std::move(h), u.bytes_);
  }

 private:
  std::array<uint8_t, 16> bytes_{};
};

}  // namespace detente
