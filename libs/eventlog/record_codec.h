// Encoding of a RecordedEntry as the value of an 'e' key: a StoredEntry
// message (storage.proto, the contract), written and read here by hand with
// the protobuf wire format (common/wire.h) because it is the hottest code of
// appends and reads. Fields may come in any order (the committer appends the
// stream, its revision and the commit time last); generated protobuf code
// reads the same bytes, which record_codec_test.cc checks both ways.
// The position is not in the value: it is the key.
//
//   std::string body = EncodeRecordBody(entry, goldstein, quad_class);
//   AppendRecordCommit(stream, revision, recorded_at_micros, subject_position,
//                      &body);
//   RecordView v;
//   RETURN_IF_ERROR(DecodeRecordView(body, &v));   // no copies
//   ASSIGN_OR_RETURN(RecordedEntry e, DecodeRecord(position, body));
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "domain/entry.h"

namespace detente {

// Everything of a record that is known before the commit.
std::string EncodeRecordBody(const Entry& entry, double goldstein,
                             QuadClass quad_class);
// What the commit assigns: the stream (known for retractions only once their
// subject is looked up), the stream revision, the commit time and, for
// corrections and retractions, their subject's position.
void AppendRecordCommit(absl::string_view stream, StreamRevision revision,
                        int64_t recorded_at_micros, Position subject_position,
                        std::string* record);
// Appends the subject_position field alone (nothing for Position{0}): a
// record written before the field existed gets it by appending, since a
// field appended to a message is read like one inside it.
void AppendSubjectPosition(Position subject_position, std::string* record);
// The subject_event_id (16 bytes, a view into `record`) of a correction or
// retraction whose record has no subject_position; nullopt for anything
// else, also for records too damaged to tell (decoding reports those).
std::optional<absl::string_view> SubjectLackingPosition(
    absl::string_view record);
// Body and commit at once.
std::string EncodeRecord(const RecordedEntry& e);

// The fields of a stored record as views into its bytes. Reuse one view
// across records to keep `tags`' capacity.
struct RecordView {
  absl::string_view event_id;          // 16 bytes
  uint32_t kind = 0;                   // 1 event, 2 correction, 3 retraction
  absl::string_view subject_event_id;  // 16 bytes or empty
  absl::string_view occurred_on;
  absl::string_view source;
  absl::string_view target;
  absl::string_view event_code;
  std::optional<double> goldstein_override;
  double goldstein = 0;  // effective
  uint32_t weight = 0;
  std::optional<double> tone;
  std::vector<absl::string_view> tags;
  absl::string_view title;
  absl::string_view summary;
  absl::string_view source_name;
  absl::string_view source_url;
  absl::string_view stream;
  uint64_t stream_revision = 0;
  int64_t recorded_at_micros = 0;
  uint32_t quad_class = 0;
  uint64_t subject_position = 0;  // 0: an event, or a record older than it
};

// Fills `out` (views into `value`, which must outlive them). DATA_LOSS when
// `value` is not a well-formed StoredEntry or a field has an impossible
// value (kind, quad class, id lengths).
absl::Status DecodeRecordView(absl::string_view value, RecordView* out);

// A full copy. DATA_LOSS as above, and for an unparseable date.
absl::StatusOr<RecordedEntry> DecodeRecord(Position position,
                                           absl::string_view value);

}  // namespace detente
