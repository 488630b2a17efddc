#include "importers/uuid_v5.h"

#include <openssl/sha.h>

#include <cstring>
#include <string>

namespace detente::importers {
namespace {

Uuid MustParse(absl::string_view text) { return *Uuid::Parse(text); }

}  // namespace

const Uuid kDnsNamespace = MustParse("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
const Uuid kImportNamespace = MustParse("5d7a3c1e-9b2f-4e61-8c0d-2f4b6a8e1d37");

Uuid UuidV5(const Uuid& ns, absl::string_view name) {
  std::string input = ns.AsBytes();
  input.append(name.data(), name.size());
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(),
       digest);
  std::array<uint8_t, 16> bytes;
  std::memcpy(bytes.data(), digest, 16);
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x50);
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);
  return Uuid(bytes);
}

}  // namespace detente::importers
