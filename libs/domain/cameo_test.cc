#include "domain/cameo.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace detente {
namespace {

TEST(CameoTest, KnownCodes) {
  const CameoCode* c = FindCameoCode("036");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->code, "036");
  EXPECT_EQ(c->description, "Express intent to meet or negotiate");
  EXPECT_DOUBLE_EQ(c->goldstein, 4.0);

  ASSERT_NE(FindCameoCode("190"), nullptr);
  EXPECT_DOUBLE_EQ(FindCameoCode("190")->goldstein, -10.0);
  ASSERT_NE(FindCameoCode("01"), nullptr);
  EXPECT_EQ(FindCameoCode("01")->description, "MAKE PUBLIC STATEMENT");
  ASSERT_NE(FindCameoCode("0231"), nullptr);
  EXPECT_DOUBLE_EQ(FindCameoCode("0231")->goldstein, 3.4);
  // GDELT's mojibake is repaired by the generator.
  EXPECT_EQ(FindCameoCode("044")->description,
            "Meet at a \u201cthird\u201d location");
}

TEST(CameoTest, UnknownCodes) {
  EXPECT_EQ(FindCameoCode("999"), nullptr);
  EXPECT_EQ(FindCameoCode(""), nullptr);
  EXPECT_EQ(FindCameoCode("36"), nullptr);
  EXPECT_EQ(FindCameoCode("0360"), nullptr);
  EXPECT_EQ(FindCameoCode("21"), nullptr);
}

TEST(CameoTest, TableIsSortedCompleteAndInRange) {
  std::span<const CameoCode> all = AllCameoCodes();
  EXPECT_EQ(all.size(), 311u);
  std::set<int> roots;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i > 0) {
      EXPECT_LT(all[i - 1].code, all[i].code);
    }
    EXPECT_GE(all[i].goldstein, -10.0) << all[i].code;
    EXPECT_LE(all[i].goldstein, 10.0) << all[i].code;
    EXPECT_FALSE(all[i].description.empty()) << all[i].code;
    EXPECT_EQ(FindCameoCode(all[i].code), &all[i]);
    roots.insert(CameoRoot(all[i].code));
  }
  EXPECT_EQ(roots.size(), 20u);
  EXPECT_EQ(*roots.begin(), 1);
  EXPECT_EQ(*roots.rbegin(), 20);
}

TEST(CameoTest, Roots) {
  EXPECT_EQ(CameoRoot("036"), 3);
  EXPECT_EQ(CameoRoot("1056"), 10);
  EXPECT_EQ(CameoRoot("20"), 20);
  EXPECT_EQ(CameoRoot("3"), 0);
  EXPECT_EQ(CameoRoot("x1"), 0);
  EXPECT_EQ(CameoRoot(""), 0);
}

TEST(CameoTest, QuadClasses) {
  EXPECT_EQ(QuadClassOfRoot(1), QuadClass::kVerbalCooperation);
  EXPECT_EQ(QuadClassOfRoot(5), QuadClass::kVerbalCooperation);
  EXPECT_EQ(QuadClassOfRoot(6), QuadClass::kMaterialCooperation);
  EXPECT_EQ(QuadClassOfRoot(9), QuadClass::kMaterialCooperation);
  EXPECT_EQ(QuadClassOfRoot(10), QuadClass::kVerbalConflict);
  EXPECT_EQ(QuadClassOfRoot(14), QuadClass::kVerbalConflict);
  EXPECT_EQ(QuadClassOfRoot(15), QuadClass::kMaterialConflict);
  EXPECT_EQ(QuadClassOfRoot(20), QuadClass::kMaterialConflict);
  EXPECT_EQ(QuadClassOfRoot(0), QuadClass::kUnspecified);
  EXPECT_EQ(QuadClassOfRoot(21), QuadClass::kUnspecified);
  EXPECT_EQ(QuadClassOfRoot(-1), QuadClass::kUnspecified);
}

}  // namespace
}  // namespace detente
