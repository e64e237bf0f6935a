// Khmer rules (rules/khmer.tsv): UNGEGN without diacritics.

#include <gtest/gtest.h>

#include <vector>

#include "search/romanize.hpp"
#include "search/script_test_util.hpp"

namespace ctims::search {
namespace {

using test_util::ExpectSpellings;
using test_util::SpellingCase;

TEST(KhmerRulesTest, NamesAndPlaces) {
  const std::vector<SpellingCase> cases = {
      {"ហ៊ុន", {"hun"}},  // ៊ moves ហ to the second series: ុ -> u
      {"សែន", {"saen", "sen"}},
      {"សុខ", {"sok"}},    // first series ុ -> o, final ខ -> k
      {"ចាន់", {"chan"}},  // bantoc ignored
      {"សុខា", {"sokha"}},
      {"ដារ៉ា", {"dara"}},     // ៉ moves រ to the first series: ា -> a
      {"សុភាព", {"sopheap"}},  // second series ា -> ea
      {"ពិសី", {"pisei"}},
      {"ស្រី", {"srei"}},          // coeng cluster
      {"សំណាង", {"samnang"}},     // ំ
      {"ភ្នំពេញ", {"phnumpenh"}},  // second series ំ -> um
      {"កម្ពុជា", {"kampuchea"}},
      {"សៀមរាប", {"siemreab", "seamreap"}},
      {"បាត់ដំបង", {"batdambang"}},  // inherent vowel in a closed syllable
      {"កំពត", {"kampot"}},         // second series inherent -> o
      {"តាកែវ", {"takaev", "takeo"}},
      {"សុផល", {"sophal"}},
      {"ប៊ុន", {"bun"}},
      {"សេង", {"seng"}},
      {"ចាន់ថា", {"chantha"}},
      {"ចន្ទ", {"chan"}},  // silent subscript at the end
  };
  for (const auto& c : cases) ExpectSpellings(c);
}

TEST(KhmerRulesTest, SeriesShiftChangesTheVowel) {
  ASSERT_FALSE(LatinKeys("ហុន").empty());
  EXPECT_EQ(LatinKeys("ហុន").front(), "hon");
  EXPECT_EQ(LatinKeys("ហ៊ុន").front(), "hun");
}

}  // namespace
}  // namespace ctims::search
