#include "tools/cli/progress.h"

#include <gtest/gtest.h>

namespace detente::cli {
namespace {

TEST(ProgressTest, RendersPercentRateAndEta) {
  EXPECT_EQ(Progress::Render(1000, 50, 100, 2.0),
            "[###############...............]  50%  1000 rows  500 events/s"
            "  ETA 0:02");
  EXPECT_EQ(Progress::Render(10, 0, std::nullopt, 1.0), "10 rows  10 events/s");
}

}  // namespace
}  // namespace detente::cli
