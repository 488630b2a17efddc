// `detente export`: a batch replay of the log (IngestService.Read) to stdout
// as JSONL, one detente.v1.Event per line in the proto3 JSON mapping, in
// position order. Corrections and retractions keep their ids, kinds and
// subjects, so `detente ingest` loads the output unchanged into an empty log.
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <iostream>

#include "detente/v1/ingest.grpc.pb.h"
#include "tools/cli/client.h"
#include "tools/cli/commands.h"

namespace detente::cli {

int RunExport(const ExportOptions& o) {
  auto stub = v1::IngestService::NewStub(Connect(o.address));
  v1::ReadRequest req;
  req.set_from_position(o.from);
  req.set_to_position(o.to);
  req.set_direction(v1::READ_DIRECTION_FORWARD);
  req.set_batch_size(5000);
  v1::EventFilter* f = req.mutable_filter();
  f->set_stream(o.pair);
  for (const std::string& a : o.actors) f->add_actors(a);
  f->set_occurred_from(o.occurred_from);
  f->set_occurred_to(o.occurred_to);
  for (const std::string& r : o.cameo_roots) f->add_cameo_roots(r);
  for (const std::string& t : o.tags) f->add_tags(t);

  grpc::ClientContext ctx;
  auto reader = stub->Read(&ctx, req);
  v1::ReadResponse resp;
  std::string json;
  uint64_t count = 0;
  while (reader->Read(&resp)) {
    for (const v1::RecordedEvent& e : resp.events()) {
      json.clear();
      auto s = google::protobuf::util::MessageToJsonString(e.event(), &json);
      if (!s.ok()) {
        std::cerr << "error: cannot print position " << e.position() << ": "
                  << s.message().as_string() << "\n";
        return 1;
      }
      json.push_back('\n');
      std::fwrite(json.data(), 1, json.size(), stdout);
      ++count;
    }
  }
  grpc::Status s = reader->Finish();
  std::fflush(stdout);
  if (!s.ok()) {
    std::cerr << "error: " << DescribeError(s) << " (ingestion service at "
              << o.address << ")\n";
    return s.error_code() == grpc::StatusCode::UNAVAILABLE ? 2 : 1;
  }
  if (!o.quiet) std::cerr << "exported " << count << " entries\n";
  return 0;
}

}  // namespace detente::cli
