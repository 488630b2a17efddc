#include "eventlog/checkpoint.h"

#include <rocksdb/db.h>
#include <rocksdb/utilities/checkpoint.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/field_violation.h"
#include "eventlog/rocks_status.h"

namespace detente {
namespace {

namespace fs = std::filesystem;

absl::Status BadDirectory(const std::string& why) {
  return InvalidArgumentWithViolations({{"directory", why}});
}

absl::Status CannotUse(const std::string& what, const std::string& path,
                       const std::error_code& ec) {
  return absl::FailedPreconditionError(
      absl::StrCat("backup directory: cannot ", what, " ", path, ": ",
                   ec.message()));
}

// `p` absolute, normalised, existing parts with symbolic links resolved,
// without a trailing separator.
fs::path Resolved(const fs::path& p) {
  std::error_code ec;
  fs::path out = fs::weakly_canonical(fs::absolute(p), ec);
  if (ec) out = fs::absolute(p).lexically_normal();
  if (!out.has_filename() && out.has_relative_path()) out = out.parent_path();
  return out;
}

// True when `inner` is `outer` or lies below it.
bool IsWithin(const fs::path& inner, const fs::path& outer) {
  const fs::path a = Resolved(inner);
  const fs::path b = Resolved(outer);
  return std::mismatch(b.begin(), b.end(), a.begin(), a.end()).first ==
         b.end();
}

// Where the checkpoint is cut, inside the target directory (rocksdb wants
// to create its directory itself, and the target may be a mount point).
constexpr char kStagingName[] = ".detente-backup-incomplete";

std::error_code SyncDirectory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return {errno, std::generic_category()};
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  return rc == 0 ? std::error_code() : std::error_code(err, std::generic_category());
}

}  // namespace

absl::Status PrepareBackupDirectory(const std::string& directory,
                                    const std::string& log_path) {
  if (directory.empty()) return BadDirectory("is empty");
  const fs::path dir(directory);
  if (IsWithin(dir, log_path)) {
    return BadDirectory(absl::StrCat(
        directory, " is inside the log's own directory ", log_path));
  }
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return CannotUse("inspect", directory, ec);
  }
  if (!fs::exists(st)) {
    fs::create_directories(dir, ec);
    if (ec) return CannotUse("create", directory, ec);
    return absl::OkStatus();
  }
  if (!fs::is_directory(st)) {
    return BadDirectory(
        absl::StrCat(directory, " exists and is not a directory"));
  }
  const bool empty = fs::is_empty(dir, ec);
  if (ec) return CannotUse("list", directory, ec);
  if (!empty) {
    return BadDirectory(absl::StrCat(
        directory, " is not empty; give a new or an empty directory"));
  }
  return absl::OkStatus();
}

absl::Status WriteCheckpoint(rocksdb::DB& db, const std::string& directory) {
  const fs::path dir = Resolved(directory);
  const fs::path staging = dir / kStagingName;
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(&db, &raw);
  if (!s.ok()) return FromRocks(s, "starting a checkpoint");
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  s = checkpoint->CreateCheckpoint(staging.string(), /*log_size_for_flush=*/0);
  if (!s.ok()) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    return absl::UnavailableError(
        absl::StrCat("writing the backup to ", directory, ": ", s.ToString()));
  }
  // Move the files up, CURRENT last: a directory with CURRENT is complete.
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& f : fs::directory_iterator(staging, ec)) {
    if (f.path().filename() != "CURRENT") files.push_back(f.path());
  }
  files.push_back(staging / "CURRENT");
  for (const fs::path& f : files) {
    if (ec) break;
    fs::rename(f, dir / f.filename(), ec);
  }
  if (!ec) fs::remove(staging, ec);
  if (!ec) ec = SyncDirectory(dir);
  if (ec) {
    return absl::UnavailableError(absl::StrCat(
        "moving the backup into ", directory, ": ", ec.message()));
  }
  return absl::OkStatus();
}

DirectorySummary SummarizeBackup(const std::string& directory,
                                 const std::string& log_path) {
  DirectorySummary out;
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(directory, ec)) {
    if (!f.is_regular_file(ec)) continue;
    ++out.files;
    out.bytes += f.file_size(ec);
  }
  struct stat a {}, b {};
  out.same_filesystem = ::stat(directory.c_str(), &a) == 0 &&
                        ::stat(log_path.c_str(), &b) == 0 &&
                        a.st_dev == b.st_dev;
  return out;
}

void ClearBackupDirectory(const std::string& directory) {
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(directory, ec)) {
    std::error_code ignored;
    fs::remove_all(f.path(), ignored);
  }
}

}  // namespace detente
