// `detente read` and `detente info`.
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <iostream>

#include "absl/strings/str_format.h"
#include "detente/v1/ingest.grpc.pb.h"
#include "tools/cli/client.h"
#include "tools/cli/commands.h"

namespace detente::cli {

int RunRead(const ReadOptions& o) {
  auto stub = v1::IngestService::NewStub(Connect(o.address));
  v1::ReadRequest req;
  req.set_from_position(o.from);
  req.set_to_position(o.to);
  req.set_direction(o.backward ? v1::READ_DIRECTION_BACKWARD
                               : v1::READ_DIRECTION_FORWARD);
  req.set_max_count(o.limit);
  if (!o.pair.empty()) req.mutable_filter()->set_stream(o.pair);
  grpc::ClientContext ctx;
  auto reader = stub->Read(&ctx, req);
  std::vector<v1::RecordedEvent> events;
  v1::ReadResponse resp;
  while (reader->Read(&resp)) {
    for (auto& e : *resp.mutable_events()) events.push_back(std::move(e));
  }
  grpc::Status s = reader->Finish();
  if (!s.ok()) {
    std::cerr << "error: " << DescribeError(s) << "\n";
    return 1;
  }
  if (o.by_date) {
    // Dates are ISO text of varying precision; "1956" < "1956-10" < ... sorts
    // a coarser date before the finer dates it contains, as its first day.
    std::stable_sort(events.begin(), events.end(),
                     [](const v1::RecordedEvent& a, const v1::RecordedEvent& b) {
                       return a.event().occurred_on() < b.event().occurred_on();
                     });
  }
  if (o.format == "jsonl") {
    for (const auto& e : events) {
      std::string json;
      (void)google::protobuf::util::MessageToJsonString(e, &json);
      std::cout << json << "\n";
    }
    return 0;
  }
  std::cout << absl::StrFormat("%8s  %-10s  %-9s  %-4s  %6s  %s\n", "position",
                               "date", "actors", "code", "score", "title");
  for (const auto& r : events) {
    const v1::Event& e = r.event();
    std::string actors = e.kind() == v1::ENTRY_KIND_RETRACTION
                             ? r.stream()
                             : e.source() + ">" + e.target();
    std::string title = e.kind() == v1::ENTRY_KIND_RETRACTION
                            ? "(retracts " + e.subject_event_id() + ")"
                            : e.title();
    if (e.kind() == v1::ENTRY_KIND_CORRECTION) title = "(correction) " + title;
    std::cout << absl::StrFormat("%8d  %-10s  %-9s  %-4s  %+6.1f  %s\n",
                                 r.position(), e.occurred_on(), actors,
                                 e.event_code(), e.goldstein(), title);
  }
  std::cout << events.size() << " entries\n";
  return 0;
}

int RunInfo(const std::string& address) {
  auto stub = v1::IngestService::NewStub(Connect(address));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::GetInfoResponse info;
  grpc::Status s = stub->GetInfo(&ctx, v1::GetInfoRequest(), &info);
  if (!s.ok()) {
    std::cerr << "error: " << DescribeError(s) << "\n";
    return 1;
  }
  std::cout << "head position:  " << info.head_position() << "\n"
            << "entries:        " << info.entry_count() << "\n"
            << "streams:        " << info.stream_count() << "\n"
            << "disk bytes:     " << info.disk_bytes() << "\n"
            << "durability:     " << info.durability() << "\n"
            << "format version: " << info.format_version() << "\n";
  return 0;
}

}  // namespace detente::cli
