#include "search/linkage.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace ctims::search {
namespace {

std::vector<LinkageField> ThreeFields() {
  return {{"name", {"same", "close", "differs"}},
          {"birth", {"same", "near", "differs"}},
          {"sex", {"same", "differs"}},
          {"town", {"same", "differs"}}};
}

LinkageParams TrueParams() {
  LinkageParams p;
  p.m = {{0.80, 0.15, 0.05}, {0.70, 0.20, 0.10}, {0.95, 0.05}, {0.85, 0.15}};
  p.u = {{0.02, 0.08, 0.90}, {0.01, 0.09, 0.90}, {0.50, 0.50}, {0.10, 0.90}};
  p.prior = 0.08;
  return p;
}

int Draw(const std::vector<double>& row, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> unit(0, 1);
  double x = unit(rng);
  for (std::size_t l = 0; l < row.size(); ++l) {
    if (x < row[l]) return static_cast<int>(l);
    x -= row[l];
  }
  return static_cast<int>(row.size()) - 1;
}

// Pairs drawn from the model itself; `missing` is the share of fields
// missing at random. `labels` receives the truth.
std::vector<ComparisonVector> Simulate(const LinkageParams& p, std::size_t n, double missing, std::uint64_t seed,
                                       std::vector<bool>* labels = nullptr) {
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution is_match(p.prior);
  std::bernoulli_distribution is_missing(missing);
  std::vector<ComparisonVector> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const bool match = is_match(rng);
    if (labels != nullptr) labels->push_back(match);
    ComparisonVector v;
    for (std::size_t f = 0; f < p.m.size(); ++f) {
      const int level = Draw(match ? p.m[f] : p.u[f], rng);
      v.push_back(is_missing(rng) ? kLevelMissing : static_cast<std::int16_t>(level));
    }
    out.push_back(std::move(v));
  }
  return out;
}

void ExpectNear(const LinkageParams& got, const LinkageParams& want, double tol) {
  EXPECT_NEAR(got.prior, want.prior, tol / 2);
  for (std::size_t f = 0; f < want.m.size(); ++f) {
    for (std::size_t l = 0; l < want.m[f].size(); ++l) {
      EXPECT_NEAR(got.m[f][l], want.m[f][l], tol) << "m field " << f << " level " << l;
      EXPECT_NEAR(got.u[f][l], want.u[f][l], tol) << "u field " << f << " level " << l;
    }
  }
}

TEST(Linkage, EmRecoversKnownParametersFromNeutralStart) {
  const auto pairs = Simulate(TrueParams(), 200000, 0.0, 1);
  auto model = LinkageModel::Create(ThreeFields(), LinkageModel::NeutralParams(ThreeFields()));
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto report = model.value().Fit(pairs);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report.value().converged);
  EXPECT_FALSE(report.value().classes_swapped);
  ExpectNear(model.value().params(), TrueParams(), 0.02);
}

TEST(Linkage, EmRecoversParametersWithMissingValues) {
  const auto pairs = Simulate(TrueParams(), 200000, 0.2, 2);
  auto model = LinkageModel::Create(ThreeFields(), LinkageModel::NeutralParams(ThreeFields()));
  ASSERT_TRUE(model.ok());
  ASSERT_TRUE(model.value().Fit(pairs).ok());
  ExpectNear(model.value().params(), TrueParams(), 0.025);
}

TEST(Linkage, ClassesStartedTheWrongWayRoundAreSwappedBack) {
  LinkageParams swapped = TrueParams();
  std::swap(swapped.m, swapped.u);
  swapped.prior = 0.5;
  const auto pairs = Simulate(TrueParams(), 100000, 0.0, 3);
  auto model = LinkageModel::Create(ThreeFields(), swapped);
  ASSERT_TRUE(model.ok());
  // Let the prior reach the mirror solution (the non-matches' 0.92) so EM
  // converges there; the fit must hand back the right labelling.
  EmOptions options;
  options.max_prior = 0.999;
  auto report = model.value().Fit(pairs, options);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report.value().classes_swapped);
  ExpectNear(model.value().params(), TrueParams(), 0.03);
}

TEST(Linkage, FixedUKeepsUAndEstimatesM) {
  const auto pairs = Simulate(TrueParams(), 100000, 0.0, 4);
  LinkageParams start = LinkageModel::NeutralParams(ThreeFields());
  start.u = TrueParams().u;
  auto model = LinkageModel::Create(ThreeFields(), start);
  ASSERT_TRUE(model.ok());
  EmOptions options;
  options.fix_u = true;
  ASSERT_TRUE(model.value().Fit(pairs, options).ok());
  for (std::size_t f = 0; f < start.u.size(); ++f) {
    for (std::size_t l = 0; l < start.u[f].size(); ++l) {
      EXPECT_NEAR(model.value().params().u[f][l], TrueParams().u[f][l], 1e-9);
    }
  }
  ExpectNear(model.value().params(), TrueParams(), 0.03);
}

