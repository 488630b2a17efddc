// Metrics and health with the real binaries: detente-ingest's Prometheus
// page counts what happened, and detente-query's gRPC health says SERVING
// only while it follows the ingestion service within the allowed lag.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "support/api.h"
#include "support/ingest_process.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace detente::itest {
namespace {

std::string Metrics(const TempDir& dir, const std::string& url) {
  RunResult r = RunToCompletion({.binary = "/usr/bin/curl",
                                 .args = {"-s", url},
                                 .stdout_path = dir.Sub("curl.out"),
                                 .stderr_path = dir.Sub("curl.err")});
  return r.out;
}

TEST(ObservabilityTest, IngestMetricsCountAppendsAndEvents) {
  TempDir dir;
  const int metrics_port = PickFreePort();
  auto ingest = IngestProcess::Start(
      {.binary = DETENTE_INGEST_BIN,
       .data_dir = dir.Sub("ingest"),
       .log_dir = dir.path(),
       .extra_args = {"--metrics-listen",
                      absl::StrCat("127.0.0.1:", metrics_port)}});
  ASSERT_TRUE(ingest.ok()) << ingest.status();
  std::mt19937_64 rng(5);
  {
    v1::AppendRequest req;
    for (int i = 0; i < 3; ++i) {
      *req.add_entries() =
          MakeEvent(RandomUuid(rng), "2021-05-03", "KOR", "JPN", "036");
    }
    v1::AppendResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE((*ingest)->stub().Append(&ctx, req, &resp).ok());
    grpc::ClientContext again;
    ASSERT_TRUE((*ingest)->stub().Append(&again, req, &resp).ok());  // dups
    v1::AppendRequest bad;
    *bad.add_entries() = MakeEvent(RandomUuid(rng), "2021-02-29", "KOR", "JPN", "036");
    grpc::ClientContext third;
    EXPECT_EQ((*ingest)->stub().Append(&third, bad, &resp).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  const std::string text =
      Metrics(dir, absl::StrCat("http://127.0.0.1:", metrics_port, "/metrics"));
  for (const char* line :
       {"detente_appends_total{result=\"ok\"} 2",
        "detente_appends_total{result=\"invalid_argument\"} 1",
        "detente_events_total{result=\"appended\"} 3",
        "detente_events_total{result=\"duplicate\"} 3",
        "detente_events_total{result=\"rejected\"} 1",
        "detente_log_head_position 3", "detente_append_batch_size_count 3",
        "detente_commit_write_seconds_count 1", "detente_subscribers 0"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  EXPECT_EQ(HealthStatus((*ingest)->address(), "detente.v1.IngestService"), 1);
}

TEST(ObservabilityTest, QueryHealthTellsTheTruth) {
  TempDir dir;
  const std::string ingest_address = absl::StrCat("127.0.0.1:", PickFreePort());
  auto start_ingest = [&](int n) {
    auto p = std::make_unique<Subprocess>(SubprocessOptions{
        .binary = DETENTE_INGEST_BIN,
        .args = {"--listen", ingest_address, "--data-dir", dir.Sub("ingest")},
        .stdout_path = dir.Sub(absl::StrCat("ingest-", n, ".out")),
        .stderr_path = dir.Sub(absl::StrCat("ingest-", n, ".err"))});
    EXPECT_TRUE(p->Start().ok());
    EXPECT_TRUE(WaitForIngest(ingest_address, absl::Seconds(30)).ok());
    return p;
  };
  auto ingest = start_ingest(1);
  const std::string query = absl::StrCat("127.0.0.1:", PickFreePort());
  const int http = PickFreePort();
  Subprocess q({.binary = DETENTE_QUERY_BIN,
                .args = {"--listen", query, "--data-dir", dir.Sub("query"),
                         "--ingest", ingest_address, "--http-listen",
                         absl::StrCat("127.0.0.1:", http), "--max-serving-lag",
                         "0"},
                .stdout_path = dir.Sub("query.out"),
                .stderr_path = dir.Sub("query.err")});
  ASSERT_TRUE(q.Start().ok());
  auto wait_for = [&](int want) {
    int got = -2;
    for (int i = 0; i < 200 && got != want; ++i) {
      got = HealthStatus(query, "detente.v1.QueryService");
      if (got != want) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return got;
  };
  EXPECT_EQ(wait_for(1), 1);  // connected, nothing to catch up
  ingest->Kill(SIGTERM);
  ingest->Wait();
  EXPECT_EQ(wait_for(2), 2);  // disconnected: NOT_SERVING
  const std::string metrics =
      Metrics(dir, absl::StrCat("http://127.0.0.1:", http, "/metrics"));
  EXPECT_NE(metrics.find("detente_serving 0"), std::string::npos) << metrics;
  ingest = start_ingest(2);
  EXPECT_EQ(wait_for(1), 1);  // back and caught up
}

}  // namespace
}  // namespace detente::itest
