#include "eventlog/stream_runs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <random>

#include "domain/uuid.h"
#include "eventlog/keys.h"
#include "eventlog/storage.pb.h"

namespace detente {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The value is the StreamRun message of storage.proto, byte for byte.
TEST(StreamRunsTest, AValueIsTheStorageProtoMessage) {
  std::string value;
  EncodeStreamRun(&value, 7, std::vector<uint64_t>{100, 101, 300, 100000});
  storage::v1::StreamRun message;
  ASSERT_TRUE(message.ParseFromString(value));
  EXPECT_EQ(message.first_revision(), 7u);
  EXPECT_THAT(message.gaps(), ElementsAre(1, 199, 99700));
  EXPECT_EQ(message.SerializeAsString(), value);

  StreamRun run;
  ASSERT_TRUE(DecodeStreamRun(100, value, &run).ok());
  EXPECT_EQ(run.first_revision, 7u);
  EXPECT_THAT(run.positions, ElementsAre(100, 101, 300, 100000));

  // One entry at revision 0: an empty message.
  EncodeStreamRun(&value, 0, std::vector<uint64_t>{42});
  EXPECT_EQ(value, "");
  ASSERT_TRUE(DecodeStreamRun(42, value, &run).ok());
  EXPECT_EQ(run.first_revision, 0u);
  EXPECT_THAT(run.positions, ElementsAre(42));
}

TEST(StreamRunsTest, AMalformedValueIsDataLoss) {
  storage::v1::StreamRun zero_gap;
  zero_gap.add_gaps(3);
  zero_gap.add_gaps(0);
  storage::v1::StreamRun past_the_end;
  past_the_end.add_gaps(UINT64_MAX);
  std::string valid;
  EncodeStreamRun(&valid, 5, std::vector<uint64_t>{1, 2, 3});
  for (const std::string& value :
       {zero_gap.SerializeAsString(), past_the_end.SerializeAsString(),
        valid.substr(0, valid.size() - 1), std::string("\x18\x01", 2),
        std::string("\x12\x02\x80", 3)}) {
    StreamRun run;
    absl::Status s = DecodeStreamRun(10, value, &run);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    EXPECT_THAT(s.message(), HasSubstr("stream run at position 10"));
  }
}

TEST(StreamRunsTest, RunsSplitAfterTheMaximumFromTheFirstPosition) {
  std::vector<uint64_t> positions;
  for (uint64_t p = 10; positions.size() < 2 * kMaxStreamRun + 5; p += 2) {
    positions.push_back(p);
  }
  std::vector<std::pair<std::string, std::string>> put;
  ASSERT_TRUE(PutStreamRuns("JPN-KOR", 3, positions,
                            [&](const std::string& k, const std::string& v) {
                              put.emplace_back(k, v);
                              return absl::OkStatus();
                            })
                  .ok());
  ASSERT_EQ(put.size(), 3u);
  const size_t starts[] = {0, kMaxStreamRun, 2 * kMaxStreamRun};
  const size_t sizes[] = {kMaxStreamRun, kMaxStreamRun, 5};
  for (size_t i = 0; i < 3; ++i) {
    std::optional<keys::StreamRunKeyParts> key =
        keys::DecodeStreamRunKey(put[i].first);
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(key->stream, "JPN-KOR");
    EXPECT_EQ(key->first.value(), positions[starts[i]]);
    StreamRun run;
    ASSERT_TRUE(
        DecodeStreamRun(key->first.value(), put[i].second, &run).ok());
    EXPECT_EQ(run.first_revision, 3 + starts[i]);
    ASSERT_EQ(run.positions.size(), sizes[i]);
    EXPECT_EQ(run.positions.back(), positions[starts[i] + sizes[i] - 1]);
    if (i > 0) {
      EXPECT_LT(put[i - 1].first, put[i].first);
    }
  }
  // put's first error stops it.
  int calls = 0;
  absl::Status s = PutStreamRuns("JPN-KOR", 0, positions,
                                 [&](const std::string&, const std::string&) {
                                   ++calls;
                                   return absl::InternalError("disk");
                                 });
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(calls, 1);
}

class StreamRunReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("detente-stream-runs-test-" + Uuid::Random().ToString());
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, dir_.string(), &db).ok());
    db_.reset(db);
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Writes `positions` of `stream` as the log's index would, in chunks
  // that end at the given positions (each chunk's runs start at the
  // stream's first position in it).
  void Write(const std::string& stream, const std::vector<uint64_t>& positions,
             const std::vector<uint64_t>& chunk_ends) {
    uint64_t revision = 0;
    size_t i = 0;
    for (uint64_t end : chunk_ends) {
      std::vector<uint64_t> chunk;
      while (i < positions.size() && positions[i] <= end) {
        chunk.push_back(positions[i++]);
      }
      if (chunk.empty()) continue;
      ASSERT_TRUE(PutStreamRuns(stream, revision, chunk,
                                [&](const std::string& k, const std::string& v) {
                                  return absl::Status(
                                      db_->Put(rocksdb::WriteOptions(), k, v)
                                              .ok()
                                          ? absl::OkStatus()
                                          : absl::InternalError("put"));
                                })
                      .ok());
      revision += chunk.size();
    }
    ASSERT_EQ(i, positions.size());
  }

  std::vector<uint64_t> ReadAll(const std::string& stream, uint64_t lo,
                                uint64_t hi, bool backward) {
    StreamRunReader r(*db_, db_->DefaultColumnFamily(), stream, lo, hi,
                      backward);
    std::vector<uint64_t> out;
    for (;;) {
      absl::StatusOr<std::optional<uint64_t>> p = r.Peek();
      EXPECT_TRUE(p.ok()) << p.status();
      if (!p.ok() || !p->has_value()) break;
      out.push_back(**p);
      r.Next();
    }
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<rocksdb::DB> db_;
};

