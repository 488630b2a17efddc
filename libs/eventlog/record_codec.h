// Encoding of a RecordedEntry as the value of an 'e' key (storage.proto).
// The position is not in the value: it is the key.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "domain/entry.h"

namespace detente {

std::string EncodeRecord(const RecordedEntry& e);
// DATA_LOSS when `value` is not a valid record.
absl::StatusOr<RecordedEntry> DecodeRecord(Position position,
                                           absl::string_view value);

}  // namespace detente
