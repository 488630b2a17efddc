#include "common/disk_usage.h"

#include <filesystem>
#include <system_error>

namespace detente {

uint64_t DirectoryBytes(const std::string& dir) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator();
       it.increment(ec)) {
    std::error_code file_ec;
    if (it->is_regular_file(file_ec)) {
      const uint64_t size = it->file_size(file_ec);
      if (!file_ec) bytes += size;
    }
  }
  return bytes;
}

}  // namespace detente
