// Keeps a server's gRPC health (grpc.health.v1: the server as a whole and
// one service name) equal to what the service says of itself, and logs each
// change. Both services run one from a watcher thread.
//
//   HealthPublisher health(*server, "detente.v1.IngestService");
//   health.Set(log.StorageHealth().ok(), "...");  // every 250 ms
#pragma once

#include <optional>
#include <string>

namespace grpc {
class Server;
}

namespace detente {

class HealthPublisher {
 public:
  HealthPublisher(grpc::Server& server, std::string service);

  // Publishes `serving` on the first call and whenever it changes, logging
  // "health: SERVING (why)" or "health: NOT_SERVING (why)". Not thread-safe:
  // one caller.
  void Set(bool serving, const std::string& why);

 private:
  grpc::Server& server_;
  const std::string service_;
  std::optional<bool> last_;
};

}  // namespace detente
