// A JSONL line as `detente ingest` and the service see it: the proto3 JSON
// mapping into detente.v1.Event, the wire -> domain mapping, validation.
// Differential: whenever `detente ingest`'s fast path (tools/cli/
// json_event.h) reads a line, protobuf's reader must read it too, into the
// same message byte for byte.
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <cstdlib>

#include "detente/v1/event.pb.h"
#include "domain/validation.h"
#include "services/common/event_mapping.h"
#include "tools/cli/json_event.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string line(reinterpret_cast<const char*>(data), size);
  detente::v1::Event fast;
  const bool fast_ok = detente::cli::ParseEventJsonFast(line, &fast);
  detente::v1::Event e;
  const bool ok = google::protobuf::util::JsonStringToMessage(line, &e).ok();
  if (fast_ok) {
    std::string a, b;
    fast.SerializeToString(&a);  // deterministic for this message (no maps)
    e.SerializeToString(&b);
    if (!ok || a != b) {
      std::fprintf(stderr,
                   "fast path differs from protobuf (protobuf %s):\n%s\n%s\n",
                   ok ? "read it" : "refused it", fast.DebugString().c_str(),
                   e.DebugString().c_str());
      std::abort();
    }
  }
  if (!ok) return 0;
  (void)detente::ValidateEntry(detente::FromProto(e),
                               {.today = detente::DayNumber(20785)});
  return 0;
}
