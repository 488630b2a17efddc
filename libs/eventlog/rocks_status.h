// Conversion of rocksdb::Status to absl::Status, in one place. Storage
// failures (I/O errors, a full disk) become UNAVAILABLE: the operation did
// not happen and may be retried once the fault clears.
#pragma once

#include <rocksdb/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace detente {

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view doing);

}  // namespace detente
