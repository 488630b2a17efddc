#include "importers/icews_parser.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "domain/actors.h"
#include "domain/cameo.h"
#include "domain/date.h"
#include "importers/fields.h"
#include "importers/uuid_v5.h"

namespace detente::importers {
namespace {

constexpr std::array<absl::string_view, 9> kIcewsColumns = {
    "Event ID",       "Event Date",     "Source Name",
    "Source Country", "CAMEO Code",     "Intensity",
    "Target Name",    "Target Country", "Publisher"};
enum Col {
  kId,
  kDate,
  kSourceName,
  kSourceCountry,
  kCode,
  kIntensity,
  kTargetName,
  kTargetCountry,
  kPublisher
};

// The canonical code for a country name; "" when missing; nullopt (and the
// skip reason) when the registry does not know the name.
std::optional<std::string> Country(absl::string_view name, std::string* skip) {
  if (IsMissing(name)) return std::string();
  const Actor* a = FindActorByName(name);
  if (a == nullptr) {
    *skip = absl::StrCat("unknown country name \"",
                         absl::StripAsciiWhitespace(name), "\"");
    return std::nullopt;
  }
  return std::string(a->code);
}

}  // namespace

absl::StatusOr<std::optional<RowResult>> IcewsParser::Parse(
    absl::string_view line) {
  if (absl::StripAsciiWhitespace(line).empty()) return std::nullopt;
  std::vector<absl::string_view> f = SplitTabs(line);
  if (!have_header_) {
    for (size_t c = 0; c < kIcewsColumns.size(); ++c) {
      size_t i = 0;
      while (i < f.size() &&
             absl::StripAsciiWhitespace(f[i]) != kIcewsColumns[c]) {
        ++i;
      }
      if (i == f.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "not an ICEWS header (no column \"", kIcewsColumns[c], "\")"));
      }
      index_[c] = i;
    }
    columns_ = f.size();
    have_header_ = true;
    return std::nullopt;
  }
  if (f.size() != columns_) {
    return RowResult::Reject(absl::StrCat("has ", f.size(),
                                          " tab-separated columns; the header "
                                          "has ",
                                          columns_));
  }
  return ParseRow(f);
}

RowResult IcewsParser::ParseRow(const std::vector<absl::string_view>& f) const {
  auto col = [&](Col c) { return absl::StripAsciiWhitespace(f[index_[c]]); };
  if (IsMissing(col(kId))) return RowResult::Reject("no Event ID");
  if (!EventDate::Parse(col(kDate)).ok()) {
    return RowResult::Reject(
        absl::StrCat("Event Date \"", col(kDate), "\" is not YYYY-MM-DD"));
  }
  std::string skip;
  std::optional<std::string> source = Country(col(kSourceCountry), &skip);
  if (!source) return RowResult::Skip(skip);
  std::optional<std::string> target = Country(col(kTargetCountry), &skip);
  if (!target) return RowResult::Skip(skip);
  if (auto reason = PairSkipReason(*source, *target)) {
    return RowResult::Skip(*reason);
  }
  RawEntry e;
  e.event_id = UuidV5(kImportNamespace,
                      absl::StrCat("icews:", col(kId), ":", col(kDate)))
                   .ToString();
  e.occurred_on = std::string(col(kDate));
  e.source = *source;
  e.target = *target;
  e.event_code = std::string(col(kCode));
  if (FindCameoCode(e.event_code) == nullptr) {
    if (IsMissing(e.event_code)) return RowResult::Reject("no CAMEO Code");
    return RowResult::Skip(
        absl::StrCat("unknown CAMEO code \"", e.event_code, "\""));
  }
  if (!IsMissing(col(kIntensity))) {
    e.goldstein = ParseDouble(col(kIntensity));
    if (!e.goldstein) {
      return RowResult::Reject(
          absl::StrCat("Intensity \"", col(kIntensity), "\" is not a number"));
    }
  }
  if (!IsMissing(col(kPublisher)))
    e.source_name = CutUtf8(col(kPublisher), 300);
  e.tags = {"icews"};
  e.title = MakeTitle(col(kSourceName), col(kTargetName), e.event_code);
  return RowResult::Entry(std::move(e));
}

}  // namespace detente::importers
