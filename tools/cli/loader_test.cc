#include "tools/cli/loader.h"

#include <gtest/gtest.h>

namespace detente::cli {
namespace {

TEST(TotalsTest, SummaryKeepsTheHistoricFormatAndAppendsSkips) {
  Totals t{.read = 5, .appended = 3, .duplicates = 1, .rejected = 0};
  EXPECT_EQ(t.Summary(), "read 5, appended 3, duplicates 1, rejected 0");
  t.skipped["no target country"] = 1;
  t.skipped["unknown country name \"Atlantis\""] = 2;
  EXPECT_EQ(t.Summary(),
            "read 5, appended 3, duplicates 1, rejected 0, skipped 3 "
            "(unknown country name \"Atlantis\": 2, no target country: 1)");
  EXPECT_EQ(t.Summary(1),
            "read 5, appended 3, duplicates 1, rejected 0, skipped 3 "
            "(unknown country name \"Atlantis\": 2, 1 other reasons: 1)");
}

}  // namespace
}  // namespace detente::cli
