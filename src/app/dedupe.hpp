#pragma once

// Batch duplicate detection over every person (`ctims dedupe`, issue 8).
//
// Reads every person (protected ones too: this is the operator's command),
// opens their names in memory, computes their phonetic keys and blocks on
// them: two persons become a candidate pair when they share a key that at
// most `max_block` persons carry (more common keys, "somchai" or "nguyen",
// say nothing and would cost quadratic time). The cheap pass (issue 8 §5):
// pairs whose key sets overlap less than `min_key_overlap` (shared keys /
// the keys of the person with fewer) are skipped (they share a given or a
// family name, not a name; on the generated multi-script corpus 0.2 keeps
// 99% of the true pairs that score as duplicates and drops 77% of the other
// pairs sharing a key); the rest are ranked by
// app::PreScore (shared keys, sex and birth-year compatibility, documents)
// and each person is compared with at most `max_candidates_per_person` of
// them (ScorePrepared's best name score, ProbeLevels' agreement levels).
//
// The decision (issue 8 §4) is a Fellegi-Sunter model whose weights are
// estimated from this database's own compared pairs: every compared pair's
// levels are counted by pattern (search::PersonPatternCode), and
// search::PersonMatchModel is fitted by EM on those counts, starting from
// its default parameters. When EM fails or ends implausibly
// (PersonMatchModel::FitProblem: classes swapped, prior not in (0, 0.5), a
// field whose agreement counts against a match) the default parameters are
// kept and the report says why. A pair is proposed when its posterior
// match probability under the model is at least `threshold`; unset, at
// least kReviewProbability (0.1) under a fitted model, or at or above the
// default model's own threshold (posterior 0.5 under its prior of 0.01)
// when the defaults were kept: their probabilities are not calibrated on
// this database, and 0.1 under them floods the queue (demo at 20,000
// persons: 27,818 pairs against 4,602). Why 0.1 and not the fitted
// model's expected-F1 threshold (PersonMatchModel::threshold(), which the
// report also gives): a missed duplicate is never seen again, a wrong
// proposal costs a reviewer a glance; on the generated multi-script corpus
// (bench/dedupe_accuracy) the expected-F1 cut found 0.906 of the true
// pairs at precision 0.977, posterior >= 0.1 finds 0.954 at 0.839 (the
// hand-set score before this model: 0.952 at 0.782). Proposed pairs enter
// the review
// queue (source "batch"; a pair already in the queue keeps its status) with
// the posterior probability as score (0..1, to 0.001) and an explanation
// of codes and numbers: per field its level and weight (log2 m/u), the
// pair's weight, the prior, "model": "fs-em-v1". Nothing is written but
// queue rows and one audit event; no name leaves memory.
//
// Registration-time duplicate checks, referral acceptance and search keep
// ranking with app::ScoreCandidate (person_search.hpp, "names+fields-v1"):
// they see one probe at a time and have no population to fit on.
//
// Each person is opened on `threads` threads (threads that stay for the
// run) and each distinct name text is romanised once per run
// (search::PrepareName); persons sharing a name, or names preparing alike,
// share one prepared name. The pairs are then compared on the prepared
// forms (a few microseconds a pair, where ScoreCandidate romanised both
// names again for every pair; a comparison of two names already compared
// by this thread is remembered), each thread taking the next 64 persons,
// and the proposed pairs are written by this
// thread at the end, in (person_a, person_b) order, 10,000 per write
// transaction (a registration waits for the write lock one such
// transaction at most, not the whole queue; DedupeReport gives the count, so
// write_seconds / write_transactions is that wait).
//
// Memory grows linearly with the number of persons (the probe of each,
// without the names, and its distinct prepared names: 1.73 GiB at peak for
// 1,000,000 demo persons; the blocks: 8 bytes per key; while persons are
// read, each distinct name text), with a fixed 16 MiB per thread of
// remembered name comparisons, with
// the pairs compared (12 bytes each: the two persons and the pattern, kept
// until the model is fitted; 9.4 million pairs, 113 MB, at 1,000,000 demo
// persons) and with the pairs proposed (an explanation each); not with the
// candidate pairs the cheap pass drops.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "app/principal.hpp"
#include "app/record_store.hpp"
#include "core/clock.hpp"
#include "core/status.hpp"
#include "search/linkage.hpp"

namespace ctims::app {

class AuditLog;
class FieldCipher;

inline constexpr double kReviewProbability = 0.1;

struct DedupeOptions {
  // The lowest posterior match probability proposed, in [0, 1]
  // (kInvalidArgument otherwise). Unset: kReviewProbability with a fitted
  // model, the default model's threshold without (see above).
  std::optional<double> threshold;
  std::size_t max_block = 500;
  std::size_t max_candidates_per_person = 20;
  double min_key_overlap = 0.2;
  unsigned threads = 2;
  AuditLog* audit = nullptr;
};

struct DedupeReport {
  std::int64_t persons = 0;
  std::int64_t compared = 0;                     // pairs scored
  std::int64_t skipped = 0;                      // candidate pairs the cheap pass left out
  std::int64_t proposed = 0;                     // pairs at or above the threshold
  std::int64_t inserted = 0;                     // of those, new in the queue
  std::int64_t distinct_names = 0;               // prepared names, each once
  std::int64_t name_comparisons = 0;             // pairs of names compared
  std::int64_t name_comparisons_remembered = 0;  // pairs of names already compared
  // Wall-clock seconds of each phase: opening and preparing the persons,
  // building the blocks, choosing and scoring the pairs, writing the queue.
  double load_seconds = 0;
  double block_seconds = 0;
  double score_seconds = 0;
  double fit_seconds = 0;
  double write_seconds = 0;
  std::int64_t write_transactions = 0;  // the queue's write transactions

  // The model the pairs were decided with: m and u per level of every field
  // of search::PersonMatchModel::Fields(), and the prior. Parameters only,
  // no personal data.
  search::LinkageParams params;
  bool fitted = false;      // false: the default parameters were kept
  std::string fit_problem;  // why not fitted ("" when fitted): FitProblem's code
                            // or Fit's error
  int em_iterations = 0;
  bool em_converged = false;
  double threshold_weight = 0;            // the model's weight threshold
  double threshold_probability = 0;       // the posterior probability at that weight
  std::optional<double> min_probability;  // DedupeOptions::threshold, when set
};

core::Result<DedupeReport> RunDedupe(Store& store, const FieldCipher& cipher, const core::Clock& clock,
                                     const DedupeOptions& options, const Principal& caller);

}  // namespace ctims::app
