#include "tools/cli/event_input.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/common/event_mapping.h"
#include "tools/cli/json_event.h"

namespace detente::cli {

using importers::Format;
using importers::RowResult;

absl::StatusOr<std::unique_ptr<EventInput>> EventInput::Open(
    const std::string& path, std::optional<Format> format) {
  std::unique_ptr<EventInput> in(new EventInput());
  auto reader = importers::LineReader::Open(path);
  if (!reader.ok()) return reader.status();
  in->reader_ = std::move(*reader);
  std::string first;
  if (in->reader_->Next(&first)) in->first_line_ = first;
  if (!format) {
    format = importers::GuessFormat(path, first);
    if (!format) {
      return absl::InvalidArgumentError(absl::StrCat(
          path,
          ": cannot tell the format from the name or the first line; "
          "give --format jsonl|csv|gdelt|icews"));
    }
  }
  in->format_ = *format;
  in->parser_ = importers::MakeRowParser(*format);
  return in;
}

bool EventInput::NextLine(std::string* line) {
  if (first_line_) {
    *line = std::move(*first_line_);
    first_line_.reset();
    return true;
  }
  return reader_->Next(line);
}

void EventInput::ParseJson(const std::string& line, InputRow* row) {
  if (ParseEventJsonFast(line, &row->event)) {
    row->kind = InputRow::Kind::kEvent;
    return;
  }
  row->event.Clear();  // protobuf decides what the fast path declined
  auto parsed = google::protobuf::util::JsonStringToMessage(line, &row->event);
  if (parsed.ok()) {
    row->kind = InputRow::Kind::kEvent;
  } else {
    row->kind = InputRow::Kind::kReject;
    row->reason = absl::StrCat("not a detente.v1.Event in JSON: ",
                               parsed.message().as_string());
  }
}

bool EventInput::Next(InputRow* row) {
  if (finished_) return false;
  std::string line;
  while (NextLine(&line)) {
    row->line = reader_->line_number();
    if (format_ == Format::kJsonl) {
      if (absl::StripAsciiWhitespace(line).empty()) continue;
      ParseJson(line, row);
      return true;
    }
    auto r = parser_->Parse(line);
    if (!r.ok()) {
      status_ = absl::Status(
          r.status().code(),
          absl::StrCat("line ", row->line, ": ", r.status().message()));
      finished_ = true;
      return false;
    }
    if (!r->has_value()) continue;
    RowResult& result = **r;
    row->line -= result.extra_lines;
    row->reason = std::move(result.reason);
    switch (result.kind) {
      case RowResult::Kind::kEntry:
        row->kind = InputRow::Kind::kEvent;
        row->event.Clear();
        detente::ToProto(result.entry, &row->event);
        break;
      case RowResult::Kind::kSkip:
        row->kind = InputRow::Kind::kSkip;
        break;
      case RowResult::Kind::kReject:
        row->kind = InputRow::Kind::kReject;
        break;
    }
    return true;
  }
  finished_ = true;
  if (!reader_->status().ok()) {
    status_ = reader_->status();
    return false;
  }
  if (parser_ != nullptr) {
    if (std::optional<RowResult> last = parser_->Finish()) {
      row->kind = InputRow::Kind::kReject;
      row->reason = last->reason;
      row->line = reader_->line_number() - last->extra_lines;
      return true;
    }
  }
  return false;
}

}  // namespace detente::cli
