// The storage codecs: arbitrary bytes as entry values, id-index values,
// stream runs, keys and read-model versions must decode or be refused, never
// crash; what decodes re-encodes to something that decodes to the same thing.
// An entry value that decodes goes to the wire (RecordedEventWriter, the
// replay's encoder) as the same bytes as the generated code writes for it;
// one that does not is refused with the output untouched.
#include <google/protobuf/stubs/logging.h>

#include <cstdlib>

#include "detente/v1/ingest.pb.h"
#include "eventlog/keys.h"
#include "eventlog/record_codec.h"
#include "eventlog/stream_runs.h"
#include "projections/pair_version.h"
#include "services/common/event_mapping.h"
#include "services/common/recorded_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view in(reinterpret_cast<const char*>(data), size);
  using namespace detente;
  absl::StatusOr<RecordedEntry> r = DecodeRecord(Position(7), in);
  if (r.ok()) {
    absl::StatusOr<RecordedEntry> back = DecodeRecord(Position(7), EncodeRecord(*r));
    if (!back.ok() || back->entry.event_id != r->entry.event_id ||
        back->stream != r->stream) {
      std::abort();
    }
  }
  {
    // The generated code logs each string field that is not UTF-8 (stored
    // records are not checked for it; it writes them all the same).
    // SetLogHandler is protobuf 3.21's (Debian 12); later versions log
    // through Abseil.
    static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);
    (void)quiet;
    RecordedEventWriter writer;
    std::string wire = "x";
    const bool written = writer.Append(1, Position(7), in, &wire).ok();
    if (!written && wire != "x") std::abort();
    if (r.ok()) {
      v1::ReadResponse expected;
      ToProto(*r, expected.add_events());
      if (!written || wire != "x" + expected.SerializeAsString()) std::abort();
    }
  }
  if (auto id = keys::DecodeIdValue(in)) {
    auto back = keys::DecodeIdValue(keys::EncodeIdValue(*id));
    if (!back || back->position != id->position || back->stream != id->stream) {
      std::abort();
    }
  }
  if (auto p = keys::DecodeEntryKey(in)) {
    if (keys::EntryKey(*p) != in) std::abort();
  }
  (void)keys::DecodeStreamKeyPosition(in);
  if (auto key = keys::DecodeStreamRunKey(in)) {
    if (keys::StreamRunKey(key->stream, key->first) != in) std::abort();
  }
  StreamRun run;
  if (DecodeStreamRun(7, in, &run).ok()) {
    // Ascending from the key's position; re-encoded, the same run.
    for (size_t k = 1; k < run.positions.size(); ++k) {
      if (run.positions[k] <= run.positions[k - 1]) std::abort();
    }
    std::string again;
    EncodeStreamRun(&again, run.first_revision, run.positions);
    StreamRun back;
    if (run.positions.front() != 7 || !DecodeStreamRun(7, again, &back).ok() ||
        back.positions != run.positions ||
        back.first_revision != run.first_revision) {
      std::abort();
    }
  }
  PairVersion v;
  if (DecodePairVersionValue(in, &v)) {
    PairVersion w;
    if (!DecodePairVersionValue(EncodePairVersionValue(v), &w) ||
        w.weight != v.weight || w.tags != v.tags) {
      std::abort();
    }
  }
  return 0;
}
