// Query-string parameters of the HTTP/JSON gateway -> the gRPC request
// fields, with every malformed parameter named. Pure functions (no I/O), so
// that they can be unit-tested and fuzzed.
//
//   HttpQuery q = {{"from", "2021"}, {"resolution", "week"}};
//   absl::Status s = ApplySeriesParams(q, req.mutable_options());
#pragma once

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "detente/v1/query.pb.h"

namespace detente {

// Parameter name -> value (the last one wins when repeated).
using HttpQuery = std::map<std::string, std::string>;

// from, to, resolution (day|week|month|quarter|year), half_life_days, prior,
// directed (true|false|1|0), tags (comma-separated), quad_classes
// (comma-separated 1..4 or names such as verbal_cooperation), as_of_position.
// Unknown parameters are errors too (a typo must not pass silently).
absl::Status ApplySeriesParams(const HttpQuery& q, v1::SeriesOptions* out,
                               std::initializer_list<const char*> also_allowed);
absl::Status ApplyTimelineParams(const HttpQuery& q,
                                 v1::GetTimelineRequest* out);
absl::Status ApplyMoversParams(const HttpQuery& q, v1::GetMoversRequest* out);
absl::Status ApplyActorParams(const HttpQuery& q,
                              v1::GetActorSummaryRequest* out);

// ETags: "p<position>-d<day>" where day is the server's date (answers with a
// default end date change with it). nullopt for anything else.
std::string MakeEtag(uint64_t position, int32_t today);
std::optional<uint64_t> PositionFromEtag(const std::string& if_none_match,
                                         int32_t today);

}  // namespace detente
