// The `detente` command line against a running detente-ingest: the real
// binaries, DETENTE_INGEST pointing the CLI at the server. Expected answers
// come from the input files themselves (counted and parsed here), not from
// the code under test.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "support/api.h"
#include "support/ingest_process.h"
#include "support/temp_dir.h"
#include "text_search.h"

namespace detente::itest {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kSample =
    std::string(DETENTE_SOURCE_DIR) + "/data/sample/korea-japan-triad.jsonl";
const std::string kMixed =
    std::string(DETENTE_SOURCE_DIR) + "/tests/fixtures/mixed.jsonl";
const std::string kStrict =
    std::string(DETENTE_SOURCE_DIR) + "/tests/fixtures/strict.jsonl";
const std::string kLogV1 =
    std::string(DETENTE_SOURCE_DIR) + "/tests/fixtures/log-v1.tar.gz";

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) {
      out.push_back(line);
    }
  }
  return out;
}

// The value of a top-level string field of a JSON line ("source": "KOR").
std::string JsonField(const std::string& line, const std::string& name) {
  const auto m = SearchRegex(
      line, "\"" + name + "\"[[:space:]]*:[[:space:]]*\"([^\"]*)\"");
  return m ? (*m)[1] : "";
}

// Writes `lines` to `path`, one per line.
void WriteLines(const std::string& path,
                const std::vector<std::string>& lines) {
  std::ofstream out(path);
  for (const std::string& line : lines) out << line << "\n";
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<IngestProcess>> s =
        IngestProcess::Start({.binary = DETENTE_INGEST_BIN,
                              .data_dir = dir_.Sub("data"),
                              .log_dir = dir_.path()});
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Stop();
  }

  RunResult Cli(std::vector<std::string> args) {
    const int n = runs_++;
    return RunToCompletion(
        {.binary = DETENTE_CLI_BIN,
         .args = std::move(args),
         .env = {{"DETENTE_INGEST", server_->address()}},
         .stdout_path = dir_.Sub(absl::StrCat("cli-", n, ".stdout")),
         .stderr_path = dir_.Sub(absl::StrCat("cli-", n, ".stderr"))});
  }

  uint64_t Head() {
    v1::GetInfoResponse info;
    EXPECT_TRUE(GetInfo(server_->stub(), &info).ok());
    return info.head_position();
  }

  bool InLog(const std::string& id) {
    grpc::ClientContext ctx;
    v1::GetEventRequest req;
    req.set_event_id(id);
    v1::GetEventResponse resp;
    return server_->stub().GetEvent(&ctx, req, &resp).ok();
  }

  TempDir dir_;
  std::unique_ptr<IngestProcess> server_;
  int runs_ = 0;
};

TEST_F(CliTest, IngestSampleThenAgainAsDuplicates) {
  const size_t n = Lines(kSample).size();
  ASSERT_GT(n, 0u);
  RunResult first = Cli({"ingest", kSample});
  EXPECT_TRUE(first.status.exited && first.status.code == 0)
      << first.status.ToString() << "\n"
      << first.err;
  EXPECT_TRUE(ContainsRegex(first.err, absl::StrCat("\\bappended ", n, "\\b")))
      << first.err;
  EXPECT_EQ(Head(), n);

  RunResult second = Cli({"ingest", kSample});
  EXPECT_TRUE(second.status.exited && second.status.code == 0)
      << second.status.ToString() << "\n"
      << second.err;
  EXPECT_THAT(second.err,
              HasSubstr(absl::StrCat("appended 0, duplicates ", n)));
  EXPECT_EQ(Head(), n);
}

