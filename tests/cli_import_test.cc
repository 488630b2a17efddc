// `detente ingest` on every import format, `detente export` and `detente
// synth`, against the real detente-ingest on a free loopback port: every row
// is accounted for, loading twice appends nothing, and export -> ingest into
// an empty log -> export gives the same JSONL. Runs on the real GDELT and
// ICEWS files in ../shared/data/real when that folder exists.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "support/api.h"
#include "support/ingest_process.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "text_search.h"

namespace detente::itest {
namespace {

const std::string kFixtures =
    std::string(DETENTE_SOURCE_DIR) + "/tests/fixtures/import/";
const std::string kReal =
    std::string(DETENTE_SOURCE_DIR) + "/../shared/data/real/";

struct Summary {
  bool parsed = false;
  uint64_t read = 0, appended = 0, duplicates = 0, rejected = 0, skipped = 0;
  uint64_t accounted() const {
    return appended + duplicates + rejected + skipped;
  }
};

Summary ParseSummary(const std::string& err) {
  Summary s;
  const auto m = SearchRegex(
      err,
      "read ([0-9]+), appended ([0-9]+), duplicates ([0-9]+), "
      "rejected ([0-9]+)(, skipped ([0-9]+))?");
  if (!m) return s;
  s.parsed = true;
  s.read = std::stoull((*m)[1]);
  s.appended = std::stoull((*m)[2]);
  s.duplicates = std::stoull((*m)[3]);
  s.rejected = std::stoull((*m)[4]);
  if (!(*m)[6].empty()) s.skipped = std::stoull((*m)[6]);
  return s;
}

uint64_t NonEmptyLines(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  uint64_t n = 0;
  while (std::getline(in, line))
    n += line.find_first_not_of(" \t\r") != std::string::npos;
  return n;
}

class CliImportTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = StartServer("data"); }
  void TearDown() override {
    for (auto& s : servers_) s->Stop();
  }

  IngestProcess* StartServer(const std::string& name) {
    auto s = IngestProcess::Start({.binary = DETENTE_INGEST_BIN,
                                   .data_dir = dir_.Sub(name),
                                   .log_dir = dir_.path()});
    EXPECT_TRUE(s.ok()) << s.status();
    if (!s.ok()) return nullptr;
    servers_.push_back(*std::move(s));
    return servers_.back().get();
  }

  RunResult Cli(IngestProcess* server, std::vector<std::string> args) {
    const int n = runs_++;
    args.insert(args.begin(), {"--ingest", server->address()});
    return RunToCompletion(
        {.binary = DETENTE_CLI_BIN,
         .args = std::move(args),
         .stdout_path = dir_.Sub(absl::StrCat("cli-", n, ".stdout")),
         .stderr_path = dir_.Sub(absl::StrCat("cli-", n, ".stderr"))},
        absl::Seconds(120));
  }

  // Loads `file` twice; checks both summaries account for `rows` rows and
  // the second appends nothing. Returns the first summary.
  Summary LoadTwice(const std::string& file, uint64_t rows,
                    std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"ingest"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(file);
    RunResult first = Cli(server_, args);
    Summary a = ParseSummary(first.err);
    EXPECT_TRUE(a.parsed) << first.err;
    EXPECT_EQ(a.read, rows) << file << "\n" << first.err;
    EXPECT_EQ(a.accounted(), rows) << file << "\n" << first.err;
    EXPECT_EQ(first.status.code, a.rejected > 0 ? 1 : 0) << first.err;
    RunResult second = Cli(server_, args);
    Summary b = ParseSummary(second.err);
    EXPECT_EQ(b.read, rows) << second.err;
    EXPECT_EQ(b.appended, 0u) << file << "\n" << second.err;
    EXPECT_EQ(b.accounted(), rows) << second.err;
    return a;
  }

  uint64_t Head() {
    v1::GetInfoResponse info;
    EXPECT_TRUE(GetInfo(server_->stub(), &info).ok());
    return info.head_position();
  }

  TempDir dir_;
  std::vector<std::unique_ptr<IngestProcess>> servers_;
  IngestProcess* server_ = nullptr;
  int runs_ = 0;
};

struct FixtureCase {
  const char* file;
  uint64_t rows, appended, skipped, rejected;
};

TEST_F(CliImportTest, EveryFixtureFormatAccountsForEveryRow) {
  ASSERT_NE(server_, nullptr);
  const FixtureCase cases[] = {
      {"gdelt2_sample.export.CSV", 9, 3, 5, 1},
      {"gdelt1_sample.tsv", 5, 3, 1, 1},
      {"icews_sample.tab", 6, 2, 3, 1},
      {"events_sample.csv", 7, 5, 0, 2},
      {"events_sample.jsonl", 4, 3, 0, 1},
  };
  for (const FixtureCase& c : cases) {
    Summary s = LoadTwice(kFixtures + c.file, c.rows);
    EXPECT_EQ(s.appended, c.appended) << c.file;
    EXPECT_EQ(s.skipped, c.skipped) << c.file;
    EXPECT_EQ(s.rejected, c.rejected) << c.file;
  }
  EXPECT_EQ(Head(), 16u);
}