// Three streams interleaved over 1..30000, the middle one (the one read)
// in runs of many chunks and of the maximum length; every range forward and
// backward gives exactly the stream's positions in it.
TEST_F(StreamRunReaderTest, ReadsEveryRangeOfAStreamInBothDirections) {
  std::map<std::string, std::vector<uint64_t>> streams;
  std::mt19937 rng(7);
  const std::string names[] = {"CHN-JPN", "JPN-KOR", "KOR-USA"};
  for (uint64_t p = 1; p <= 30000; ++p) {
    // JPN-KOR holds ~80%, so that it has runs of kMaxStreamRun.
    const uint32_t r = rng() % 10;
    streams[names[r < 1 ? 0 : r < 9 ? 1 : 2]].push_back(p);
  }
  const std::vector<uint64_t> chunks = {5, 6, 700, 12000, 12001, 29000, 30000};
  for (const auto& [name, positions] : streams) Write(name, positions, chunks);
  const std::vector<uint64_t>& all = streams["JPN-KOR"];

  EXPECT_EQ(ReadAll("JPN-KOR", 1, 30000, false), all);
  std::vector<uint64_t> reversed(all.rbegin(), all.rend());
  EXPECT_EQ(ReadAll("JPN-KOR", 1, 30000, true), reversed);
  EXPECT_EQ(ReadAll("CHN-JPN", 1, 30000, false), streams["CHN-JPN"]);
  EXPECT_EQ(ReadAll("USA-ZZZ", 1, 30000, false), std::vector<uint64_t>{});

  const uint64_t bounds[] = {1,    2,     5,     6,     7,     700,   701,
                             4200, 12000, 12001, 12002, 20000, 29000, 30000};
  for (uint64_t lo : bounds) {
    for (uint64_t hi : bounds) {
      std::vector<uint64_t> expected;
      for (uint64_t p : all) {
        if (p >= lo && p <= hi) expected.push_back(p);
      }
      EXPECT_EQ(ReadAll("JPN-KOR", lo, hi, false), expected)
          << lo << ".." << hi;
      std::reverse(expected.begin(), expected.end());
      EXPECT_EQ(ReadAll("JPN-KOR", lo, hi, true), expected)
          << lo << ".." << hi << " backward";
    }
  }
}

TEST_F(StreamRunReaderTest, ReadsUpToTheLastPossiblePosition) {
  Write("JPN-KOR", {5, UINT64_MAX - 1, UINT64_MAX}, {UINT64_MAX});
  EXPECT_EQ(ReadAll("JPN-KOR", 1, UINT64_MAX, false),
            (std::vector<uint64_t>{5, UINT64_MAX - 1, UINT64_MAX}));
  EXPECT_EQ(ReadAll("JPN-KOR", 6, UINT64_MAX, true),
            (std::vector<uint64_t>{UINT64_MAX, UINT64_MAX - 1}));
}

// Runs of one stream that share a range are corruption: DATA_LOSS in both
// directions, not positions twice or out of order.
TEST_F(StreamRunReaderTest, RunsThatOverlapAreDataLoss) {
  Write("JPN-KOR", {10, 20, 30}, {30});
  Write("JPN-KOR", {15, 25}, {25});  // keyed at 15, inside the run at 10
  for (bool backward : {false, true}) {
    StreamRunReader r(*db_, db_->DefaultColumnFamily(), "JPN-KOR", 1, 100,
                      backward);
    absl::Status failed;
    for (int i = 0; i < 10 && failed.ok(); ++i) {
      absl::StatusOr<std::optional<uint64_t>> p = r.Peek();
      if (!p.ok()) {
        failed = p.status();
      } else {
        ASSERT_TRUE(p->has_value()) << "ended without noticing";
        r.Next();
      }
    }
    EXPECT_EQ(failed.code(), absl::StatusCode::kDataLoss) << failed;
    EXPECT_THAT(failed.message(), HasSubstr("overlap"));
    // And it stays.
    EXPECT_EQ(r.Peek().status().code(), absl::StatusCode::kDataLoss);
  }
}

TEST_F(StreamRunReaderTest, AMalformedRunIsDataLoss) {
  Write("JPN-KOR", {1, 2, 3}, {3});
  ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(),
                       keys::StreamRunKey("JPN-KOR", Position(9)),
                       std::string("\x12\x01\x00", 3))
                  .ok());
  StreamRunReader r(*db_, db_->DefaultColumnFamily(), "JPN-KOR", 1, 100,
                    false);
  for (uint64_t expected : {1, 2, 3}) {
    absl::StatusOr<std::optional<uint64_t>> p = r.Peek();
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(*p, expected);
    r.Next();
  }
  absl::StatusOr<std::optional<uint64_t>> p = r.Peek();
  EXPECT_EQ(p.status().code(), absl::StatusCode::kDataLoss) << p.status();
  EXPECT_EQ(r.Peek().status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace detente
