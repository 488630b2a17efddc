// `detente ingest`: reads event files (jsonl, csv, gdelt, icews; plain or
// gzip; '-' for stdin) and streams them to the ingestion service over
// AppendStream. Skipped rows are counted by reason; rejected rows are
// reported as file:line: reason.
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>

#include "tools/cli/client.h"
#include "tools/cli/commands.h"
#include "tools/cli/event_input.h"
#include "tools/cli/loader.h"
#include "tools/cli/progress.h"

namespace detente::cli {
namespace {

// Sum of the sizes of the regular files; nullopt if any is stdin or a pipe.
std::optional<uint64_t> TotalBytes(const std::vector<std::string>& files) {
  uint64_t total = 0;
  for (const std::string& f : files) {
    struct stat st;
    if (f == "-" || stat(f.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return std::nullopt;
    }
    total += static_cast<uint64_t>(st.st_size);
  }
  return total;
}

}  // namespace

int RunIngest(const IngestOptions& o) {
  if (o.batch < 1 || o.batch > 10000) {
    std::cerr << "error: --batch must be 1..10000\n";
    return 2;
  }
  std::optional<importers::Format> format;
  if (!o.format.empty()) {
    format = importers::ParseFormatName(o.format);
    if (!format) {
      std::cerr << "error: --format must be jsonl, csv, gdelt or icews\n";
      return 2;
    }
  }
  auto stub = v1::IngestService::NewStub(Connect(o.address));
  Progress progress(!o.quiet && isatty(STDERR_FILENO), TotalBytes(o.files));
  Loader loader(*stub, o.batch, o.strict, [&] { progress.Clear(); });
  Totals& t = loader.totals;
  uint64_t bytes_before = 0;  // of the files already read
  bool ok = true;
  int exit_code = 0;
  for (const std::string& file : o.files) {
    if (!ok) break;
    auto input = EventInput::Open(file, format);
    if (!input.ok()) {
      progress.Clear();
      std::cerr << "error: " << input.status().message() << "\n";
      exit_code = 2;
      ok = false;
      break;
    }
    EventInput& in = **input;
    InputRow row;
    while (ok && in.Next(&row)) {
      ++t.read;
      switch (row.kind) {
        case InputRow::Kind::kSkip:
          ++t.skipped[row.reason];
          break;
        case InputRow::Kind::kReject:
          ok = loader.Reject(file, row.line, t.read, row.reason);
          break;
        case InputRow::Kind::kEvent:
          ok = loader.Add(Row{file, row.line, t.read, std::move(row.event)});
          break;
      }
      if ((t.read & 255) == 0) {
        progress.Update(t.read, bytes_before + in.bytes_consumed());
      }
    }
    if (!in.status().ok()) {
      progress.Clear();
      std::cerr << "error: " << file << " (read as "
                << importers::FormatName(in.format())
                << "): " << in.status().message() << "\n";
      exit_code = 2;
      ok = false;
    }
    bytes_before += in.bytes_consumed();
  }
  ok = loader.Finish(ok) && ok;
  progress.Clear();
  std::cerr << t.Summary() << "\n";
  if (exit_code != 0) return exit_code;
  return ok && t.rejected == 0 ? 0 : 1;
}

}  // namespace detente::cli
