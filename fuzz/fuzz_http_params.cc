// HTTP query parameters and If-None-Match headers of the query service.
#include <fuzzer/FuzzedDataProvider.h>

#include "services/query/http_params.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  static const char* kNames[] = {"from", "to", "resolution", "half_life_days",
                                 "prior", "directed", "tags", "quad_classes",
                                 "as_of_position", "page_size", "page_token",
                                 "include_retracted", "limit", "min_heat",
                                 "at", "other"};
  detente::HttpQuery q;
  for (int i = in.ConsumeIntegralInRange(0, 8); i > 0; --i) {
    q[kNames[in.ConsumeIntegralInRange(0, 15)]] = in.ConsumeRandomLengthString(30);
  }
  detente::v1::SeriesOptions series;
  (void)detente::ApplySeriesParams(q, &series, {});
  detente::v1::GetTimelineRequest timeline;
  (void)detente::ApplyTimelineParams(q, &timeline);
  detente::v1::GetMoversRequest movers;
  (void)detente::ApplyMoversParams(q, &movers);
  detente::v1::GetActorSummaryRequest actor;
  (void)detente::ApplyActorParams(q, &actor);
  (void)detente::PositionFromEtag(in.ConsumeRemainingBytesAsString(), 20785);
  return 0;
}
