// The actor registry: CAMEO country, regional and organisation codes (three
// upper-case letters; derived from GDELT's CAMEO.country table by
// tools/gen_cameo_tables.py) with their names and common aliases, so that
// importers can map "South Korea" or "Korea, Republic of" to KOR, and the
// few ISO 3166-1 alpha-3 codes that differ from CAMEO (ROU -> ROM) to the
// CAMEO code.
//
//   const Actor* kor = FindActorByCode("KOR");        // canonical codes only
//   const Actor* a = ResolveActor("ROU");             // code or ISO alias
//   const Actor* b = FindActorByName("South Korea");  // names, any case
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "absl/strings/string_view.h"

namespace detente {

enum class ActorKind : uint8_t { kCountry, kRegion, kOrganisation };

struct Actor {
  absl::string_view code;  // canonical CAMEO code, "KOR"
  absl::string_view name;  // "South Korea"
  ActorKind kind;
};

// Exact canonical code.
const Actor* FindActorByCode(absl::string_view code);
// Canonical code or an alias code (ISO alpha-3 where it differs from CAMEO),
// upper case only. nullptr when unknown.
const Actor* ResolveActor(absl::string_view code);
// A name or alias name, compared case-insensitively and ignoring surrounding
// spaces ("Korea, Republic of", "Russian Federation", "United States").
const Actor* FindActorByName(absl::string_view name);
std::span<const Actor> AllActors();

// The stream of an unordered pair: codes sorted and joined, "JPN-KOR".
std::string StreamName(absl::string_view a, absl::string_view b);

}  // namespace detente
