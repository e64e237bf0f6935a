#include "search/romanize.hpp"

#include <gtest/gtest.h>
#include <unicode/translit.h>
#include <unicode/unistr.h>

#include <memory>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

namespace ctims::search {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(CheckNameRulesTest, EmbeddedRulesAndIcuTransformsLoad) {
  const core::Status status = CheckNameRules();
  EXPECT_TRUE(status.ok()) << status.ToString();
}

TEST(LatinKeysTest, HanThroughIcuNames) {
  EXPECT_EQ(LatinKeys("张伟"), (std::vector<std::string>{"zhang wei"}));
  EXPECT_EQ(LatinKeys("王芳"), (std::vector<std::string>{"wang fang"}));
  EXPECT_EQ(LatinKeys("張偉"), (std::vector<std::string>{"zhang wei"}));  // traditional
  // Surname, then the given name as one word; ICU's syllable by syllable form too.
  EXPECT_EQ(LatinKeys("毛泽东"), (std::vector<std::string>{"mao zedong", "mao ze dong"}));
}

TEST(LatinKeysTest, VietnameseAndOtherLatinThroughLatinAscii) {
  EXPECT_EQ(LatinKeys("Nguyễn Văn An"), (std::vector<std::string>{"nguyen van an"}));
  EXPECT_EQ(LatinKeys("Đặng Thị Ngọc"), (std::vector<std::string>{"dang thi ngoc"}));
  EXPECT_EQ(LatinKeys("José Müller-Lüdenscheidt"), (std::vector<std::string>{"jose muller ludenscheidt"}));
  EXPECT_EQ(LatinKeys("ＳＯＭＰＨＯＮＥ"), (std::vector<std::string>{"somphone"}));
  EXPECT_EQ(LatinKeys("Øyvind Ærø"), (std::vector<std::string>{"oyvind aero"}));
}

// Reference: ICU's Latin-ASCII transliterator itself, on the normalised name,
// with the same cleanup LatinKeys applies.
std::string IcuLatinAscii(const std::string& name) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::Transliterator> t(icu::Transliterator::createInstance("Latin-ASCII", UTRANS_FORWARD, status));
  EXPECT_TRUE(U_SUCCESS(status));
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(NormalizeName(name));
  t->transliterate(text);
  std::string raw;
  text.toUTF8String(raw);
  std::string out;
  bool space = false;
  for (char c : raw) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      if (space && !out.empty()) out += ' ';
      space = false;
      out += c;
    } else if (c != '\'') {
      space = true;
    }
  }
  return out;
}

TEST(LatinKeysTest, FastLatinFoldingAgreesWithIcuLatinAscii) {
  const std::vector<std::string> names = {"Nguyễn Văn An",    "Đặng Thị Ngọc", "Trần Hưng Đạo",     "Lê Thị Hồng Gấm",
                                          "Phạm Nhật Vượng",  "José Müller",   "Øyvind Ærø",        "Łukasz Żółć",
                                          "Þórður Björnsson", "Œuvre Straße",  "İsmail Çelik",      "Håkon Ångström",
                                          "François Ñúñez",   "Jiří Dvořák",   "Ŋgũgĩ wa Thiong'o", "Ħamrun"};
  for (const auto& name : names) {
    const auto keys = LatinKeys(name);
    ASSERT_EQ(keys.size(), 1u) << name;
    EXPECT_EQ(keys.front(), IcuLatinAscii(name)) << name;
  }
}

TEST(LatinKeysTest, OtherScriptsThroughAnyLatin) {
  EXPECT_EQ(LatinKeys("Иван Петров"), (std::vector<std::string>{"ivan petrov"}));
  EXPECT_EQ(LatinKeys("ひろし"), (std::vector<std::string>{"hiroshi"}));
}

TEST(LatinKeysTest, MixedScriptsInOneName) {
  const auto keys = LatinKeys("ສົມພອນ Phommachack");
  ASSERT_FALSE(keys.empty());
  EXPECT_EQ(keys.front(), "somphone phommachack");
  EXPECT_TRUE(Contains(keys, "somphon phommachack"));
  // Within one word, runs of different scripts are joined.
  ASSERT_FALSE(LatinKeys("ສົມphone").empty());
  EXPECT_EQ(LatinKeys("ສົມphone").front(), "somphone");
}

TEST(LatinKeysTest, OutputIsLowerCaseAsciiWordsDistinctAndBounded) {
  const std::vector<const char*> names = {"ສົມພອນ ພົມມະຈັກ",
                                          "สมชาย ใจดี",
                                          "မောင်မောင်",
                                          "ហ៊ុន សែន",
                                          "张伟",
                                          "Nguyễn Văn An",
                                          "ໄຊສົມບູນ ສີສະຫວັນ ເພັດສະໝອນ ຫ້ວຍຊາຍ ສຸກ ແສງ ຈັນ",
                                          "Ｆｕｌｌ　Ｗｉｄｔｈ"};
  for (const char* name : names) {
    const auto keys = LatinKeys(name);
    EXPECT_FALSE(keys.empty()) << name;
    EXPECT_LE(keys.size(), kMaxLatinKeys) << name;
    for (const auto& k : keys) {
      EXPECT_TRUE(std::all_of(k.begin(), k.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == ' '; }))
          << name << " -> " << k;
      EXPECT_EQ(k.find("  "), std::string::npos) << k;
      EXPECT_NE(k.front(), ' ');
      EXPECT_NE(k.back(), ' ');
      EXPECT_EQ(std::count(keys.begin(), keys.end(), k), 1) << k;
    }
  }
}

TEST(LatinKeysTest, NothingReadableGivesNoKeys) {
  EXPECT_TRUE(LatinKeys("").empty());
  EXPECT_TRUE(LatinKeys(" - , . ").empty());
  EXPECT_TRUE(LatinKeys("😀").empty());
}

TEST(LatinKeysTest, DigitsAreKept) {
  EXPECT_EQ(LatinKeys("Unit 731"), (std::vector<std::string>{"unit 731"}));
}

TEST(RomanizeTest, ReportsScriptsAndMethods) {
  const Romanization r = Romanize("ສົມພອນ 张伟 Văn");
  EXPECT_EQ(r.scripts, (std::vector<Script>{Script::kLao, Script::kHan, Script::kVietnameseLatin}));
  EXPECT_EQ(r.methods, (std::vector<std::string_view>{"ctims Lao rules", "ICU Han-Latin/Names", "ICU Latin-ASCII"}));
  ASSERT_FALSE(r.spellings.empty());
  EXPECT_EQ(r.spellings.front(), "somphone zhang wei van");
}

// ICU transliterators are not thread-safe; each thread must get its own.
TEST(RomanizeTest, ConcurrentCallersGetTheSameAnswers) {
  const std::vector<std::string> names = {"张伟",     "Nguyễn Văn An", "ສົມພອນ ພົມມະຈັກ", "สมชาย ใจดี",
                                          "မောင်မောင်", "ហ៊ុន សែន",        "Иван",         "ေမာင္ေမာင္"};
  std::vector<std::vector<std::string>> expected;
  for (const auto& n : names) expected.push_back(LatinKeys(n));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        for (std::size_t i = 0; i < names.size(); ++i) {
          if (LatinKeys(names[i]) != expected[i]) ++mismatches[static_cast<std::size_t>(t)];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

}  // namespace
}  // namespace ctims::search
