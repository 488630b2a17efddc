// A NATS JetStream cluster for multi-process tests: N (3) real nats-server
// processes on free loopback ports (client, cluster route and monitoring
// port each), one config file and one JetStream store per node under a
// scratch directory, routes between all of them, max_payload 8MB.
//
//   if (NatsCluster::FindServer().empty()) GTEST_SKIP() << "no nats-server";
//   auto nats = NatsCluster::Start({.dir = dir.Sub("nats")});
//   ASSERT_TRUE(nats.ok()) << nats.status();
//   (*nats)->urls();            // "nats://127.0.0.1:P1,nats://127.0.0.1:P2,..."
//   (*nats)->Kill(1);           // SIGKILL, reaped
//   (*nats)->Restart(1);        // same ports, same store directory
//   (*nats)->WaitHealthy(absl::Seconds(30));
//
// Start() returns once the cluster has a JetStream meta leader that every
// node agrees on and that sees every other node as a current peer. The
// servers are Subprocesses: start, kill and restart them from the test's
// main thread (PR_SET_PDEATHSIG); the destructor kills whatever still runs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "support/subprocess.h"

namespace detente::itest {

struct NatsClusterOptions {
  std::string dir;  // scratch directory (created when missing): configs,
                    // stores and logs, one set per node
  int size = 3;
  std::string cluster_name = "detente-test";
  // More lines for every node's configuration file.
  std::vector<std::string> extra_config;
  absl::Duration ready_timeout = absl::Seconds(30);
};

// One GET over HTTP/1.0 on 127.0.0.1:port (the monitoring endpoints).
struct HttpGetResult {
  int code = 0;  // 0: transport failure
  std::string body;
  std::string error;
};
HttpGetResult HttpGet(int port, const std::string& target,
                      absl::Duration timeout = absl::Seconds(2));

class NatsCluster {
 public:
  // The nats-server binary: $DETENTE_NATS_SERVER, else nats-server on PATH,
  // else /usr/sbin/nats-server; "" when none is executable.
  static std::string FindServer();

  static absl::StatusOr<std::unique_ptr<NatsCluster>> Start(
      const NatsClusterOptions& options);
  ~NatsCluster();
  NatsCluster(const NatsCluster&) = delete;
  NatsCluster& operator=(const NatsCluster&) = delete;

  int size() const { return static_cast<int>(nodes_.size()); }
  // Comma-separated client URLs of every node, running or not.
  std::string urls() const;
  std::string url(int i) const;
  int client_port(int i) const { return nodes_[i].client_port; }
  int monitor_port(int i) const { return nodes_[i].monitor_port; }
  // server_name of node i ("n0", "n1", ...).
  std::string name(int i) const;
  bool running(int i) const;
  const std::string& store_dir(int i) const { return nodes_[i].store_dir; }

  // SIGKILL and reap node i.
  void Kill(int i);
  // Starts node i again with its configuration (same ports, same store),
  // and waits until its monitoring port answers (not for JetStream health:
  // use WaitHealthy).
  absl::Status Restart(int i);

  // Waits until every node runs, answers /healthz with 200 (JetStream
  // current, its streams too), names the same meta leader in /jsz, and that
  // leader lists every other node as a current replica.
  absl::Status WaitHealthy(absl::Duration timeout);
  // Waits until the running nodes agree on a meta leader (e.g. after a kill).
  absl::Status WaitForMetaLeader(absl::Duration timeout);
  // The meta leader's index as node `i` sees it (-1: none or unreachable).
  int MetaLeaderSeenBy(int i) const;
  // The index of the leader of JetStream stream `stream` as the first
  // running node that knows the stream sees it (-1: unknown).
  int StreamLeader(const std::string& stream) const;
  // Messages of `stream` in node i's own store (-1: unknown).
  int64_t StreamMessagesOn(int i, const std::string& stream) const;

  // Node i's log file (stderr and stdout of the server) as text.
  std::string LogText(int i) const;
  // One line per node: running, /healthz answer, meta leader: for failures.
  std::string Describe() const;

 private:
  struct Node {
    int client_port = 0;
    int route_port = 0;
    int monitor_port = 0;
    std::string config_path;
    std::string store_dir;
    std::string log_path;
    int starts = 0;
    std::unique_ptr<Subprocess> process;
  };

  NatsCluster() = default;
  absl::Status WriteConfig(int i) const;
  absl::Status StartNode(int i);
  // Waits until node i answers on its monitoring port or dies.
  absl::Status WaitListening(int i, absl::Duration timeout);
  // Empty when the cluster is healthy, else what is not.
  std::string Unhealthy() const;

  std::string binary_;
  NatsClusterOptions options_;
  std::vector<Node> nodes_;
};

}  // namespace detente::itest
