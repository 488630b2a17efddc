#include "importers/fields.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "domain/actors.h"
#include "domain/cameo.h"
#include "domain/validation.h"

namespace detente::importers {

std::vector<absl::string_view> SplitTabs(absl::string_view line) {
  return absl::StrSplit(line, '\t');
}

bool IsMissing(absl::string_view v) {
  v = absl::StripAsciiWhitespace(v);
  return v.empty() || v == "NA";
}

std::optional<std::string> CompactDateToIso(absl::string_view v) {
  if (v.size() != 8) return std::nullopt;
  for (char c : v) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
  }
  return absl::StrCat(v.substr(0, 4), "-", v.substr(4, 2), "-", v.substr(6, 2));
}

std::optional<double> ParseDouble(absl::string_view v) {
  double d = 0;
  if (!absl::SimpleAtod(absl::StripAsciiWhitespace(v), &d)) {
    return std::nullopt;
  }
  return d;
}

std::optional<std::string> PairSkipReason(absl::string_view source,
                                          absl::string_view target) {
  if (source.empty()) return "no source country";
  if (target.empty()) return "no target country";
  if (source == target) return "same country on both sides";
  return std::nullopt;
}

std::optional<std::string> CanonicalActor(absl::string_view code) {
  const Actor* a = ResolveActor(code);
  if (a == nullptr) return std::nullopt;
  return std::string(a->code);
}

std::string CutUtf8(absl::string_view text, size_t max_chars) {
  if (!IsValidUtf8(text)) return "";
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) {
      if (chars == max_chars) return std::string(text.substr(0, i));
      ++chars;
    }
  }
  return std::string(text);
}

std::string MakeTitle(absl::string_view a, absl::string_view b,
                      absl::string_view code) {
  const CameoCode* c = FindCameoCode(code);
  std::string title = absl::StrCat(CutUtf8(a, 100), " -> ", CutUtf8(b, 100),
                                   ": ", c ? c->description : code);
  return CutUtf8(title, kMaxTitleChars);
}

std::string HttpUrlOrEmpty(absl::string_view url) {
  url = absl::StripAsciiWhitespace(url);
  if (url.size() > static_cast<size_t>(kMaxSourceUrlChars)) return "";
  if (!absl::StartsWith(url, "http://") && !absl::StartsWith(url, "https://")) {
    return "";
  }
  for (char ch : url) {
    const auto u = static_cast<unsigned char>(ch);
    if (u <= 0x20 || u == 0x7f) return "";
  }
  const size_t host = url.find("://") + 3;
  if (host >= url.size() || url[host] == '/') return "";
  return IsValidUtf8(url) ? std::string(url) : "";
}

}  // namespace detente::importers
