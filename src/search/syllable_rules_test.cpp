#include "search/syllable_rules.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ctims::search {
namespace {

// A toy script written with upper-case ASCII so the mechanics are readable:
// K P N S H R are consonants, E is written before its consonant, A and I
// after, ' is a tone mark, ! a cancel mark, Y a medial, ^ a series shift.
constexpr const char* kToyTable =
    "# toy\n"
    "option\tsyllable_sep\tnone\n"
    "ignore\t'\n"
    "cancel\t!\n"
    "silent\tQQ\n"
    "replace\tZ\tS\n"
    "cons\tK\tk|g\tk\n"
    "cons\tP\tph|p\tp\n"
    "cons\tN\tn\tn\n"
    "cons\tS\ts\tt\n"
    "cons\tH\th\t-\n"
    "cons\tR\tr\tn\tseries=2\n"
    "cluster\tHN\tn\n"
    "cluster\tPN\tpn\tcost=1\n"
    "medial\tY\t+y\n"
    "shift\t^\t2\n"
    "vowel\tE_\t?\t0\te\n"
    "vowel\t_A\t?\t0\ta\tseries2=ea\n"
    "vowel\t_I\t-\t0\ti\tend=y|i\n"
    "vowel\tO\t-\t0\to\n"
    "vowel\t_\t*\t2\to\n"
    "vowel\t_\t-\t3/4\ta\n";

class ToyScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto parsed = SyllableRomanizer::Parse("toy.tsv", kToyTable);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    rules_.emplace_back(std::move(parsed).value());
  }
  std::vector<std::string> R(std::string_view s) const { return rules_.front().Romanize(s); }
  std::vector<SyllableRomanizer> rules_;
};

using V = std::vector<std::string>;

TEST_F(ToyScriptTest, EachSystemIsOneSpelling) {
  EXPECT_EQ(rules_.front().SystemCount(), 2u);
  EXPECT_EQ(R("KA"), (V{"ka", "ga"}));
  EXPECT_EQ(R("PAN"), (V{"phan", "pan"}));
  EXPECT_EQ(R("NA"), (V{"na", "na"}));  // one spelling per system, even when equal
}

TEST_F(ToyScriptTest, TonesAreIgnoredAnywhere) {
  EXPECT_EQ(R("K'A"), R("KA"));
  EXPECT_EQ(R("'NA'N'"), R("NAN"));
}

TEST_F(ToyScriptTest, CheapestSegmentationWins) {
  // Written vowels beat implicit ones; a closed implicit "o" beats two open "a".
  EXPECT_EQ(R("KNA"), (V{"kana", "gana"}));
  EXPECT_EQ(R("KN"), (V{"kon", "gon"}));
  EXPECT_EQ(R("NANA"), (V{"nana", "nana"}));
}

TEST_F(ToyScriptTest, EndSpellingOnlyForAnOpenLastSyllable) {
  EXPECT_EQ(R("NI"), (V{"ny", "ni"}));
  EXPECT_EQ(R("NINA"), (V{"nina", "nina"}));
}

TEST_F(ToyScriptTest, PreposedVowelsClustersAndMedials) {
  // A vowel written before its consonant is read after it.
  EXPECT_EQ(R("EK"), (V{"ke", "ge"}));
  EXPECT_EQ(R("ENN"), (V{"nen", "nen"}));
  EXPECT_EQ(R("HNA"), (V{"na", "na"}));
  EXPECT_EQ(R("NYA"), (V{"nya", "nya"}));
}

TEST_F(ToyScriptTest, ClusterCostBreaksTies) {
  EXPECT_EQ(R("EPN"), (V{"phen", "pen"}));  // E-P closed by N, not E-PN
  EXPECT_EQ(R("PNA"), (V{"pna", "pna"}));   // the cluster where nothing else reads
}

TEST_F(ToyScriptTest, SeriesTwoReadingAndShift) {
  EXPECT_EQ(R("RA"), (V{"rea", "rea"}));
  EXPECT_EQ(R("N^A"), (V{"nea", "nea"}));
}

TEST_F(ToyScriptTest, IndependentVowel) {
  EXPECT_EQ(R("ONA"), (V{"ona", "ona"}));
}

