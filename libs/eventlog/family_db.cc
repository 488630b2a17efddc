#include "eventlog/family_db.h"

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace detente {

FamilyDb::FamilyDb(std::unique_ptr<rocksdb::DB> db,
                   std::vector<rocksdb::ColumnFamilyHandle*> handles,
                   bool created)
    : db_(std::move(db)), handles_(std::move(handles)), created_(created) {}

FamilyDb::~FamilyDb() { Close().PermitUncheckedError(); }

rocksdb::ColumnFamilyHandle* FamilyDb::Find(absl::string_view name) const {
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    if (h->GetName() == name) return h;
  }
  return db_->DefaultColumnFamily();
}

namespace {

// An integer property summed over the column families.
uint64_t Summed(rocksdb::DB& db, const std::string& property) {
  uint64_t v = 0;
  return db.GetAggregatedIntProperty(property, &v) ? v : 0;
}
// A property of the database as a whole (or of the families' shared cache).
uint64_t Whole(rocksdb::DB& db, const std::string& property) {
  uint64_t v = 0;
  return db.GetIntProperty(property, &v) ? v : 0;
}

}  // namespace

StorageMemory FamilyDb::Memory() const {
  using P = rocksdb::DB::Properties;
  StorageMemory m;
  m.memtables = Summed(*db_, P::kSizeAllMemTables);
  m.table_readers = Summed(*db_, P::kEstimateTableReadersMem);
  m.block_cache_usage = Whole(*db_, P::kBlockCacheUsage);
  m.block_cache_capacity = Whole(*db_, P::kBlockCacheCapacity);
  return m;
}

StorageCompactions FamilyDb::Compactions() const {
  using P = rocksdb::DB::Properties;
  StorageCompactions c;
  c.pending_bytes = Summed(*db_, P::kEstimatePendingCompactionBytes);
  c.running = Whole(*db_, P::kNumRunningCompactions) +
              Whole(*db_, P::kNumRunningFlushes);
  return c;
}

bool FamilyDb::Has(absl::string_view name) const {
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    if (h->GetName() == name) return true;
  }
  return false;
}

rocksdb::Status FamilyDb::Close() {
  if (!db_) return rocksdb::Status::OK();
  rocksdb::Status first;
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    if (h == db_->DefaultColumnFamily()) continue;
    rocksdb::Status s = db_->DestroyColumnFamilyHandle(h);
    if (first.ok()) first = s;
  }
  handles_.clear();
  rocksdb::Status s = db_->Close();
  db_.reset();
  return first.ok() ? s : first;
}

absl::StatusOr<std::unique_ptr<FamilyDb>> OpenFamilyDb(const FamilyDbOpen& o) {
  auto unavailable = [&](absl::string_view why) {
    return absl::UnavailableError(
        absl::StrCat("cannot open ", o.what, " at ", o.path, ": ", why));
  };
  const bool exists =
      std::filesystem::exists(std::filesystem::path(o.path) / "CURRENT");
  if (!exists && o.read_only) return unavailable("no database there");
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  if (exists) {
    std::vector<std::string> names;
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(o.db, o.path, &names);
    if (!s.ok()) return unavailable(s.ToString());
    auto options_of = [&](const std::string& name) {
      for (const rocksdb::ColumnFamilyDescriptor& f : o.families) {
        if (f.name == name) return f.options;
      }
      return o.families.front().options;
    };
    for (const std::string& name : names) {
      families.emplace_back(name, options_of(name));
    }
    if (o.add_missing) {
      for (const rocksdb::ColumnFamilyDescriptor& f : o.families) {
        if (std::find(names.begin(), names.end(), f.name) == names.end()) {
          families.push_back(f);
        }
      }
    }
  } else {
    families = o.families;
  }
  rocksdb::DBOptions db_options = o.db;
  db_options.create_missing_column_families = !exists || o.add_missing;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      o.read_only
          ? rocksdb::DB::OpenForReadOnly(db_options, o.path, families, &handles,
                                         &raw)
          : rocksdb::DB::Open(db_options, o.path, families, &handles, &raw);
  if (!s.ok()) return unavailable(s.ToString());
  return std::make_unique<FamilyDb>(std::unique_ptr<rocksdb::DB>(raw),
                                    std::move(handles), /*created=*/!exists);
}

}  // namespace detente
