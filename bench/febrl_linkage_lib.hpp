#pragma once

// Record linkage of FEBRL-shaped person records (Australian synthetic data:
// names, address, date of birth, social security id) with the project's
// Fellegi-Sunter model (search/linkage.hpp). Shared by the FEBRL accuracy
// bench (febrl_linkage.cpp, real files) and its test (febrl_linkage_test.cpp,
// synthetic records: CI has no copy of the FEBRL files).

#include <cstddef>
#include <string>
#include <vector>

#include "search/linkage.hpp"

namespace ctims::bench {

struct FebrlRecord {
  std::string rec_id;  // "rec-12-org", "rec-12-dup-3"
  std::string given_name, surname, street_number, address_1, address_2, suburb, postcode, state, date_of_birth,
      soc_sec_id;
  int entity = -1;  // N of rec-N-..., the ground truth
};

// The N of "rec-N-org" / "rec-N-dup-k"; -1 when malformed.
int EntityOf(const std::string& rec_id);

const std::vector<search::LinkageField>& FebrlFields();
search::ComparisonVector CompareFebrl(const FebrlRecord& a, const FebrlRecord& b);

// Candidate pairs from blocking (union of passes: surname sound key, given
// name sound key, date of birth, social security id, postcode + surname
// initial). Pairs are (index in a, index in b); for deduplication pass the
// same vector twice and `dedupe` true (then i < j).
std::vector<std::pair<std::size_t, std::size_t>> BlockFebrl(const std::vector<FebrlRecord>& a,
                                                            const std::vector<FebrlRecord>& b, bool dedupe);

struct LinkageResult {
  std::size_t records_a = 0, records_b = 0;
  std::size_t candidate_pairs = 0;
  std::size_t true_pairs = 0;            // all true pairs (ground truth)
  std::size_t true_pairs_in_blocks = 0;  // among the candidates
  std::size_t links = 0, true_links = 0;
  double threshold = 0;
  double expected_f1 = 0;  // the model's own estimate, no ground truth
  int em_iterations = 0;
  double precision = 0, recall = 0, f1 = 0;
  double pairs_completeness = 0;  // true pairs in blocks / true pairs
  double reduction_ratio = 0;     // 1 - candidates / all pairs
  std::string model;              // LinkageModel::Describe()
};

// Blocks, compares, fits the model by EM (no labels), picks the threshold
// with the best expected F1, then scores against the ground truth.
LinkageResult RunFebrlLinkage(const std::vector<FebrlRecord>& a, const std::vector<FebrlRecord>& b, bool dedupe);

}  // namespace ctims::bench
