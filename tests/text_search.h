// Regular-expression search in the tests' checks of command output and error
// messages, with POSIX extended regular expressions (<regex.h>, glibc: also
// \b, \w, \s; no \d: write [0-9]).
//
// Not std::regex: g++ 12 at -O1 with -fsanitize=address (the ASan build,
// -Werror) reports a false -Wmaybe-uninitialized inside libstdc++'s
// <regex> (std::function in regex_automaton.h, GCC bug 105562) in every file
// that builds a std::regex.
#pragma once

#include <regex.h>

#include <optional>
#include <string>
#include <vector>

namespace detente::itest {

// The first match of `pattern` in `text`: element 0 the whole match, then
// one per group ("" for a group that did not take part); nullopt when there
// is no match or the pattern is malformed.
inline std::optional<std::vector<std::string>> SearchRegex(
    const std::string& text, const std::string& pattern) {
  regex_t re;
  if (regcomp(&re, pattern.c_str(), REG_EXTENDED) != 0) return std::nullopt;
  std::vector<regmatch_t> m(re.re_nsub + 1);
  const bool found = regexec(&re, text.c_str(), m.size(), m.data(), 0) == 0;
  regfree(&re);
  if (!found) return std::nullopt;
  std::vector<std::string> groups;
  for (const regmatch_t& g : m) {
    groups.push_back(g.rm_so < 0 ? std::string()
                                 : text.substr(g.rm_so, g.rm_eo - g.rm_so));
  }
  return groups;
}

inline bool ContainsRegex(const std::string& text, const std::string& pattern) {
  return SearchRegex(text, pattern).has_value();
}

}  // namespace detente::itest
