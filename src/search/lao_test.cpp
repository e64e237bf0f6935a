// Lao rules (rules/lao.tsv): passport and press spellings.

#include <gtest/gtest.h>

#include <vector>

#include "search/romanize.hpp"
#include "search/script_test_util.hpp"

namespace ctims::search {
namespace {

using test_util::ExpectSpellings;
using test_util::SpellingCase;

TEST(LaoRulesTest, NamesAndPlaces) {
  const std::vector<SpellingCase> cases = {
      {"ສົມພອນ", {"somphone", "somphon"}},               // ົ + final, long o + ນ -> one
      {"ພົມມະຈັກ", {"phommachack", "phommachak"}},        // ພ -> ph, final ກ after ັ
      {"ຄຳ", {"kham"}},                                 // ຳ (ໍ + າ after NFKC)
      {"ບຸນມີ", {"bounmy", "bunmi"}},                     // ຸ -> ou, final open ີ -> y
      {"ແກ້ວ", {"keo", "kaew"}},                         // tone mark ignored, final ວ
      {"ວຽງຈັນ", {"viengchanh", "viangchan"}},           // ຽ, ຈ -> ch, final ັນ -> anh
      {"ສີສະຫວັນ", {"sisavanh"}},                         // ຫວ cluster
      {"ໄຊສົມບູນ", {"xaysomboun"}},                       // ໄ, ຊ -> x, ູ -> ou
      {"ຈັນທະວົງ", {"chanthavong"}},                      // ວ -> v
      {"ອຸດົມ", {"oudom", "udom"}},                       // ອ as a vowel carrier
      {"ເພັດສະໝອນ", {"phetsamone"}},                     // ເ-ັ closed, ໝ cluster
      {"ສຸກ", {"souk", "suk", "xouk"}},                  // final ກ -> k, ສ -> x as a key
      {"ເມືອງ", {"muang", "mueang"}},                    // ເ-ືອ
      {"ບົວ", {"boua", "bua"}},                          // -ົວ
      {"ຫຼວງພະບາງ", {"louangphabang", "luangphabang"}},  // ຫຼ, -ວ- closed
      {"ທອງດີ", {"thongdy", "thongdi"}},                 // -ອ- closed
      {"ແສງ", {"seng", "saeng"}},                       // ແ
      {"ໂພນສະຫວັນ", {"phonesavanh"}},                    // ໂ-ນ -> one
      {"ຄຳພັນ", {"khamphanh", "khamphan"}},
      {"ບໍ່ແກ້ວ", {"bokeo"}},            // -ໍ
      {"ຫ້ວຍຊາຍ", {"houayxay"}},       // final ຍ
      {"ຕົ້ນເຜິ້ງ", {"tonpheung"}},       // ເ-ິ closed
      {"ຫຼວງນ້ຳທາ", {"louangnamtha"}},  // tone mark inside ຳ
      {"ກວ້າງ", {"kouang", "kwang"}},  // ກວ cluster
      {"ໜູ", {"nou"}},                 // ໜ (ຫນ after NFKC)
      {"ໝາ", {"ma"}},                 // ໝ
      {"ຫງອນ", {"ngone"}},            // ຫງ
      {"ເຂົາ", {"khao"}},              // ເ-ົາ
      {"ໂຕະ", {"to"}},                // ໂ-ະ
      {"ສມ", {"som"}},                // older spelling, implicit o
  };
  for (const auto& c : cases) ExpectSpellings(c);
}

TEST(LaoRulesTest, ToneMarksDoNotChangeTheSpelling) {
  EXPECT_EQ(LatinKeys("ແກ້ວ"), LatinKeys("ແກວ"));
  EXPECT_EQ(LatinKeys("ບໍ່"), LatinKeys("ບໍ"));
  EXPECT_EQ(LatinKeys("ນ້ຳ"), LatinKeys("ນຳ"));
}

TEST(LaoRulesTest, WordsKeepTheirOrder) {
  const auto keys = LatinKeys("ສົມພອນ ພົມມະຈັກ");
  ASSERT_FALSE(keys.empty());
  EXPECT_EQ(keys.front(), "somphone phommachack");
  const auto reversed = LatinKeys("ພົມມະຈັກ ສົມພອນ");
  ASSERT_FALSE(reversed.empty());
  EXPECT_EQ(reversed.front(), "phommachack somphone");
}

}  // namespace
}  // namespace ctims::search
