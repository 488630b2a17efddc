#include "eventlog/read_ahead.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <vector>

#include "eventlog/rocks_event_log.h"
#include "eventlog/test_entries.h"

namespace detente {
namespace {

using ::detente::testing::MakeEvent;

// A real log whose Reads are counted, and fail from the `fail_from`th on
// (1-based; 0: never).
class CountedLog final : public EventLog {
 public:
  explicit CountedLog(EventLog& log) : log_(log) {}

  absl::StatusOr<ReadResult> Read(const ReadRequest& request) override {
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

  std::atomic<int> reads{0};
  int fail_from = 0;

 private:
  EventLog& log_;
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
  ReadAhead pages(*log_, Pages(1000));
  absl::Status error;
  const auto got = Drain(pages, &error);
  ASSERT_TRUE(error.ok()) << error;
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], Range(1, 1000));
  EXPECT_EQ(got[1], Range(1001, 2000));
  EXPECT_EQ(got[2], Range(2001, 2500));
  // After the end: an empty page that ends.
  absl::StatusOr<ReadResult> more = pages.Next();
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(more->end);
  EXPECT_TRUE(more->encoded.empty());
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
  CountedLog counted(*log_);
  ReadAhead pages(counted, Pages(1000), /*limit=*/1500);
  absl::Status error;
  const auto got = Drain(pages, &error);
  ASSERT_TRUE(error.ok()) << error;
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], Range(1, 1000));
  EXPECT_EQ(got[1], Range(1001, 1500));
  EXPECT_EQ(counted.reads.load(), 2);  // nothing read past the limit
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
  // Nothing taken: two pages wait, and no third is read.
  for (int i = 0; i < 200 && counted.reads.load() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(counted.reads.load(), 2);
  // One taken: one more read.
  ASSERT_TRUE(pages.Next().ok());
  for (int i = 0; i < 200 && counted.reads.load() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(counted.reads.load(), 3);
}

TEST_F(ReadAheadTest, DestroyedBeforeTheEndItStops) {
  CountedLog counted(*log_);
  {
    ReadAhead pages(counted, Pages(10));  // 250 pages
    ASSERT_TRUE(pages.Next().ok());
  }  // joins its thread
  const int reads = counted.reads.load();
  EXPECT_LE(reads, 4);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(counted.reads.load(), reads);
}

}  // namespace
}  // namespace detente
