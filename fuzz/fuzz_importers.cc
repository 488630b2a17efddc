// The importers' row parsers: the first byte picks the format, the rest is
// split into lines and fed to one parser, as a file would be.
#include "absl/strings/str_split.h"
#include "importers/row_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using detente::importers::Format;
  const Format formats[] = {Format::kCsv, Format::kGdelt, Format::kIcews};
  std::unique_ptr<detente::importers::RowParser> parser =
      detente::importers::MakeRowParser(formats[data[0] % 3]);
  absl::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    auto r = parser->Parse(line);
    if (!r.ok()) break;  // e.g. a CSV header it cannot use
  }
  (void)parser->Finish();
  return 0;
}
