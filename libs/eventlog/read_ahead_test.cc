#include "eventlog/read_ahead.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "eventlog/rocks_event_log.h"
#include "eventlog/test_entries.h"

namespace detente {
namespace {

using ::detente::testing::MakeEvent;

// A real log whose Reads are counted, with the threads they ran on, and
// fail from the `fail_from`th on (1-based; 0: never).
class CountedLog final : public EventLog {
 public:
  explicit CountedLog(EventLog& log) : log_(log) {}

  absl::StatusOr<ReadResult> Read(const ReadRequest& request) override {
    {
      std::lock_guard lock(mu_);
      threads_.push_back(std::this_thread::get_id());
    }
    const int n = ++reads;
    if (fail_from > 0 && n >= fail_from) {
      return absl::UnavailableError("read failed (injected)");
    }
    return log_.Read(request);
  }
  absl::StatusOr<AppendResult> Append(AppendBatch batch) override {
    return log_.Append(std::move(batch));
  }
  void AppendAsync(AppendBatch batch, AppendCallback done) override {
    log_.AppendAsync(std::move(batch), std::move(done));
  }
  absl::StatusOr<std::optional<RecordedEntry>> Get(const Uuid& id) override {
    return log_.Get(id);
  }
  Position Head() const override { return log_.Head(); }
  Position WaitForHead(Position after, absl::Time deadline) override {
    return log_.WaitForHead(after, deadline);
  }
  bool closing() const override { return log_.closing(); }
  absl::StatusOr<LogInfo> Info() override { return log_.Info(); }
  absl::StatusOr<BackupInfo> Backup(const std::string& directory) override {
    return log_.Backup(directory);
  }
  void Close() override { log_.Close(); }

  std::vector<std::thread::id> threads() {
    std::lock_guard lock(mu_);
    return threads_;
  }
  // Waits up to 10 s for `n` reads to have begun.
  bool WaitForReads(int n) {
    for (int i = 0; i < 1000 && reads.load() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return reads.load() >= n;
  }

  std::atomic<int> reads{0};
  int fail_from = 0;

 private:
  EventLog& log_;
  std::mutex mu_;
  std::vector<std::thread::id> threads_;
};

class ReadAheadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("detente-read-ahead-test-" + Uuid::Random().ToString());
    auto log = OpenRocksEventLog({.path = dir_.string()});
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = std::move(*log);
    // 2,500 entries in batches of 500.
    for (int b = 0; b < 5; ++b) {
      std::vector<Entry> entries;
      for (int i = 0; i < 500; ++i) entries.push_back(MakeEvent("KOR", "JPN"));
      ASSERT_TRUE(log_->Append({std::move(entries), {}}).ok());
    }
    ASSERT_EQ(log_->Head(), Position(2500));
  }
  void TearDown() override {
    log_.reset();
    std::filesystem::remove_all(dir_);
  }

  static ReadRequest Pages(size_t size, bool encoded = true) {
    ReadRequest r;
    r.max_entries = size;
    r.encoded = encoded;
    return r;
  }

  // Every page until one with `end` (or an error): each page's positions.
  static std::vector<std::vector<uint64_t>> Drain(ReadAhead& pages,
                                                  absl::Status* error) {
    std::vector<std::vector<uint64_t>> out;
    for (int guard = 0; guard < 100; ++guard) {
      absl::StatusOr<ReadResult> page = pages.Next();
      if (!page.ok()) {
        *error = page.status();
        return out;
      }
      std::vector<uint64_t> positions;
      for (const auto& item : page->encoded.items) {
        positions.push_back(item.position.value());
      }
      for (const RecordedEntry& e : page->entries) {
        positions.push_back(e.position.value());
      }
      out.push_back(std::move(positions));
      if (page->end) return out;
    }
    ADD_FAILURE() << "no page ended the read";
    return out;
  }

  static std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
    std::vector<uint64_t> v;
    if (first <= last) {
      for (uint64_t p = first; p <= last; ++p) v.push_back(p);
    } else {
      for (uint64_t p = first; p >= last; --p) v.push_back(p);
    }
    return v;
  }

  std::filesystem::path dir_;
  std::unique_ptr<EventLog> log_;
};

