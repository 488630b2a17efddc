// Cluster mode over NATS JetStream (docs/cluster.md): a Replicator
// (eventlog/replication.h) whose replicated log is a JetStream stream.
//
// One stream message is one committed group (storage.proto's
// ReplicatedGroup). A node publishes with the header
// Nats-Expected-Last-Sequence set to the sequence of the last group its copy
// holds, so JetStream stores the group only if no other node committed in
// between: the stream's sequence is the compare-and-set that keeps positions
// global and gapless. Groups are received through an ordered consumer that
// starts after the copy's last group.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<EventLog> log, OpenJetStreamEventLog(
//       {.urls = {"nats://127.0.0.1:4222"}, .stream = "DETENTE"},
//       {.path = "/var/lib/detente/ingest"}));
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventlog/event_log.h"
#include "eventlog/replication.h"
#include "eventlog/rocks_event_log.h"

namespace detente {

struct JetStreamOptions {
  // NATS servers, "nats://host:port"; the client connects to one and fails
  // over to the others.
  std::vector<std::string> urls;
  // The stream that holds the log; created (file storage, `replicas`
  // replicas, no limits) when it does not exist.
  std::string stream = "DETENTE";
  int replicas = 3;
  // Each request to JetStream (publish, stream info) and the wait for
  // JetStream to become available at start.
  absl::Duration request_timeout = absl::Seconds(5);
  absl::Duration start_timeout = absl::Seconds(60);
  // How long CatchUp waits for the groups another node committed.
  absl::Duration catch_up_timeout = absl::Seconds(20);
  // Received groups not yet applied, in bytes, before the consumer waits.
  size_t max_buffered_bytes = 64u << 20;
};

// Splits "nats://a:4222,nats://b:4222" into URLs.
std::vector<std::string> SplitNatsUrls(const std::string& list);

// Connects, makes sure the stream exists and returns the replicator (not
// started: the log starts it).
absl::StatusOr<std::shared_ptr<Replicator>> ConnectJetStream(
    const JetStreamOptions& options);

// A node's event log: `local` is its copy (durability forced to async: the
// stream is the source of truth and refills the copy after a crash).
absl::StatusOr<std::unique_ptr<EventLog>> OpenJetStreamEventLog(
    const JetStreamOptions& options, RocksEventLogOptions local);

}  // namespace detente
