// Name-based (version 5, SHA-1) UUIDs, RFC 4122 section 4.3: the same name in
// the same namespace always gives the same UUID, so importers derive event ids
// from the source's own ids and loading a file twice adds nothing.
//
//   Uuid id = UuidV5(kGdeltNamespace, "gdelt:410412347");
#pragma once

#include "absl/strings/string_view.h"
#include "domain/uuid.h"

namespace detente::importers {

// RFC 4122 appendix C's DNS namespace (for test vectors).
extern const Uuid kDnsNamespace;
// The namespace of every id Detente's importers derive
// (docs/importing.md): 5d7a3c1e-9b2f-4e61-8c0d-2f4b6a8e1d37.
extern const Uuid kImportNamespace;

// SHA-1 of namespace bytes + name, version and variant bits set.
Uuid UuidV5(const Uuid& ns, absl::string_view name);

}  // namespace detente::importers
