#include "domain/cameo.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/ascii.h"

namespace detente {
namespace {

constexpr CameoCode kCameoCodes[] = {
#include "domain/cameo_table.inc"
};

}  // namespace

const CameoCode* FindCameoCode(absl::string_view code) {
  const CameoCode* it = std::lower_bound(
      std::begin(kCameoCodes), std::end(kCameoCodes), code,
      [](const CameoCode& c, absl::string_view k) { return c.code < k; });
  if (it == std::end(kCameoCodes) || it->code != code) return nullptr;
  return it;
}

std::span<const CameoCode> AllCameoCodes() { return kCameoCodes; }

int CameoRoot(absl::string_view code) {
  if (code.size() < 2 || !absl::ascii_isdigit(code[0]) ||
      !absl::ascii_isdigit(code[1])) {
    return 0;
  }
  return (code[0] - '0') * 10 + (code[1] - '0');
}

QuadClass QuadClassOfRoot(int root) {
  if (root >= 1 && root <= 5) return QuadClass::kVerbalCooperation;
  if (root >= 6 && root <= 9) return QuadClass::kMaterialCooperation;
  if (root >= 10 && root <= 14) return QuadClass::kVerbalConflict;
  if (root >= 15 && root <= 20) return QuadClass::kMaterialConflict;
  return QuadClass::kUnspecified;
}

}  // namespace detente
