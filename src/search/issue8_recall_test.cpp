// Issue 8, deliverable 5: recall within the top 10 per script on the
// generated multi-script corpus (a smaller one than bench-multiscript's), in
// both directions: Latin spelling -> record in native script, native script
// -> record in a Latin spelling.

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "search/fuzzy.hpp"
#include "search/name_corpus.hpp"
#include "search/normalize.hpp"
#include "search/person_match.hpp"

namespace ctims::search {
namespace {

TEST(Issue8Recall, CorpusIsDeterministicAndWrittenInItsScripts) {
  const auto a = GenerateNameCorpus(20, 4, 42);
  const auto b = GenerateNameCorpus(20, 4, 42);
  const auto c = GenerateNameCorpus(20, 4, 43);
  ASSERT_EQ(a.size(), 20 * kCorpusScriptCount);
  bool differs = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].native, b[i].native);
    EXPECT_EQ(a[i].variants, b[i].variants);
    differs = differs || a[i].native != c[i].native;
    EXPECT_EQ(a[i].id, i);
    EXPECT_FALSE(a[i].latin.empty());
    EXPECT_FALSE(a[i].variants.empty());
    for (const std::string& v : a[i].variants) EXPECT_NE(NormalizeName(v), NormalizeName(a[i].latin));
    const std::string first_word(SplitTokens(NormalizeName(a[i].native)).front());
    const Script script = DetectScript(first_word);
    switch (a[i].script) {
      case CorpusScript::kLao: EXPECT_EQ(script, Script::kLao) << a[i].native; break;
      case CorpusScript::kThai: EXPECT_EQ(script, Script::kThai) << a[i].native; break;
      case CorpusScript::kBurmese: EXPECT_EQ(script, Script::kMyanmar) << a[i].native; break;
      case CorpusScript::kKhmer: EXPECT_EQ(script, Script::kKhmer) << a[i].native; break;
      case CorpusScript::kChinese: EXPECT_EQ(script, Script::kHan) << a[i].native; break;
      case CorpusScript::kVietnamese: break;  // "An", "Lan" have no Vietnamese letter
    }
  }
  EXPECT_TRUE(differs);
}

TEST(Issue8Recall, TopTenRecallPerScriptAtLeast95PercentBothWays) {
  const auto corpus = GenerateNameCorpus(150, 4, 8);
  const auto rows = MeasureRecall(corpus, 10, std::max(1U, std::min(2U, std::thread::hardware_concurrency())));
  ASSERT_EQ(rows.size(), kCorpusScriptCount);
  for (const RecallRow& r : rows) {
    EXPECT_GE(r.latin_queries, 150u * 4);
    EXPECT_EQ(r.native_queries, 150u);
    EXPECT_GE(r.LatinRecall(), 0.95) << CorpusScriptName(r.script) << " Latin -> native";
    EXPECT_GE(r.NativeRecall(), 0.95) << CorpusScriptName(r.script) << " native -> Latin";
  }
}

// The default person model (no data yet) on the corpus: a native-script
// record and a Latin record of the same person with the same birth year and
// sex are proposed as duplicates; two different persons of the same script
// with the same birth year and sex are not.
TEST(Issue8Recall, DefaultPersonModelSeparatesCorpusDuplicatesFromOthers) {
  const auto corpus = GenerateNameCorpus(40, 2, 11);
  const PersonMatchModel model;
  std::size_t same_found = 0;
  std::size_t other_flagged = 0;
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    PersonFeatures native;
    native.names = {corpus[i].native};
    native.birth_year = 1990;
    native.sex = "female";
    PersonFeatures latin = native;
    latin.names = {corpus[i].variants.front()};
    PersonFeatures other = native;
    other.names = {corpus[(i + kCorpusScriptCount) % corpus.size()].latin};  // same script, next person
    same_found += model.Score(native, latin).is_candidate;
    other_flagged += model.Score(native, other).is_candidate;
  }
  EXPECT_GE(static_cast<double>(same_found), 0.9 * static_cast<double>(corpus.size()));
  EXPECT_LE(static_cast<double>(other_flagged), 0.05 * static_cast<double>(corpus.size()));
}

TEST(Issue8Recall, IndexRanksTheSamePersonFirstAndFindsNothingForNoLetters) {
  NameIndex index;
  index.Add(7, "ສົມພອນ ພົມມະຈັກ");
  index.Add(8, "สมชาย ใจดี");
  index.Add(9, "张伟");
  index.Finish();
  const auto hits = index.Search("Phommachak Somphone", 10);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits.front().first, 7u);
  EXPECT_EQ(index.Search("Zhangwei", 1).front().first, 9u);
  EXPECT_TRUE(index.Search("--", 10).empty());
}

// `ctims dedupe` and search score prepared names (PrepareName once per
// person): every pair of the corpus, within and across persons, must score
// exactly as MatchNames does, or the review queue would change.
TEST(Issue8Recall, PreparedNamesScoreAsMatchNames) {
  const auto corpus = GenerateNameCorpus(10, 3, 7);
  std::vector<std::string> names;
  for (const auto& p : corpus) {
    names.push_back(p.native);
    names.push_back(p.latin);
    for (const auto& v : p.variants) names.push_back(v);
  }
  std::vector<PreparedName> prepared;
  for (const auto& n : names) prepared.push_back(PrepareName(n));
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    for (std::size_t j = i; j < names.size(); j += 7) {
      if (MatchPrepared(prepared[i], prepared[j]) != MatchNames(names[i], names[j]).score) ++mismatches;
    }
  }
  EXPECT_EQ(mismatches, 0U);
}

}  // namespace
}  // namespace ctims::search
