#include "search/linkage.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <utility>

namespace ctims::search {

namespace {

constexpr int kMaxLevels = 127;

using Pattern = CountedComparison;

// Identical comparison vectors, counted once.
std::vector<Pattern> CountPatterns(std::span<const ComparisonVector> pairs) {
  std::map<ComparisonVector, double> counts;
  for (const ComparisonVector& v : pairs) counts[v] += 1;
  std::vector<Pattern> out;
  out.reserve(counts.size());
  for (auto& [levels, count] : counts) out.push_back({levels, count});
  return out;
}

// The patterns with a positive count.
std::vector<Pattern> PositivePatterns(std::span<const CountedComparison> patterns) {
  std::vector<Pattern> out;
  out.reserve(patterns.size());
  for (const CountedComparison& p : patterns) {
    if (p.count > 0) out.push_back(p);
  }
  return out;
}

void ClampRow(std::vector<double>& row, double floor) {
  double sum = 0;
  for (double& p : row) {
    p = std::clamp(p, floor, 1.0 - floor);
    sum += p;
  }
  for (double& p : row) p /= sum;
}

core::Status CheckParams(const std::vector<LinkageField>& fields, const LinkageParams& params) {
  if (params.m.size() != fields.size() || params.u.size() != fields.size()) {
    return core::Status::InvalidArgument("linkage: m and u need one row per field");
  }
  if (!(params.prior > 0 && params.prior < 1)) return core::Status::InvalidArgument("linkage: prior not in (0, 1)");
  for (std::size_t f = 0; f < fields.size(); ++f) {
    const std::size_t n = fields[f].levels.size();
    if (n < 2 || n > static_cast<std::size_t>(kMaxLevels)) {
      return core::Status::InvalidArgument("linkage: field " + fields[f].name + " needs 2 to 127 levels");
    }
    for (const auto* row : {&params.m[f], &params.u[f]}) {
      if (row->size() != n) {
        return core::Status::InvalidArgument("linkage: field " + fields[f].name + ": m/u row length");
      }
      double sum = 0;
      for (double p : *row) {
        if (!(p > 0 && p < 1)) {
          return core::Status::InvalidArgument("linkage: field " + fields[f].name + ": probability not in (0, 1)");
        }
        sum += p;
      }
      if (std::abs(sum - 1.0) > 1e-6) {
        return core::Status::InvalidArgument("linkage: field " + fields[f].name + ": row does not sum to 1");
      }
    }
  }
  return core::Status::Ok();
}

}  // namespace

bool ValidComparison(const std::vector<LinkageField>& fields, const ComparisonVector& v) {
  if (v.size() != fields.size()) return false;
  for (std::size_t f = 0; f < v.size(); ++f) {
    if (v[f] == kLevelMissing) continue;
    if (v[f] < 0 || static_cast<std::size_t>(v[f]) >= fields[f].levels.size()) return false;
  }
  return true;
}

LinkageModel::LinkageModel(std::vector<LinkageField> fields, LinkageParams params)
    : fields_(std::move(fields)), params_(std::move(params)) {
  RecomputeWeights();
}

core::Result<LinkageModel> LinkageModel::Create(std::vector<LinkageField> fields, LinkageParams params) {
  if (fields.empty()) return core::Status::InvalidArgument("linkage: no fields");
  core::Status s = CheckParams(fields, params);
  if (!s.ok()) return s;
  return LinkageModel(std::move(fields), std::move(params));
}

LinkageParams LinkageModel::NeutralParams(const std::vector<LinkageField>& fields) {
  LinkageParams p;
  p.prior = 0.01;
  for (const LinkageField& field : fields) {
    const std::size_t n = field.levels.size();
    std::vector<double> m(n);
    std::vector<double> u(n);
    // m: 0.9 at level 0, the rest shared, falling by 2 per level; u mirrored.
    double rest_m = 0;
    double rest_u = 0;
    for (std::size_t l = 1; l < n; ++l) {
      m[l] = std::pow(0.5, static_cast<double>(l - 1));
      rest_m += m[l];
      u[n - 1 - l] = std::pow(0.5, static_cast<double>(l - 1));
      rest_u += u[n - 1 - l];
    }
    for (std::size_t l = 1; l < n; ++l) m[l] *= 0.1 / rest_m;
    for (std::size_t l = 0; l + 1 < n; ++l) u[l] *= 0.1 / rest_u;
    m[0] = 0.9;
    u[n - 1] = 0.9;
    p.m.push_back(std::move(m));
    p.u.push_back(std::move(u));
  }
  return p;
}

void LinkageModel::RecomputeWeights() {
  weights_.assign(fields_.size(), {});
  for (std::size_t f = 0; f < fields_.size(); ++f) {
    for (std::size_t l = 0; l < fields_[f].levels.size(); ++l) {
      weights_[f].push_back(std::log2(params_.m[f][l] / params_.u[f][l]));
    }
  }
}

core::Status LinkageModel::SetParams(LinkageParams params) {
  core::Status s = CheckParams(fields_, params);
  if (!s.ok()) return s;
  params_ = std::move(params);
  RecomputeWeights();
  return core::Status::Ok();
}

double LinkageModel::FieldWeight(std::size_t field, int level) const {
  if (field >= weights_.size() || level < 0 || static_cast<std::size_t>(level) >= weights_[field].size()) return 0;
  return weights_[field][static_cast<std::size_t>(level)];
}

double LinkageModel::Weight(const ComparisonVector& v) const {
  double w = 0;
  for (std::size_t f = 0; f < v.size() && f < fields_.size(); ++f) w += FieldWeight(f, v[f]);
  return w;
}

double LinkageModel::Probability(double weight) const {
  const double prior_odds = std::log2(params_.prior / (1 - params_.prior));
  return 1.0 / (1.0 + std::exp2(-(weight + prior_odds)));
}

double LinkageModel::WeightForProbability(double probability) const {
  probability = std::clamp(probability, 1e-12, 1 - 1e-12);
  return std::log2(probability / (1 - probability)) - std::log2(params_.prior / (1 - params_.prior));
}

core::Result<EmReport> LinkageModel::Fit(std::span<const ComparisonVector> pairs, const EmOptions& options) {
  if (pairs.empty()) return core::Status::InvalidArgument("linkage: no pairs to fit");
  for (const ComparisonVector& v : pairs) {
    if (!ValidComparison(fields_, v)) return core::Status::InvalidArgument("linkage: malformed comparison vector");
  }
  const std::vector<Pattern> patterns = CountPatterns(pairs);
  return Fit(std::span<const CountedComparison>(patterns), options);
}

core::Result<EmReport> LinkageModel::Fit(std::span<const CountedComparison> counted, const EmOptions& options) {
  for (const CountedComparison& c : counted) {
    if (!ValidComparison(fields_, c.levels)) {
      return core::Status::InvalidArgument("linkage: malformed comparison vector");
    }
  }
  const std::vector<Pattern> patterns = PositivePatterns(counted);
  if (patterns.empty()) return core::Status::InvalidArgument("linkage: no pairs to fit");
  const std::size_t nf = fields_.size();
  LinkageParams p = params_;
  for (std::size_t f = 0; f < nf; ++f) {
    ClampRow(p.m[f], options.min_probability);
    ClampRow(p.u[f], options.min_probability);
  }
  p.prior = std::clamp(p.prior, options.min_prior, options.max_prior);

  EmReport report;
  std::vector<double> g(patterns.size());
  double total = 0;
  for (const Pattern& pat : patterns) total += pat.count;

  // Likelihoods in log space: a pattern over many fields underflows otherwise.
  auto posterior = [&](const Pattern& pat, double& log_lik) {
    double lm = std::log(p.prior);
    double lu = std::log(1 - p.prior);
    for (std::size_t f = 0; f < nf; ++f) {
      const int l = pat.levels[f];
      if (l == kLevelMissing) continue;
      lm += std::log(p.m[f][static_cast<std::size_t>(l)]);
      lu += std::log(p.u[f][static_cast<std::size_t>(l)]);
    }
    const double hi = std::max(lm, lu);
    log_lik = hi + std::log(std::exp(lm - hi) + std::exp(lu - hi));
    return 1.0 / (1.0 + std::exp(lu - lm));
  };

  for (report.iterations = 1; report.iterations <= options.max_iterations; ++report.iterations) {
    // E step.
    double ll = 0;
    double matches = 0;
    for (std::size_t i = 0; i < patterns.size(); ++i) {
      double pat_ll = 0;
      g[i] = posterior(patterns[i], pat_ll);
      ll += patterns[i].count * pat_ll;
      matches += patterns[i].count * g[i];
    }
    report.log_likelihood = ll;
    report.expected_matches = matches;
    // M step.
    LinkageParams next = p;
    for (std::size_t f = 0; f < nf; ++f) {
      std::vector<double> mc(fields_[f].levels.size(), 0.0);
      std::vector<double> uc(fields_[f].levels.size(), 0.0);
      for (std::size_t i = 0; i < patterns.size(); ++i) {
        const int l = patterns[i].levels[f];
        if (l == kLevelMissing) continue;
        mc[static_cast<std::size_t>(l)] += patterns[i].count * g[i];
        uc[static_cast<std::size_t>(l)] += patterns[i].count * (1 - g[i]);
      }
      double ms = 0;
      double us = 0;
      for (double c : mc) ms += c;
      for (double c : uc) us += c;
      // A field missing on every pair keeps its parameters.
      if (ms > 0) {
        for (std::size_t l = 0; l < mc.size(); ++l) next.m[f][l] = mc[l] / ms;
        ClampRow(next.m[f], options.min_probability);
      }
      if (!options.fix_u && us > 0) {
        for (std::size_t l = 0; l < uc.size(); ++l) next.u[f][l] = uc[l] / us;
        ClampRow(next.u[f], options.min_probability);
      }
    }
    next.prior = std::clamp(matches / total, options.min_prior, options.max_prior);
    double moved = std::abs(next.prior - p.prior);
    for (std::size_t f = 0; f < nf; ++f) {
      for (std::size_t l = 0; l < next.m[f].size(); ++l) {
        moved = std::max({moved, std::abs(next.m[f][l] - p.m[f][l]), std::abs(next.u[f][l] - p.u[f][l])});
      }
    }
    p = std::move(next);
    if (moved < options.tolerance) {
      report.converged = true;
      break;
    }
  }
  report.iterations = std::min(report.iterations, options.max_iterations);

  // Label switching: the match class must be the one that agrees more.
  std::size_t m_agrees_more = 0;
  for (std::size_t f = 0; f < nf; ++f) {
    if (p.m[f][0] > p.u[f][0]) ++m_agrees_more;
  }
  if (!options.fix_u && 2 * m_agrees_more < nf) {
    std::swap(p.m, p.u);
    p.prior = std::clamp(1 - p.prior, options.min_prior, options.max_prior);
    report.classes_swapped = true;
  }
  params_ = std::move(p);
  RecomputeWeights();
  report.expected_matches = 0;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    report.expected_matches += patterns[i].count * Probability(Weight(patterns[i].levels));
  }
  return report;
}

