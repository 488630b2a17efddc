// Backups with the real binaries: `detente backup` (the CLI) asks a running
// detente-ingest for an online copy while a writer keeps appending; the copy,
// restored the documented way (docs/operations.md, "Backups": verify, copy
// into place, start), serves exactly the history up to the head the backup
// reported, and goes on from there. Bad directories are refused with
// INVALID_ARGUMENT naming `directory`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "support/api.h"
#include "support/ingest_process.h"
#include "support/temp_dir.h"
#include "text_search.h"

namespace detente::itest {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const char* const kActors[] = {"KOR", "JPN", "USA", "CHN", "PRK", "RUS"};
const char* const kCodes[] = {"036", "042", "057", "111", "163", "190"};

class BackupTest : public ::testing::Test {
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
    for (IngestProcess* p : {server_.get(), restored_.get()}) {
      if (p == nullptr || !p->process().running()) continue;
      std::optional<ExitStatus> exit = p->Stop();
      ASSERT_TRUE(exit.has_value()) << "detente-ingest ignored SIGTERM";
      EXPECT_TRUE(exit->exited && exit->code == 0)
          << exit->ToString() << "\n" << p->StderrText();
    }
  }

  // A valid batch of `n` new events over a few pairs.
  std::vector<v1::Event> Batch(std::mt19937_64& rng, int n) {
    std::vector<v1::Event> out;
    for (int i = 0; i < n; ++i) {
      const size_t a = rng() % 6, b = (a + 1 + rng() % 5) % 6;
      out.push_back(MakeEvent(RandomUuid(rng),
                              absl::StrCat(1990 + rng() % 30, "-0",
                                           1 + rng() % 9, "-1", rng() % 10),
                              kActors[a], kActors[b], kCodes[rng() % 6],
                              absl::StrCat("event ", rng() % 100000)));
    }
    return out;
  }