TEST_F(ReadAheadTest, ThePagesOfTheWholeLogInOrder) {
  CountedLog counted(*log_);
  ReadAhead pages(counted, Pages(1000));
  absl::Status error;
  const auto got = Drain(pages, &error);
  ASSERT_TRUE(error.ok()) << error;
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], Range(1, 1000));
  EXPECT_EQ(got[1], Range(1001, 2000));
  EXPECT_EQ(got[2], Range(2001, 2500));
  // After the end: an empty page that ends, and no more reads.
  absl::StatusOr<ReadResult> more = pages.Next();
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(more->end);
  EXPECT_TRUE(more->encoded.empty());
  // The first page on the caller's thread, the next ones on another.
  const auto threads = counted.threads();
  ASSERT_EQ(threads.size(), 3u);
  EXPECT_EQ(threads[0], std::this_thread::get_id());
  EXPECT_NE(threads[1], std::this_thread::get_id());
  EXPECT_EQ(threads[2], threads[1]);
}

TEST_F(ReadAheadTest, AReadOfOnePageStartsNoThread) {
  CountedLog counted(*log_);
  ReadRequest r = Pages(1000);
  r.from = Position(2001);
  ReadAhead pages(counted, r);
  absl::Status error;
  const auto got = Drain(pages, &error);
  ASSERT_TRUE(error.ok()) << error;
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], Range(2001, 2500));
  const auto threads = counted.threads();
  ASSERT_EQ(threads.size(), 1u);
  EXPECT_EQ(threads[0], std::this_thread::get_id());
}

TEST_F(ReadAheadTest, DecodedPagesBackwardFromAPosition) {
  ReadRequest r = Pages(700, /*encoded=*/false);
  r.backward = true;
  r.from = Position(2000);
  r.to = Position(600);
  ReadAhead pages(*log_, r);
  absl::Status error;
  const auto got = Drain(pages, &error);
  ASSERT_TRUE(error.ok()) << error;
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], Range(2000, 1301));
  EXPECT_EQ(got[1], Range(1300, 601));
  EXPECT_EQ(got[2], Range(600, 600));
}

TEST_F(ReadAheadTest, ALimitCutsTheLastPageAndEndsThere) {
  for (bool encoded : {true, false}) {
    CountedLog counted(*log_);
    ReadAhead pages(counted, Pages(1000, encoded), /*limit=*/1500);
    absl::Status error;
    const auto got = Drain(pages, &error);
    ASSERT_TRUE(error.ok()) << error;
    ASSERT_EQ(got.size(), 2u) << encoded;
    EXPECT_EQ(got[0], Range(1, 1000));
    EXPECT_EQ(got[1], Range(1001, 1500));
    EXPECT_EQ(counted.reads.load(), 2);  // nothing read past the limit
  }
}

TEST_F(ReadAheadTest, AnErrorTakesItsPagesPlaceAndEndsTheRead) {
  CountedLog counted(*log_);
  counted.fail_from = 2;
  ReadAhead pages(counted, Pages(1000));
  absl::Status error;
  const auto got = Drain(pages, &error);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], Range(1, 1000));
  EXPECT_EQ(error.code(), absl::StatusCode::kUnavailable) << error;
  absl::StatusOr<ReadResult> more = pages.Next();
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(more->end);
  EXPECT_EQ(counted.reads.load(), 2);  // none after the failure
}

TEST_F(ReadAheadTest, ReadsNoMoreThanItsDepthAheadOfTheCaller) {
  CountedLog counted(*log_);
  ReadAhead pages(counted, Pages(100), /*limit=*/0, /*depth=*/2);
  // The first page read here; then two wait, and no third is read.
  ASSERT_TRUE(pages.Next().ok());
  ASSERT_TRUE(counted.WaitForReads(3));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(counted.reads.load(), 3);
  // One more taken: one more read.
  ASSERT_TRUE(pages.Next().ok());
  ASSERT_TRUE(counted.WaitForReads(4));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(counted.reads.load(), 4);
}

TEST_F(ReadAheadTest, DestroyedBeforeTheEndItStops) {
  CountedLog counted(*log_);
  {
    ReadAhead pages(counted, Pages(10));  // 250 pages
    ASSERT_TRUE(pages.Next().ok());
  }  // stops and joins its thread
  // The page taken and at most two waiting; none after the join.
  EXPECT_LE(counted.reads.load(), 3);
}

}  // namespace
}  // namespace detente
