// `detente synth`: writes a synthetic history (synth_history.h) as JSONL.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "tools/cli/commands.h"
#include "tools/cli/synth_history.h"

namespace detente::cli {

int RunSynth(const SynthCommandOptions& c) {
  SynthOptions o{.events = c.events,
                 .seed = c.seed,
                 .actors = c.actors,
                 .late_fraction = c.late_fraction,
                 .corrections = c.corrections,
                 .retractions = c.retractions};
  if (absl::Status s = CheckSynthOptions(o); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 2;
  }
  std::FILE* out = c.out == "-" ? stdout : std::fopen(c.out.c_str(), "wb");
  if (out == nullptr) {
    std::cerr << "error: cannot write " << c.out << ": " << std::strerror(errno)
              << "\n";
    return 2;
  }
  bool ok = true;
  GenerateSyntheticHistory(o, [&](absl::string_view chunk) {
    ok = ok && std::fwrite(chunk.data(), 1, chunk.size(), out) == chunk.size();
  });
  ok = std::fflush(out) == 0 && ok;
  if (out != stdout) ok = std::fclose(out) == 0 && ok;
  if (!ok) {
    std::cerr << "error: writing " << c.out << " failed\n";
    return 1;
  }
  return 0;
}

}  // namespace detente::cli
