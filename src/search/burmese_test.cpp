// Myanmar rules (rules/burmese.tsv): customary romanisation of names.

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "search/romanize.hpp"
#include "search/script_test_util.hpp"

namespace ctims::search {
namespace {

using test_util::ExpectSpellings;
using test_util::SpellingCase;

TEST(BurmeseRulesTest, Names) {
  const std::vector<SpellingCase> cases = {
      {"မောင်မောင်", {"maung maung"}},  // one word per syllable
      {"အောင်", {"aung"}},             // vowel carrier အ
      {"ကျော်", {"kyaw"}},             // ကျ, -ော်
      {"သန်း", {"than"}},              // tone mark ignored
      {"ဝင်း", {"win"}},
      {"မြင့်", {"myint"}},  // ြ -> y, င့် -> int
      {"စု", {"su"}},
      {"ခင်", {"khin"}},
      {"အောင်ဆန်းစုကြည်", {"aung san su kyi"}},
      {"ထွန်း", {"htun"}},  // ွန် -> un
      {"ဇော်", {"zaw"}},
      {"ဦးသန့်", {"u thant"}},  // independent ဦ, န့် -> ant
      {"နွယ်", {"nwe"}},        // medial ွ
      {"လှ", {"hla"}},         // medial ှ
      {"ရွှေ", {"shwe"}},       // ရွှ -> shw
      {"ဖြိုး", {"phyo"}},      // ဖြ, -ို
      {"ဒေါ်", {"daw"}},       // tall aa
      {"ထက်", {"htet"}},
      {"စန္ဒာ", {"san da", "san dar"}},  // stacked consonant
      {"ချစ်", {"chit"}},
      {"အေး", {"aye"}},
      {"မြတ်", {"myat"}},
      {"သိန်း", {"thein"}},
      {"ဆွေ", {"swe"}},
      {"နိုင်", {"naing"}},
      {"ဉာဏ်", {"nyan"}},
  };
  for (const auto& c : cases) ExpectSpellings(c);
}

TEST(BurmeseRulesTest, LegacyZawgyiTextIsConvertedFirst) {
  // "Maung Maung" typed in the Zawgyi font encoding: ေ before the consonant,
  // ္ as the asat.
  const auto keys = LatinKeys("ေမာင္ေမာင္");
  ASSERT_FALSE(keys.empty());
  EXPECT_EQ(keys.front(), "maung maung");
  const Romanization r = Romanize("ေမာင္ေမာင္");
  EXPECT_NE(std::find(r.methods.begin(), r.methods.end(), "ICU Zawgyi-my"), r.methods.end());
}

TEST(BurmeseRulesTest, UnicodeTextIsNotTakenForZawgyi) {
  const Romanization r = Romanize("မောင်မောင်");
  EXPECT_EQ(std::find(r.methods.begin(), r.methods.end(), "ICU Zawgyi-my"), r.methods.end());
}

}  // namespace
}  // namespace ctims::search
