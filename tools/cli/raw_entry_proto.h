// RawEntry (what the importers produce) -> detente.v1.Event (what
// AppendStream carries). The one place the command line maps the two.
#pragma once

#include "detente/v1/event.pb.h"
#include "domain/validation.h"

namespace detente::cli {

void ToProto(const RawEntry& raw, v1::Event* out);

}  // namespace detente::cli
