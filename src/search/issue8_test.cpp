// Issue 8, deliverables 1 and 2: the same person written in different
// scripts and spellings must be found; different people must not.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "search/fuzzy.hpp"
#include "search/romanize.hpp"

namespace ctims::search {
namespace {

// Each group is one person as different agencies registered them.
const std::vector<std::vector<std::string>>& SamePeople() {
  static const std::vector<std::vector<std::string>> kGroups = {
      {"ສົມພອນ ພົມມະຈັກ", "Somphone Phommachack", "Somphon Phommachak", "PHOMMACHACK Somphone"},
      {"张伟", "Zhang Wei", "Wei Zhang", "ZHANG Wei"},
      {"မောင်မောင်", "Maung Maung", "Maungmaung", "Maung-Maung"},
      {"Nguyễn Văn An", "Nguyen Van An", "NGUYEN VAN AN"},
      {"สมชาย ใจดี", "Somchai Jaidee", "Somchai Chaidi", "Jaidee Somchai"},
      {"ហ៊ុន សែន", "Hun Sen"},
  };
  return kGroups;
}

bool ShareAKey(const std::string& a, const std::string& b) {
  const auto ka = FuzzyKeys(a);
  const auto kb = FuzzyKeys(b);
  std::vector<std::string> shared;
  std::set_intersection(ka.begin(), ka.end(), kb.begin(), kb.end(), std::back_inserter(shared));
  return !shared.empty();
}

TEST(Issue8, NativeNamesRomaniseToTheirLatinSpellings) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"ສົມພອນ ພົມມະຈັກ", {"somphone phommachack", "somphon phommachak"}},
      {"张伟", {"zhang wei"}},
      {"မောင်မောင်", {"maung maung"}},
      {"Nguyễn Văn An", {"nguyen van an"}},
      {"สมชาย ใจดี", {"somchai chaidi", "somchai jaidee"}},
      {"ហ៊ុន សែន", {"hun sen"}},
  };
  for (const auto& [native, latin] : cases) {
    const auto keys = LatinKeys(native);
    for (const auto& l : latin) {
      EXPECT_NE(std::find(keys.begin(), keys.end(), l), keys.end()) << native << " should give " << l;
    }
  }
}

TEST(Issue8, EverySpellingOfOnePersonSharesAKeyAndScoresHigh) {
  for (const auto& group : SamePeople()) {
    for (std::size_t i = 0; i < group.size(); ++i) {
      for (std::size_t j = i + 1; j < group.size(); ++j) {
        EXPECT_TRUE(ShareAKey(group[i], group[j])) << group[i] << " / " << group[j];
        const NameMatch m = MatchNames(group[i], group[j]);
        EXPECT_GE(m.score, 0.85) << m.reason;
        EXPECT_GE(NameSimilarity(group[j], group[i]), 0.85) << group[j] << " / " << group[i];
      }
    }
  }
}

TEST(Issue8, DifferentPeopleScoreLow) {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"Somphone", "Bounmy"},        {"ສົມພອນ", "ບຸນມີ"},
      {"Zhang Wei", "Wang Fang"},    {"张伟", "王芳"},
      {"Aung Aung", "Kyaw Win"},     {"အောင်အောင်", "ကျော်ဝင်း"},
      {"Somchai Jaidee", "Hun Sen"}, {"ສົມພອນ ພົມມະຈັກ", "Nguyen Van An"},
  };
  for (const auto& [a, b] : pairs) {
    const NameMatch m = MatchNames(a, b);
    EXPECT_LT(m.score, 0.6) << m.reason;
  }
}

TEST(Issue8, DifferentPeopleAcrossGroupsScoreBelowTheSamePerson) {
  const auto& groups = SamePeople();
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (std::size_t h = g + 1; h < groups.size(); ++h) {
      EXPECT_LT(NameSimilarity(groups[g].front(), groups[h].front()), 0.6)
          << groups[g].front() << " / " << groups[h].front();
    }
  }
}

}  // namespace
}  // namespace ctims::search
