#include "tools/cli/raw_entry_proto.h"

namespace detente::cli {

void ToProto(const RawEntry& r, v1::Event* out) {
  out->set_event_id(r.event_id);
  switch (r.kind) {
    case EntryKind::kEvent:
      break;  // unspecified means a new event
    case EntryKind::kCorrection:
      out->set_kind(v1::ENTRY_KIND_CORRECTION);
      break;
    case EntryKind::kRetraction:
      out->set_kind(v1::ENTRY_KIND_RETRACTION);
      break;
  }
  out->set_subject_event_id(r.subject_event_id);
  out->set_occurred_on(r.occurred_on);
  out->set_source(r.source);
  out->set_target(r.target);
  out->set_event_code(r.event_code);
  if (r.goldstein) out->set_goldstein(*r.goldstein);
  out->set_weight(r.weight);
  if (r.tone) out->set_tone(*r.tone);
  for (const std::string& t : r.tags) out->add_tags(t);
  out->set_title(r.title);
  out->set_summary(r.summary);
  out->set_source_name(r.source_name);
  out->set_source_url(r.source_url);
}

}  // namespace detente::cli
