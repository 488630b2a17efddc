#include "services/common/health_publisher.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "spdlog/spdlog.h"

namespace detente {

HealthPublisher::HealthPublisher(grpc::Server& server, std::string service)
    : server_(server), service_(std::move(service)) {}

void HealthPublisher::Set(bool serving, const std::string& why) {
  if (last_ == serving) return;
  grpc::HealthCheckServiceInterface* health = server_.GetHealthCheckService();
  health->SetServingStatus(service_, serving);
  health->SetServingStatus(serving);
  spdlog::info("health: {} ({})", serving ? "SERVING" : "NOT_SERVING", why);
  last_ = serving;
}

}  // namespace detente
