#include "services/ingest/ingest_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <mutex>

#include "absl/strings/ascii.h"

namespace detente {

struct IngestMetrics::Impl {
  explicit Impl(prometheus::Registry& r)
      : appends(prometheus::BuildCounter()
                    .Name("detente_appends_total")
                    .Help("Append calls and AppendStream batches by result")
                    .Register(r)),
        events(prometheus::BuildCounter()
                   .Name("detente_events_total")
                   .Help("Entries received by result")
                   .Register(r)),
        batch_size(prometheus::BuildHistogram()
                       .Name("detente_append_batch_size")
                       .Help("Entries per append request")
                       .Register(r)
                       .Add({}, prometheus::Histogram::BucketBoundaries{
                                    1, 2, 5, 10, 50, 100, 500, 1000, 5000,
                                    10000})),
        latency(prometheus::BuildHistogram()
                    .Name("detente_append_latency_seconds")
                    .Help("Time from receiving an append to its answer")
                    .Register(r)
                    .Add({}, prometheus::Histogram::BucketBoundaries{
                                 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1})),
        commit_write(prometheus::BuildHistogram()
                         .Name("detente_commit_write_seconds")
                         .Help("Write (and fsync, in sync durability) time "
                               "of one group commit")
                         .Register(r)
                         .Add({}, prometheus::Histogram::BucketBoundaries{
                                      0.00005, 0.0001, 0.00025, 0.0005,
                                      0.001, 0.0025, 0.005, 0.01, 0.05, 0.25})),
        group_batches(prometheus::BuildHistogram()
                          .Name("detente_commit_group_batches")
                          .Help("Client batches per group commit")
                          .Register(r)
                          .Add({}, prometheus::Histogram::BucketBoundaries{
                                       1, 2, 4, 8, 16, 32, 64, 128})),
        publish(prometheus::BuildHistogram()
                    .Name("detente_cluster_publish_seconds")
                    .Help("Cluster mode: wait for the JetStream stream to "
                          "store one group commit (quorum)")
                    .Register(r)
                    .Add({}, prometheus::Histogram::BucketBoundaries{
                                 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05, 0.1, 0.25, 1})),
        lost_races(prometheus::BuildCounter()
                       .Name("detente_cluster_lost_races_total")
                       .Help("Cluster mode: commits that another node's "
                             "commit beat to the stream's next sequence "
                             "(each one staged again)")
                       .Register(r)
                       .Add({})),
        head(prometheus::BuildGauge()
                 .Name("detente_log_head_position")
                 .Help("Position of the last committed entry")
                 .Register(r)
                 .Add({})),
        subscribers(prometheus::BuildGauge()
                        .Name("detente_subscribers")
                        .Help("Open Subscribe streams")
                        .Register(r)
                        .Add({})) {}

  prometheus::Family<prometheus::Counter>& appends;
  prometheus::Family<prometheus::Counter>& events;
  prometheus::Histogram& batch_size;
  prometheus::Histogram& latency;
  prometheus::Histogram& commit_write;
  prometheus::Histogram& group_batches;
  prometheus::Histogram& publish;
  prometheus::Counter& lost_races;
  prometheus::Gauge& head;
  std::mutex head_mu;
  uint64_t max_head = 0;  // guarded by head_mu
  prometheus::Gauge& subscribers;
};

IngestMetrics::IngestMetrics(prometheus::Registry& registry)
    : impl_(std::make_unique<Impl>(registry)) {}

IngestMetrics::~IngestMetrics() = default;

void IngestMetrics::RecordAppend(const absl::Status& status, size_t entries,
                                 size_t appended, size_t duplicates,
                                 absl::Duration latency) {
  const std::string result =
      status.ok() ? "ok"
                  : absl::AsciiStrToLower(absl::StatusCodeToString(status.code()));
  impl_->appends.Add({{"result", result}}).Increment();
  if (status.ok()) {
    impl_->events.Add({{"result", "appended"}}).Increment(double(appended));
    impl_->events.Add({{"result", "duplicate"}}).Increment(double(duplicates));
  } else {
    impl_->events.Add({{"result", "rejected"}}).Increment(double(entries));
  }
  impl_->batch_size.Observe(double(entries));
  impl_->latency.Observe(absl::ToDoubleSeconds(latency));
}

void IngestMetrics::RecordCommit(size_t, size_t batches, absl::Duration write) {
  impl_->commit_write.Observe(absl::ToDoubleSeconds(write));
  impl_->group_batches.Observe(double(batches));
}

void IngestMetrics::RecordReplication(absl::Duration publish,
                                      size_t lost_races) {
  impl_->publish.Observe(absl::ToDoubleSeconds(publish));
  impl_->lost_races.Increment(double(lost_races));
}

void IngestMetrics::SetHead(uint64_t head) {
  // Appends are answered on several threads (the log's, and gRPC's for a
  // lone append): an older head that comes last must not set it back.
  std::lock_guard lock(impl_->head_mu);
  if (head < impl_->max_head) return;
  impl_->max_head = head;
  impl_->head.Set(double(head));
}
void IngestMetrics::SubscriberStarted() { impl_->subscribers.Increment(); }
void IngestMetrics::SubscriberEnded() { impl_->subscribers.Decrement(); }

}  // namespace detente
