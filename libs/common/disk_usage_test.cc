#include "common/disk_usage.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace detente {
namespace {

TEST(DirectoryBytesTest, SumsTheFilesOfTheWholeTree) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("detente-disk-usage-test-" + std::to_string(std::random_device()()));
  std::filesystem::create_directories(dir / "sub" / "deeper");
  auto write = [](const std::filesystem::path& p, size_t n) {
    std::ofstream(p, std::ios::binary) << std::string(n, 'x');
  };
  write(dir / "a", 1000);
  write(dir / "sub" / "b", 234);
  write(dir / "sub" / "deeper" / "c", 5);
  EXPECT_EQ(DirectoryBytes(dir.string()), 1000u + 234u + 5u);
  EXPECT_EQ(DirectoryBytes((dir / "sub").string()), 239u);
  EXPECT_EQ(DirectoryBytes((dir / "missing").string()), 0u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace detente
