#include "domain/uuid.h"

#include <cstring>

#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"

namespace detente {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsHyphenPosition(size_t i) {
  return i == 8 || i == 13 || i == 18 || i == 23;
}

}  // namespace

absl::StatusOr<Uuid> Uuid::Parse(absl::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrFormat(
        "\"%s\" is not a UUID (expected 8-4-4-4-12 hex digits, as in "
        "6b9d4fc1-630f-4bea-a000-000000000001)",
        absl::CHexEscape(text.substr(0, 64))));
  };
  if (text.size() != 36) return bad();
  std::array<uint8_t, 16> bytes{};
  size_t nibble = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (IsHyphenPosition(i)) {
      if (text[i] != '-') return bad();
      continue;
    }
    const int v = HexValue(text[i]);
    if (v < 0) return bad();
    bytes[nibble / 2] = static_cast<uint8_t>(bytes[nibble / 2] << 4 | v);
    ++nibble;
  }
  return Uuid(bytes);
}

absl::StatusOr<Uuid> Uuid::FromBytes(absl::string_view bytes) {
  if (bytes.size() != 16) {
    return absl::InvalidArgumentError(
        absl::StrFormat("a UUID has 16 bytes, not %d", bytes.size()));
  }
  std::array<uint8_t, 16> out;
  std::memcpy(out.data(), bytes.data(), 16);
  return Uuid(out);
}

Uuid Uuid::Random() {
  // absl::BitGen is seeded from the OS and is not thread-safe: one per thread.
  thread_local absl::BitGen gen;
  std::array<uint8_t, 16> bytes;
  for (int half = 0; half < 2; ++half) {
    const uint64_t r = absl::Uniform<uint64_t>(gen);
    std::memcpy(bytes.data() + 8 * half, &r, 8);
  }
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);  // RFC 4122
  return Uuid(bytes);
}

bool Uuid::is_nil() const {
  for (uint8_t b : bytes_) {
    if (b != 0) return false;
  }
  return true;
}

std::string Uuid::AsBytes() const {
  return std::string(reinterpret_cast<const char*>(bytes_.data()),
                     bytes_.size());
}

std::string Uuid::ToString() const {
  std::string out;
  AppendText(&out);
  return out;
}

void Uuid::AppendText(std::string* out) const {
  static constexpr char kHex[] = "0123456789abcdef";
  char text[36];
  char* p = text;
  for (size_t i = 0; i < bytes_.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
    *p++ = kHex[bytes_[i] >> 4];
    *p++ = kHex[bytes_[i] & 0x0f];
  }
  out->append(text, sizeof(text));
}

}  // namespace detente
