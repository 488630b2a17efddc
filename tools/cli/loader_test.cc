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

// Rows that never reached the service, or whose answer never came, are
// named, so that read is the sum of the rest.
TEST(TotalsTest, SummaryNamesRowsNotSentOrUnanswered) {
  Totals t{.read = 9, .appended = 3, .duplicates = 0, .rejected = 1};
  t.not_sent = 2;
  t.unanswered = 2;
  t.skipped["no target country"] = 1;
  EXPECT_EQ(t.Summary(),
            "read 9, appended 3, duplicates 0, rejected 1, not sent 2, "
            "unanswered 2, skipped 1 (no target country: 1)");
}

}  // namespace
}  // namespace detente::cli
