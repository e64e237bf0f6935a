// Thai rules (rules/thai.tsv): RTGS with implicit vowels, plus personal-name
// spellings.

#include <gtest/gtest.h>

#include <vector>

#include "search/romanize.hpp"
#include "search/script_test_util.hpp"

namespace ctims::search {
namespace {

using test_util::ExpectSpellings;
using test_util::SpellingCase;

TEST(ThaiRulesTest, NamesAndPlaces) {
  const std::vector<SpellingCase> cases = {
      {"สมชาย", {"somchai"}},         // implicit o, final ย -> i
      {"ใจดี", {"chaidi", "jaidee"}},  // ใ, จ -> ch (RTGS) or j
      {"ประยุทธ์", {"prayut"}},         // cluster ปร, ธ์ silent
      {"ทักษิณ", {"thaksin"}},
      {"สมหญิง", {"somying"}},            // ห-cluster
      {"ศรี", {"si"}},                    // ศร reads s
      {"บุญมี", {"bunmi", "boonmee"}},     // final ญ -> n
      {"แก้ว", {"kaeo", "kaew"}},         // final ว -> o (RTGS)
      {"ทอง", {"thong"}},                // -อ- closed
      {"สมศักดิ์", {"somsak"}},             // ดิ์ silent with its vowel
      {"กมล", {"kamon"}},                // implicit a then implicit o
      {"สมพร", {"somphon", "somporn"}},  // final ร -> n
      {"วิไล", {"wilai"}},
      {"มาลี", {"mali", "malee"}},
      {"เชียงใหม่", {"chiangmai"}},  // เ-ีย closed
      {"กรุงเทพ", {"krungthep"}},   // cluster กร
      {"ประเสริฐ", {"prasoet"}},    // เ-ิ closed, สร reads s
      {"นิพนธ์", {"niphon"}},
      {"อำนาจ", {"amnat"}},     // ำ
      {"เพ็ญศรี", {"phensi"}},    // mai taikhu ignored
      {"ไทย", {"thai"}},        // ไ-ย
      {"ยิ่งลักษณ์", {"yinglak"}},  // ษณ์ silent
      {"ธนาธร", {"thanathon", "thanathorn"}},
      {"อภิสิทธิ์", {"aphisit"}},
      {"เวชชาชีวะ", {"wetchachiwa"}},
      {"สมบัติ", {"sombat"}},
      {"จันทร์", {"chan"}},  // ทร์ silent
      {"ปิยะ", {"piya"}},
  };
  for (const auto& c : cases) ExpectSpellings(c);
}

TEST(ThaiRulesTest, WholeNameFollowsOneConvention) {
  const auto keys = LatinKeys("สมชาย ใจดี");
  ASSERT_GE(keys.size(), 2u);
  EXPECT_EQ(keys[0], "somchai chaidi");
  EXPECT_EQ(keys[1], "somchai jaidee");
}

TEST(ThaiRulesTest, ToneMarksDoNotChangeTheSpelling) {
  EXPECT_EQ(LatinKeys("แก้ว"), LatinKeys("แกว"));
}

}  // namespace
}  // namespace ctims::search
