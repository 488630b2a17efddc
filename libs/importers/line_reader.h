// Reads a file line by line, plain or gzip-compressed (detected from the
// content, not the name), or standard input when the path is "-". Lines come
// without their "\n" or "\r\n". Not thread-safe: one reader per thread.
//
//   ASSIGN_OR_RETURN(auto reader, LineReader::Open("events.csv.gz"));
//   std::string line;
//   while (reader->Next(&line)) { ... reader->line_number() ... }
//   RETURN_IF_ERROR(reader->status());
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace detente::importers {

class LineReader {
 public:
  // NOT_FOUND (or another errno-derived code) when the file cannot be opened.
  static absl::StatusOr<std::unique_ptr<LineReader>> Open(
      const std::string& path);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line into *line; false at the end or on a read error.
  bool Next(std::string* line);
  // OK, or the read error that ended Next().
  const absl::Status& status() const { return status_; }
  // 1-based number of the line Next() returned last.
  uint64_t line_number() const { return line_number_; }
  // Bytes of the file (compressed bytes for gzip) consumed so far.
  uint64_t bytes_consumed() const;
  // Size of the file on disk; nullopt for stdin and pipes.
  std::optional<uint64_t> total_bytes() const { return total_bytes_; }

 private:
  explicit LineReader(void* gz) : gz_(gz) {}
  bool Fill();

  void* gz_;  // gzFile
  std::string buffer_;
  size_t pos_ = 0;
  bool eof_ = false;
  uint64_t line_number_ = 0;
  std::optional<uint64_t> total_bytes_;
  absl::Status status_;
};

}  // namespace detente::importers
