#include "eventlog/rocks_status.h"

#include "absl/strings/str_cat.h"

namespace detente {

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view doing) {
  if (s.ok()) return absl::OkStatus();
  std::string message = absl::StrCat(doing, ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsNotFound()) return absl::NotFoundError(message);
  if (s.IsInvalidArgument() || s.IsNotSupported()) {
    return absl::InternalError(message);
  }
  return absl::UnavailableError(message);
}

}  // namespace detente
