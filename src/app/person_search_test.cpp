// The cheap first pass of person search and duplicate detection (issue 8 §5):
// PreScore and ScoreShortlist.

#include "app/person_search.hpp"

#include <gtest/gtest.h>

#include "search/person_match.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ctims::app {
namespace {

PersonProbe Probe(std::vector<std::string> names, std::string sex = "", std::optional<int> year = std::nullopt) {
  PersonProbe p;
  p.names = std::move(names);
  p.sex = std::move(sex);
  p.birth_year = year;
  return p;
}

TEST(PreScore, SharedKeysCountAndContradictionsPushDown) {
  const PersonProbe probe = Probe({"Somphone Phommachack"}, "Male", 1990);
  EXPECT_EQ(PreScore(probe, Probe({"x"}, "Male", 1990), 5), 5.0);
  EXPECT_EQ(PreScore(probe, Probe({"x"}, "", std::nullopt), 5), 5.0) << "unknown is no evidence";
  EXPECT_EQ(PreScore(probe, Probe({"x"}, "Female", 1990), 5), 3.0);
  EXPECT_EQ(PreScore(probe, Probe({"x"}, "Male", 1991), 5), 5.0) << "a year apart fits";
  EXPECT_EQ(PreScore(probe, Probe({"x"}, "Female", 1980), 5), 1.0);
  PersonProbe estimated = Probe({"x"}, "Male", 1993);
  estimated.birth_year_estimated = true;
  EXPECT_EQ(PreScore(probe, estimated, 5), 5.0) << "estimated ages fit within three years";
  PersonProbe with_doc = probe;
  with_doc.documents = {"P1234567"};
  PersonProbe other = Probe({"x"});
  other.documents = {"X999", "P1234567"};
  EXPECT_EQ(PreScore(with_doc, other, 1), 5.0);
}

TEST(ScoreShortlist, ComparesOnlyTheMostPromisingAndRanksByScore) {
  const PersonProbe probe = Probe({"Somphone Phommachack"});
  std::vector<PersonProbe> candidates = {Probe({"Bounmy Sengsoulivong"}), Probe({"Somphon Phommachak"}),
                                         Probe({"Somphone Keomany"}), Probe({"Somphone Phommachack"})};
  // The exact name shares the fewest keys here on purpose: with room for
  // two comparisons it is never compared.
  const std::vector<int> shared = {3, 6, 4, 1};
  const auto two = ScoreShortlist(probe, candidates, shared, 2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].index, 1u);
  EXPECT_EQ(two[1].index, 2u);
  EXPECT_GE(two[0].score.score, two[1].score.score);
  EXPECT_FALSE(two[0].score.reason.empty());

  const auto all = ScoreShortlist(probe, candidates, shared, 10);
  ASSERT_EQ(all.size(), 4u);
  // Both spellings of the name score as the same name; the tie goes to the
  // one sharing more keys.
  EXPECT_EQ(all[0].index, 1u);
  EXPECT_EQ(all[1].index, 3u) << "the exact name is found once compared";
  EXPECT_GE(all[1].score.score, 0.99);
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_GE(all[i - 1].score.score, all[i].score.score);
  EXPECT_LT(all.back().score.score, 0.6) << "an unrelated name";
}

TEST(ScoreShortlist, ContradictingSexAndYearLoseTheirPlace) {
  const PersonProbe probe = Probe({"Somphone Phommachack"}, "Male", 1990);
  const std::vector<PersonProbe> candidates = {Probe({"Somphone Phommachack"}, "Female", 1970),
                                               Probe({"Somphon Phommachak"}, "Male", 1990)};
  const auto one = ScoreShortlist(probe, candidates, {5, 4}, 1);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].index, 1u);
  EXPECT_TRUE(ScoreShortlist(probe, {}, {}, 5).empty());
}

