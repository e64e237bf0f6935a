#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace ctims::search {

// Fellegi-Sunter record linkage: a pair of records is compared field by field
// into a comparison vector of discrete agreement levels; each level has a
// probability m among true matches and u among non-matches; the pair's match
// weight is the sum over fields of log2(m/u) of its level, and its posterior
// match probability follows from the weight and the match prior. m, u and the
// prior are estimated from the (unlabelled) compared pairs by EM.
//
// Used by the person scoring model (person_match.hpp) and the FEBRL accuracy
// bench (bench/febrl_linkage.cpp).

// A field whose value is missing on either side: it contributes weight 0 and
// does not enter the estimation of that field's m and u.
inline constexpr std::int16_t kLevelMissing = -1;

// One level per field, in the order of LinkageModel::fields(); a level is in
// [0, levels of the field) or kLevelMissing. By convention level 0 is the
// strongest agreement and the last level is disagreement, but the model does
// not depend on the order (except for EM's initialisation, see below).
using ComparisonVector = std::vector<std::int16_t>;

// A comparison vector with how many compared pairs have it (the histogram
// form of a set of pairs: a caller that counts its pairs' patterns itself,
// as `ctims dedupe` does for millions of pairs, passes the counts).
struct CountedComparison {
  ComparisonVector levels;
  double count = 0;
};

struct LinkageField {
  std::string name;                 // "name", "birth_date", ...
  std::vector<std::string> levels;  // level names, e.g. {"exact", "same_year", "differs"}
};

struct LinkageParams {
  std::vector<std::vector<double>> m;  // m[field][level], each row sums to 1
  std::vector<std::vector<double>> u;  // u[field][level], each row sums to 1
  double prior = 0.001;                // P(match) among the compared pairs
};

struct EmOptions {
  int max_iterations = 200;
  // Stops when no parameter moves by more than this in one iteration.
  double tolerance = 1e-7;
  // Every m and u is kept in [min_probability, 1 - min_probability]: a level
  // never seen among (non-)matches must not give an infinite weight.
  double min_probability = 1e-6;
  // The prior is kept in [min_prior, max_prior].
  double min_prior = 1e-7;
  double max_prior = 0.5;
  // Keep u as given (estimated from random pairs, which are almost all
  // non-matches) and estimate only m and the prior. More robust when the
  // compared pairs are few or the blocking lets through few non-matches.
  bool fix_u = false;
};

struct EmReport {
  int iterations = 0;
  bool converged = false;
  double log_likelihood = 0;     // of the compared pairs under the final parameters
  double expected_matches = 0;   // sum of the pairs' posterior match probabilities
  bool classes_swapped = false;  // EM converged with the classes the wrong way round
};

// Expected quality of a threshold under the fitted model (no ground truth).
struct ThresholdChoice {
  double weight = 0;  // pairs with Weight() >= this are links
  double expected_precision = 0;
  double expected_recall = 0;
  double expected_f1 = 0;
};

// Thread-safety: const member functions may be called from any number of
// threads; Fit() and SetParams() must not run concurrently with anything else
// on the same model.
class LinkageModel {
 public:
  // A model with `params`. Returns kInvalidArgument when the shapes disagree
  // with `fields`, a field has fewer than two levels or more than 127, a row
  // is not a probability distribution (sums within 1e-6 of 1, entries in
  // (0, 1)) or the prior is not in (0, 1).
  static core::Result<LinkageModel> Create(std::vector<LinkageField> fields, LinkageParams params);

  // Starting parameters with no data: for every field, m falls and u rises
  // geometrically from level 0 to the last level (m ~ 0.9 at level 0,
  // u ~ 0.9 at the last level), prior 0.01. EM from here finds the intended
  // class labelling when level 0 means agreement.
  static LinkageParams NeutralParams(const std::vector<LinkageField>& fields);

  // Estimates m, u (unless options.fix_u) and the prior from `pairs` by EM,
  // starting from the current parameters. Identical vectors are counted once
  // with a multiplicity, so millions of pairs cost little. If EM ends with
  // the classes exchanged (the "match" class agreeing less than the other on
  // most fields' level 0) they are swapped back and the report says so.
  // Returns kInvalidArgument when a vector has the wrong length or a level out
  // of range (the model is unchanged), kInvalidArgument when `pairs` is empty.
  core::Result<EmReport> Fit(std::span<const ComparisonVector> pairs, const EmOptions& options = {});
  // As above, from the patterns and their counts (entries with count <= 0
  // are ignored; the same vector may appear more than once). Returns
  // kInvalidArgument when a vector is malformed or no count is positive.
  core::Result<EmReport> Fit(std::span<const CountedComparison> patterns, const EmOptions& options = {});

  // The match weight of one comparison vector: sum of FieldWeight over the
  // fields that are not missing. A malformed vector (wrong length, level out
  // of range) counts its bad fields as missing.
  double Weight(const ComparisonVector& v) const;
  // log2(m / u) of one field's level; 0 for kLevelMissing or out of range.
  double FieldWeight(std::size_t field, int level) const;
  // Posterior P(match | weight) = 1 / (1 + 2^-(weight + log2(prior/(1-prior)))).
  double Probability(double weight) const;
  // The weight at which Probability() equals `probability` (in (0, 1)).
  double WeightForProbability(double probability) const;

  // Chooses the weight threshold with the highest expected F1 over `pairs`
  // (the pairs the model was fitted on, or any compared pairs), using the
  // pairs' posterior probabilities as fractional ground truth. With no pairs,
  // the weight of probability 0.5.
  ThresholdChoice ChooseThreshold(std::span<const ComparisonVector> pairs) const;
  // As above, from the patterns and their counts.
  ThresholdChoice ChooseThreshold(std::span<const CountedComparison> patterns) const;

  const std::vector<LinkageField>& fields() const { return fields_; }
  const LinkageParams& params() const { return params_; }
  core::Status SetParams(LinkageParams params);

  // "name: m 0.91/0.07/0.02 u 0.001/0.01/0.989" per field and the prior, for
  // bench output and logs (no personal data: parameters only).
  std::string Describe() const;

 private:
  LinkageModel(std::vector<LinkageField> fields, LinkageParams params);
  void RecomputeWeights();

  std::vector<LinkageField> fields_;
  LinkageParams params_;
  std::vector<std::vector<double>> weights_;  // log2(m/u)
};

// Checks that `v` fits `fields` (length, level ranges).
bool ValidComparison(const std::vector<LinkageField>& fields, const ComparisonVector& v);

}  // namespace ctims::search
