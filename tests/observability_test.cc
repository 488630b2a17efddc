// Metrics and health with the real binaries: detente-ingest's Prometheus
// page counts what happened, and detente-query's gRPC health says SERVING
// only while it follows the ingestion service within the allowed lag.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "reliability_util.h"
#include "support/api.h"
#include "support/ingest_process.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace detente::itest {
namespace {

// A detente-ingest in dir/ingest serving /metrics on `metrics_port`.
absl::StatusOr<std::unique_ptr<IngestProcess>> StartIngestWithMetrics(
    const TempDir& dir, int metrics_port, std::vector<std::string> args = {}) {
  args.insert(args.begin(),
              {"--metrics-listen", absl::StrCat("127.0.0.1:", metrics_port)});
  return IngestProcess::Start({.binary = DETENTE_INGEST_BIN,
                               .data_dir = dir.Sub("ingest"),
                               .log_dir = dir.path(),
                               .extra_args = std::move(args)});
}

TEST(ObservabilityTest, IngestMetricsCountAppendsAndEvents) {
  TempDir dir;
  const int metrics_port = PickFreePort();
  auto ingest = StartIngestWithMetrics(dir, metrics_port);
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
  const std::string text = FetchMetrics(
      dir, absl::StrCat("http://127.0.0.1:", metrics_port, "/metrics"));
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

// --block-cache-mb and --cache-index-and-filters reach RocksDB in both
// services (the block cache's capacity as RocksDB reports it), answers are
// unchanged, and the storage gauges show memtables and files.
TEST(ObservabilityTest, StorageSettingsReachRocksDBAndTheGauges) {
  TempDir dir;
  const int metrics_port = PickFreePort();
  auto ingest = StartIngestWithMetrics(
      dir, metrics_port,
      {"--block-cache-mb", "16", "--cache-index-and-filters"});
  ASSERT_TRUE(ingest.ok()) << ingest.status();
  QueryProc query(dir.Sub("query"), (*ingest)->address(), dir.Sub("query-log"),
                  {"--block-cache-mb", "8", "--cache-index-and-filters"});
  ASSERT_TRUE(query.Start().ok());
  v1::AppendRequest req;
  *req.add_entries() = MakeEvent("00000000-0000-4000-8000-000000000001",
                                 "2021-05-03", "KOR", "JPN", "036");
  v1::AppendResponse appended;
  grpc::ClientContext ctx;
  ASSERT_TRUE((*ingest)->stub().Append(&ctx, req, &appended).ok());
  ASSERT_TRUE(query.WaitFor(appended.head_position()));
  // One event of Goldstein +4.0 on the day: 4 / (1 + 1).
  v1::GetTemperatureRequest day;
  day.set_actor_a("KOR");
  day.set_actor_b("JPN");
  day.mutable_options()->set_from("2021-05-03");
  day.mutable_options()->set_to("2021-05-03");
  day.mutable_options()->set_resolution(v1::RESOLUTION_DAY);
  v1::GetTemperatureResponse t;
  grpc::ClientContext tctx;
  ASSERT_TRUE(query.stub().GetTemperature(&tctx, day, &t).ok());
  ASSERT_EQ(t.points_size(), 1);
  EXPECT_DOUBLE_EQ(t.points(0).temperature(), 2.0);

  // The gauges follow every one (ingest) or two (query) seconds.
  auto wait_for_capacity = [&](const std::string& url, double want) {
    std::string text;
    for (int i = 0; i < 100; ++i) {
      text = FetchMetrics(dir, url);
      if (MetricSample(text, "detente_storage_block_cache_capacity_bytes") ==
              want &&
          MetricSample(text, "detente_storage_disk_bytes") > 0 &&
          MetricSample(
              text, "detente_storage_memory_bytes{kind=\"memtables\"}") > 0) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return text;
  };
  const std::string ingest_url =
      absl::StrCat("http://127.0.0.1:", metrics_port, "/metrics");
  std::string ingest_text = wait_for_capacity(ingest_url, 16 << 20);
  // A refresh after the append (the gauges may predate it).
  const std::string kIdIndex =
      "detente_storage_memory_bytes{kind=\"id_index\"}";
  for (int i = 0; i < 50 && MetricSample(ingest_text, kIdIndex) <= 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ingest_text = FetchMetrics(dir, ingest_url);
  }
  const std::string query_text = wait_for_capacity(
      absl::StrCat("http://127.0.0.1:", query.http_port(), "/metrics"),
      8 << 20);
  for (const std::string* text :
       {static_cast<const std::string*>(&ingest_text), &query_text}) {
    EXPECT_GT(MetricSample(*text, "detente_storage_disk_bytes"), 0) << *text;
    EXPECT_GT(
        MetricSample(*text, "detente_storage_memory_bytes{kind=\"memtables\"}"),
        0)
        << *text;
    EXPECT_GE(
        MetricSample(*text,
                     "detente_storage_memory_bytes{kind=\"table_readers\"}"),
        0)
        << *text;
    EXPECT_GE(MetricSample(
                  *text, "detente_storage_memory_bytes{kind=\"block_cache\"}"),
              0)
        << *text;
    // A few entries, in the memtables: nothing to compact (-1 if missing).
    EXPECT_EQ(MetricSample(*text, "detente_storage_pending_compaction_bytes"),
              0)
        << *text;
    EXPECT_GE(MetricSample(*text, "detente_storage_running_compactions"), 0)
        << *text;
  }
  // The appended id is held in memory (the id index writes its files every
  // 450,000 ids): one small table's slots. The read models have none.
  EXPECT_GT(MetricSample(ingest_text, kIdIndex), 0) << ingest_text;
  EXPECT_LT(MetricSample(ingest_text, kIdIndex), 1 << 20) << ingest_text;
  EXPECT_EQ(MetricSample(query_text, kIdIndex), 0) << query_text;
  // The id filter: its two smallest filters (1,048,576 ids of 10 bits
  // each), the log being new.
  const std::string kIdFilter =
      "detente_storage_memory_bytes{kind=\"id_filter\"}";
  EXPECT_EQ(MetricSample(ingest_text, kIdFilter), 2 * 1310720) << ingest_text;
  EXPECT_EQ(MetricSample(query_text, kIdFilter), 0) << query_text;
  // The temperature read the pair's day totals, which the query service
  // keeps packed (--day-cache-mb): one day's, a few hundred bytes. The
  // ingestion service has no such cache.
  const std::string kDayCache =
      "detente_storage_memory_bytes{kind=\"day_cache\"}";
  const std::string query_url =
      absl::StrCat("http://127.0.0.1:", query.http_port(), "/metrics");
  std::string cache_text = query_text;
  for (int i = 0; i < 50 && MetricSample(cache_text, kDayCache) <= 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cache_text = FetchMetrics(dir, query_url);
  }
  EXPECT_GT(MetricSample(cache_text, kDayCache), 0) << cache_text;
  EXPECT_LT(MetricSample(cache_text, kDayCache), 4096) << cache_text;
  EXPECT_EQ(MetricSample(ingest_text, kDayCache), 0) << ingest_text;
  EXPECT_EQ(
      MetricSample(ingest_text, "detente_storage_block_cache_capacity_bytes"),
      16 << 20)
      << ingest_text;
  EXPECT_EQ(
      MetricSample(query_text, "detente_storage_block_cache_capacity_bytes"),
      8 << 20)
      << query_text;
}

// A restarted query service reads the pairs' day totals into its day cache
// before it listens (a follower that ended at the head through the memtables
// does not): its first queries read no whole history.
TEST(ObservabilityTest, ARestartFillsTheDayCacheBeforeTheFirstQuery) {
  TempDir dir;
  const int metrics_port = PickFreePort();
  auto ingest = StartIngestWithMetrics(dir, metrics_port);
  ASSERT_TRUE(ingest.ok()) << ingest.status();
  v1::AppendRequest req;
  std::mt19937_64 rng(11);
  for (const char* b : {"JPN", "USA", "CHN"}) {
    for (const char* date : {"1965-06-22", "1998-10-08", "2019-07-01"}) {
      *req.add_entries() = MakeEvent(RandomUuid(rng), date, "KOR", b, "036");
    }
  }
  v1::AppendResponse appended;
  grpc::ClientContext ctx;
  ASSERT_TRUE((*ingest)->stub().Append(&ctx, req, &appended).ok());
  const std::string kDayCache =
      "detente_storage_memory_bytes{kind=\"day_cache\"}";
  // The gauges follow every two seconds, and read 0 until their first
  // refresh: waits up to 5 s for a sample above 0 (-1 if missing).
  auto day_cache_after_start = [&](QueryProc& query) {
    const std::string url =
        absl::StrCat("http://127.0.0.1:", query.http_port(), "/metrics");
    std::string text;
    for (int i = 0; i < 50; ++i) {
      text = FetchMetrics(dir, url);
      if (MetricSample(text, kDayCache) > 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return MetricSample(text, kDayCache);
  };
  {
    QueryProc first(dir.Sub("query"), (*ingest)->address(),
                    dir.Sub("query-first"));
    ASSERT_TRUE(first.Start().ok());
    ASSERT_TRUE(first.WaitFor(appended.head_position()));
    // Nine entries through the memtables, and no query: nothing cached
    // (the 5 s the wait takes see two refreshes).
    EXPECT_EQ(day_cache_after_start(first), 0);
    first.process().Kill(SIGTERM);
    ASSERT_TRUE(first.process().Wait().exited);
  }
  QueryProc second(dir.Sub("query"), (*ingest)->address(),
                   dir.Sub("query-second"));
  ASSERT_TRUE(second.Start().ok());
  // Three pairs of three days each, a few hundred bytes each as counted,
  // with no query asked.
  const double cached = day_cache_after_start(second);
  EXPECT_GT(cached, 0);
  EXPECT_LT(cached, 4096);
  const std::string log = ReadFileOrEmpty(dir.Sub("query-second") + ".stderr");
  EXPECT_NE(log.find("the day totals of 3 of 3 pairs read into the cache"),
            std::string::npos)
      << log;
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
      FetchMetrics(dir, absl::StrCat("http://127.0.0.1:", http, "/metrics"));
  EXPECT_NE(metrics.find("detente_serving 0"), std::string::npos) << metrics;
  ingest = start_ingest(2);
  EXPECT_EQ(wait_for(1), 1);  // back and caught up
}

}  // namespace
}  // namespace detente::itest