TEST_F(CliTest, BadLinesAreNamedAndGoodOnesLoaded) {
  RunResult r = Cli({"ingest", kMixed});
  EXPECT_TRUE(r.status.exited && r.status.code == 1) << r.status.ToString();
  EXPECT_THAT(r.err, HasSubstr("mixed.jsonl:3:"))
      << "the line that is not JSON";
  EXPECT_THAT(r.err, HasSubstr("mixed.jsonl:6:")) << "the unknown actor";
  for (int good : {1, 2, 4, 5, 7}) {
    EXPECT_THAT(r.err, Not(HasSubstr(absl::StrCat("mixed.jsonl:", good, ":"))));
  }
  for (const char* id : {"0b6f3c1e-2d4a-4e8b-9c7d-1f2e3a4b5c01",
                         "0b6f3c1e-2d4a-4e8b-9c7d-1f2e3a4b5c02",
                         "0b6f3c1e-2d4a-4e8b-9c7d-1f2e3a4b5c04",
                         "0b6f3c1e-2d4a-4e8b-9c7d-1f2e3a4b5c05",
                         "0b6f3c1e-2d4a-4e8b-9c7d-1f2e3a4b5c07"}) {
    EXPECT_TRUE(InLog(id)) << id;
  }
  EXPECT_FALSE(InLog("0b6f3c1e-2d4a-4e8b-9c7d-1f2e3a4b5c06"));
  EXPECT_EQ(Head(), 5u);
}

TEST_F(CliTest, StrictWritesNothingOfABadBatch) {
  // The bad line (unknown actor, rejected by the server) is in the first
  // and only batch.
  RunResult r = Cli({"ingest", "--strict", kStrict});
  EXPECT_TRUE(r.status.exited && r.status.code != 0) << r.status.ToString();
  EXPECT_THAT(r.err, HasSubstr("strict.jsonl:2:"));
  // Every row read is accounted for: its two good rows were not sent.
  EXPECT_THAT(r.err, HasSubstr("read 3, appended 0, duplicates 0, rejected 1, "
                               "not sent 2"));
  EXPECT_EQ(Head(), 0u);

  // A line that is not JSON stops the load before anything is sent.
  r = Cli({"ingest", "--strict", kMixed});
  EXPECT_TRUE(r.status.exited && r.status.code != 0) << r.status.ToString();
  EXPECT_THAT(r.err, HasSubstr("mixed.jsonl:3:"));
  EXPECT_THAT(r.err, HasSubstr("read 3, appended 0, duplicates 0, rejected 1, "
                               "not sent 2"));
  EXPECT_EQ(Head(), 0u);
}

// Many small batches, each answered while the next rows are read: every
// count still exact, on a first load and on a reload of duplicates.
TEST_F(CliTest, SmallBatchesCountEveryRow) {
  const size_t n = Lines(kSample).size();
  RunResult first = Cli({"ingest", "--batch", "7", kSample});
  EXPECT_EQ(first.status.code, 0) << first.err;
  EXPECT_THAT(first.err, HasSubstr(absl::StrCat("appended ", n,
                                                ", duplicates 0, rejected 0")));
  RunResult second = Cli({"ingest", "--batch", "3", kSample});
  EXPECT_EQ(second.status.code, 0) << second.err;
  EXPECT_THAT(second.err, HasSubstr(absl::StrCat("appended 0, duplicates ", n,
                                                 ", rejected 0")));
  EXPECT_EQ(Head(), n);
}

// The good rows of a rejected batch are written before the next batch is
// sent: here the next batch corrects one of them, and the log keeps the
// file's order.
TEST_F(CliTest, ARejectedBatchsGoodRowsPrecedeTheNextBatch) {
  const std::string file = dir_.Sub("order.jsonl");
  WriteLines(
      file,
      {R"({"eventId": "7a000000-0000-4000-8000-000000000001", "occurredOn": "1965-06-22", "source": "JPN", "target": "KOR", "eventCode": "057"})",
       R"({"eventId": "7a000000-0000-4000-8000-000000000002", "occurredOn": "1998-10-08", "source": "KOR", "target": "XXX", "eventCode": "057"})",
       R"({"eventId": "7a000000-0000-4000-8000-000000000003", "kind": "ENTRY_KIND_CORRECTION", "subjectEventId": "7a000000-0000-4000-8000-000000000001", "occurredOn": "1965-06-22", "source": "JPN", "target": "KOR", "eventCode": "057", "goldstein": 3.5})",
       R"({"eventId": "7a000000-0000-4000-8000-000000000004", "occurredOn": "2015-12-28", "source": "KOR", "target": "JPN", "eventCode": "057"})"});
  RunResult r = Cli({"ingest", "--batch", "2", file});
  EXPECT_EQ(r.status.code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("order.jsonl:2:"));
  EXPECT_THAT(r.err, Not(HasSubstr("order.jsonl:3:")));
  EXPECT_THAT(r.err, HasSubstr("appended 3, duplicates 0, rejected 1"));
  ReadOutcome all = ReadAll(server_->stub(), v1::ReadRequest());
  ASSERT_EQ(all.events.size(), 3u);
  EXPECT_EQ(all.events[0].event().event_id(),
            "7a000000-0000-4000-8000-000000000001");
  EXPECT_EQ(all.events[1].event().event_id(),
            "7a000000-0000-4000-8000-000000000003");
  EXPECT_EQ(all.events[2].event().event_id(),
            "7a000000-0000-4000-8000-000000000004");
}

