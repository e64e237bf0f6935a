#include "search/normalize.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace ctims::search {
namespace {

TEST(NormalizeNameTest, FoldsFullWidthLatinToAscii) {
  EXPECT_EQ(NormalizeName("ＳＯＭＰＨＯＮＥ　Ｐｈｏｍｍａｃｈａｃｋ"), "somphone phommachack");
}

TEST(NormalizeNameTest, ExpandsLigaturesAndFoldsCase) {
  EXPECT_EQ(NormalizeName("ﬁona"), "fiona");
  EXPECT_EQ(NormalizeName("ﬀ"), "ff");
  EXPECT_EQ(NormalizeName("Straße"), "strasse");
  EXPECT_EQ(NormalizeName("ΣΩΚΡΆΤΗΣ"), NormalizeName("σωκράτης"));
  EXPECT_EQ(NormalizeName("NGUYỄN VĂN AN"), "nguyễn văn an");
}

TEST(NormalizeNameTest, ComposedAndDecomposedInputAgree) {
  const std::string composed = "Nguy\u1EC5n";           // ễ as one code point
  const std::string decomposed = "Nguye\u0302\u0303n";  // e + circumflex + tilde
  EXPECT_EQ(NormalizeName(composed), NormalizeName(decomposed));
  EXPECT_EQ(NormalizeName(decomposed), "nguy\u1EC5n");
}

TEST(NormalizeNameTest, CompatibilityFormsOfLaoAndThaiLetters) {
  // ຳ and ำ decompose to nikhahit + aa; ໜ and ໝ to ຫ + ນ/ມ.
  EXPECT_EQ(NormalizeName("ຄຳ"), "ຄ\u0ECD\u0EB2");
  EXPECT_EQ(NormalizeName("อำนาจ"), "อ\u0E4D\u0E32นาจ");
  EXPECT_EQ(NormalizeName("ໜູ"), "ຫນູ");
  EXPECT_EQ(NormalizeName("ໝາ"), "ຫມາ");
}

TEST(NormalizeNameTest, RemovesDefaultIgnorables) {
  EXPECT_EQ(NormalizeName("ສົມ\u200Bພອນ"), "ສົມພອນ");              // zero-width space
  EXPECT_EQ(NormalizeName("so\u00ADm\u200Dphone"), "somphone");  // soft hyphen, ZWJ
}

TEST(NormalizeNameTest, CleansWhitespaceAndPunctuation) {
  EXPECT_EQ(NormalizeName("  Maung-Maung,\tKyaw\n"), "maung maung kyaw");
  EXPECT_EQ(NormalizeName("Somphone   (Phommachack)"), "somphone phommachack");
  EXPECT_EQ(NormalizeName("O'Neill"), "oneill");
  EXPECT_EQ(NormalizeName("O\u2019Neill"), "oneill");
  EXPECT_EQ(NormalizeName("မောင်၊ ကျော်။"), "မောင် ကျော်");
  EXPECT_EQ(NormalizeName("毛·泽东"), "毛 泽东");
  EXPECT_EQ(NormalizeName("A\u00A0B"), "a b");  // no-break space
}

TEST(NormalizeNameTest, KeepsDigitsAndMarks) {
  EXPECT_EQ(NormalizeName("Unit 7"), "unit 7");
  EXPECT_EQ(NormalizeName("ແກ້ວ"), "ແກ້ວ");  // the tone mark stays; romanisation ignores it
}

TEST(NormalizeNameTest, EmptyAndSeparatorOnlyInput) {
  EXPECT_EQ(NormalizeName(""), "");
  EXPECT_EQ(NormalizeName(" -- ,, "), "");
}

TEST(NormalizeNameTest, InvalidUtf8IsASeparator) {
  EXPECT_EQ(NormalizeName(std::string("som\xFFphone")), "som phone");
  EXPECT_EQ(NormalizeName(std::string("\xC3")), "");
}

TEST(SplitNonEmptyTest, DropsEmptyPieces) {
  using Pieces = std::vector<std::string_view>;
  EXPECT_EQ(SplitNonEmpty("a\tbb\t\tc", '\t'), (Pieces{"a", "bb", "c"}));
  EXPECT_EQ(SplitNonEmpty("\ta\t", '\t'), (Pieces{"a"}));
  EXPECT_TRUE(SplitNonEmpty("", '\t').empty());
  EXPECT_TRUE(SplitNonEmpty("\t\t", '\t').empty());
  EXPECT_EQ(SplitNonEmpty("x y", '\t'), (Pieces{"x y"}));
}

TEST(SplitTokensTest, SplitsAtSpaces) {
  EXPECT_EQ(SplitTokens("zhang wei"), (std::vector<std::string_view>{"zhang", "wei"}));
  EXPECT_TRUE(SplitTokens("").empty());
}

struct ScriptCase {
  const char* token;
  Script script;
};

TEST(DetectScriptTest, EachScript) {
  const std::vector<ScriptCase> cases = {
      {"somphone", Script::kLatin},
      {"nguyen", Script::kLatin},            // no Vietnamese letters: plain Latin
      {"nguyễn", Script::kVietnameseLatin},  // tone mark
      {"văn", Script::kVietnameseLatin},     // ă
      {"đặng", Script::kVietnameseLatin},
      {"ngọc", Script::kVietnameseLatin},
      {"ສົມພອນ", Script::kLao},
      {"สมชาย", Script::kThai},
      {"မောင်မောင်", Script::kMyanmar},
      {"ហ៊ុន", Script::kKhmer},
      {"张伟", Script::kHan},
      {"張偉", Script::kHan},
      {"иван", Script::kOther},
      {"ひろし", Script::kOther},
      {"김", Script::kOther},
      {"123", Script::kOther},
      {"", Script::kOther},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(DetectScript(c.token), c.script) << c.token << " detected as " << ScriptName(DetectScript(c.token));
  }
}

TEST(DetectScriptTest, MajorityWinsInMixedTokens) {
  EXPECT_EQ(DetectScript("ສົມພອນx"), Script::kLao);
  EXPECT_EQ(DetectScript("abcສົ"), Script::kLatin);
  EXPECT_EQ(DetectScript("ab张伟"), Script::kLatin);  // tie: the first seen
}

TEST(DetectScriptTest, ScriptNamesAreStable) {
  EXPECT_STREQ(ScriptName(Script::kLao), "lao");
  EXPECT_STREQ(ScriptName(Script::kVietnameseLatin), "vietnamese_latin");
  EXPECT_STREQ(ScriptName(Script::kMyanmar), "myanmar");
}

TEST(SplitScriptRunsTest, CutsAtScriptChanges) {
  const auto runs = SplitScriptRuns("ສົມphone");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0], std::make_pair(Script::kLao, std::string("ສົມ")));
  EXPECT_EQ(runs[1], std::make_pair(Script::kLatin, std::string("phone")));
}

TEST(SplitScriptRunsTest, CommonCharactersStayWithTheirRun) {
  const auto runs = SplitScriptRuns("7văn2");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].first, Script::kVietnameseLatin);
  EXPECT_EQ(runs[0].second, "7văn2");
  const auto digits = SplitScriptRuns("42");
  ASSERT_EQ(digits.size(), 1u);
  EXPECT_EQ(digits[0].first, Script::kOther);
}

}  // namespace
}  // namespace ctims::search
