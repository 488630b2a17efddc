// Query requests (detente.v1 wire types) -> the projections library's query
// structs, checking every parameter and naming the bad ones.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "detente/v1/query.pb.h"
#include "projections/queries.h"

namespace detente {

// A validated series request: the streams it reads and the query.
struct SeriesRequest {
  SeriesQuery query;
  std::vector<std::string> actors;  // canonical codes, pair or group order
  Position if_changed_since;
  bool columns = false;  // SERIES_LAYOUT_COLUMNS: `columns`, not `points`
};

absl::StatusOr<SeriesRequest> MapPairSeries(const std::string& a,
                                            const std::string& b,
                                            const v1::SeriesOptions& o);
absl::StatusOr<SeriesRequest> MapGroupSeries(
    const google::protobuf::RepeatedPtrField<std::string>& actors,
    const v1::SeriesOptions& o);

absl::StatusOr<KernelParams> MapKernel(double half_life_days, bool has_prior,
                                       double prior);

// A date parameter: its first (or last) day. Violation on `field`.
absl::StatusOr<DayNumber> MapDate(const std::string& text,
                                  const std::string& field, bool last_day);

// A CAMEO actor code (aliases accepted) -> canonical. Violation on `field`.
absl::StatusOr<std::string> MapActor(const std::string& code,
                                     const std::string& field);

v1::Resolution ToProto(Resolution r);
std::string DateText(DayNumber d);

}  // namespace detente
