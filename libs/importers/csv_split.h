// RFC 4180 records: comma-separated fields, optionally in double quotes, a
// quote inside a quoted field doubled (""), line breaks allowed inside quoted
// fields. Lines are fed one at a time; a record is complete when no quoted
// field is left open. Lenient about stray quotes in unquoted fields (kept as
// text).
//
//   CsvRecordBuilder b;
//   if (b.Add(line)) { std::vector<std::string> fields = b.Take(); }
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace detente::importers {

class CsvRecordBuilder {
 public:
  // Appends a line (without its line break). True when the record is
  // complete and can be taken.
  bool Add(absl::string_view line);
  // The fields of the complete record; resets the builder.
  std::vector<std::string> Take();
  // True while a quoted field is open (the record continues).
  bool pending() const { return !text_.empty(); }
  // Lines the current record spans so far.
  int lines() const { return lines_; }

 private:
  std::string text_;
  int lines_ = 0;
  bool in_quotes_ = false;
  size_t scanned_ = 0;
};

}  // namespace detente::importers