// Rejections are reported in the rows' order, whether the reader or the
// service rejected them: the service's answer about line 2 comes after
// line 4 was read, and is printed first.
TEST_F(CliTest, RejectionsAreReportedInTheRowsOrder) {
  const std::string file = dir_.Sub("rejects.jsonl");
  WriteLines(
      file,
      {R"({"eventId": "7b000000-0000-4000-8000-000000000001", "occurredOn": "1965-06-22", "source": "JPN", "target": "KOR", "eventCode": "057"})",
       R"({"eventId": "7b000000-0000-4000-8000-000000000002", "occurredOn": "1998-10-08", "source": "KOR", "target": "XXX", "eventCode": "057"})",
       R"({"eventId": "7b000000-0000-4000-8000-000000000003", "occurredOn": "2015-12-28", "source": "KOR", "target": "JPN", "eventCode": "057"})",
       "this line is not JSON",
       R"({"eventId": "7b000000-0000-4000-8000-000000000005", "occurredOn": "2019-07-01", "source": "JPN", "target": "KOR", "eventCode": "163"})"});
  RunResult r = Cli({"ingest", "--batch", "2", file});
  EXPECT_EQ(r.status.code, 1) << r.err;
  const size_t second = r.err.find("rejects.jsonl:2: rejected");
  const size_t fourth = r.err.find("rejects.jsonl:4: rejected");
  ASSERT_NE(second, std::string::npos) << r.err;
  ASSERT_NE(fourth, std::string::npos) << r.err;
  EXPECT_LT(second, fourth) << r.err;
  EXPECT_THAT(r.err, HasSubstr("read 5, appended 3, duplicates 0, rejected 2"));
  EXPECT_EQ(Head(), 3u);
}

TEST_F(CliTest, ReadPairByDateIsInDateOrder) {
  RunResult load = Cli({"ingest", kSample});
  ASSERT_EQ(load.status.code, 0) << load.err;

  // The pair's dates, straight from the file.
  std::vector<std::string> expected;
  for (const std::string& line : Lines(kSample)) {
    std::set<std::string> pair = {JsonField(line, "source"),
                                  JsonField(line, "target")};
    if (pair == std::set<std::string>{"KOR", "JPN"}) {
      expected.push_back(JsonField(line, "occurredOn"));
    }
  }
  ASSERT_GE(expected.size(), 2u);
  // ISO dates of any precision order as text: "1965" < "1965-06" <
  // "1965-06-22" < "1966".
  std::sort(expected.begin(), expected.end());

  RunResult r = Cli({"read", "--pair", "KOR-JPN", "--by-date"});
  ASSERT_TRUE(r.status.exited && r.status.code == 0) << r.err;
  std::vector<std::string> dates;
  std::istringstream out(r.out);
  std::string line;
  const std::string row =
      "^[[:space:]]*[0-9]+[[:space:]]+([0-9]{4}(-[0-9]{2}){0,2})[[:space:]]";
  while (std::getline(out, line)) {
    if (const auto m = SearchRegex(line, row)) dates.push_back((*m)[1]);
  }
  EXPECT_EQ(dates, expected) << r.out;
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat(expected.size(), " entries")));
}

TEST_F(CliTest, InfoPrintsTheHead) {
  RunResult load = Cli({"ingest", kMixed});
  ASSERT_EQ(load.status.code, 1) << load.err;  // two bad lines
  RunResult r = Cli({"info"});
  ASSERT_TRUE(r.status.exited && r.status.code == 0) << r.err;
  EXPECT_TRUE(ContainsRegex(r.out, "head position:[[:space:]]+5\\b"))
      << r.out;
}

