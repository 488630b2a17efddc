// Owns the query service's read models on disk: which store is current
// (DATA_DIR/CURRENT names it), the follower that feeds it, and rebuilds.
//
// A rebuild builds a fresh store from position 1 with its own follower
// while the current store keeps answering; when the new one has caught up
// with the head it becomes current atomically (CURRENT is replaced by a
// rename) and the old store is deleted once the last query using it ends.
// A store written by another projection version is discarded at start-up
// and rebuilt.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "services/query/follower.h"

namespace detente {

struct ProjectionManagerOptions {
  std::string data_dir = "var/query";
  FollowerOptions follower;
  // Budget of each store's day totals (ReadModelStoreOptions).
  size_t day_cache_bytes = 192u << 20;
  // Each store's RocksDB block cache, and where its index and filter blocks
  // live (ReadModelStoreOptions).
  size_t block_cache_bytes = 64u << 20;
  TableMetadata table_metadata = TableMetadata::kOutsideCache;
};

struct ProjectionStatus {
  Position position;
  Position ingest_head;
  FollowerState follower_state = FollowerState::kConnecting;
  bool rebuilding = false;
  Position rebuild_position;
  std::string last_error;
  // The store's StorageHealth() when it is not OK: a write failed and the
  // store has not reopened its database yet.
  std::string storage_error;
  std::string ingest_address;
};

class ProjectionManager {
 public:
  static absl::StatusOr<std::unique_ptr<ProjectionManager>> Open(
      ProjectionManagerOptions options);
  ~ProjectionManager();

  // The store queries should read; hold the pointer for the whole query.
  std::shared_ptr<ReadModelStore> store() const;
  // FAILED_PRECONDITION when a rebuild is already running.
  absl::StatusOr<Position> StartRebuild();
  ProjectionStatus status() const;
  // Stops following (and any rebuild).
  void Stop();

 private:
  explicit ProjectionManager(ProjectionManagerOptions options);
  absl::StatusOr<std::shared_ptr<ReadModelStore>> OpenStore(
      const std::string& name);
  absl::Status WriteCurrent(const std::string& name);
  void FinishRebuild();

  const ProjectionManagerOptions options_;
  mutable std::mutex mu_;
  std::shared_ptr<ReadModelStore> store_;  // guarded by mu_
  std::unique_ptr<Follower> follower_;     // guarded by mu_
  std::string store_name_;                 // guarded by mu_
  // A rebuild in progress.
  std::shared_ptr<ReadModelStore> next_store_;
  std::unique_ptr<Follower> next_follower_;
  std::string next_name_;
  std::thread swapper_;
  int next_number_ = 1;
};

}  // namespace detente
