// Names the calling thread, as `top -H`, `perf`, `gdb` and
// /proc/<pid>/task/<tid>/comm show it: Linux keeps 15 bytes of it, so
// longer names are cut. Threads of ours are named after what they do
// (docs/operations.md, "Threads"); RocksDB and gRPC name theirs.
#pragma once

#include "absl/strings/string_view.h"

namespace detente {

void NameThisThread(absl::string_view name);

}  // namespace detente
