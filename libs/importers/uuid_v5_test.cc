#include "importers/uuid_v5.h"

#include <gtest/gtest.h>

namespace detente::importers {
namespace {

TEST(UuidV5Test, MatchesPythonUuid5Vector) {
  // python3 -c 'import uuid; print(uuid.uuid5(uuid.NAMESPACE_DNS,
  // "python.org"))'
  EXPECT_EQ(UuidV5(kDnsNamespace, "python.org").ToString(),
            "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}

TEST(UuidV5Test, DeterministicAndNameSensitive) {
  EXPECT_EQ(UuidV5(kImportNamespace, "gdelt:1"),
            UuidV5(kImportNamespace, "gdelt:1"));
  EXPECT_NE(UuidV5(kImportNamespace, "gdelt:1"),
            UuidV5(kImportNamespace, "gdelt:2"));
  EXPECT_EQ(UuidV5(kImportNamespace, "x").ToString()[14], '5');
}

}  // namespace
}  // namespace detente::importers
