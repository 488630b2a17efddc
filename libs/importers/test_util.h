// Test helper: runs a parser over every line of a fixture file.
#pragma once

#include <string>
#include <vector>

#include "importers/line_reader.h"
#include "importers/row_parser.h"

namespace detente::importers {

struct ParsedFile {
  absl::Status status;             // first fatal error, if any
  std::vector<RowResult> results;  // one per reported row
  std::vector<uint64_t> lines;     // the line each result was reported on
};

inline ParsedFile ParseFile(const std::string& path, Format format) {
  ParsedFile out;
  auto reader = LineReader::Open(path);
  if (!reader.ok()) {
    out.status = reader.status();
    return out;
  }
  std::unique_ptr<RowParser> parser = MakeRowParser(format);
  std::string line;
  while ((*reader)->Next(&line)) {
    auto r = parser->Parse(line);
    if (!r.ok()) {
      out.status = r.status();
      return out;
    }
    if (r->has_value()) {
      out.results.push_back(std::move(**r));
      out.lines.push_back((*reader)->line_number());
    }
  }
  if (auto r = parser->Finish()) out.results.push_back(std::move(*r));
  out.status = (*reader)->status();
  return out;
}

inline std::string Fixture(const std::string& name) {
  return std::string(DETENTE_IMPORT_FIXTURES) + "/" + name;
}

}  // namespace detente::importers
