// One input file of `detente ingest`, in any supported format, as a
// sequence of rows: events (as detente.v1.Event), skips and rejects, each
// with its line number. Opens plain, gzip and stdin ("-") alike and guesses
// the format from the name and first line when none is given.
//
//   ASSIGN_OR_RETURN(auto in, EventInput::Open("x.export.CSV.gz", {}));
//   InputRow row;
//   while (in->Next(&row)) { ... }
//   if (!in->status().ok()) ...  // unreadable, or not in the format
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "detente/v1/event.pb.h"
#include "importers/format.h"
#include "importers/line_reader.h"
#include "importers/row_parser.h"

namespace detente::cli {

struct InputRow {
  enum class Kind { kEvent, kSkip, kReject };
  Kind kind = Kind::kEvent;
  v1::Event event;     // kEvent
  std::string reason;  // kSkip, kReject
  uint64_t line = 0;   // first line of the row, from 1
};

class EventInput {
 public:
  // NOT_FOUND etc. when unreadable; INVALID_ARGUMENT when no format is given
  // and none can be guessed.
  static absl::StatusOr<std::unique_ptr<EventInput>> Open(
      const std::string& path, std::optional<importers::Format> format);

  // The next row; false at the end of the file or on a fatal error.
  bool Next(InputRow* row);
  const absl::Status& status() const { return status_; }
  importers::Format format() const { return format_; }
  uint64_t bytes_consumed() const { return reader_->bytes_consumed(); }
  std::optional<uint64_t> total_bytes() const { return reader_->total_bytes(); }

 private:
  EventInput() = default;
  bool NextLine(std::string* line);
  void ParseJson(const std::string& line, InputRow* row);

  std::unique_ptr<importers::LineReader> reader_;
  std::unique_ptr<importers::RowParser> parser_;
  importers::Format format_ = importers::Format::kJsonl;
  std::optional<std::string> first_line_;  // read for guessing, not yet used
  bool finished_ = false;
  absl::Status status_;
};

}  // namespace detente::cli
