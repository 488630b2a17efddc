#include "services/query/projection_manager.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "common/thread_name.h"
#include "spdlog/spdlog.h"

namespace detente {
namespace fs = std::filesystem;

ProjectionManager::ProjectionManager(ProjectionManagerOptions options)
    : options_(std::move(options)) {}

absl::StatusOr<std::shared_ptr<ReadModelStore>> ProjectionManager::OpenStore(
    const std::string& name) {
  const std::string path = (fs::path(options_.data_dir) / name).string();
  ASSIGN_OR_RETURN(
      std::unique_ptr<ReadModelStore> store,
      ReadModelStore::Open({.path = path,
                            .block_cache_bytes = options_.block_cache_bytes,
                            .table_metadata = options_.table_metadata,
                            .day_cache_bytes = options_.day_cache_bytes}));
  return std::shared_ptr<ReadModelStore>(std::move(store));
}

absl::Status ProjectionManager::WriteCurrent(const std::string& name) {
  const fs::path dir(options_.data_dir);
  const fs::path tmp = dir / "CURRENT.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << name << "\n";
    out.flush();
    if (!out) return absl::UnavailableError("cannot write CURRENT.tmp");
  }
  std::error_code ec;
  fs::rename(tmp, dir / "CURRENT", ec);
  if (ec) return absl::UnavailableError("cannot replace CURRENT: " + ec.message());
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ProjectionManager>> ProjectionManager::Open(
    ProjectionManagerOptions options) {
  std::error_code ec;
  fs::create_directories(options.data_dir, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat(
        "cannot create ", options.data_dir, ": ", ec.message()));
  }
  std::unique_ptr<ProjectionManager> m(new ProjectionManager(options));
  std::string name;
  {
    std::ifstream in(fs::path(options.data_dir) / "CURRENT");
    std::getline(in, name);
  }
  // Store directories are store-000001, store-000002, ...
  for (const auto& entry : fs::directory_iterator(options.data_dir, ec)) {
    int n = 0;
    if (sscanf(entry.path().filename().c_str(), "store-%d", &n) == 1) {
      m->next_number_ = std::max(m->next_number_, n + 1);
    }
  }
  absl::StatusOr<std::shared_ptr<ReadModelStore>> store =
      absl::FailedPreconditionError("no store yet");
  if (!name.empty()) store = m->OpenStore(name);
  if (!store.ok()) {
    if (!name.empty()) {
      if (!absl::IsFailedPrecondition(store.status())) return store.status();
      spdlog::warn("read models: {}; rebuilding from the log",
                   std::string(store.status().message()));
    }
    const std::string old = name;
    name = absl::StrFormat("store-%06d", m->next_number_++);
    ASSIGN_OR_RETURN(store, m->OpenStore(name));
    RETURN_IF_ERROR(m->WriteCurrent(name));
    if (!old.empty()) fs::remove_all(fs::path(options.data_dir) / old, ec);
  }
  m->store_ = *std::move(store);
  m->store_name_ = name;
  // A restart: the first queries would each read a whole history
  // (docs/projections.md, "Which read model answers"); bounded by the
  // cache's budget (1.2-1.3 s for 90 MiB of day totals). Signals wait for
  // it: the service handles them once it listens.
  m->store_->WarmDayCache();
  m->follower_ = std::make_unique<Follower>(m->store_, options.follower);
  m->follower_->Start();
  return m;
}

ProjectionManager::~ProjectionManager() { Stop(); }

void ProjectionManager::Stop() {
  std::unique_ptr<Follower> f, nf;
  {
    std::lock_guard lock(mu_);
    f = std::move(follower_);
    nf = std::move(next_follower_);
  }
  if (nf) nf->Stop();
  if (f) f->Stop();
  if (swapper_.joinable()) swapper_.join();
  std::lock_guard lock(mu_);
  if (store_) store_->WakeAll();
}

std::shared_ptr<ReadModelStore> ProjectionManager::store() const {
  std::lock_guard lock(mu_);
  return store_;
}

absl::StatusOr<Position> ProjectionManager::StartRebuild() {
  std::lock_guard lock(mu_);
  if (next_follower_ || !follower_) {
    return absl::FailedPreconditionError("a rebuild is already running");
  }
  if (swapper_.joinable()) swapper_.join();
  next_name_ = absl::StrFormat("store-%06d", next_number_++);
  ASSIGN_OR_RETURN(next_store_, OpenStore(next_name_));
  FollowerOptions fo = options_.follower;
  // The swap stops the old follower, so it must not run on a follower's
  // own thread: hand it to a thread of its own.
  fo.on_caught_up = [this] {
    std::lock_guard lock(mu_);
    if (next_follower_ && !swapper_.joinable()) {
      swapper_ = std::thread([this] {
        NameThisThread("rebuild-switch");
        FinishRebuild();
      });
    }
  };
  next_follower_ = std::make_unique<Follower>(next_store_, fo);
  next_follower_->Start();
  spdlog::info("read models: rebuild into {} started at position {}",
               next_name_, store_->checkpoint().value());
  return store_->checkpoint();
}

void ProjectionManager::FinishRebuild() {
  std::unique_ptr<Follower> old_follower;
  std::shared_ptr<ReadModelStore> old_store;
  std::string old_name;
  {
    std::lock_guard lock(mu_);
    if (!next_follower_) return;
    absl::Status s = WriteCurrent(next_name_);
    if (!s.ok()) {
      spdlog::error("read models: rebuild not switched: {}", s.ToString());
      return;
    }
    old_follower = std::move(follower_);
    old_store = std::move(store_);
    old_name = store_name_;
    follower_ = std::move(next_follower_);
    store_ = std::move(next_store_);
    store_name_ = next_name_;
  }
  old_follower->Stop();
  old_follower.reset();
  spdlog::info("read models: switched to {} at position {}", store_name_,
               store()->checkpoint().value());
  // Removed once no query holds it any more.
  const fs::path dir = fs::path(options_.data_dir) / old_name;
  old_store->WakeAll();
  while (old_store.use_count() > 1) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  old_store.reset();
  std::error_code ec;
  fs::remove_all(dir, ec);
}

ProjectionStatus ProjectionManager::status() const {
  std::lock_guard lock(mu_);
  ProjectionStatus s;
  s.ingest_address = options_.follower.ingest_address;
  if (store_) {
    s.position = store_->checkpoint();
    if (absl::Status h = store_->StorageHealth(); !h.ok()) {
      s.storage_error = h.ToString();
    }
  }
  if (follower_) {
    FollowerStatus f = follower_->status();
    s.ingest_head = f.ingest_head;
    s.follower_state = f.state;
    s.last_error = f.last_error;
  }
  if (next_follower_) {
    s.rebuilding = true;
    s.rebuild_position = next_store_->checkpoint();
  }
  return s;
}

}  // namespace detente
