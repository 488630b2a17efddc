// Stored records (eventlog/record_codec.h) straight to the wire: appends a
// detente.v1.RecordedEvent, as a length-delimited field of an enclosing
// message (ReadResponse.events, SubscribeResponse.events), without building
// protobuf objects. The bytes are exactly those of
// ToProto(DecodeRecord(record)).SerializeAsString() (recorded_wire_test.cc),
// at a fraction of the cost: the replay and catch-up hot path. Each
// RecordedEvent is sized first and then written in one pass into the room
// made for it (no nested messages built apart and copied in).
//
//   RecordedEventWriter w;
//   std::string msg;
//   for (size_t i = 0; i < page.encoded.size(); ++i) {
//     RETURN_IF_ERROR(w.Append(1, page.encoded.items[i].position,
//                              page.encoded.record(i), &msg));
//   }
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/strong_types.h"
#include "eventlog/record_codec.h"

namespace detente {

class RecordedEventWriter {
 public:
  // DATA_LOSS when `record` is not a valid stored record; `out` is then
  // unchanged.
  absl::Status Append(uint32_t field, Position position,
                      absl::string_view record, std::string* out);

 private:
  RecordView view_;  // scratch: the record's fields
};

}  // namespace detente