TEST_F(ToyScriptTest, CancelSilentAndReplace) {
  EXPECT_EQ(R("NAN!"), (V{"na", "na"}));   // the cancelled final is silent
  EXPECT_EQ(R("NANA!"), (V{"na", "na"}));  // with the vowel written on it
  EXPECT_EQ(R("NAQQ"), (V{"na", "na"}));
  EXPECT_EQ(R("ZA"), (V{"sa", "sa"}));
}

TEST_F(ToyScriptTest, UnknownLettersAreSkipped) {
  EXPECT_EQ(R("NAXNA"), (V{"nana", "nana"}));
  EXPECT_TRUE(R("XX").empty());
  EXPECT_TRUE(R("").empty());
}

TEST_F(ToyScriptTest, VeryLongTokensAreCut) {
  const std::string long_token(1000, 'N');
  const auto out = R(long_token);
  ASSERT_FALSE(out.empty());
  EXPECT_LE(out.front().size(), 2 * SyllableRomanizer::kMaxTokenCodePoints);
}

struct BadTable {
  const char* table;
  const char* message_part;
};

TEST(SyllableRulesParseTest, RejectsMalformedTablesNamingTheLine) {
  const std::string ok = "cons\tK\tk\tk\nvowel\t_\t-\t0\ta\n";
  const std::vector<BadTable> cases = {
      {"bogus\tx\n", "toy.tsv:1: unknown rule kind"},
      {"cons\tK\tK\tk\n", "toy.tsv:1: a spelling must be lower-case"},
      {"cons\tK\tk\tk\ncons\tK\tg\tk\n", "toy.tsv:2: duplicate consonant"},
      {"cons\tKK\tk\tk\n", "exactly one letter"},
      {"cons\tK\tk\n", "cons takes"},
      {"cons\tK\tk\tk\tseries=3\n", "unknown attribute"},
      {"cons\tK\tk\tk\tcost=1\n", "unknown attribute"},
      {"cons\tK\tk\tk\ncluster\tKK\tk\tcost=x\n", "cost is 0 to 99"},
      {"cons\tK\tk\tk\n\n# c\nvowel\t_\tx\t0\ta\n", "toy.tsv:4: mode is"},
      {"cons\tK\tk\tk\nvowel\t_\t-\tcheap\ta\n", "cost is"},
      {"cons\tK\tk\tk\nvowel\t__\t-\t0\ta\n", "at most one '_'"},
      {"cons\tK\tk\tk\nvowel\t_\t-\t0\ta\tcolour=red\n", "unknown vowel attribute"},
      {"cons\tK\tk\tk\nmedial\tY\ty\n", "exactly one '+'"},
      {"cons\tK\tk\tk\nshift\t^\t3\n", "shift takes"},
      {"cons\tK\tk\tk\noption\tsyllable_sep\ttab\n", "none or space"},
      {"cons\tK\tk\tk\noption\tcolour\tred\n", "unknown option"},
      {"cluster\tK\tk\n", "at least two letters"},
      {"cons\t\xFF\tk\tk\n", "invalid UTF-8"},
      {"vowel\t_\t-\t0\ta\n", "no consonants"},
      {"cons\tK\tk\tk\n", "no vowels"},
  };
  for (const auto& c : cases) {
    auto parsed = SyllableRomanizer::Parse("toy.tsv", c.table);
    ASSERT_FALSE(parsed.ok()) << c.table;
    EXPECT_EQ(parsed.status().code(), core::StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(c.message_part), std::string::npos)
        << parsed.status().message() << " should mention " << c.message_part;
  }
  EXPECT_TRUE(SyllableRomanizer::Parse("toy.tsv", ok).ok());
}

TEST(DecodeUtf8Test, DecodesAndReplacesInvalidSequences) {
  EXPECT_EQ(DecodeUtf8("aສ😀"), (std::u32string{U'a', U'ສ', U'😀'}));
  EXPECT_EQ(DecodeUtf8("a\xFF"
                       "b"),
            (std::u32string{U'a', 0xFFFD, U'b'}));
  EXPECT_EQ(DecodeUtf8("\xC0\x80"), (std::u32string{0xFFFD, 0xFFFD}));              // overlong
  EXPECT_EQ(DecodeUtf8("\xED\xA0\x80"), (std::u32string{0xFFFD, 0xFFFD, 0xFFFD}));  // surrogate
  EXPECT_EQ(DecodeUtf8("\xE0\xBA"), (std::u32string{0xFFFD, 0xFFFD}));              // truncated
}

}  // namespace
}  // namespace ctims::search
