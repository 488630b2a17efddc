#include "domain/cameo.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"

namespace detente {
namespace {

constexpr CameoCode kCameoCodes[] = {
#include "domain/cameo_table.inc"
};

}  // namespace

const CameoCode* FindCameoCode(absl::string_view code) {
  // A hash lookup: every appended event looks its code up at least twice
  // (validation, its Goldstein weight); see actors.cc.
  static const auto* const index = [] {
    auto* m = new absl::flat_hash_map<absl::string_view, const CameoCode*>();
    for (const CameoCode& c : kCameoCodes) m->emplace(c.code, &c);
    return m;
  }();
  auto it = index->find(code);
  return it == index->end() ? nullptr : it->second;
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
