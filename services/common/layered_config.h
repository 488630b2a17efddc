// Settings from four layers, lowest first: built-in defaults, a TOML
// configuration file (--config FILE or DETENTE_CONFIG), environment
// variables, command-line flags. Each setting is a CLI11 option; the file and
// the environment are turned into arguments placed before the real ones, and
// options take the last value given, so a flag beats the environment, which
// beats the file. Nothing happens silently: Explain() lists every setting
// that did not come from its default with its source, and every environment
// variable that a flag overrode.
//
//   LayeredConfig config("detente-ingest");
//   config.Add(app.add_option("--listen", o.listen, "..."), "listen",
//              "DETENTE_INGEST_LISTEN");
//   ASSIGN_OR_RETURN(std::vector<std::string> args, config.Args(argc, argv));
//   app.parse(args);   // (CLI11 wants them reversed; see Parse)
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace detente {

class LayeredConfig {
 public:
  // `option` is the CLI11 option ("--listen"); `key` its name in the TOML
  // file ("listen"); `env` its environment variable ("" for none).
  void Add(CLI::Option* option, std::string key, std::string env);

  // Parses argv with the file and environment layers under it. Returns the
  // process exit code to use when parsing ended the program (help, usage
  // error: 0 or 2), or -1 to go on.
  int Parse(CLI::App& app, int argc, char** argv);

  // One line per setting not at its default: "listen = 0.0.0.0:7601 (from
  // DETENTE_INGEST_LISTEN)", plus "DETENTE_X ignored: --x given".
  const std::vector<std::string>& Explain() const { return explain_; }

  // The file that was read ("" for none).
  const std::string& file() const { return file_; }

 private:
  struct Setting {
    CLI::Option* option;
    std::string key;
    std::string env;
  };
  absl::StatusOr<std::vector<std::string>> FileArgs();

  std::vector<Setting> settings_;
  std::vector<std::string> explain_;
  std::string file_;
};

}  // namespace detente
