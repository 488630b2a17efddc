// Event validation: arbitrary text in every field of a RawEntry. Must never
// crash, and an accepted entry must be canonical (re-validating it as text
// gives the same entry).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>

#include "domain/validation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  detente::RawEntry raw;
  raw.kind = static_cast<detente::EntryKind>(in.ConsumeIntegralInRange(1, 3));
  raw.event_id = in.ConsumeRandomLengthString(40);
  raw.subject_event_id = in.ConsumeRandomLengthString(40);
  raw.occurred_on = in.ConsumeRandomLengthString(12);
  raw.source = in.ConsumeRandomLengthString(5);
  raw.target = in.ConsumeRandomLengthString(5);
  raw.event_code = in.ConsumeRandomLengthString(5);
  if (in.ConsumeBool()) raw.goldstein = in.ConsumeFloatingPoint<double>();
  raw.weight = in.ConsumeIntegral<uint32_t>();
  if (in.ConsumeBool()) raw.tone = in.ConsumeFloatingPoint<double>();
  for (int i = in.ConsumeIntegralInRange(0, 20); i > 0; --i) {
    raw.tags.push_back(in.ConsumeRandomLengthString(40));
  }
  raw.title = in.ConsumeRandomLengthString(400);
  raw.source_url = in.ConsumeRandomLengthString(100);
  raw.summary = in.ConsumeRemainingBytesAsString();
  detente::ValidationContext ctx{.today = detente::DayNumber(20785)};
  absl::StatusOr<detente::Entry> e = detente::ValidateEntry(raw, ctx);
  if (!e.ok()) return 0;
  // Canonical: validating the canonical text again gives the same entry.
  detente::RawEntry again = raw;
  again.source = e->data.source;
  again.target = e->data.target;
  if (e->kind != detente::EntryKind::kRetraction) {
    again.occurred_on = e->data.occurred_on.ToString();
  }
  absl::StatusOr<detente::Entry> e2 = detente::ValidateEntry(again, ctx);
  if (!e2.ok() || e2->data.source != e->data.source ||
      !(e2->data.occurred_on == e->data.occurred_on)) {
    std::abort();
  }
  return 0;
}
