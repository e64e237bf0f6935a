#include "search/person_match.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <random>

namespace ctims::search {
namespace {

PersonFeatures Person(std::vector<std::string> names, std::string date, std::string sex,
                      std::vector<std::string> citizenship = {}, std::vector<std::string> documents = {}) {
  PersonFeatures p;
  p.names = std::move(names);
  p.birth_date = std::move(date);
  p.sex = std::move(sex);
  p.citizenship = std::move(citizenship);
  p.document_numbers = std::move(documents);
  return p;
}

bool ShareBlock(const PersonFeatures& a, const PersonFeatures& b) {
  const auto ka = BlockingKeys(a);
  const auto kb = BlockingKeys(b);
  std::vector<std::string> common;
  std::set_intersection(ka.begin(), ka.end(), kb.begin(), kb.end(), std::back_inserter(common));
  return !common.empty();
}

int Level(const PersonComparison& c, PersonField f) {
  return c.levels[static_cast<std::size_t>(f)];
}

TEST(PersonMatch, ComparesEachFieldIntoItsLevel) {
  const auto a = Person({"ສົມພອນ ພົມມະຈັກ"}, "1990-03-04", "female", {"LAO"}, {"P 123-456"});
  const auto b = Person({"Somphone Phommachack"}, "1990-03-04", "female", {"LAO", "THA"}, {"p123456"});
  const PersonComparison same = ComparePersons(a, b);
  EXPECT_LE(Level(same, PersonField::kName), 1) << same.name.reason;
  EXPECT_EQ(Level(same, PersonField::kBirth), 0);
  EXPECT_EQ(Level(same, PersonField::kSex), 0);
  EXPECT_EQ(Level(same, PersonField::kCitizenship), 0);
  EXPECT_EQ(Level(same, PersonField::kDocument), 0);

  auto c = Person({"Bounmy Keosavang"}, "1991-05-06", "male", {"THA"}, {"X9"});
  const PersonComparison other = ComparePersons(a, c);
  EXPECT_EQ(Level(other, PersonField::kName), 3) << other.name.reason;
  EXPECT_EQ(Level(other, PersonField::kBirth), 2);
  EXPECT_EQ(Level(other, PersonField::kSex), 1);
  EXPECT_EQ(Level(other, PersonField::kCitizenship), 1);
  EXPECT_EQ(Level(other, PersonField::kDocument), 1);

  c.birth_date = "1990-12-01";
  EXPECT_EQ(Level(ComparePersons(a, c), PersonField::kBirth), 1);
  c.birth_date.clear();
  c.birth_year = 1980;
  EXPECT_EQ(Level(ComparePersons(a, c), PersonField::kBirth), 3);
  const PersonComparison empty = ComparePersons(a, PersonFeatures{});
  for (std::int16_t level : empty.levels) EXPECT_EQ(level, kLevelMissing);
}

TEST(PersonMatch, SpellingsOfOnePersonShareABlockDifferentPeopleDoNot) {
  const auto native = Person({"สมชาย ใจดี"}, "1985-01-01", "male");
  EXPECT_TRUE(ShareBlock(native, Person({"Jaidee Somchai"}, "", "male")));
  // A typo in one word: found through the other word and the birth year,
  // also one year off.
  PersonFeatures typo = Person({"Somchia Jaidee"}, "", "male");
  typo.birth_year = 1986;
  EXPECT_TRUE(ShareBlock(native, typo));
  typo.birth_year = 1990;
  EXPECT_FALSE(ShareBlock(native, typo));
  EXPECT_FALSE(ShareBlock(native, Person({"Nguyen Van An"}, "1985-01-01", "male")));
  EXPECT_TRUE(BlockingKeys(PersonFeatures{}).empty());
}

TEST(PersonMatch, ScoreExplainsEveryFieldAndRanksTheSamePersonFirst) {
  const PersonMatchModel model;
  const auto a = Person({"Nguyễn Văn An"}, "1992-07-01", "male", {"VNM"});
  const PersonScore same = model.Score(a, Person({"NGUYEN VAN AN"}, "1992-07-01", "male", {"VNM"}));
  const PersonScore other = model.Score(a, Person({"Nguyen Van Binh"}, "1970-01-01", "female", {"VNM"}));
  ASSERT_EQ(same.fields.size(), kPersonFieldCount);
  EXPECT_EQ(same.fields[0].field, "name");
  EXPECT_EQ(same.fields[0].level, "same");
  EXPECT_EQ(same.fields[4].level, "missing");
  EXPECT_EQ(same.fields[4].weight, 0.0);
  EXPECT_GT(same.weight, other.weight);
  EXPECT_TRUE(same.is_candidate);
  EXPECT_FALSE(other.is_candidate);
  EXPECT_GT(same.probability, 0.5);
  EXPECT_LT(other.probability, 0.5);
  EXPECT_FALSE(same.name_reason.empty());
  double sum = 0;
  for (const auto& f : same.fields) sum += f.weight;
  EXPECT_NEAR(sum, same.weight, 1e-9);
}

TEST(PersonMatch, FitLearnsFromComparedPairsAndRefusesNone) {
  // Candidate pairs of made-up persons: a tenth are one person (same name,
  // date, sex), the rest agree at random.
  std::mt19937 rng(7);
  std::vector<ComparisonVector> pairs;
  for (int i = 0; i < 20000; ++i) {
    const bool match = i % 10 == 0;
    std::uniform_int_distribution<int> four(0, 3);
    std::uniform_int_distribution<int> two(0, 1);
    if (match) {
      pairs.push_back(
          {static_cast<std::int16_t>(four(rng) / 3), static_cast<std::int16_t>(four(rng) / 3), 0, 0, kLevelMissing});
    } else {
      pairs.push_back({static_cast<std::int16_t>(2 + two(rng)), 3, static_cast<std::int16_t>(two(rng)),
                       static_cast<std::int16_t>(two(rng)), kLevelMissing});
    }
  }
  PersonMatchModel model;
  auto report = model.Fit(pairs);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_NEAR(model.model().params().prior, 0.1, 0.01);
  EXPECT_NEAR(report.value().expected_matches, 2000, 100);
  // The document field was missing everywhere: its defaults are kept.
  EXPECT_NEAR(model.model().params().m[4][0], PersonMatchModel::DefaultParams().m[4][0], 1e-9);
  EXPECT_FALSE(model.Fit(std::vector<ComparisonVector>{}).ok());
}

// A level drawn from a probability row.
std::int16_t Draw(const std::vector<double>& row, std::mt19937& rng) {
  const double x = std::uniform_real_distribution<double>(0, 1)(rng);
  double sum = 0;
  for (std::size_t l = 0; l < row.size(); ++l) {
    sum += row[l];
    if (x < sum) return static_cast<std::int16_t>(l);
  }
  return static_cast<std::int16_t>(row.size() - 1);
}

TEST(PersonMatch, PatternCodesKeepEveryLevelAndMissing) {
  std::vector<bool> seen(kPersonPatternCount, false);
  for (int n = -1; n < 4; ++n) {
    for (int b = -1; b < 4; ++b) {
      for (int s = -1; s < 2; ++s) {
        for (int c = -1; c < 2; ++c) {
          for (int d = -1; d < 2; ++d) {
            const ComparisonVector v = {static_cast<std::int16_t>(n), static_cast<std::int16_t>(b),
                                        static_cast<std::int16_t>(s), static_cast<std::int16_t>(c),
                                        static_cast<std::int16_t>(d)};
            const std::uint16_t code = PersonPatternCode(v);
            ASSERT_LT(code, kPersonPatternCount);
            EXPECT_FALSE(seen[code]) << "two patterns share code " << code;
            seen[code] = true;
            EXPECT_EQ(PersonPatternLevels(code), v);
          }
        }
      }
    }
  }
}

TEST(PersonMatch, LevelRulesAreComparePersonsRules) {
  const PersonFeatures a = Person({"Somchai Jaidee"}, "1990-04-02", "male", {"THA"}, {"P 123-456"});
  const PersonFeatures b = Person({"Somchai Jaidee"}, "1990-05-02", "", {"LAO", "THA"}, {"p123456"});
  const PersonComparison c = ComparePersons(a, b);
  EXPECT_EQ(Level(c, PersonField::kName), NameLevel(c.name.score));
  EXPECT_EQ(Level(c, PersonField::kBirth), BirthLevel(1990, "1990-04-02", 1990, "1990-05-02"));
  EXPECT_EQ(Level(c, PersonField::kBirth), 1);
  EXPECT_EQ(Level(c, PersonField::kSex), kLevelMissing);
  EXPECT_EQ(SexLevel("male", "female"), 1);
  EXPECT_EQ(Level(c, PersonField::kCitizenship), 0);
  EXPECT_EQ(Level(c, PersonField::kDocument), 0);
  EXPECT_EQ(OverlapLevel(std::vector<std::string>{""}, std::vector<std::string>{"THA"}), kLevelMissing);
  EXPECT_EQ(BirthLevel(std::nullopt, "", 1990, ""), kLevelMissing);
  EXPECT_EQ(BirthLevel(1990, "", 1992, ""), 2);
  EXPECT_EQ(NameLevel(0.96), 0);
  EXPECT_EQ(NameLevel(0.5), 3);
}

// Issue 8 §4: EM on the histogram of a generated set of compared pairs (a
// twentieth planted duplicates drawn from known m, the rest chance pairs
// drawn from known u, a tenth of every field missing) recovers m, u and the
// prior, and the fitted model puts the planted duplicates above its
// threshold and the chance pairs below.
TEST(PersonMatch, EmOnPatternCountsRecoversPlantedMAndU) {
  LinkageParams truth;
  truth.m = {{0.60, 0.30, 0.08, 0.02}, {0.50, 0.30, 0.15, 0.05}, {0.97, 0.03}, {0.92, 0.08}, {0.40, 0.60}};
  truth.u = {{0.01, 0.04, 0.25, 0.70}, {0.01, 0.05, 0.14, 0.80}, {0.50, 0.50}, {0.60, 0.40}, {0.002, 0.998}};
  truth.prior = 0.05;
  std::mt19937 rng(11);
  std::vector<std::int64_t> counts(kPersonPatternCount, 0);
  std::vector<std::pair<std::uint16_t, bool>> pairs;  // (pattern, planted)
  for (int i = 0; i < 200000; ++i) {
    const bool planted = i % 20 == 0;
    ComparisonVector v(kPersonFieldCount);
    for (std::size_t f = 0; f < kPersonFieldCount; ++f) {
      v[f] = Draw(planted ? truth.m[f] : truth.u[f], rng);
      if (std::uniform_int_distribution<int>(0, 9)(rng) == 0) v[f] = kLevelMissing;
    }
    const std::uint16_t code = PersonPatternCode(v);
    ++counts[code];
    pairs.emplace_back(code, planted);
  }
  std::vector<CountedComparison> patterns;
  for (std::size_t code = 0; code < counts.size(); ++code) {
    if (counts[code] > 0) {
      patterns.push_back({PersonPatternLevels(static_cast<std::uint16_t>(code)), static_cast<double>(counts[code])});
    }
  }
  PersonMatchModel model;
  auto report = model.Fit(std::span<const CountedComparison>(patterns));
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_TRUE(report->converged);
  EXPECT_EQ(model.FitProblem(*report), "");
  const LinkageParams& got = model.model().params();
  EXPECT_NEAR(got.prior, truth.prior, 0.003);
  for (std::size_t f = 0; f < kPersonFieldCount; ++f) {
    for (std::size_t l = 0; l < truth.m[f].size(); ++l) {
      EXPECT_NEAR(got.m[f][l], truth.m[f][l], 0.03) << "m of field " << f << " level " << l;
      EXPECT_NEAR(got.u[f][l], truth.u[f][l], 0.01) << "u of field " << f << " level " << l;
    }
  }
  std::size_t planted = 0, planted_found = 0, chance = 0, chance_found = 0;
  for (const auto& [code, is_planted] : pairs) {
    const bool found = model.model().Weight(PersonPatternLevels(code)) >= model.threshold();
    (is_planted ? planted : chance) += 1;
    (is_planted ? planted_found : chance_found) += found ? 1 : 0;
  }
  EXPECT_GT(static_cast<double>(planted_found) / static_cast<double>(planted), 0.85);
  EXPECT_LT(static_cast<double>(chance_found) / static_cast<double>(chance), 0.01);
  // The counted form is the per-pair form.
  std::vector<ComparisonVector> vectors;
  for (const auto& [code, is_planted] : pairs) vectors.push_back(PersonPatternLevels(code));
  PersonMatchModel per_pair;
  ASSERT_TRUE(per_pair.Fit(std::span<const ComparisonVector>(vectors)).ok());
  EXPECT_NEAR(per_pair.model().params().prior, got.prior, 1e-9);
  EXPECT_NEAR(per_pair.threshold(), model.threshold(), 1e-9);
  EXPECT_FALSE(model.Fit(std::span<const CountedComparison>()).ok());
}

TEST(PersonMatch, FitProblemFlagsImplausibleParameters) {
  PersonMatchModel model;
  EmReport ok;
  EXPECT_EQ(model.FitProblem(ok), "") << "the defaults are plausible";
  EmReport swapped;
  swapped.classes_swapped = true;
  EXPECT_EQ(model.FitProblem(swapped), "classes_swapped");
  // Pairs agreeing on name, birth and document always differ in sex, the
  // others always agree: agreeing on sex would count against a match.
  std::vector<CountedComparison> patterns = {
      {{0, 0, 1, 0, 0}, 200}, {{3, 3, 0, 1, 1}, 5000}, {{2, 3, 0, 0, 1}, 3000}, {{3, 2, 0, 1, 1}, 3000}};
  auto report = model.Fit(std::span<const CountedComparison>(patterns));
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(model.FitProblem(*report), "sex_agreement");
}

TEST(PersonMatch, DocumentNumbersCompareWithoutSeparatorsOrCase) {
  EXPECT_EQ(NormalizeDocumentNumber("ab 12-345/6"), "AB123456");
  EXPECT_EQ(NormalizeDocumentNumber("ພ12"), "12");
}

}  // namespace
}  // namespace ctims::search
