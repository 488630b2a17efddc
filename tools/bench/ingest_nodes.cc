#include "tools/bench/ingest_nodes.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace detente::bench {
namespace {

v1::GetInfoResponse Info(const ServiceHandle& s) {
  auto stub = v1::IngestService::NewStub(s.channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::GetInfoRequest req;
  v1::GetInfoResponse resp;
  stub->GetInfo(&ctx, req, &resp);
  return resp;
}

}  // namespace

IngestStubList IngestStubs(const BenchContext& c) {
  IngestStubList stubs;
  if (c.ingest_nodes.empty()) {
    stubs.push_back(v1::IngestService::NewStub(c.ingest.channel));
  }
  for (const ServiceHandle& n : c.ingest_nodes) {
    stubs.push_back(v1::IngestService::NewStub(n.channel));
  }
  return stubs;
}

IngestChannelList IngestChannels(const BenchContext& c) {
  IngestChannelList channels;
  if (c.ingest_nodes.empty()) channels.push_back(c.ingest.channel);
  for (const ServiceHandle& n : c.ingest_nodes) channels.push_back(n.channel);
  return channels;
}

v1::IngestService::Stub& NodeStub(const IngestStubList& stubs, size_t i) {
  return *stubs[i % stubs.size()];
}

void LabelNodes(BenchContext& c) {
  if (c.ingest_nodes.empty()) return;
  const std::string d = Info(c.ingest_nodes[0]).durability();
  const bool replicated = d.rfind("replicated", 0) == 0;
  if (c.ingest_nodes.size() > 1 || replicated) {
    c.system = absl::StrCat("cluster x", c.ingest_nodes.size());
  }
  if (d == "sync") {
    c.durability = "fsync";
  } else if (d == "async") {
    c.durability = "no fsync";
  } else if (replicated) {
    c.durability = "quorum";
  } else if (!d.empty()) {
    c.durability = d.substr(0, 8);
  }
}

std::string NodesNote(const BenchContext& c, const std::string& what) {
  const size_t n = c.ingest_nodes.size();
  if (n <= 1) return "";
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::seconds(30);
  std::vector<uint64_t> heads(n);
  const std::string spread =
      absl::StrCat(what, " i on ingest-(i mod ", n, " + 1)");
  while (true) {
    for (size_t i = 0; i < n; ++i) {
      heads[i] = Info(c.ingest_nodes[i]).head_position();
    }
    const bool agree = std::all_of(heads.begin(), heads.end(),
                                   [&](uint64_t h) { return h == heads[0]; });
    const auto now = std::chrono::steady_clock::now();
    if (agree && heads[0] > 0) {
      return absl::StrCat(
          spread, "; heads agree at ", heads[0], " after ",
          std::chrono::duration_cast<std::chrono::milliseconds>(now - start)
              .count(),
          " ms");
    }
    if (now > end) {
      return absl::StrCat(spread, "; ERROR heads differ after 30 s: ",
                          absl::StrJoin(heads, ", "));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace detente::bench
