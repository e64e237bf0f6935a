#include "febrl_linkage_lib.hpp"

#include <algorithm>
#include <charconv>
#include <unordered_map>
#include <unordered_set>

#include "search/fuzzy.hpp"

namespace ctims::bench {

namespace {

using search::ComparisonVector;
using search::kLevelMissing;

// exact / Jaro-Winkler >= 0.92 / >= 0.8 / differs
std::int16_t StringLevel(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return kLevelMissing;
  if (a == b) return 0;
  const double jw = search::JaroWinkler(a, b);
  if (jw >= 0.92) return 1;
  if (jw >= 0.80) return 2;
  return 3;
}

std::int16_t ExactLevel(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return kLevelMissing;
  return a == b ? 0 : 1;
}

// Codes (dates, ids, postcodes): exact / one digit changed or two swapped /
// differs.
std::int16_t CodeLevel(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return kLevelMissing;
  if (a == b) return 0;
  if (a.size() == b.size()) {
    std::vector<std::size_t> diff;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i] != b[i]) diff.push_back(i);
    }
    if (diff.size() == 1) return 1;
    if (diff.size() == 2 && diff[1] == diff[0] + 1 && a[diff[0]] == b[diff[1]] && a[diff[1]] == b[diff[0]]) return 1;
  }
  return 2;
}

std::uint64_t PairKey(std::size_t i, std::size_t j) {
  return (static_cast<std::uint64_t>(i) << 32) | j;
}

}  // namespace

int EntityOf(const std::string& rec_id) {
  if (!rec_id.starts_with("rec-")) return -1;
  int n = -1;
  const char* begin = rec_id.data() + 4;
  const auto [ptr, ec] = std::from_chars(begin, rec_id.data() + rec_id.size(), n);
  if (ec != std::errc() || ptr == rec_id.data() + rec_id.size() || *ptr != '-') return -1;
  return n;
}

const std::vector<search::LinkageField>& FebrlFields() {
  static const std::vector<search::LinkageField> kFields = {
      {"given_name", {"exact", "jw92", "jw80", "differs"}},
      {"surname", {"exact", "jw92", "jw80", "differs"}},
      {"street_number", {"exact", "differs"}},
      {"address_1", {"exact", "jw92", "jw80", "differs"}},
      {"suburb", {"exact", "jw92", "jw80", "differs"}},
      {"postcode", {"exact", "one_edit", "differs"}},
      {"state", {"exact", "differs"}},
      {"date_of_birth", {"exact", "one_edit", "differs"}},
      {"soc_sec_id", {"exact", "one_edit", "differs"}},
  };
  return kFields;
}

ComparisonVector CompareFebrl(const FebrlRecord& a, const FebrlRecord& b) {
  return {StringLevel(a.given_name, b.given_name),
          StringLevel(a.surname, b.surname),
          ExactLevel(a.street_number, b.street_number),
          StringLevel(a.address_1, b.address_1),
          StringLevel(a.suburb, b.suburb),
          CodeLevel(a.postcode, b.postcode),
          ExactLevel(a.state, b.state),
          CodeLevel(a.date_of_birth, b.date_of_birth),
          CodeLevel(a.soc_sec_id, b.soc_sec_id)};
}

std::vector<std::pair<std::size_t, std::size_t>> BlockFebrl(const std::vector<FebrlRecord>& a,
                                                            const std::vector<FebrlRecord>& b, bool dedupe) {
  using KeyFn = std::string (*)(const FebrlRecord&);
  const KeyFn passes[] = {
      [](const FebrlRecord& r) { return r.surname.empty() ? std::string() : search::PhoneticKey(r.surname); },
      [](const FebrlRecord& r) { return r.given_name.empty() ? std::string() : search::PhoneticKey(r.given_name); },
      [](const FebrlRecord& r) { return r.date_of_birth; },
      [](const FebrlRecord& r) { return r.soc_sec_id; },
      [](const FebrlRecord& r) {
        return r.postcode.empty() || r.surname.empty() ? std::string() : r.postcode + r.surname.substr(0, 1);
      },
  };
  std::unordered_set<std::uint64_t> seen;
  std::vector<std::pair<std::size_t, std::size_t>> out;
  for (KeyFn key : passes) {
    std::unordered_map<std::string, std::vector<std::size_t>> index;
    for (std::size_t j = 0; j < b.size(); ++j) {
      std::string k = key(b[j]);
      if (!k.empty()) index[std::move(k)].push_back(j);
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
      const std::string k = key(a[i]);
      if (k.empty()) continue;
      const auto it = index.find(k);
      if (it == index.end()) continue;
      for (std::size_t j : it->second) {
        if (dedupe && j <= i) continue;
        if (seen.insert(PairKey(i, j)).second) out.emplace_back(i, j);
      }
    }
  }
  return out;
}

LinkageResult RunFebrlLinkage(const std::vector<FebrlRecord>& a, const std::vector<FebrlRecord>& b, bool dedupe) {
  LinkageResult r;
  r.records_a = a.size();
  r.records_b = b.size();
  // Ground truth: pairs of records with the same entity.
  std::unordered_map<int, std::size_t> per_entity_a;
  std::unordered_map<int, std::size_t> per_entity_b;
  for (const auto& x : a) ++per_entity_a[x.entity];
  for (const auto& x : b) ++per_entity_b[x.entity];
  for (const auto& [entity, n] : per_entity_a) {
    if (dedupe) {
      r.true_pairs += n * (n - 1) / 2;
    } else if (const auto it = per_entity_b.find(entity); it != per_entity_b.end()) {
      r.true_pairs += n * it->second;
    }
  }
  const double all_pairs = dedupe ? static_cast<double>(a.size()) * static_cast<double>(a.size() - 1) / 2
                                  : static_cast<double>(a.size()) * static_cast<double>(b.size());

  const auto candidates = BlockFebrl(a, b, dedupe);
  r.candidate_pairs = candidates.size();
  std::vector<ComparisonVector> vectors;
  vectors.reserve(candidates.size());
  for (const auto& [i, j] : candidates) {
    vectors.push_back(CompareFebrl(a[i], b[j]));
    if (a[i].entity == b[j].entity) ++r.true_pairs_in_blocks;
  }
  auto model = search::LinkageModel::Create(FebrlFields(), search::LinkageModel::NeutralParams(FebrlFields()));
  auto report = model.value().Fit(vectors);
  if (report.ok()) r.em_iterations = report.value().iterations;
  const search::ThresholdChoice choice = model.value().ChooseThreshold(vectors);
  r.threshold = choice.weight;
  r.expected_f1 = choice.expected_f1;
  for (std::size_t k = 0; k < candidates.size(); ++k) {
    if (model.value().Weight(vectors[k]) < choice.weight) continue;
    ++r.links;
    if (a[candidates[k].first].entity == b[candidates[k].second].entity) ++r.true_links;
  }
  r.precision = r.links > 0 ? static_cast<double>(r.true_links) / static_cast<double>(r.links) : 0;
  r.recall = r.true_pairs > 0 ? static_cast<double>(r.true_links) / static_cast<double>(r.true_pairs) : 0;
  r.f1 = r.precision + r.recall > 0 ? 2 * r.precision * r.recall / (r.precision + r.recall) : 0;
  r.pairs_completeness =
      r.true_pairs > 0 ? static_cast<double>(r.true_pairs_in_blocks) / static_cast<double>(r.true_pairs) : 0;
  r.reduction_ratio = all_pairs > 0 ? 1 - static_cast<double>(r.candidate_pairs) / all_pairs : 0;
  r.model = model.value().Describe();
  return r;
}

}  // namespace ctims::bench