// Dedupe scores prepared probes; search prepares them too. Score,
// explanation and reason must be ScoreCandidate's.
TEST(ScorePrepared, EqualsScoreCandidate) {
  PersonProbe a = Probe({"ສົມພອນ ພົມມະຈັກ", "Somphone Phommachack"}, "Male", 1990);
  a.birthdate = "1990-03-04";
  a.citizenship = {"LA"};
  a.documents = {"P1234567"};
  PersonProbe b = Probe({"Somphon Phommachak", "Noy"}, "Male", 1990);
  b.birthdate = "1990-03-04";
  b.citizenship = {"TH", "LA"};
  b.documents = {"P1234567"};
  PersonProbe c = Probe({"สมชาย ใจดี"}, "Female", 1971);
  c.citizenship = {"TH"};
  c.documents = {"X99999"};
  c.birth_year_estimated = true;
  const PersonProbe d = Probe({"Somchai Jaidee"});
  const PersonProbe empty = Probe({});
  const std::vector<PersonProbe> all = {a, b, c, d, empty};
  for (const auto& x : all) {
    for (const auto& y : all) {
      const CandidateScore want = ScoreCandidate(x, y);
      const CandidateScore got = ScorePrepared(PrepareProbe(x), PrepareProbe(y), true, true);
      EXPECT_EQ(got.score, want.score);
      EXPECT_EQ(got.name_score, want.name_score);
      EXPECT_EQ(got.explanation, want.explanation);
      EXPECT_EQ(got.reason, want.reason);
      const CandidateScore bare = ScorePrepared(PrepareProbe(x), PrepareProbe(y), false, false);
      EXPECT_EQ(bare.score, want.score);
      EXPECT_TRUE(bare.explanation.empty());
      EXPECT_TRUE(bare.reason.empty());
    }
  }
  EXPECT_GE(ScoreCandidate(a, b).score, 0.85);
  EXPECT_GE(ScoreCandidate(c, d).name_score, 0.85);
}

// Dedupe decides on ProbeLevels (issue 8 §4): the levels must be
// search::ComparePersons' for the same persons.
TEST(ProbeLevels, AreComparePersonsLevels) {
  PersonProbe a = Probe({"ສົມພອນ ພົມມະຈັກ"}, "Male", 1990);
  a.birthdate = "1990-03-04";
  a.citizenship = {"LAO"};
  a.documents = {"P1234567"};
  PersonProbe b = Probe({"Somphon Phommachak", "Noy"}, "Unknown", 1990);
  b.birthdate = "1990-07-04";
  b.citizenship = {"THA", "LAO"};
  b.documents = {"P1234567"};
  PersonProbe c = Probe({"สมชาย ใจดี"}, "Female", 1988);
  c.citizenship = {"THA"};
  c.documents = {"X99999"};
  c.birth_year_estimated = true;
  const std::vector<PersonProbe> all = {a, b, c, Probe({"Somchai Jaidee"}, "Male"), Probe({})};
  auto features = [](const PersonProbe& p) {
    search::PersonFeatures f;
    f.names = p.names;
    f.birth_date = p.birthdate;
    f.birth_year = p.birth_year;
    f.sex = p.sex == "Unknown" ? "" : p.sex;
    f.citizenship = p.citizenship;
    f.document_numbers = p.documents;
    return f;
  };
  for (const auto& x : all) {
    for (const auto& y : all) {
      const PreparedProbe px = PrepareProbe(x);
      const PreparedProbe py = PrepareProbe(y);
      const search::ComparisonVector got = ProbeLevels(px, py, ScorePrepared(px, py, false).name_score);
      EXPECT_EQ(got, search::ComparePersons(features(x), features(y)).levels);
    }
  }
  const PreparedProbe pa = PrepareProbe(a);
  const PreparedProbe pb = PrepareProbe(b);
  const auto levels = ProbeLevels(pa, pb, ScorePrepared(pa, pb, false).name_score);
  EXPECT_EQ(levels[static_cast<std::size_t>(search::PersonField::kBirth)], 1) << "same year, another date";
  EXPECT_EQ(levels[static_cast<std::size_t>(search::PersonField::kSex)], search::kLevelMissing) << "Unknown";
  EXPECT_EQ(levels[static_cast<std::size_t>(search::PersonField::kDocument)], 0);
}

}  // namespace
}  // namespace ctims::app
