#include "domain/uuid.h"

#include <cstring>

#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"

namespace detente {
namespace {

// Each character's hex value, -1 for a character that is not a hex digit.
constexpr std::array<int8_t, 256> kHexValue = [] {
  std::array<int8_t, 256> t{};
  for (int8_t& v : t) v = -1;
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<int8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[c] = static_cast<int8_t>(c - 'A' + 10);
  return t;
}();

// Where each byte's two hex digits start in 8-4-4-4-12 text.
constexpr uint8_t kDigitsOf[16] = {0,  2,  4,  6,  9,  11, 14, 16,
                                   19, 21, 24, 26, 28, 30, 32, 34};

}  // namespace

absl::StatusOr<Uuid> Uuid::Parse(absl::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrFormat(
        "\"%s\" is not a UUID (expected 8-4-4-4-12 hex digits, as in "
        "6b9d4fc1-630f-4bea-a000-000000000001)",
        absl::CHexEscape(text.substr(0, 64))));
  };
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' ||
      text[18] != '-' || text[23] != '-') {
    return bad();
  }
  std::array<uint8_t, 16> bytes;
  int invalid = 0;  // negative once a character is not a hex digit
  for (size_t i = 0; i < bytes.size(); ++i) {
    const int hi = kHexValue[static_cast<uint8_t>(text[kDigitsOf[i]])];
    const int lo = kHexValue[static_cast<uint8_t>(text[kDigitsOf[i] + 1])];
    invalid |= hi | lo;
    bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  if (invalid < 0) return bad();
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

bool Uuid::is_nil() const { return (Word(0) | Word(1)) == 0; }

std::string Uuid::AsBytes() const {
  return std::string(reinterpret_cast<const char*>(bytes_.data()),
                     bytes_.size());
}

std::string Uuid::ToString() const {
  std::string out;
  AppendText(&out);
  return out;
}

char* Uuid::WriteText(char* p) const {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < bytes_.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
    *p++ = kHex[bytes_[i] >> 4];
    *p++ = kHex[bytes_[i] & 0x0f];
  }
  return p;
}

void Uuid::AppendText(std::string* out) const {
  char text[36];
  WriteText(text);
  out->append(text, sizeof(text));
}

}  // namespace detente
