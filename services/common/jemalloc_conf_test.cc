// The settings of jemalloc_conf.cc reach jemalloc: read back from it.
#include <gtest/gtest.h>
#include <jemalloc/jemalloc.h>

#include <cstddef>

namespace detente {
namespace {

TEST(JemallocConfTest, LargeAllocationsShareTheCommonArenas) {
  size_t threshold = 1;
  size_t size = sizeof(threshold);
  ASSERT_EQ(mallctl("opt.oversize_threshold", &threshold, &size, nullptr, 0),
            0);
  EXPECT_EQ(threshold, 0u);
}

}  // namespace
}  // namespace detente
