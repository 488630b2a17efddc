#include "services/query/http_params.h"

#include <gtest/gtest.h>

#include "common/field_violation.h"

namespace detente {
namespace {

std::vector<std::string> Fields(const absl::Status& s) {
  std::vector<std::string> out;
  for (const FieldViolation& v : GetFieldViolations(s)) out.push_back(v.field);
  return out;
}

TEST(HttpParamsTest, SeriesParametersMapOntoTheRequest) {
  v1::SeriesOptions o;
  absl::Status s = ApplySeriesParams({{"from", "2021"},
                                      {"to", "2022-06"},
                                      {"resolution", "Week"},
                                      {"half_life_days", "30.5"},
                                      {"prior", "0"},
                                      {"directed", "true"},
                                      {"tags", "security,economy"},
                                      {"quad_classes", "1,material_conflict"},
                                      {"as_of_position", "42"},
                                      {"layout", "Columns"}},
                                     &o, {});
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(o.layout(), v1::SERIES_LAYOUT_COLUMNS);
  EXPECT_EQ(o.from(), "2021");
  EXPECT_EQ(o.to(), "2022-06");
  EXPECT_EQ(o.resolution(), v1::RESOLUTION_WEEK);
  EXPECT_EQ(o.half_life_days(), 30.5);
  EXPECT_TRUE(o.has_prior());
  EXPECT_EQ(o.prior(), 0.0);
  EXPECT_TRUE(o.directed());
  ASSERT_EQ(o.tags_size(), 2);
  EXPECT_EQ(o.tags(1), "economy");
  ASSERT_EQ(o.quad_classes_size(), 2);
  EXPECT_EQ(o.quad_classes(1), v1::QUAD_CLASS_MATERIAL_CONFLICT);
  EXPECT_EQ(o.as_of_position(), 42u);
}

TEST(HttpParamsTest, MalformedParametersAreAllNamed) {
  v1::SeriesOptions o;
  absl::Status s = ApplySeriesParams({{"resolution", "fortnight"},
                                      {"half_life_days", "ninety"},
                                      {"prior", "nan"},
                                      {"directed", "maybe"},
                                      {"quad_classes", "5"},
                                      {"as_of_position", "-1"},
                                      {"colour", "red"},
                                      {"layout", "rows"}},
                                     &o, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> f = Fields(s);
  for (const char* name :
       {"resolution", "half_life_days", "prior", "directed", "quad_classes",
        "as_of_position", "colour", "layout"}) {
    EXPECT_NE(std::find(f.begin(), f.end(), name), f.end()) << name;
  }
}

TEST(HttpParamsTest, AlsoAllowedParametersPass) {
  v1::SeriesOptions o;
  EXPECT_TRUE(ApplySeriesParams({{"actors", "USA,KOR"}}, &o, {"actors"}).ok());
  EXPECT_FALSE(ApplySeriesParams({{"actors", "USA,KOR"}}, &o, {}).ok());
}

TEST(HttpParamsTest, TimelineMoversAndActorParameters) {
  v1::GetTimelineRequest t;
  ASSERT_TRUE(ApplyTimelineParams({{"page_size", "10"},
                                   {"include_retracted", "1"},
                                   {"page_token", "1:2"}},
                                  &t)
                  .ok());
  EXPECT_EQ(t.page_size(), 10u);
  EXPECT_TRUE(t.include_retracted());
  EXPECT_EQ(Fields(ApplyTimelineParams({{"page_size", "x"}}, &t)),
            std::vector<std::string>{"page_size"});
  v1::GetMoversRequest m;
  ASSERT_TRUE(ApplyMoversParams({{"from", "2018"}, {"limit", "5"},
                                 {"min_heat", "0.5"}},
                                &m)
                  .ok());
  EXPECT_EQ(m.limit(), 5u);
  EXPECT_EQ(m.min_heat(), 0.5);
  v1::GetActorSummaryRequest a;
  EXPECT_EQ(Fields(ApplyActorParams({{"at", "2020"}, {"prior", "inf"}}, &a)),
            std::vector<std::string>{"prior"});
}

TEST(HttpParamsTest, EtagsRoundTripOnlyOnTheSameDay) {
  const std::string tag = MakeEtag(1234, 20785);
  EXPECT_EQ(tag, "\"p1234-d20785\"");
  EXPECT_EQ(PositionFromEtag(tag, 20785), 1234u);
  EXPECT_EQ(PositionFromEtag("W/" + tag, 20785), 1234u);
  EXPECT_EQ(PositionFromEtag("\"other\", " + tag, 20785), 1234u);
  EXPECT_FALSE(PositionFromEtag(tag, 20786).has_value());
  EXPECT_FALSE(PositionFromEtag("\"p12x-d20785\"", 20785).has_value());
  EXPECT_FALSE(PositionFromEtag("*", 20785).has_value());
  EXPECT_FALSE(PositionFromEtag("", 20785).has_value());
}

}  // namespace
}  // namespace detente