ThresholdChoice LinkageModel::ChooseThreshold(std::span<const ComparisonVector> pairs) const {
  const std::vector<Pattern> patterns = CountPatterns(pairs);
  return ChooseThreshold(std::span<const CountedComparison>(patterns));
}

ThresholdChoice LinkageModel::ChooseThreshold(std::span<const CountedComparison> counted) const {
  ThresholdChoice best;
  best.weight = WeightForProbability(0.5);
  const std::vector<Pattern> patterns = PositivePatterns(counted);
  if (patterns.empty()) return best;
  struct Scored {
    double weight;
    double count;
    double expected_matches;
  };
  std::vector<Scored> scored;
  scored.reserve(patterns.size());
  double total_matches = 0;
  for (const Pattern& pat : patterns) {
    const double w = Weight(pat.levels);
    const double em = pat.count * Probability(w);
    scored.push_back({w, pat.count, em});
    total_matches += em;
  }
  if (total_matches <= 0) return best;
  std::sort(scored.begin(), scored.end(), [](const Scored& a, const Scored& b) { return a.weight > b.weight; });
  double tp = 0;
  double predicted = 0;
  best.expected_f1 = -1;
  for (std::size_t i = 0; i < scored.size(); ++i) {
    tp += scored[i].expected_matches;
    predicted += scored[i].count;
    // Only cut between different weights.
    if (i + 1 < scored.size() && scored[i + 1].weight == scored[i].weight) continue;
    const double f1 = 2 * tp / (predicted + total_matches);
    if (f1 > best.expected_f1) {
      best.expected_f1 = f1;
      best.weight = scored[i].weight;
      best.expected_precision = tp / predicted;
      best.expected_recall = tp / total_matches;
    }
  }
  return best;
}

std::string LinkageModel::Describe() const {
  std::string out;
  std::array<char, 160> buf{};
  for (std::size_t f = 0; f < fields_.size(); ++f) {
    out += fields_[f].name + ":";
    for (std::size_t l = 0; l < fields_[f].levels.size(); ++l) {
      std::snprintf(buf.data(), buf.size(), " %s m=%.4g u=%.4g w=%+.2f;", fields_[f].levels[l].c_str(), params_.m[f][l],
                    params_.u[f][l], weights_[f][l]);
      out += buf.data();
    }
    out += "\n";
  }
  std::snprintf(buf.data(), buf.size(), "prior %.4g\n", params_.prior);
  out += buf.data();
  return out;
}

}  // namespace ctims::search
