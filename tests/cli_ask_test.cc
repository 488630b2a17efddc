// The query subcommands of the real `detente` binary against the real
// services: temperature (table, csv, json), group, timeline, movers, actor,
// status, and their one-line errors.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "support/ingest_process.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace detente::itest {
namespace {

class CliAskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ingest = IngestProcess::Start({.binary = DETENTE_INGEST_BIN,
                                        .data_dir = dir_.Sub("ingest"),
                                        .log_dir = dir_.path()});
    ASSERT_TRUE(ingest.ok()) << ingest.status();
    ingest_ = std::move(*ingest);
    query_address_ = absl::StrCat("127.0.0.1:", PickFreePort());
    query_ = std::make_unique<Subprocess>(SubprocessOptions{
        .binary = DETENTE_QUERY_BIN,
        .args = {"--listen", query_address_, "--data-dir", dir_.Sub("query"),
                 "--ingest", ingest_->address(), "--http-listen",
                 "127.0.0.1:0"},
        .stdout_path = dir_.Sub("query.out"),
        .stderr_path = dir_.Sub("query.err")});
    ASSERT_TRUE(query_->Start().ok());
    // GDELT's scores: 036 -> +4, 111 -> -2, 040 -> +1.
    std::ofstream(dir_.Sub("events.jsonl"))
        << R"({"eventId":"00000000-0000-4000-8000-000000000001","occurredOn":"2021-05-03","source":"KOR","target":"JPN","eventCode":"036","title":"Seoul proposes talks"})"
        << "\n"
        << R"({"eventId":"00000000-0000-4000-8000-000000000002","occurredOn":"2021-06","source":"JPN","target":"KOR","eventCode":"111","title":"Tokyo criticises Seoul"})"
        << "\n"
        << R"({"eventId":"00000000-0000-4000-8000-000000000003","occurredOn":"2021-05-10","source":"USA","target":"KOR","eventCode":"040","title":"Washington consults Seoul"})"
        << "\n";
    RunResult load = Cli({"ingest", "-q", dir_.Sub("events.jsonl")});
    ASSERT_EQ(load.status.code, 0) << load.err;
    // Wait until the query service has all three entries.
    for (int i = 0; i < 300; ++i) {
      RunResult s = Cli({"status"});
      if (s.out.find("position:           3") != std::string::npos) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "the query service did not catch up";
  }

  RunResult Cli(std::vector<std::string> args) {
    return RunToCompletion(
        {.binary = DETENTE_CLI_BIN,
         .args = std::move(args),
         .env = {{"DETENTE_INGEST", ingest_->address()},
                 {"DETENTE_QUERY", query_address_}},
         .stdout_path = dir_.Sub("cli.out"),
         .stderr_path = dir_.Sub("cli.err")},
        absl::Seconds(30));
  }

  TempDir dir_;
  std::unique_ptr<IngestProcess> ingest_;
  std::string query_address_;
  std::unique_ptr<Subprocess> query_;
};

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

