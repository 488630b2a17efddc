#include "services/query/query_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "services/common/storage_gauges.h"

namespace detente {

struct QueryMetrics::Impl {
  Impl()
      : latency(prometheus::BuildHistogram()
                    .Name("detente_query_latency_seconds")
                    .Help("Query latency by method (gRPC and HTTP alike)")
                    .Register(registry)),
        answers(
            prometheus::BuildCounter()
                .Name("detente_query_answers_total")
                .Help("Answers by method and kind (full, not_modified, cached)")
                .Register(registry)),
        http(prometheus::BuildCounter()
                 .Name("detente_http_requests_total")
                 .Help("HTTP requests by status")
                 .Register(registry)),
        position(prometheus::BuildGauge()
                     .Name("detente_projection_position")
                     .Help("Log position the read models reflect")
                     .Register(registry)
                     .Add({})),
        head(prometheus::BuildGauge()
                 .Name("detente_ingest_head_position")
                 .Help("The ingestion service's head as last seen")
                 .Register(registry)
                 .Add({})),
        lag(prometheus::BuildGauge()
                .Name("detente_projection_lag")
                .Help("Entries between the ingest head and the projection")
                .Register(registry)
                .Add({})),
        serving(prometheus::BuildGauge()
                    .Name("detente_serving")
                    .Help("1 when the health check says SERVING")
                    .Register(registry)
                    .Add({})),
        applied(prometheus::BuildGauge()
                    .Name("detente_projection_applied_entries")
                    .Help("Entries the current read models applied since "
                          "they were opened, by how they were written "
                          "(memtables, or tables during a catch-up)")
                    .Register(registry)),
        storage(registry) {}

  prometheus::Registry registry;
  prometheus::Family<prometheus::Histogram>& latency;
  prometheus::Family<prometheus::Counter>& answers;
  prometheus::Family<prometheus::Counter>& http;
  prometheus::Gauge& position;
  prometheus::Gauge& head;
  prometheus::Gauge& lag;
  prometheus::Gauge& serving;
  prometheus::Family<prometheus::Gauge>& applied;
  StorageGauges storage;
};

QueryMetrics::QueryMetrics() : impl_(std::make_unique<Impl>()) {}
QueryMetrics::~QueryMetrics() = default;

void QueryMetrics::ObserveQuery(const std::string& method,
                                absl::Duration latency, const char* kind) {
  static const prometheus::Histogram::BucketBoundaries kBuckets{
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
      0.005,   0.01,   0.025,   0.05,   0.1,   0.5};
  impl_->latency.Add({{"method", method}}, kBuckets)
      .Observe(absl::ToDoubleSeconds(latency));
  impl_->answers
      .Add({{"method", method}, {"kind", kind}})
      .Increment();
}

void QueryMetrics::CountHttp(int status) {
  impl_->http.Add({{"status", std::to_string(status)}}).Increment();
}

void QueryMetrics::SetStorage(const StorageMemory& memory,
                              const StorageCompactions& compactions,
                              uint64_t disk_bytes) {
  impl_->storage.Set(memory, compactions, disk_bytes);
}

void QueryMetrics::SetApplied(uint64_t through_memtables, uint64_t as_tables) {
  impl_->applied.Add({{"written", "memtables"}}).Set(double(through_memtables));
  impl_->applied.Add({{"written", "tables"}}).Set(double(as_tables));
}

void QueryMetrics::SetProjection(uint64_t position, uint64_t ingest_head,
                                 bool serving) {
  impl_->position.Set(double(position));
  impl_->head.Set(double(ingest_head));
  impl_->lag.Set(ingest_head > position ? double(ingest_head - position) : 0);
  impl_->serving.Set(serving ? 1 : 0);
}

std::string QueryMetrics::Render() const {
  return prometheus::TextSerializer().Serialize(impl_->registry.Collect());
}

}  // namespace detente
