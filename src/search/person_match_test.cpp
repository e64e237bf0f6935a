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

TEST(PersonMatch, DocumentNumbersCompareWithoutSeparatorsOrCase) {
  EXPECT_EQ(NormalizeDocumentNumber("ab 12-345/6"), "AB123456");
  EXPECT_EQ(NormalizeDocumentNumber("ພ12"), "12");
}

}  // namespace
}  // namespace ctims::search
