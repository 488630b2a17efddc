#include "domain/actors.h"

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace detente {
namespace {

TEST(ActorsTest, FindByCode) {
  const Actor* kor = FindActorByCode("KOR");
  ASSERT_NE(kor, nullptr);
  EXPECT_EQ(kor->code, "KOR");
  EXPECT_EQ(kor->name, "South Korea");
  EXPECT_EQ(kor->kind, ActorKind::kCountry);
  EXPECT_EQ(FindActorByCode("JPN")->name, "Japan");
  EXPECT_EQ(FindActorByCode("ROM")->name, "Romania");
  EXPECT_EQ(FindActorByCode("EUR")->kind, ActorKind::kRegion);
  EXPECT_EQ(FindActorByCode("WST")->kind, ActorKind::kRegion);
  EXPECT_EQ(FindActorByCode("GZS")->kind, ActorKind::kRegion);
  EXPECT_EQ(FindActorByCode("SSD")->name, "South Sudan");
  EXPECT_EQ(FindActorByCode("COL")->name, "Colombia");
  EXPECT_EQ(FindActorByCode("ROU"), nullptr);  // an alias, not canonical
  EXPECT_EQ(FindActorByCode("kor"), nullptr);
  EXPECT_EQ(FindActorByCode("XXX"), nullptr);
  EXPECT_EQ(FindActorByCode(""), nullptr);
}

TEST(ActorsTest, ResolveAliases) {
  EXPECT_EQ(ResolveActor("KOR")->code, "KOR");
  EXPECT_EQ(ResolveActor("ROU")->code, "ROM");
  EXPECT_EQ(ResolveActor(""), nullptr);
  EXPECT_EQ(ResolveActor("TLS")->code, "TMP");
  EXPECT_EQ(ResolveActor("IMN")->code, "IMY");
  EXPECT_EQ(ResolveActor("MNE")->code, "MTN");
  EXPECT_EQ(ResolveActor("ZAR")->code, "COD");
  EXPECT_EQ(ResolveActor("SRB")->code, "SRB");
  EXPECT_EQ(ResolveActor("rou"), nullptr);
  EXPECT_EQ(ResolveActor("XXX"), nullptr);
}

TEST(ActorsTest, FindByName) {
  for (absl::string_view name : {"South Korea", "south korea", "  SOUTH KOREA ",
                                 "Korea, Republic of", "Republic of Korea"}) {
    ASSERT_NE(FindActorByName(name), nullptr) << name;
    EXPECT_EQ(FindActorByName(name)->code, "KOR") << name;
  }
  for (absl::string_view name :
       {"North Korea", "Korea, Democratic People's Republic of",
        "Democratic People's Republic of Korea"}) {
    ASSERT_NE(FindActorByName(name), nullptr) << name;
    EXPECT_EQ(FindActorByName(name)->code, "PRK") << name;
  }
  const std::pair<absl::string_view, absl::string_view> cases[] = {
      {"Russian Federation", "RUS"},
      {"Russia", "RUS"},
      {"United States", "USA"},
      {"United States of America", "USA"},
      {"USA", "USA"},
      {"United Kingdom", "GBR"},
      {"Iran, Islamic Republic of", "IRN"},
      {"Syrian Arab Republic", "SYR"},
      {"Viet Nam", "VNM"},
      {"Vietnam", "VNM"},
      {"Taiwan", "TWN"},
      {"Czech Republic", "CZE"},
      {"Czechia", "CZE"},
      {"Romania", "ROM"},
      {"Timor-Leste", "TMP"},
      {"Colombia", "COL"},
      {"Columbia", "COL"},
      {"R\u00e9union", "REU"},
      {"Europe", "EUR"},
  };
  for (const auto& [name, code] : cases) {
    const Actor* a = FindActorByName(name);
    ASSERT_NE(a, nullptr) << name;
    EXPECT_EQ(a->code, code) << name;
  }
  EXPECT_EQ(FindActorByName("Atlantis"), nullptr);
  EXPECT_EQ(FindActorByName(""), nullptr);
}

TEST(ActorsTest, TableIsSortedAndNamesAreUnique) {
  std::span<const Actor> all = AllActors();
  EXPECT_EQ(all.size(), 262u);
  std::set<std::string> names;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i > 0) {
      EXPECT_LT(all[i - 1].code, all[i].code);
    }
    EXPECT_EQ(all[i].code.size(), 3u);
    EXPECT_EQ(FindActorByCode(all[i].code), &all[i]);
    EXPECT_EQ(ResolveActor(all[i].code), &all[i]);  // no alias shadows it
    // Every table name finds its own actor (no alias shadows a name).
    EXPECT_EQ(FindActorByName(all[i].name), &all[i]) << all[i].name;
  }
}

TEST(ActorsTest, StreamName) {
  EXPECT_EQ(StreamName("KOR", "JPN"), "JPN-KOR");
  EXPECT_EQ(StreamName("JPN", "KOR"), "JPN-KOR");
  EXPECT_EQ(StreamName("USA", "CHN"), "CHN-USA");
}

// The country names used by ICEWS (this list is every distinct name in
// the 2018 sample, so importers need no table of their own).
TEST(ActorsTest, IcewsCountryNames) {
  const std::pair<absl::string_view, absl::string_view> cases[] = {
      {"Congo", "COG"},
      {"Democratic Republic of Congo", "COD"},
      {"Cote d'Ivoire", "CIV"},
      {"Holy See", "VAT"},
      {"Moldova, Republic of", "MDA"},
      {"Occupied Palestinian Territory", "PSE"},
      {"South Sudan", "SSD"},
      {"the former Yugoslav Republic of Macedonia", "MKD"},
      {"Swaziland", "SWZ"},
  };
  for (const auto& [name, code] : cases) {
    const Actor* a = FindActorByName(name);
    ASSERT_NE(a, nullptr) << name;
    EXPECT_EQ(a->code, code) << name;
  }
}

// Every Source/Target Country in the ICEWS sample (when the shared data
// folder exists) maps to an actor.
TEST(ActorsTest, IcewsSampleIsFullyMapped) {
  std::ifstream in(std::string(DETENTE_SHARED_DATA_DIR) +
                   "/icews_events.2018.sample.tab");
  if (!in) GTEST_SKIP() << "shared ICEWS sample not present";
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  std::vector<std::string> header = absl::StrSplit(line, '\t');
  int source = -1, target = -1;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "Source Country") source = static_cast<int>(i);
    if (header[i] == "Target Country") target = static_cast<int>(i);
  }
  ASSERT_GE(source, 0);
  ASSERT_GE(target, 0);
  std::set<std::string> unmapped;
  int rows = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> cols = absl::StrSplit(line, '\t');
    ASSERT_EQ(cols.size(), header.size()) << line;
    ++rows;
    for (int c : {source, target}) {
      if (cols[c] != "NA" && FindActorByName(cols[c]) == nullptr) {
        unmapped.insert(cols[c]);
      }
    }
  }
  EXPECT_GT(rows, 3000);
  EXPECT_TRUE(unmapped.empty()) << absl::StrJoin(unmapped, ", ");
}

}  // namespace
}  // namespace detente
