#include "importers/csv_split.h"

namespace detente::importers {

bool CsvRecordBuilder::Add(absl::string_view line) {
  if (lines_ > 0) text_.push_back('\n');
  text_.append(line.data(), line.size());
  ++lines_;
  // Quote parity decides whether the record goes on: "" toggles twice.
  for (; scanned_ < text_.size(); ++scanned_) {
    if (text_[scanned_] == '"') in_quotes_ = !in_quotes_;
  }
  return !in_quotes_;
}

std::vector<std::string> CsvRecordBuilder::Take() {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < text_.size(); ++i) {
    const char c = text_[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text_.size() && text_[i + 1] == '"') {
          fields.back().push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        fields.back().push_back(c);
      }
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c == '"' && fields.back().empty()) {
      quoted = true;
    } else {
      fields.back().push_back(c);
    }
  }
  text_.clear();
  lines_ = 0;
  in_quotes_ = false;
  scanned_ = 0;
  return fields;
}

}  // namespace detente::importers