TEST_F(CliAskTest, TemperatureCsvHasTheDocumentedColumnsAndExactValues) {
  RunResult r = Cli({"temperature", "KOR", "JPN", "--from", "2021-06-01",
                     "--to", "2021-06-01", "--resolution", "day", "--format",
                     "csv"});
  ASSERT_EQ(r.status.code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_EQ(lines[0],
            "period_start,period_end,temperature,heat,events,weight_sum,"
            "goldstein_sum,verbal_coop,material_coop,verbal_conflict,"
            "material_conflict");
  std::vector<std::string> f = absl::StrSplit(lines[1], ',');
  ASSERT_EQ(f.size(), 11u);
  EXPECT_EQ(f[0], "2021-06-01");
  EXPECT_EQ(f[1], "2021-06-01");
  // June 1 is 29 days after May 3; the month-precision event counts on
  // June 1: (4k - 2) / (1 + k + 1), heat 1 + k, k = 2^(-29/90).
  const double k = std::pow(2.0, -29.0 / 90.0);
  EXPECT_NEAR(std::stod(f[2]), (4 * k - 2) / (2 + k), 1e-12);
  EXPECT_NEAR(std::stod(f[3]), 1 + k, 1e-12);
  // Full precision: 17 significant digits.
  EXPECT_GE(f[2].size(), 17u) << f[2];
  EXPECT_EQ(f[4], "1");
  EXPECT_EQ(f[5], "1");
  EXPECT_EQ(f[6], "-2");
  EXPECT_EQ(f[7], "0");
  EXPECT_EQ(f[8], "0");
  EXPECT_EQ(f[9], "1");
  EXPECT_EQ(f[10], "0");
}

TEST_F(CliAskTest, TemperatureTableAndJsonAndNames) {
  RunResult table = Cli({"temperature", "South Korea", "Japan", "--from",
                         "2021-05", "--to", "2021-07"});
  ASSERT_EQ(table.status.code, 0) << table.err;
  EXPECT_NE(table.out.find("KOR-JPN"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("2021-06-01  2021-06-30"), std::string::npos);
  EXPECT_EQ(Lines(table.out).size(), 2u + 1 + 3) << table.out;  // title,
  // sparkline, header, 3 months
  RunResult json = Cli({"temperature", "KOR", "JPN", "--from", "2021-05",
                        "--to", "2021-07", "--format", "json"});
  ASSERT_EQ(json.status.code, 0) << json.err;
  EXPECT_NE(json.out.find("\"periodStart\": \"2021-07-01\""), std::string::npos)
      << json.out;
  EXPECT_NE(json.out.find("\"stream\": \"JPN-KOR\""), std::string::npos);
  RunResult directed = Cli({"temperature", "JPN", "KOR", "--directed", "--from",
                            "2021-06-01", "--to", "2021-06-01", "--resolution",
                            "day", "--format", "csv"});
  ASSERT_EQ(directed.status.code, 0) << directed.err;
  // Only Tokyo's criticism: -2 / (1 + 1).
  EXPECT_NEAR(std::stod(std::vector<std::string>(
                  absl::StrSplit(Lines(directed.out)[1], ','))[2]),
              -1.0, 1e-12);
}

TEST_F(CliAskTest, GroupTimelineMoversActorStatus) {
  RunResult group = Cli({"group", "USA", "KOR", "JPN", "--from", "2021-05-10",
                         "--to", "2021-05-10", "--resolution", "day",
                         "--format", "csv"});
  ASSERT_EQ(group.status.code, 0) << group.err;
  const double k = std::pow(2.0, -7.0 / 90.0);
  EXPECT_NEAR(std::stod(std::vector<std::string>(
                  absl::StrSplit(Lines(group.out)[1], ','))[2]),
              (4 * k + 1) / (1 + k + 1), 1e-12);

  RunResult timeline = Cli({"timeline", "KOR", "JPN"});
  ASSERT_EQ(timeline.status.code, 0) << timeline.err;
  const size_t first = timeline.out.find("2021-05-03");
  const size_t second = timeline.out.find("2021-06 ");
  ASSERT_NE(first, std::string::npos) << timeline.out;
  ASSERT_NE(second, std::string::npos) << timeline.out;
  EXPECT_LT(first, second);
  EXPECT_NE(timeline.out.find("2 events"), std::string::npos);

  RunResult movers = Cli({"movers", "--from", "2021-05-01", "--to", "2021-05-31"});
  ASSERT_EQ(movers.status.code, 0) << movers.err;
  EXPECT_NE(movers.out.find("JPN-KOR"), std::string::npos) << movers.out;
  EXPECT_NE(movers.out.find("KOR-USA"), std::string::npos) << movers.out;

  RunResult actor = Cli({"actor", "KOR", "--at", "2021-12-31"});
  ASSERT_EQ(actor.status.code, 0) << actor.err;
  EXPECT_NE(actor.out.find("South Korea"), std::string::npos);
  EXPECT_NE(actor.out.find("JPN"), std::string::npos);
  EXPECT_NE(actor.out.find("USA"), std::string::npos);

  RunResult status = Cli({"status"});
  ASSERT_EQ(status.status.code, 0) << status.err;
  EXPECT_NE(status.out.find("LIVE"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("lag:                0"), std::string::npos);
}

TEST_F(CliAskTest, ErrorsAreOneClearLine) {
  RunResult typo = Cli({"temperature", "KOE", "JPN"});
  EXPECT_EQ(typo.status.code, 2);
  EXPECT_NE(typo.err.find("unknown country code \"KOE\""), std::string::npos)
      << typo.err;
  EXPECT_NE(typo.err.find("KOR (South Korea)"), std::string::npos) << typo.err;
  EXPECT_EQ(Lines(typo.err).size(), 1u) << typo.err;

  RunResult date = Cli({"temperature", "KOR", "JPN", "--from", "2021-13"});
  EXPECT_EQ(date.status.code, 2);
  EXPECT_NE(date.err.find("--from"), std::string::npos) << date.err;
  EXPECT_NE(date.err.find("month 13"), std::string::npos) << date.err;

  RunResult option = Cli({"temperature", "KOR", "JPN", "--resolution", "decade"});
  EXPECT_EQ(option.status.code, 2) << option.err;

  RunResult server_side = Cli({"temperature", "KOR", "JPN", "--half-life", "0.5"});
  EXPECT_EQ(server_side.status.code, 1);
  EXPECT_NE(server_side.err.find("half_life_days"), std::string::npos)
      << server_side.err;

  RunResult away = RunToCompletion({.binary = DETENTE_CLI_BIN,
                                    .args = {"--query", "127.0.0.1:1", "status"},
                                    .stdout_path = dir_.Sub("away.out"),
                                    .stderr_path = dir_.Sub("away.err")});
  EXPECT_EQ(away.status.code, 2);
  EXPECT_NE(away.err.find("cannot reach the query service at 127.0.0.1:1"),
            std::string::npos)
      << away.err;
}

}  // namespace
}  // namespace detente::itest
