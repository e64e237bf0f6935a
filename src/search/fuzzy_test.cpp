#include "search/fuzzy.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <string>
#include <vector>

namespace ctims::search {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(JaroWinklerTest, KnownValues) {
  EXPECT_NEAR(JaroWinkler("martha", "marhta"), 0.9611, 1e-4);
  EXPECT_NEAR(JaroWinkler("dwayne", "duane"), 0.84, 1e-4);
  EXPECT_NEAR(JaroWinkler("dixon", "dicksonx"), 0.8133, 1e-4);
  EXPECT_NEAR(JaroWinkler("crate", "trace"), 0.7333, 1e-4);
}

TEST(JaroWinklerTest, Bounds) {
  EXPECT_EQ(JaroWinkler("somphone", "somphone"), 1.0);
  EXPECT_EQ(JaroWinkler("", ""), 1.0);
  EXPECT_EQ(JaroWinkler("a", ""), 0.0);
  EXPECT_EQ(JaroWinkler("abc", "xyz"), 0.0);
  EXPECT_EQ(JaroWinkler("a", "a"), 1.0);
  const std::string long_a(500, 'a');
  EXPECT_EQ(JaroWinkler(long_a, long_a), 1.0);
}

TEST(JaroWinklerTest, Symmetric) {
  const std::vector<std::pair<const char*, const char*>> pairs = {
      {"martha", "marhta"}, {"somphone", "bounmy"}, {"kyaw", "aung"}, {"ab", "ba"}};
  for (const auto& [a, b] : pairs) EXPECT_DOUBLE_EQ(JaroWinkler(a, b), JaroWinkler(b, a)) << a << " " << b;
}

// Each group must share one key; the keys of different groups must differ.
TEST(PhoneticKeyTest, VariantSpellingsCollide) {
  const std::vector<std::vector<const char*>> groups = {
      {"somphone", "somphon", "sompone", "somfone"},                          // ph/p/f, silent e
      {"phommachack", "phommachak", "pommachak", "phomachak", "phommachac"},  // ck/k/c, doubles
      {"thong", "tong"},                                                      // th/t
      {"kham", "kam"},                                                        // kh/k
      {"bounmy", "bounmi", "bunmi", "boonmee"},                               // ou/u/oo, ee/i/y
      {"souk", "suk", "sook"},                                                // ou/u/oo
      {"xay", "say", "sai"},                                                  // x/s, y/i at the end
      {"vong", "wong"},                                                       // v/w
      {"jaidee", "chaidi", "chaidee", "jaidi"},                               // j/ch (Thai), ee/i
      {"saa", "sa"},                                                          // vowel length
      {"vanh", "van"},                                                        // trailing h
      {"somsy", "somsi"},                                                     // y/i at the end
      {"htun", "tun", "thun"},                                                // Burmese ht
      {"hsu", "su", "shu"},                                                   // Burmese hs, sh
      {"hpone", "phone", "pone"},                                             // Burmese hp
      {"zhang", "chang", "jang"},                                             // pinyin / Wade-Giles
      {"kaew", "keo", "kaeo"},                                                // Lao/Thai ae, final w
      {"saeng", "seng"},
      {"thaworn", "thawon", "tawon"},  // Thai final r
      {"gnot", "nyot", "nhot"},        // Lao ຍ: gn/nh/ny
      {"bounnhang", "boungnang", "bounyang"},
      {"lynn", "linn", "lin"},  // y between consonants is i
      {"sythong", "sithong", "sitong"},
  };
  std::vector<std::string> group_keys;
  for (const auto& group : groups) {
    const std::string key = PhoneticKey(group.front());
    for (const char* w : group) EXPECT_EQ(PhoneticKey(w), key) << w << " vs " << group.front();
    EXPECT_FALSE(Contains(group_keys, key)) << key << " is shared by two groups";
    group_keys.push_back(key);
  }
}

TEST(PhoneticKeyTest, DifferentSoundsStayApart) {
  EXPECT_NE(PhoneticKey("som"), PhoneticKey("sum"));  // o and u are distinct vowels
  EXPECT_NE(PhoneticKey("kham"), PhoneticKey("khan"));
  EXPECT_NE(PhoneticKey("somphone"), PhoneticKey("bounmy"));
  EXPECT_NE(PhoneticKey("lao"), PhoneticKey("lai"));
  EXPECT_EQ(PhoneticKey(""), "");
  EXPECT_EQ(PhoneticKey("h"), "h");
  EXPECT_EQ(PhoneticKey("731"), "731");
}

TEST(FuzzyKeysTest, WordSplitsAndHyphensShareTheJoinedKey) {
  const auto spaced = FuzzyKeys("Maung Maung");
  const auto joined = FuzzyKeys("Maungmaung");
  const auto hyphen = FuzzyKeys("Maung-Maung");
  EXPECT_TRUE(Contains(spaced, "maungmaung"));
  EXPECT_TRUE(Contains(joined, "maungmaung"));
  EXPECT_EQ(spaced, hyphen);
}

TEST(FuzzyKeysTest, SolidNamesShareTheJoinedSkeletonWithSplitOnes) {
  auto shares = [](const char* a, const char* b) {
    const auto ka = FuzzyKeys(a);
    const auto kb = FuzzyKeys(b);
    std::vector<std::string> common;
    std::set_intersection(ka.begin(), ka.end(), kb.begin(), kb.end(), std::back_inserter(common));
    return !common.empty();
  };
  EXPECT_TRUE(Contains(FuzzyKeys("Lin Chao"), "~lnj"));
  EXPECT_TRUE(shares("Linchoa", "Lin Chao"));
  EXPECT_TRUE(shares("ZHANGJYAN", "Zhang Jian"));
  EXPECT_TRUE(Contains(FuzzyKeys("Somphon Phommachak"), "~smpnpmjk"));
  EXPECT_TRUE(Contains(FuzzyKeys("Somphone Phommachack"), "~smpnpmjk"));
  EXPECT_FALSE(shares("Zokyaw", "Min Htun"));
}

TEST(FuzzyKeysTest, SolidNamesWithATypoShareTheJoinedPrefix) {
  const auto split = FuzzyKeys("Tang Chaolong");
  const auto solid_typo = FuzzyKeys("Tanngchaolonb");
  EXPECT_TRUE(Contains(split, "^tang"));
  EXPECT_TRUE(Contains(split, "^jaol"));  // reverse order: Chaolong Tang
  EXPECT_TRUE(Contains(solid_typo, "^tang"));
  EXPECT_TRUE(Contains(FuzzyKeys("Zhou Wei"), "^juwe"));  // five letters: "juwei"
  EXPECT_TRUE(Contains(FuzzyKeys("CHOUWEKI"), "^juwe"));
  // Shorter names get none: four letters would be all of the name.
  for (const std::string& k : FuzzyKeys("He Na")) EXPECT_NE(k.front(), '^') << k;
}

TEST(FuzzyKeysTest, NameOrderDoesNotMatter) {
  EXPECT_EQ(FuzzyKeys("Zhang Wei"), FuzzyKeys("Wei Zhang"));
  EXPECT_EQ(FuzzyKeys("Somchai Jaidee"), FuzzyKeys("JAIDEE, Somchai"));
}

TEST(FuzzyKeysTest, SortedDistinctWithSkeletons) {
  const auto keys = FuzzyKeys("Somphone Phommachack");
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  EXPECT_EQ(std::adjacent_find(keys.begin(), keys.end()), keys.end());
  EXPECT_TRUE(Contains(keys, "sompon"));
  EXPECT_TRUE(Contains(keys, "pomajak"));
  EXPECT_TRUE(Contains(keys, "~smpn"));
  EXPECT_TRUE(Contains(keys, "somponepomajak"));
  EXPECT_TRUE(FuzzyKeys("").empty());
}

TEST(FuzzyKeysTest, NativeScriptNamesGetKeysOfEverySpelling) {
  const auto keys = FuzzyKeys("ບຸນມີ");
  EXPECT_TRUE(Contains(keys, PhoneticKey("bounmy")));
  const auto lao = FuzzyKeys("ແກ້ວ");
  EXPECT_TRUE(Contains(lao, PhoneticKey("keo")));
  EXPECT_TRUE(Contains(lao, PhoneticKey("kaew")));
}

TEST(NameSimilarityTest, IdentitySymmetryAndRange) {
  const std::vector<const char*> names = {"ສົມພອນ ພົມມະຈັກ", "Somphone", "张伟",      "Wang Fang",
                                          "မောင်မောင်",     "Hun Sen",  "สมชาย ใจดี", "Kyaw Win"};
  for (const char* a : names) {
    EXPECT_DOUBLE_EQ(NameSimilarity(a, a), 1.0) << a;
    for (const char* b : names) {
      const double ab = NameSimilarity(a, b);
      EXPECT_GE(ab, 0.0);
      EXPECT_LE(ab, 1.0);
      EXPECT_NEAR(ab, NameSimilarity(b, a), 1e-9) << a << " / " << b;
    }
  }
}

TEST(NameSimilarityTest, NamesWithoutLettersScoreZero) {
  EXPECT_EQ(NameSimilarity("", "Somphone"), 0.0);
  const NameMatch m = MatchNames("Somphone", "--");
  EXPECT_EQ(m.score, 0.0);
  EXPECT_NE(m.reason.find("no readable letters in the second name"), std::string::npos);
}

TEST(NameSimilarityTest, PartialNamesScoreBelowFullMatches) {
  const double partial = NameSimilarity("Somphone", "Somphone Phommachack");
  EXPECT_LT(partial, 0.85);
  EXPECT_GT(partial, 0.6);
  EXPECT_LT(NameSimilarity("Somphone Phommachack", "Somphone Keomany"), 0.85);
}

TEST(NameSimilarityTest, SmallTyposStayHigh) {
  EXPECT_GE(NameSimilarity("Somphone Phommachack", "Somphome Phommachack"), 0.85);
  EXPECT_GE(NameSimilarity("Nguyen Van An", "Nguyen Van Anh"), 0.85);
}

TEST(MatchNamesTest, ReasonSaysWhichFormsMatchedHow) {
  const NameMatch m = MatchNames("ສົມພອນ ພົມມະຈັກ", "Somphon Phommachak");
  EXPECT_GE(m.score, 0.85);
  EXPECT_NE(m.reason.find("ctims Lao rules"), std::string::npos) << m.reason;
  EXPECT_NE(m.reason.find("ICU Latin-ASCII"), std::string::npos) << m.reason;
  EXPECT_NE(m.reason.find("somphone=somphon (sound key sompon)"), std::string::npos) << m.reason;
  EXPECT_NE(m.reason.find("phommachack=phommachak"), std::string::npos) << m.reason;

  const NameMatch split = MatchNames("Maung Maung", "Maungmaung");
  EXPECT_NE(split.reason.find("words joined"), std::string::npos) << split.reason;

  const NameMatch typo = MatchNames("Hun Sen", "Hun Sem");
  EXPECT_NE(typo.reason.find("sen~sem"), std::string::npos) << typo.reason;
}

// Dedupe and search compare prepared names; the score must be MatchNames'
// exactly, or the queue would change with the path that scored it.
TEST(PreparedNameTest, ScoreEqualsMatchNames) {
  const std::vector<std::string> names = {"ສົມພອນ ພົມມະຈັກ",
                                          "Somphon Phommachak",
                                          "Somphone PHOMMACHACK",
                                          "สมชาย ใจดี",
                                          "Somchai Jaidee",
                                          "မောင်မောင်",
                                          "Maung Maung",
                                          "Maungmaung",
                                          "张伟",
                                          "Zhang Wei",
                                          "Wei Zhang",
                                          "Nguyễn Văn An",
                                          "Nguyen Van An",
                                          "ហ៊ុន សែន",
                                          "Hun Sen",
                                          "Hun Sem",
                                          "a b c d e f g h i j",
                                          "",
                                          "123",
                                          "Lin Chao",
                                          "Linchao",
                                          "Tang Chaolong",
                                          "Tanngchaolonb"};
  std::vector<PreparedName> prepared;
  for (const auto& n : names) prepared.push_back(PrepareName(n));
  EXPECT_FALSE(prepared[17].readable());
  EXPECT_TRUE(prepared[0].readable());
  EXPECT_EQ(prepared[1].key_hashes().size(), FuzzyKeys(names[1]).size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    for (std::size_t j = 0; j < names.size(); ++j) {
      EXPECT_EQ(MatchPrepared(prepared[i], prepared[j]), MatchNames(names[i], names[j]).score) << i << " vs " << j;
    }
  }
  // Differently spelled names still score as one person, unrelated ones not.
  EXPECT_GE(MatchPrepared(prepared[0], prepared[1]), 0.85);
  EXPECT_LT(MatchPrepared(prepared[0], prepared[3]), 0.6);
}

// Dedupe shares one prepared name between persons whose names prepare
// alike (NameTable): equal contents, equal fingerprints, and either gives
// the same scores; different names differ.
TEST(PreparedNameTest, FingerprintAndEqualityFollowTheContents) {
  const PreparedName a = PrepareName("Somphone PHOMMACHACK");
  const PreparedName same = PrepareName("somphone  phommachack");
  const PreparedName other = PrepareName("Somphon Phommachak");
  const PreparedName native = PrepareName("ສົມພອນ ພົມມະຈັກ");
  EXPECT_TRUE(a == same);
  EXPECT_EQ(a.Fingerprint(), same.Fingerprint());
  EXPECT_FALSE(a == other);
  EXPECT_NE(a.Fingerprint(), other.Fingerprint());
  EXPECT_FALSE(a == native);
  EXPECT_NE(a.Fingerprint(), native.Fingerprint());
  EXPECT_EQ(a.Fingerprint(), PrepareName("Somphone PHOMMACHACK").Fingerprint());  // stable within the process
  for (const PreparedName* x : {&other, &native, &a}) {
    EXPECT_EQ(MatchPrepared(a, *x), MatchPrepared(same, *x));
    EXPECT_EQ(MatchPrepared(*x, a), MatchPrepared(*x, same));
  }
  // Identical names score as MatchNames does (the fast paths for equal
  // words and forms must not change the score).
  EXPECT_EQ(MatchPrepared(a, same), MatchNames("Somphone PHOMMACHACK", "somphone  phommachack").score);
  EXPECT_EQ(MatchPrepared(native, native), MatchNames("ສົມພອນ ພົມມະຈັກ", "ສົມພອນ ພົມມະຈັກ").score);
}

}  // namespace
}  // namespace ctims::search
