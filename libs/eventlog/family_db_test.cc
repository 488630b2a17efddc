#include "eventlog/family_db.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

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

TEST_F(FamilyDbTest, CompactionsLeftAreCountedUntilTheyRun) {
  // Compactions wait for an explicit one: level 0 is past its trigger of two
  // files once three memtables are flushed, and stays so.
  FamilyDbOpen o = Options({"default", "a"});
  for (rocksdb::ColumnFamilyDescriptor& f : o.families) {
    f.options.disable_auto_compactions = true;
    f.options.level0_file_num_compaction_trigger = 2;
  }
  auto db = OpenFamilyDb(o);
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_TRUE((*db)->Compactions().settled());
  rocksdb::DB& rdb = (*db)->db();
  for (int file = 0; file < 3; ++file) {
    for (int i = 0; i < 100; ++i) {
      const std::string key = "k" + std::to_string(file * 1000 + i);
      ASSERT_TRUE(
          rdb.Put(rocksdb::WriteOptions(), (*db)->Find("a"), key, key).ok());
    }
    ASSERT_TRUE(rdb.Flush(rocksdb::FlushOptions(), (*db)->Find("a")).ok());
  }
  std::string files;
  ASSERT_TRUE(rdb.GetProperty(
      (*db)->Find("a"),
      rocksdb::DB::Properties::kNumFilesAtLevelPrefix + std::string("0"),
      &files));
  ASSERT_EQ(files, "3");
  // A flush's job may still count as running for a moment after the flush
  // it waited for is done.
  auto once_idle = [&] {
    StorageCompactions c = (*db)->Compactions();
    for (int i = 0; i < 200 && c.running > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      c = (*db)->Compactions();
    }
    return c;
  };
  const StorageCompactions pending = once_idle();
  EXPECT_GT(pending.pending_bytes, 0u);
  EXPECT_EQ(pending.running, 0u);
  EXPECT_FALSE(pending.settled());

  ASSERT_TRUE(rdb.CompactRange(rocksdb::CompactRangeOptions(), (*db)->Find("a"),
                               nullptr, nullptr)
                  .ok());
  EXPECT_TRUE(once_idle().settled());
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
