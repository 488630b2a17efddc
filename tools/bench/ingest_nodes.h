// The ingest nodes under test (BenchContext::ingest_nodes): one, or several
// nodes of one cluster (docs/cluster.md). Scenarios 1 and 2 spread their
// load streams and clients over them round-robin: stream or client i talks
// to node i % n.
//
//   auto stubs = IngestStubs(c);
//   auto& stub = NodeStub(stubs, i);
//   ...
//   r.note += NodesNote(c, "client");  // "" for one node
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "detente/v1/ingest.grpc.pb.h"
#include "tools/bench/scenarios.h"

namespace detente::bench {

using IngestStubList = std::vector<std::unique_ptr<v1::IngestService::Stub>>;

// One stub per ingest node, in order (c.ingest alone when the list is empty).
IngestStubList IngestStubs(const BenchContext& c);
v1::IngestService::Stub& NodeStub(const IngestStubList& stubs, size_t i);

// One channel per ingest node, in order (c.ingest's alone when the list is
// empty).
using IngestChannelList = std::vector<std::shared_ptr<grpc::Channel>>;
IngestChannelList IngestChannels(const BenchContext& c);

// Scenario 1's load: `batches` batches of 1000 new events over
// c.config.load_streams AppendStreams (stream i to channel i mod their
// count), each with c.config.load_window batches in flight. PrepareLoad
// builds what the load needs (the encoded templates) ahead of a clock.
struct LoadOutcome {
  uint64_t events = 0, errors = 0;
  std::string first_error;
  Latencies latencies;  // per batch, microseconds
  double seconds = 0;
};
void PrepareLoad(const BenchContext& c);
LoadOutcome LoadBatches(BenchContext& c, const IngestChannelList& channels,
                        uint64_t batches);

// The row labels of scenarios 1 and 2: durability from the first node's
// GetInfo ("fsync" for sync, "no fsync" for async, "quorum" for a
// replicated log); system "cluster xN" for several nodes or a cluster-mode
// one, else "detente".
void LabelNodes(BenchContext& c);

// For several nodes: "client i on ingest-(i mod 2 + 1); heads agree at H
// after T ms" once every node reports the same head (waiting up to 30 s for
// the nodes to apply each other's groups), or "...; ERROR heads differ
// after 30 s: a, b". `what` names the unit spread ("stream", "client").
// "" for one node.
std::string NodesNote(const BenchContext& c, const std::string& what);

}  // namespace detente::bench