  static grpc::Status Append(v1::IngestService::Stub& stub,
                             const std::vector<v1::Event>& events,
                             v1::AppendResponse* resp) {
    v1::AppendRequest req;
    for (const v1::Event& e : events) *req.add_entries() = e;
    grpc::ClientContext ctx;
    ctx.set_deadline(In(60));
    return stub.Append(&ctx, req, resp);
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

  static grpc::Status Backup(v1::IngestService::Stub& stub,
                             const std::string& dir, v1::BackupResponse* out) {
    v1::BackupRequest req;
    req.set_directory(dir);
    grpc::ClientContext ctx;
    ctx.set_deadline(In(120));
    return stub.Backup(&ctx, req, out);
  }

  static uint64_t Head(v1::IngestService::Stub& stub) {
    v1::GetInfoResponse info;
    grpc::Status s = GetInfo(stub, &info);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return info.head_position();
  }

  static std::vector<std::string> Serialized(
      const std::vector<v1::RecordedEvent>& events) {
    std::vector<std::string> out;
    for (const v1::RecordedEvent& e : events) {
      out.push_back(e.SerializeAsString());
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<IngestProcess> server_;
  std::unique_ptr<IngestProcess> restored_;
  int runs_ = 0;
};

TEST_F(BackupTest, RestoredCopyServesTheSameHistoryAndHead) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20; ++i) {
    v1::AppendResponse resp;
    grpc::Status s = Append(server_->stub(), Batch(rng, 50), &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  ASSERT_EQ(Head(server_->stub()), 1000u);

  // A writer on its own connection keeps appending during the backup.
  std::atomic<bool> stop{false};
  std::atomic<int> batches{0};
  std::atomic<bool> writer_failed{false};
  std::thread writer([&, address = server_->address()] {
    auto stub = v1::IngestService::NewStub(MakeChannel(address));
    std::mt19937_64 wrng(6);
    while (!stop) {
      v1::AppendResponse resp;
      if (!Append(*stub, Batch(wrng, 10), &resp).ok()) {
        writer_failed = true;
        return;
      }
      ++batches;
    }
  });
  while (batches < 5 && !writer_failed) std::this_thread::yield();

  const std::string backup_dir = dir_.Sub("backups/first");
  RunResult cli = Cli({"backup", backup_dir});
  const int during = batches.load();
  while (batches < during + 5 && !writer_failed) std::this_thread::yield();
  stop = true;
  writer.join();
  ASSERT_FALSE(writer_failed);
  ASSERT_TRUE(cli.status.exited && cli.status.code == 0)
      << cli.status.ToString() << "\n" << cli.out << cli.err;
  const auto m = SearchRegex(cli.out, "head position:[[:space:]]+([0-9]+)");
  ASSERT_TRUE(m.has_value()) << cli.out;
  const uint64_t head = std::stoull((*m)[1]);
  EXPECT_THAT(cli.out, HasSubstr(backup_dir));
  EXPECT_THAT(cli.out, HasSubstr("bytes:"));
  EXPECT_THAT(cli.out, HasSubstr("time:"));
  // The backup was cut while batches of 10 were committing.
  EXPECT_GE(head, 1000u);
  EXPECT_EQ((head - 1000) % 10, 0u);
  const uint64_t live_head = Head(server_->stub());
  EXPECT_GT(live_head, head) << "the writer went on after the backup";

  // Restore as docs/operations.md says: verify the backup, copy it into a
  // data directory, start a service on it.
  RunResult verify = RunToCompletion(
      {.binary = DETENTE_INGEST_BIN,
       .args = {"--verify", backup_dir},
       .stdout_path = dir_.Sub("verify.stdout"),
       .stderr_path = dir_.Sub("verify.stderr")});
  ASSERT_TRUE(verify.status.exited && verify.status.code == 0)
      << verify.status.ToString() << "\n" << verify.out << verify.err;
  EXPECT_THAT(verify.out, HasSubstr(absl::StrCat("head ", head, ",")));
  const std::string restored_dir = dir_.Sub("restored");
  fs::copy(backup_dir, restored_dir, fs::copy_options::recursive);
  absl::StatusOr<std::unique_ptr<IngestProcess>> r =
      IngestProcess::Start({.binary = DETENTE_INGEST_BIN,
                            .data_dir = restored_dir,
                            .log_dir = dir_.path()});
  ASSERT_TRUE(r.ok()) << r.status();
  restored_ = *std::move(r);

  EXPECT_EQ(Head(restored_->stub()), head);
  v1::ReadRequest all;  // up to the restored head
  ReadOutcome from_copy = ReadAll(restored_->stub(), all);
  ASSERT_TRUE(from_copy.status.ok()) << from_copy.status.error_message();
  EXPECT_EQ(from_copy.head_position, head);
  v1::ReadRequest prefix;
  prefix.set_to_position(head);
  ReadOutcome from_live = ReadAll(server_->stub(), prefix);
  ASSERT_TRUE(from_live.status.ok()) << from_live.status.error_message();
  ASSERT_EQ(from_copy.events.size(), head);
  ASSERT_EQ(from_live.events.size(), head);
  EXPECT_TRUE(Serialized(from_copy.events) == Serialized(from_live.events))
      << "the restored log differs from the live log's first " << head
      << " entries";

  // The restored log goes on from its head, and knows every id it holds.
  v1::AppendResponse retry;
  ASSERT_TRUE(
      Append(restored_->stub(), {from_live.events[head - 1].event()}, &retry)
          .ok());
  EXPECT_TRUE(retry.results(0).duplicate());
  EXPECT_EQ(retry.results(0).position(), head);
  v1::AppendResponse next;
  ASSERT_TRUE(Append(restored_->stub(), Batch(rng, 1), &next).ok());
  EXPECT_EQ(next.first_position(), head + 1);
}

TEST_F(BackupTest, BadDirectoriesAreInvalidArgumentsNamingDirectory) {
  v1::AppendResponse resp;
  std::mt19937_64 rng(7);
  ASSERT_TRUE(Append(server_->stub(), Batch(rng, 3), &resp).ok());

  const std::string busy = dir_.Sub("busy");
  fs::create_directories(busy);
  std::ofstream(busy + "/keep.txt") << "precious";
  for (const std::string& bad :
       {busy, std::string("relative/backup"), std::string(""),
        dir_.Sub("data/inside")}) {
    v1::BackupResponse out;
    grpc::Status s = Backup(server_->stub(), bad, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << "\"" << bad << "\": " << s.error_message();
    EXPECT_THAT(BadRequestFields(s), ElementsAre("directory")) << bad;
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(busy), fs::directory_iterator()),
            1);
  EXPECT_FALSE(fs::exists(dir_.Sub("data/inside")));

  // The command line says so and exits 1.
  RunResult cli = Cli({"backup", busy});
  EXPECT_TRUE(cli.status.exited && cli.status.code == 1)
      << cli.status.ToString() << "\n" << cli.err;
  EXPECT_THAT(cli.err, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(cli.err, HasSubstr("directory: "));

  // The same service then backs up into an empty existing directory.
  const std::string empty = dir_.Sub("empty");
  fs::create_directories(empty);
  v1::BackupResponse ok;
  grpc::Status s = Backup(server_->stub(), empty, &ok);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(ok.head_position(), 3u);
  EXPECT_EQ(ok.entry_count(), 3u);
  EXPECT_EQ(ok.directory(), empty);
  EXPECT_GT(ok.bytes(), 0u);
  EXPECT_GT(ok.file_count(), 0u);
  EXPECT_TRUE(ok.hard_linked());
}

}  // namespace
}  // namespace detente::itest
