#include "importers/row_parser.h"

#include <utility>

#include "importers/csv_parser.h"
#include "importers/gdelt_parser.h"
#include "importers/icews_parser.h"

namespace detente::importers {

RowResult RowResult::Entry(RawEntry e) {
  RowResult r;
  r.kind = Kind::kEntry;
  r.entry = std::move(e);
  return r;
}

RowResult RowResult::Skip(std::string reason) {
  RowResult r;
  r.kind = Kind::kSkip;
  r.reason = std::move(reason);
  return r;
}

RowResult RowResult::Reject(std::string reason) {
  RowResult r;
  r.kind = Kind::kReject;
  r.reason = std::move(reason);
  return r;
}

std::unique_ptr<RowParser> MakeRowParser(Format format) {
  switch (format) {
    case Format::kCsv:
      return std::make_unique<CsvParser>();
    case Format::kGdelt:
      return std::make_unique<GdeltParser>();
    case Format::kIcews:
      return std::make_unique<IcewsParser>();
    case Format::kJsonl:
      break;
  }
  return nullptr;
}

}  // namespace detente::importers
