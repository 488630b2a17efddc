#include "support/api.h"

#include <grpcpp/generic/generic_stub.h>

#include <future>

#include "absl/strings/str_format.h"
#include "google/rpc/error_details.pb.h"

namespace detente::itest {

v1::Event MakeEvent(const std::string& id, const std::string& occurred_on,
                    const std::string& source, const std::string& target,
                    const std::string& event_code, const std::string& title) {
  v1::Event e;
  e.set_event_id(id);
  e.set_occurred_on(occurred_on);
  e.set_source(source);
  e.set_target(target);
  e.set_event_code(event_code);
  e.set_title(title);
  return e;
}

std::string RandomUuid(std::mt19937_64& rng) {
  uint64_t hi = rng();
  uint64_t lo = rng();
  hi = (hi & ~0xf000ull) | 0x4000ull;              // version 4
  lo = (lo & ~(0xc0ull << 56)) | (0x80ull << 56);  // variant 10
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32,
                         (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48,
                         lo & 0xffffffffffffull);
}

std::vector<std::string> BadRequestFields(const google::rpc::Status& status) {
  std::vector<std::string> out;
  google::rpc::BadRequest bad;
  if (status.details_size() == 0 || !status.details(0).UnpackTo(&bad)) {
    return out;
  }
  for (const auto& v : bad.field_violations()) out.push_back(v.field());
  return out;
}

std::vector<std::string> BadRequestFields(const grpc::Status& status) {
  google::rpc::Status rich;
  if (status.error_details().empty() ||
      !rich.ParseFromString(status.error_details())) {
    return {};
  }
  return BadRequestFields(rich);
}

ReadOutcome ReadAll(v1::IngestService::Stub& stub, const v1::ReadRequest& req) {
  ReadOutcome out;
  grpc::ClientContext ctx;
  ctx.set_deadline(In(60));
  auto reader = stub.Read(&ctx, req);
  v1::ReadResponse resp;
  while (reader->Read(&resp)) {
    out.message_sizes.push_back(resp.events_size());
    out.head_position = resp.head_position();
    for (auto& e : *resp.mutable_events()) out.events.push_back(std::move(e));
  }
  out.status = reader->Finish();
  return out;
}

grpc::Status GetInfo(v1::IngestService::Stub& stub, v1::GetInfoResponse* out) {
  grpc::ClientContext ctx;
  ctx.set_deadline(In(10));
  return stub.GetInfo(&ctx, v1::GetInfoRequest(), out);
}

// By hand (no generated health stubs here): HealthCheckRequest{service = 1}
// in, HealthCheckResponse{status = 1} out.
int HealthStatus(const std::string& address, const std::string& service) {
  grpc::GenericStub stub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  std::string req;
  req.push_back(0x0a);
  req.push_back(static_cast<char>(service.size()));
  req += service;
  grpc::Slice slice(req);
  grpc::ByteBuffer in(&slice, 1), out;
  grpc::ClientContext ctx;
  ctx.set_deadline(In(5));
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &in,
                 &out, [&](grpc::Status s) { done.set_value(s); });
  if (!done.get_future().get().ok()) return -1;
  std::vector<grpc::Slice> slices;
  if (!out.Dump(&slices).ok()) return -1;
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  if (bytes.size() == 2 && bytes[0] == 0x08) return bytes[1];
  return bytes.empty() ? 0 : -1;
}

}  // namespace detente::itest
