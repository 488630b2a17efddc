// The CAMEO event-code table the project ships (derived from GDELT's CAMEO
// lookup tables by tools/gen_cameo_tables.py; see docs/cameo.md): every root
// (01-20) and sub-code with its description and Goldstein score.
//
//   const CameoCode* c = FindCameoCode("036");
//   if (c) { c->goldstein; QuadClassOfRoot(CameoRoot(c->code)); }
#pragma once

#include <cstdint>
#include <span>

#include "absl/strings/string_view.h"

namespace detente {

enum class QuadClass : uint8_t {
  kUnspecified = 0,
  kVerbalCooperation = 1,    // roots 01-05
  kMaterialCooperation = 2,  // roots 06-09
  kVerbalConflict = 3,       // roots 10-14
  kMaterialConflict = 4,     // roots 15-20
};

struct CameoCode {
  absl::string_view code;         // "036"
  absl::string_view description;  // "Express intent to meet or negotiate"
  double goldstein;               // -10..10
};

// The entry for `code`, or nullptr when the table has no such code.
const CameoCode* FindCameoCode(absl::string_view code);
// All codes, sorted by code text.
std::span<const CameoCode> AllCameoCodes();
// Root of a code: its first two characters ("036" -> 3). 0 if malformed.
int CameoRoot(absl::string_view code);
// Quad class of a root (1..20); kUnspecified outside that range.
QuadClass QuadClassOfRoot(int root);

}  // namespace detente
