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
// them by app::ScoreCandidate. Pairs scoring at least `threshold` enter the
// review queue (source "batch"; a pair already in the queue keeps its
// status). Nothing is written but queue rows and one audit event; no name
// leaves memory.
//
// Each person is opened and its names romanised once per run
// (PrepareProbe, on `threads` threads); the pairs are then compared on the
// prepared forms (ScorePrepared: a few microseconds a pair, where
// ScoreCandidate romanised both names again for every pair), each thread
// taking the next 64 persons, and the proposed pairs are written by this
// thread at the end, in (person_a, person_b) order, 10,000 per write
// transaction (a registration waits for the write lock one such
// transaction at most, not the whole queue; DedupeReport gives the count, so
// write_seconds / write_transactions is that wait).
//
// Memory grows linearly with the number of persons (the prepared probe of
// each, without the names: about 1-2 KB; the blocks: 8 bytes per key) and
// with the pairs proposed (an explanation each); not with the candidate
// pairs, which are generated and dropped person by person.

#include <cstddef>
#include <cstdint>

#include "app/principal.hpp"
#include "app/record_store.hpp"
#include "core/clock.hpp"
#include "core/status.hpp"

namespace ctims::app {

class AuditLog;
class FieldCipher;

struct DedupeOptions {
  double threshold = 0.85;
  std::size_t max_block = 500;
  std::size_t max_candidates_per_person = 20;
  double min_key_overlap = 0.2;
  unsigned threads = 2;
  AuditLog* audit = nullptr;
};

struct DedupeReport {
  std::int64_t persons = 0;
  std::int64_t compared = 0;  // pairs scored
  std::int64_t skipped = 0;   // candidate pairs the cheap pass left out
  std::int64_t proposed = 0;  // pairs at or above the threshold
  std::int64_t inserted = 0;  // of those, new in the queue
  // Wall-clock seconds of each phase: opening and preparing the persons,
  // building the blocks, choosing and scoring the pairs, writing the queue.
  double load_seconds = 0;
  double block_seconds = 0;
  double score_seconds = 0;
  double write_seconds = 0;
  std::int64_t write_transactions = 0;  // the queue's write transactions
};

core::Result<DedupeReport> RunDedupe(Store& store, const FieldCipher& cipher, const core::Clock& clock,
                                     const DedupeOptions& options, const Principal& caller);

}  // namespace ctims::app
