// A fast path for the lines of a JSONL file that `detente ingest` reads:
// one detente.v1.Event per line in the proto3 JSON mapping.
//
// protobuf's JsonStringToMessage spends ~8 µs on a typical line (a stream
// parser, a type resolver and a writer of the binary form, with many small
// allocations); this reads the same lines with RapidJSON's SAX reader into
// the message directly, in well under a microsecond. It takes only what it
// is sure protobuf reads the same way, and declines everything else (it
// returns false; the caller then asks protobuf, which decides and words the
// error):
//   - a flat object whose keys are Event's fields, by JSON name (eventId)
//     or proto name (event_id), each at most once;
//   - a line of valid UTF-8 without NUL characters;
//   - strings for the text fields;
//   - numbers without an exponent for goldstein and tone, digits only for
//     weight (within uint32); an EntryKind name for kind;
//   - an array of strings for tags.
// Anything else (null, booleans, numbers as strings, "NaN", enum numbers,
// unknown keys, nested objects, trailing text) is declined.
// fuzz/fuzz_jsonl.cc checks, on every input it accepts, that protobuf reads
// the same message byte for byte.
#pragma once

#include <string>

#include "detente/v1/event.pb.h"

namespace detente::cli {

// True with `out` set (cleared first) when the fast path read `line`; false
// when it declined (`out` is then unspecified).
bool ParseEventJsonFast(const std::string& line, v1::Event* out);

}  // namespace detente::cli
