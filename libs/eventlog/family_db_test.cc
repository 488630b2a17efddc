#include "eventlog/family_db.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "domain/uuid.h"

namespace detente {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class FamilyDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("detente-familydb-test-" + Uuid::Random().ToString());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  FamilyDbOpen Options(std::vector<std::string> names) const {
    FamilyDbOpen o{.path = dir_.string(), .what = "the test database"};
    o.db.create_if_missing = true;
    for (const std::string& name : names) {
      o.families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    return o;
  }

  std::vector<std::string> OnDisk() const {
    std::vector<std::string> names;
    EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(),
                                                dir_.string(), &names)
                    .ok());
    return names;
  }

  std::filesystem::path dir_;
};

TEST_F(FamilyDbTest, ANewDatabaseGetsEveryFamilyAndKeepsWhatIsWritten) {
  {
    auto db = OpenFamilyDb(Options({"default", "a", "b"}));
    ASSERT_TRUE(db.ok()) << db.status();
    EXPECT_TRUE((*db)->created());
    EXPECT_TRUE((*db)->Has("a"));
    EXPECT_NE((*db)->Find("a"), (*db)->db().DefaultColumnFamily());
    ASSERT_TRUE((*db)
                    ->db()
                    .Put(rocksdb::WriteOptions(), (*db)->Find("b"), "k", "in b")
                    .ok());
    ASSERT_TRUE((*db)->Close().ok());
    ASSERT_TRUE((*db)->Close().ok());  // idempotent
  }
  EXPECT_THAT(OnDisk(), UnorderedElementsAre("default", "a", "b"));
  // Reopened knowing only the default family: the database's own families
  // are opened all the same, and the value is where it was written.
  auto db = OpenFamilyDb(Options({"default"}));
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_FALSE((*db)->created());
  ASSERT_TRUE((*db)->Has("b"));
  std::string value;
  ASSERT_TRUE((*db)
                  ->db()
                  .Get(rocksdb::ReadOptions(), (*db)->Find("b"), "k", &value)
                  .ok());
  EXPECT_EQ(value, "in b");
  EXPECT_TRUE(
      (*db)->db().Get(rocksdb::ReadOptions(), "k", &value).IsNotFound());
}

TEST_F(FamilyDbTest, AMissingFamilyIsTheDefaultOneUnlessAdded) {
  ASSERT_TRUE(OpenFamilyDb(Options({"default"})).ok());
  {
    auto db = OpenFamilyDb(Options({"default", "new"}));
    ASSERT_TRUE(db.ok()) << db.status();
    EXPECT_FALSE((*db)->Has("new"));
    EXPECT_EQ((*db)->Find("new"), (*db)->db().DefaultColumnFamily());
  }
  EXPECT_THAT(OnDisk(), UnorderedElementsAre("default"));
  FamilyDbOpen add = Options({"default", "new"});
  add.add_missing = true;
  auto db = OpenFamilyDb(add);
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_TRUE((*db)->Has("new"));
  db->reset();
  EXPECT_THAT(OnDisk(), UnorderedElementsAre("default", "new"));
}

TEST_F(FamilyDbTest, ReadOnlyNeedsADatabaseAndNamesWhatItOpened) {
  FamilyDbOpen o = Options({"default"});
  o.read_only = true;
  auto db = OpenFamilyDb(o);
  ASSERT_EQ(db.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(db.status().message(), HasSubstr("the test database"));
  EXPECT_THAT(db.status().message(), HasSubstr(dir_.string()));
  EXPECT_FALSE(std::filesystem::exists(dir_));  // nothing created
  // In use by another writer: UNAVAILABLE too, with RocksDB's reason.
  auto writer = OpenFamilyDb(Options({"default"}));
  ASSERT_TRUE(writer.ok()) << writer.status();
  auto second = OpenFamilyDb(Options({"default"}));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr("lock"));
}

}  // namespace
}  // namespace detente
