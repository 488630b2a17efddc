#include "tools/bench/encoded_batches.h"

#include <gtest/gtest.h>

#include "detente/v1/ingest.pb.h"
#include "tools/bench/scenarios.h"

namespace detente::bench {
namespace {

// The bytes protobuf writes for the batch FillBatch builds: what the load
// sent before it was encoded by hand.
std::string ByProtobuf(const BenchContext& c, uint64_t batch_id,
                       uint64_t first, int n, v1::ResultDetail detail) {
  v1::AppendStreamRequest req;
  FillBatch(c, first, n, req.mutable_batch());
  req.mutable_batch()->set_result_detail(detail);
  req.set_batch_id(batch_id);
  return req.SerializeAsString();
}

TEST(EncodedBatchesTest, TheSameBytesAsProtobufWritesForFillBatch) {
  SynthEvents gen({.seed = 7});
  for (const bool across : {false, true}) {
    BenchContext c;
    c.gen = &gen;
    c.config.events = 3'000'000;
    c.config.dates_across_log = across;
    EncodedBatches enc(gen, c.config);
    std::string bytes;
    // Batches of every size class, across the pool's wrap, with either
    // answer and with and without a batch id; ids past 2^32.
    for (const auto& [batch_id, first, n] :
         std::vector<std::tuple<uint64_t, uint64_t, int>>{
             {0, 0, 1},
             {1, 0, 1000},
             {2, 19'500, 1000},
             {300, 2'999'000, 1000},
             {5, (uint64_t{1} << 33) + 17, 250},
             {1u << 20, 123'456, 10'000}}) {
      for (const v1::ResultDetail detail :
           {v1::RESULT_DETAIL_UNSPECIFIED, v1::RESULT_DETAIL_ENTRIES,
            v1::RESULT_DETAIL_SUMMARY}) {
        enc.Encode(batch_id, first, n, detail, &bytes);
        EXPECT_EQ(bytes, ByProtobuf(c, batch_id, first, n, detail))
            << "across " << across << " batch " << batch_id << " first "
            << first << " n " << n << " detail " << detail;
      }
    }
  }
}

TEST(EncodedBatchesTest, EveryEventHasItsOwnIdAndParses) {
  SynthEvents gen({.seed = 3});
  BenchContext c;
  c.gen = &gen;
  c.config.dates_across_log = true;
  c.config.events = 1'000'000;
  EncodedBatches enc(gen, c.config);
  std::string bytes;
  enc.Encode(9, 40'000, 1000, v1::RESULT_DETAIL_SUMMARY, &bytes);
  v1::AppendStreamRequest req;
  ASSERT_TRUE(req.ParseFromString(bytes));
  EXPECT_EQ(req.batch_id(), 9u);
  ASSERT_EQ(req.batch().entries_size(), 1000);
  for (int i = 0; i < 1000; ++i) {
    const v1::Event& e = req.batch().entries(i);
    EXPECT_EQ(e.event_id(), gen.EventId(40'000 + i));
    EXPECT_EQ(e.occurred_on(), gen.DateAcross(40'000 + i, 1'000'000));
  }
}

}  // namespace
}  // namespace detente::bench