TEST_F(CliImportTest, ReportsSkipReasonsAndRejectedLines) {
  ASSERT_NE(server_, nullptr);
  RunResult r = Cli(server_, {"ingest", kFixtures + "icews_sample.tab"});
  EXPECT_NE(r.err.find("unknown country name \"Atlantis\": 1"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("icews_sample.tab:7: rejected:"), std::string::npos)
      << r.err;
  r = Cli(server_, {"ingest", kFixtures + "events_sample.csv"});
  EXPECT_NE(r.err.find("events_sample.csv:8: rejected: goldstein"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("events_sample.csv:9: rejected: source"),
            std::string::npos)
      << r.err;
}

TEST_F(CliImportTest, StrictStopsAndWritesNothingOfTheBatch) {
  ASSERT_NE(server_, nullptr);
  RunResult r =
      Cli(server_, {"ingest", "--strict", kFixtures + "events_sample.csv"});
  EXPECT_EQ(r.status.code, 1) << r.err;
  EXPECT_NE(r.err.find("events_sample.csv:8:"), std::string::npos) << r.err;
  EXPECT_EQ(Head(), 0u);
}

TEST_F(CliImportTest, ReadsGzipAndStdinWithAFormatFlag) {
  ASSERT_NE(server_, nullptr);
  const std::string gz = dir_.Sub("icews.tab.gz");
  {
    std::ifstream in(kFixtures + "icews_sample.tab", std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    gzFile f = gzopen(gz.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
    gzclose(f);
  }
  Summary s = ParseSummary(Cli(server_, {"ingest", gz}).err);
  EXPECT_EQ(s.read, 6u);
  EXPECT_EQ(s.appended, 2u);
  RunResult r = RunToCompletion(
      {.binary = "/bin/sh",
       .args = {"-c",
                absl::StrCat("exec ", DETENTE_CLI_BIN, " --ingest ",
                             server_->address(), " ingest --format gdelt - < ",
                             kFixtures, "gdelt1_sample.tsv")},
       .stdout_path = dir_.Sub("sh.stdout"),
       .stderr_path = dir_.Sub("sh.stderr")});
  s = ParseSummary(r.err);
  EXPECT_EQ(s.read, 5u) << r.err;
  EXPECT_EQ(s.appended, 3u) << r.err;
  EXPECT_EQ(Cli(server_, {"ingest", "--format", "xml", gz}).status.code, 2);
}

TEST_F(CliImportTest, RealGdeltAndIcewsFiles) {
  ASSERT_NE(server_, nullptr);
  if (!std::filesystem::exists(kReal)) {
    GTEST_SKIP() << "no " << kReal;
  }
  for (const char* name :
       {"gdelt2_20150218230000.export.CSV",
        "gdelt2_spark-gdelt_test_events.csv",
        "gdelt1_sample_events_reed9999.tsv", "icews_events.2018.sample.tab"}) {
    const std::string path = kReal + name;
    if (!std::filesystem::exists(path)) continue;
    uint64_t rows = NonEmptyLines(path);
    if (std::string(name).find("icews") != std::string::npos) --rows;  // header
    Summary s = LoadTwice(path, rows);
    EXPECT_GT(s.appended + s.duplicates, 0u) << name;
  }
}

TEST_F(CliImportTest, ExportIngestExportIsIdentical) {
  ASSERT_NE(server_, nullptr);
  for (const char* f :
       {"gdelt2_sample.export.CSV", "gdelt1_sample.tsv", "icews_sample.tab",
        "events_sample.csv", "events_sample.jsonl"}) {
    Cli(server_, {"ingest", kFixtures + f});
  }
  const std::string synth = dir_.Sub("synth.jsonl");
  RunResult g =
      Cli(server_, {"synth", "--events", "3000", "--seed", "9", "--corrections",
                    "0.05", "--retractions", "0.05", "--out", synth});
  ASSERT_EQ(g.status.code, 0) << g.err;
  RunResult load = Cli(server_, {"ingest", synth});
  ASSERT_EQ(load.status.code, 0) << load.err;
  EXPECT_EQ(ParseSummary(load.err).appended, 3000u) << load.err;

  RunResult first = Cli(server_, {"export"});
  ASSERT_EQ(first.status.code, 0) << first.err;
  EXPECT_EQ(static_cast<uint64_t>(
                std::count(first.out.begin(), first.out.end(), '\n')),
            Head());
  const std::string exported = dir_.Sub("export.jsonl");
  std::ofstream(exported) << first.out;

  IngestProcess* fresh = StartServer("fresh");
  ASSERT_NE(fresh, nullptr);
  RunResult reload = Cli(fresh, {"ingest", exported});
  ASSERT_EQ(reload.status.code, 0) << reload.err;
  RunResult second = Cli(fresh, {"export"});
  ASSERT_EQ(second.status.code, 0) << second.err;
  EXPECT_TRUE(first.out == second.out) << "exports differ";

  RunResult pair = Cli(server_, {"export", "--pair", "KOR-JPN", "-q"});
  EXPECT_GE(std::count(pair.out.begin(), pair.out.end(), '\n'), 7) << pair.out;
}

}  // namespace
}  // namespace detente::itest
