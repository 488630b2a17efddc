#include "services/common/layered_config.h"

#include <toml++/toml.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace detente {
namespace {

// A TOML value as the text a flag would carry.
std::optional<std::string> ValueText(const toml::node& node) {
  if (auto s = node.value<std::string>()) return *s;
  if (auto b = node.value<bool>()) return *b ? "true" : "false";
  if (auto i = node.value<int64_t>()) return std::to_string(*i);
  if (auto d = node.value<double>()) return absl::StrCat(*d);
  return std::nullopt;
}

bool IsFlag(const CLI::Option* o) { return o->get_expected_min() == 0; }

// `--name value` (or `--name` for a true switch; nothing for false).
void AppendArg(const CLI::Option* o, const std::string& value,
               std::vector<std::string>& out) {
  const std::string name = o->get_lnames().empty()
                               ? o->get_name()
                               : "--" + o->get_lnames().front();
  if (IsFlag(o)) {
    if (value == "1" || value == "true" || value == "yes" || value == "on") {
      out.push_back(name);
    }
    return;
  }
  out.push_back(name);
  out.push_back(value);
}

}  // namespace

void LayeredConfig::Add(CLI::Option* option, std::string key, std::string env) {
  option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  option->description(absl::StrCat(option->get_description(), " [file: ", key,
                                   env.empty() ? "" : ", env: " + env, "]"));
  settings_.push_back({option, std::move(key), std::move(env)});
}

absl::StatusOr<std::vector<std::string>> LayeredConfig::FileArgs() {
  std::vector<std::string> out;
  if (file_.empty()) return out;
  toml::table table;
  try {
    table = toml::parse_file(file_);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(file_, ":", e.source().begin.line, ": ",
                     std::string(e.description().data(), e.description().size())));
  }
  std::set<std::string> known;
  for (const Setting& s : settings_) {
    known.insert(s.key);
    const toml::node* node = table.get(s.key);
    if (node == nullptr) continue;
    std::optional<std::string> text = ValueText(*node);
    if (!text) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_, ": `", s.key, "` must be a string, number or boolean"));
    }
    AppendArg(s.option, *text, out);
    explain_.push_back(absl::StrCat(s.key, " = ", *text, " (from ", file_, ")"));
  }
  for (const auto& [key, node] : table) {
    if (!known.contains(std::string(key.str()))) {
      return absl::InvalidArgumentError(absl::StrCat(
          file_, ": unknown setting `", std::string(key.str()),
          "` (see docs/configuration.md)"));
    }
  }
  return out;
}

int LayeredConfig::Parse(CLI::App& app, int argc, char** argv) {
  std::vector<std::string> cli(argv + 1, argv + argc);
  // The file named on the command line, else in the environment.
  for (size_t i = 0; i < cli.size(); ++i) {
    if (cli[i] == "--config" && i + 1 < cli.size()) file_ = cli[i + 1];
    if (cli[i].rfind("--config=", 0) == 0) file_ = cli[i].substr(9);
  }
  if (file_.empty()) {
    if (const char* v = std::getenv("DETENTE_CONFIG"); v && *v) file_ = v;
  }
  absl::StatusOr<std::vector<std::string>> args = FileArgs();
  if (!args.ok()) {
    std::cerr << "error: " << args.status().message() << "\n";
    return 2;
  }
  std::set<std::string> on_command_line;
  for (const std::string& a : cli) {
    on_command_line.insert(a.substr(0, a.find('=')));
  }
  for (const Setting& s : settings_) {
    if (s.env.empty()) continue;
    const char* v = std::getenv(s.env.c_str());
    if (v == nullptr) continue;
    const std::string name = "--" + s.option->get_lnames().front();
    if (on_command_line.contains(name)) {
      explain_.push_back(absl::StrCat(s.env, " ignored: ", name, " given"));
      continue;
    }
    AppendArg(s.option, v, *args);
    explain_.push_back(absl::StrCat(s.key, " = ", v, " (from ", s.env, ")"));
  }
  for (const std::string& a : cli) args->push_back(a);
  for (const Setting& s : settings_) {
    const std::string name = "--" + s.option->get_lnames().front();
    if (on_command_line.contains(name)) {
      explain_.push_back(absl::StrCat(s.key, " (from ", name, ")"));
    }
  }
  // CLI11 takes the arguments in reverse order.
  std::vector<std::string> reversed(args->rbegin(), args->rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return -1;
}

}  // namespace detente
