#include "importers/gdelt_parser.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "domain/cameo.h"
#include "importers/fields.h"
#include "importers/uuid_v5.h"

namespace detente::importers {
namespace {

// Column indexes shared by 1.0 and 2.0 (they differ only after AvgTone).
constexpr int kGlobalEventId = 0;
constexpr int kSqlDate = 1;
constexpr int kActor1Name = 6;
constexpr int kActor1Country = 7;
constexpr int kActor2Name = 16;
constexpr int kActor2Country = 17;
constexpr int kEventCode = 26;
constexpr int kGoldstein = 30;
constexpr int kNumMentions = 31;
constexpr int kAvgTone = 34;

bool AllDigits(absl::string_view v) {
  if (v.empty()) return false;
  for (char c : v) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// The canonical code of an actor column, "" when empty; nullopt (and a skip
// reason) when the registry does not know it.
std::optional<std::string> Actor(absl::string_view code, std::string* skip) {
  code = absl::StripAsciiWhitespace(code);
  if (code.empty()) return std::string();
  std::optional<std::string> a = CanonicalActor(code);
  if (!a) *skip = absl::StrCat("unknown actor code \"", code, "\"");
  return a;
}

}  // namespace

std::string GdeltEventId(absl::string_view global_event_id) {
  return UuidV5(kImportNamespace, absl::StrCat("gdelt:", global_event_id))
      .ToString();
}

absl::StatusOr<std::optional<RowResult>> GdeltParser::Parse(
    absl::string_view line) {
  if (absl::StripAsciiWhitespace(line).empty()) return std::nullopt;
  const std::vector<absl::string_view> f = SplitTabs(line);
  const size_t n = f.size();
  if (n != 61 && n != 58 && n != 57) {
    return RowResult::Reject(
        absl::StrCat("has ", n,
                     " tab-separated columns; GDELT rows have 61 (2.0), 58 or "
                     "57 (1.0)"));
  }
  if (!AllDigits(f[kGlobalEventId])) {
    return RowResult::Reject(absl::StrCat("GLOBALEVENTID \"", f[kGlobalEventId],
                                          "\" is not a number"));
  }
  RawEntry e;
  e.event_id = GdeltEventId(f[kGlobalEventId]);
  std::optional<std::string> date = CompactDateToIso(f[kSqlDate]);
  if (!date) {
    return RowResult::Reject(
        absl::StrCat("SQLDATE \"", f[kSqlDate], "\" is not YYYYMMDD"));
  }
  e.occurred_on = *date;
  std::string skip;
  std::optional<std::string> source = Actor(f[kActor1Country], &skip);
  if (!source) return RowResult::Skip(skip);
  std::optional<std::string> target = Actor(f[kActor2Country], &skip);
  if (!target) return RowResult::Skip(skip);
  if (auto reason = PairSkipReason(*source, *target)) {
    return RowResult::Skip(*reason);
  }
  e.source = *source;
  e.target = *target;
  e.event_code = std::string(f[kEventCode]);
  if (!AllDigits(e.event_code)) {
    return RowResult::Reject(
        absl::StrCat("EventCode \"", e.event_code, "\" is not a CAMEO code"));
  }
  if (FindCameoCode(e.event_code) == nullptr) {
    return RowResult::Skip(
        absl::StrCat("unknown CAMEO code \"", e.event_code, "\""));
  }
  e.goldstein = ParseDouble(f[kGoldstein]);
  if (!e.goldstein) {
    return RowResult::Reject(
        absl::StrCat("GoldsteinScale \"", f[kGoldstein], "\" is not a number"));
  }
  if (!absl::SimpleAtoi(f[kNumMentions], &e.weight)) {
    return RowResult::Reject(
        absl::StrCat("NumMentions \"", f[kNumMentions], "\" is not a count"));
  }
  e.tone = ParseDouble(f[kAvgTone]);
  if (n != 57) e.source_url = HttpUrlOrEmpty(f[n - 1]);
  e.source_name = n == 61 ? "GDELT 2.0" : "GDELT 1.0";
  e.tags = {"gdelt"};
  e.title =
      MakeTitle(f[kActor1Name].empty() ? f[kActor1Country] : f[kActor1Name],
                f[kActor2Name].empty() ? f[kActor2Country] : f[kActor2Name],
                e.event_code);
  return RowResult::Entry(std::move(e));
}

}  // namespace detente::importers
