// The bulk load's requests encoded without protobuf's serializer: each of
// the generator's kPoolSize templates is serialized once, and a batch is
// their wire bytes one after the other, each with its own event id (and,
// with dates across the log, its own date) written over the template's in
// place. The bytes are those `FillBatch` and protobuf would produce for the
// same batch (EncodedBatchesTest compares them), so the service receives
// exactly what it received before; the client no longer spends a third of
// a core copying and serializing messages beside the service on two cores.
// This is what the peers' native clients do (redis-benchmark sends one
// pre-formatted command; tools/peers/run_peers.sh): the client is not what
// limits a figure.
//
//   EncodedBatches enc(gen, config);
//   std::string bytes;
//   enc.Encode(/*batch_id=*/7, /*first=*/7000, 1000, summary, &bytes);
//
// Thread safety: Encode may be called concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tools/bench/synth_events.h"

namespace detente::bench {

struct BenchConfig;

class EncodedBatches {
 public:
  EncodedBatches(const SynthEvents& gen, const BenchConfig& config);

  // The serialized AppendStreamRequest of batch `batch_id` holding events
  // first..first+n-1 with result_detail `result_detail` (a
  // v1::ResultDetail), written over `out`.
  void Encode(uint64_t batch_id, uint64_t first, int n, int result_detail,
              std::string* out) const;

 private:
  struct Template {
    std::string bytes;  // the serialized v1::Event
    size_t id_at = 0;   // offset of the 36 characters of its event_id
    // Offset of the 10 characters of its occurred_on, written over per use
    // when dates rise across the log; npos otherwise.
    size_t date_at = std::string::npos;
  };

  const SynthEvents& gen_;
  const uint64_t events_;  // the span of dates across the log
  std::vector<Template> pool_;
};

}  // namespace detente::bench
