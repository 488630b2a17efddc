// A JSONL line as `detente ingest` and the service see it: the proto3 JSON
// mapping into detente.v1.Event, the wire -> domain mapping, validation.
#include <google/protobuf/util/json_util.h>

#include "detente/v1/event.pb.h"
#include "domain/validation.h"
#include "services/common/event_mapping.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  detente::v1::Event e;
  std::string line(reinterpret_cast<const char*>(data), size);
  if (!google::protobuf::util::JsonStringToMessage(line, &e).ok()) return 0;
  (void)detente::ValidateEntry(detente::FromProto(e),
                               {.today = detente::DayNumber(20785)});
  return 0;
}
