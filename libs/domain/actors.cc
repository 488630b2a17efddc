#include "domain/actors.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace detente {
namespace {

constexpr Actor kActors[] = {
#include "domain/actor_table.inc"
};

// ISO 3166-1 alpha-3 codes (current and withdrawn) that differ from the
// CAMEO code of the same country. The other ISO codes equal CAMEO's.
constexpr std::pair<absl::string_view, absl::string_view> kCodeAliases[] = {
    {"ROU", "ROM"},  // Romania
    {"TLS", "TMP"},  // Timor-Leste (TMP was ISO's code until 2002)
    {"IMN", "IMY"},  // Isle of Man
    {"MNE", "MTN"},  // Montenegro
    {"ZAR", "COD"},  // Zaire, ISO's code for the DR Congo until 1997
};

// Names importers meet (ISO short names, ICEWS country names, common usage)
// that differ from the table's name. Compared case-insensitively.
constexpr std::pair<absl::string_view, absl::string_view> kNameAliases[] = {
    // Korea.
    {"Korea, Republic of", "KOR"},
    {"Republic of Korea", "KOR"},
    {"Korea (South)", "KOR"},
    {"Korea, Democratic People's Republic of", "PRK"},
    {"Democratic People's Republic of Korea", "PRK"},
    {"Korea (North)", "PRK"},
    {"DPRK", "PRK"},
    // Great powers.
    {"Russian Federation", "RUS"},
    {"United States of America", "USA"},
    {"USA", "USA"},
    {"US", "USA"},
    {"U.S.", "USA"},
    {"United Kingdom of Great Britain and Northern Ireland", "GBR"},
    {"UK", "GBR"},
    {"Great Britain", "GBR"},
    {"Britain", "GBR"},
    {"People's Republic of China", "CHN"},
    {"Taiwan, Province of China", "TWN"},
    {"Republic of China", "TWN"},
    // ISO 3166-1 and UN names.
    {"Iran, Islamic Republic of", "IRN"},
    {"Islamic Republic of Iran", "IRN"},
    {"Syrian Arab Republic", "SYR"},
    {"Viet Nam", "VNM"},
    {"Lao People's Democratic Republic", "LAO"},
    {"Czechia", "CZE"},
    {"Moldova, Republic of", "MDA"},
    {"Republic of Moldova", "MDA"},
    {"Tanzania, United Republic of", "TZA"},
    {"United Republic of Tanzania", "TZA"},
    {"Bolivia, Plurinational State of", "BOL"},
    {"Venezuela, Bolivarian Republic of", "VEN"},
    {"Micronesia, Federated States of", "FSM"},
    {"Brunei", "BRN"},
    {"Cabo Verde", "CPV"},
    {"Eswatini", "SWZ"},
    {"North Macedonia", "MKD"},
    {"the former Yugoslav Republic of Macedonia", "MKD"},
    {"Macedonia, the former Yugoslav Republic of", "MKD"},
    {"Holy See", "VAT"},
    {"Holy See (Vatican City State)", "VAT"},
    {"Vatican", "VAT"},
    {"Timor-Leste", "TMP"},
    {"Cote d'Ivoire", "CIV"},
    {"C\u00f4te d'Ivoire", "CIV"},
    {"Congo", "COG"},
    {"Republic of the Congo", "COG"},
    {"Congo-Brazzaville", "COG"},
    {"Democratic Republic of Congo", "COD"},
    {"Congo, The Democratic Republic of the", "COD"},
    {"Congo-Kinshasa", "COD"},
    {"DR Congo", "COD"},
    {"Zaire", "COD"},
    {"Palestine", "PSE"},
    {"Palestine, State of", "PSE"},
    {"State of Palestine", "PSE"},
    {"Myanmar (Burma)", "MMR"},
    {"Burma", "MMR"},
    {"Macau", "MAC"},
    {"Faroe Islands", "FRO"},
    {"Netherlands (Kingdom of the)", "NLD"},
    {"Turkiye", "TUR"},
    {"T\u00fcrkiye", "TUR"},
    {"Virgin Islands, U.S.", "VIR"},
    {"Virgin Islands, British", "VGB"},
    {"Reunion", "REU"},
    // GDELT's original (misspelled) labels, before the generator fixed them.
    {"Columbia", "COL"},
    {"Runion", "REU"},
};

std::string NameKey(absl::string_view name) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
}

// Canonical codes, and each alias under its own code. A hash lookup: every
// appended event resolves two actors (binary searches over this table and
// the CAMEO codes' were ~6% of the ingestion service's CPU in a bulk load,
// round 21 of docs/benchmarks.md).
using CodeIndex = absl::flat_hash_map<absl::string_view, const Actor*>;

const Actor* Find(const CodeIndex& index, absl::string_view code) {
  auto it = index.find(code);
  return it == index.end() ? nullptr : it->second;
}

const CodeIndex& Codes() {
  static const CodeIndex* const index = [] {
    auto* m = new CodeIndex();
    for (const Actor& a : kActors) m->emplace(a.code, &a);
    return m;
  }();
  return *index;
}

const CodeIndex& CodesAndAliases() {
  static const CodeIndex* const index = [] {
    auto* m = new CodeIndex(Codes());
    for (const auto& [alias, canonical] : kCodeAliases) {
      if (const Actor* a = Find(Codes(), canonical)) m->emplace(alias, a);
    }
    return m;
  }();
  return *index;
}

const absl::flat_hash_map<std::string, const Actor*>& NameIndex() {
  static const auto* const index = [] {
    auto* m = new absl::flat_hash_map<std::string, const Actor*>();
    for (const Actor& a : kActors) m->emplace(NameKey(a.name), &a);
    for (const auto& [name, code] : kNameAliases) {
      m->emplace(NameKey(name), Find(Codes(), code));
    }
    return m;
  }();
  return *index;
}

}  // namespace

const Actor* FindActorByCode(absl::string_view code) {
  return Find(Codes(), code);
}

const Actor* ResolveActor(absl::string_view code) {
  return Find(CodesAndAliases(), code);
}

const Actor* FindActorByName(absl::string_view name) {
  const auto& index = NameIndex();
  auto it = index.find(NameKey(name));
  return it == index.end() ? nullptr : it->second;
}

std::span<const Actor> AllActors() { return kActors; }

std::string StreamName(absl::string_view a, absl::string_view b) {
  if (b < a) std::swap(a, b);
  return absl::StrCat(a, "-", b);
}

}  // namespace detente