TEST(Linkage, WeightsAreLog2RatiosAndMissingIsNeutral) {
  auto model = LinkageModel::Create(ThreeFields(), TrueParams());
  ASSERT_TRUE(model.ok());
  const LinkageModel& m = model.value();
  EXPECT_NEAR(m.FieldWeight(0, 0), std::log2(0.80 / 0.02), 1e-12);
  EXPECT_NEAR(m.FieldWeight(2, 1), std::log2(0.05 / 0.50), 1e-12);
  EXPECT_EQ(m.FieldWeight(0, kLevelMissing), 0.0);
  const ComparisonVector all{0, 0, 0, 0};
  const ComparisonVector some_missing{0, kLevelMissing, 0, kLevelMissing};
  EXPECT_NEAR(m.Weight(some_missing), m.FieldWeight(0, 0) + m.FieldWeight(2, 0), 1e-12);
  EXPECT_GT(m.Weight(all), m.Weight(some_missing));
  for (double p : {0.01, 0.5, 0.9, 0.999}) EXPECT_NEAR(m.Probability(m.WeightForProbability(p)), p, 1e-9);
}

TEST(Linkage, MissingFieldsDoNotMoveTheirEstimates) {
  // The fourth field is missing on every pair: its m and u stay as started.
  auto pairs = Simulate(TrueParams(), 50000, 0.0, 5);
  for (auto& v : pairs) v[3] = kLevelMissing;
  auto model = LinkageModel::Create(ThreeFields(), LinkageModel::NeutralParams(ThreeFields()));
  ASSERT_TRUE(model.ok());
  const auto before = model.value().params().m[3];
  ASSERT_TRUE(model.value().Fit(pairs).ok());
  EXPECT_NEAR(model.value().params().m[3][0], before[0], 1e-9);
}

TEST(Linkage, ChosenThresholdClassifiesSimulatedPairsWell) {
  std::vector<bool> truth;
  const auto pairs = Simulate(TrueParams(), 100000, 0.0, 6, &truth);
  auto model = LinkageModel::Create(ThreeFields(), LinkageModel::NeutralParams(ThreeFields()));
  ASSERT_TRUE(model.ok());
  ASSERT_TRUE(model.value().Fit(pairs).ok());
  const ThresholdChoice choice = model.value().ChooseThreshold(pairs);
  double tp = 0;
  double fp = 0;
  double fn = 0;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const bool link = model.value().Weight(pairs[i]) >= choice.weight;
    tp += link && truth[i];
    fp += link && !truth[i];
    fn += !link && truth[i];
  }
  const double f1 = 2 * tp / (2 * tp + fp + fn);
  // The expected F1 is the model's own estimate of the real one.
  EXPECT_NEAR(choice.expected_f1, f1, 0.03);
  EXPECT_GT(f1, 0.8);
}

TEST(Linkage, RejectsMalformedParametersAndVectors) {
  LinkageParams bad = TrueParams();
  bad.m[0] = {0.5, 0.6, 0.1};
  EXPECT_FALSE(LinkageModel::Create(ThreeFields(), bad).ok());
  bad = TrueParams();
  bad.prior = 1.0;
  EXPECT_FALSE(LinkageModel::Create(ThreeFields(), bad).ok());
  bad = TrueParams();
  bad.u.pop_back();
  EXPECT_FALSE(LinkageModel::Create(ThreeFields(), bad).ok());

  auto model = LinkageModel::Create(ThreeFields(), TrueParams());
  ASSERT_TRUE(model.ok());
  const std::vector<ComparisonVector> wrong_length{{0, 0, 0}};
  EXPECT_EQ(model.value().Fit(wrong_length).status().code(), core::StatusCode::kInvalidArgument);
  const std::vector<ComparisonVector> out_of_range{{0, 0, 2, 0}};
  EXPECT_EQ(model.value().Fit(out_of_range).status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(model.value().Fit(std::vector<ComparisonVector>{}).status().code(), core::StatusCode::kInvalidArgument);
  // Unchanged after the refusals.
  EXPECT_NEAR(model.value().params().m[0][0], 0.80, 1e-12);
}

}  // namespace
}  // namespace ctims::search
