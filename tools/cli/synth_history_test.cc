#include "tools/cli/synth_history.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/str_split.h"
#include "detente/v1/event.pb.h"
#include "domain/actors.h"
#include "domain/cameo.h"
#include "domain/date.h"

namespace detente::cli {
namespace {

std::string Generate(const SynthOptions& o) {
  std::string out;
  GenerateSyntheticHistory(
      o, [&](absl::string_view c) { out.append(c.data(), c.size()); });
  return out;
}

TEST(SynthHistoryTest, DeterministicPerSeed) {
  SynthOptions o{.events = 2000, .seed = 42};
  EXPECT_EQ(Generate(o), Generate(o));
  SynthOptions other = o;
  other.seed = 43;
  EXPECT_NE(Generate(o), Generate(other));
}

TEST(SynthHistoryTest, EveryLineIsAnEventThatFollowsTheRules) {
  SynthOptions o{.events = 20000,
                 .seed = 7,
                 .actors = 150,
                 .corrections = 0.05,
                 .retractions = 0.03};
  ASSERT_TRUE(CheckSynthOptions(o).ok());
  const std::string text = Generate(o);
  std::set<std::string> ids, originals, retracted, pairs;
  int corrections = 0, retractions = 0, late = 0;
  std::string previous_date;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    v1::Event e;
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(std::string(line), &e).ok())
        << line;
    ASSERT_TRUE(ids.insert(e.event_id()).second) << "duplicate id " << line;
    if (e.kind() == v1::ENTRY_KIND_RETRACTION) {
      ++retractions;
      EXPECT_TRUE(originals.count(e.subject_event_id())) << line;
      EXPECT_TRUE(retracted.insert(e.subject_event_id()).second) << line;
      EXPECT_TRUE(e.source().empty() && e.occurred_on().empty());
      continue;
    }
    ASSERT_NE(FindActorByCode(e.source()), nullptr) << line;
    ASSERT_NE(FindActorByCode(e.target()), nullptr) << line;
    ASSERT_NE(e.source(), e.target());
    ASSERT_NE(FindCameoCode(e.event_code()), nullptr) << line;
    ASSERT_TRUE(EventDate::Parse(e.occurred_on()).ok()) << line;
    ASSERT_GE(e.weight(), 1u);
    if (e.kind() == v1::ENTRY_KIND_CORRECTION) {
      ++corrections;
      EXPECT_TRUE(originals.count(e.subject_event_id())) << line;
      EXPECT_FALSE(retracted.count(e.subject_event_id())) << line;
    } else {
      originals.insert(e.event_id());
      pairs.insert(StreamName(e.source(), e.target()));
    }
    if (e.occurred_on().substr(0, 4) < previous_date.substr(0, 4)) ++late;
    previous_date = e.occurred_on();
  }
  EXPECT_EQ(ids.size(), 20000u);
  EXPECT_NEAR(corrections, 1000, 200);
  EXPECT_NEAR(retractions, 600, 150);
  EXPECT_GT(late, 100);
  EXPECT_GT(pairs.size(), 500u);
}

TEST(SynthHistoryTest, RejectsBadOptions) {
  EXPECT_FALSE(CheckSynthOptions({.actors = 1}).ok());
  EXPECT_FALSE(
      CheckSynthOptions({.corrections = 0.4, .retractions = 0.2}).ok());
}

}  // namespace
}  // namespace detente::cli