// A log that detente-ingest of format version 1 wrote (every key in one
// column family; tests/fixtures/README.md says how it was made) is migrated
// (to version 2, then 4, then 5) when this build opens it: the same entries,
// exported by the version-1 service when the fixture was made, the same ids,
// and appends go on.
TEST(LogFormatTest, AVersion1LogIsMigratedWithEveryEntryUnchanged) {
  TempDir dir;
  int runs = 0;
  auto run = [&](const std::string& binary, std::vector<std::string> args,
                 std::vector<std::pair<std::string, std::string>> env = {}) {
    const int n = runs++;
    return RunToCompletion(
        {.binary = binary,
         .args = std::move(args),
         .env = std::move(env),
         .stdout_path = dir.Sub(absl::StrCat("run-", n, ".stdout")),
         .stderr_path = dir.Sub(absl::StrCat("run-", n, ".stderr"))});
  };
  RunResult untar = run("/bin/tar", {"-xzf", kLogV1, "-C", dir.path()});
  ASSERT_EQ(untar.status.code, 0) << untar.err;
  const std::string expected = ReadFileOrEmpty(dir.Sub("export.jsonl"));
  ASSERT_EQ(std::count(expected.begin(), expected.end(), '\n'), 300);

  auto server = IngestProcess::Start({.binary = DETENTE_INGEST_BIN,
                                      .data_dir = dir.Sub("log"),
                                      .log_dir = dir.path()});
  ASSERT_TRUE(server.ok()) << server.status();
  const std::vector<std::pair<std::string, std::string>> env = {
      {"DETENTE_INGEST", (*server)->address()}};
  EXPECT_THAT((*server)->StderrText(), HasSubstr("format version 1 -> 2"));
  EXPECT_THAT((*server)->StderrText(), HasSubstr("format version 2 -> 4"));
  EXPECT_THAT((*server)->StderrText(), HasSubstr("format version 4 -> 5"));

  RunResult info = run(DETENTE_CLI_BIN, {"info"}, env);
  EXPECT_TRUE(ContainsRegex(info.out, "head position:[[:space:]]+300\\b"))
      << info.out;
  EXPECT_TRUE(ContainsRegex(info.out, "format version:[[:space:]]+5\\b"))
      << info.out;
  RunResult exported = run(DETENTE_CLI_BIN, {"export"}, env);
  ASSERT_EQ(exported.status.code, 0) << exported.err;
  EXPECT_TRUE(exported.out == expected)
      << "the migrated log exports differently";
  // Every id is still known: loading the export again appends nothing.
  RunResult again =
      run(DETENTE_CLI_BIN, {"ingest", dir.Sub("export.jsonl")}, env);
  EXPECT_EQ(again.status.code, 0) << again.err;
  EXPECT_THAT(again.err, HasSubstr("appended 0, duplicates 300"));
  // Its corrections and retractions predate subject_position: reads take it
  // from the id index.
  {
    ReadOutcome all = ReadAll((*server)->stub(), v1::ReadRequest());
    ASSERT_TRUE(all.status.ok()) << all.status.error_message();
    ASSERT_EQ(all.events.size(), 300u);
    std::map<std::string, uint64_t> position_of;
    int subjects = 0;
    for (const v1::RecordedEvent& r : all.events) {
      position_of[r.event().event_id()] = r.position();
      if (r.event().kind() == v1::ENTRY_KIND_EVENT) {
        EXPECT_EQ(r.subject_position(), 0u) << r.position();
        continue;
      }
      ++subjects;
      EXPECT_NE(r.subject_position(), 0u) << r.position();
      EXPECT_EQ(r.subject_position(), position_of[r.event().subject_event_id()])
          << r.position();
    }
    EXPECT_EQ(subjects, 12);  // 7 corrections, 5 retractions
  }
  RunResult more = run(DETENTE_CLI_BIN, {"ingest", kMixed}, env);
  EXPECT_THAT(more.err, HasSubstr("appended 5,"));
  info = run(DETENTE_CLI_BIN, {"info"}, env);
  EXPECT_TRUE(ContainsRegex(info.out, "head position:[[:space:]]+305\\b"))
      << info.out;
  std::optional<ExitStatus> stopped = (*server)->Stop();
  ASSERT_TRUE(stopped.has_value());

  RunResult verify = run(DETENTE_INGEST_BIN, {"--verify", dir.Sub("log")});
  EXPECT_EQ(verify.status.code, 0) << verify.out << verify.err;
}

}  // namespace
}  // namespace detente::itest
