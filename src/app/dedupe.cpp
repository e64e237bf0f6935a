#include "app/dedupe.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "app/audit_log.hpp"
#include "app/field_cipher.hpp"
#include "app/person_search.hpp"
#include "app/record_service.hpp"
#include "app/record_service_util.hpp"
#include "core/id.hpp"

namespace ctims::app {
using core::Result;
using core::Status;
using nlohmann::json;

namespace {

struct Person {
  std::string id;
  PersonProbe probe;
  std::vector<std::uint32_t> keys;  // interned
};

// A proposed pair: the score and its explanation (codes and numbers), not
// the reason (it quotes names and nothing here shows it).
struct Found {
  std::uint32_t a;
  std::uint32_t b;
  double score;
  std::string explanation;
};

}  // namespace

Result<DedupeReport> RunDedupe(Store& store, const FieldCipher& cipher, const core::Clock& clock,
                               const DedupeOptions& options, const Principal& caller) {
  const auto* spec = domain::FindResource("persons");
  if (spec == nullptr) return Status::Internal("no persons resource");
  const TableDef table = TableFor(*spec);
  DedupeReport report;

  // 1. Every person's probe and keys.
  std::vector<Person> persons;
  std::unordered_map<std::string, std::uint32_t> key_ids;
  {
    ListQuery query;
    query.limit = 1000;
    query.access = AccessFilter{};
    query.access->include_protected = true;
    // Merged persons (issue 8 §4) are not compared: their names now find the kept one.
    query.filters.push_back({Filter::Kind::kColumnIsNull, "merged_into", ""});
    for (;;) {
      std::vector<StoredRecord> page;
      {
        CTIMS_ASSIGN_OR_RETURN(auto tx, store.Begin(TxMode::kRead));
        CTIMS_ASSIGN_OR_RETURN(page, tx->List(table, query));
      }
      std::vector<Person> batch(page.size());
      std::vector<std::vector<std::string>> batch_keys(page.size());
      std::atomic<std::size_t> next{0};
      std::atomic<bool> failed{false};
      auto work = [&] {
        for (std::size_t i = next++; i < page.size(); i = next++) {
          auto fields = detail::Fields(*spec, table, page[i], &cipher);
          if (!fields.ok()) {
            failed = true;
            continue;
          }
          batch[i].id = page[i].id;
          batch[i].probe = ProbeOf(*fields);
          batch_keys[i] = NameKeysOf(batch[i].probe.names);
        }
      };
      std::vector<std::thread> pool;
      for (unsigned t = 1; t < std::max(1u, options.threads); ++t) pool.emplace_back(work);
      work();
      for (auto& t : pool) t.join();
      if (failed) return Status::Internal("a person's fields do not open");
      for (std::size_t i = 0; i < batch.size(); ++i) {
        for (const auto& k : batch_keys[i]) {
          auto [it, inserted] = key_ids.emplace(k, static_cast<std::uint32_t>(key_ids.size()));
          batch[i].keys.push_back(it->second);
        }
        persons.push_back(std::move(batch[i]));
      }
      if (page.size() < query.limit) break;
      query.after_id = page.back().id;
    }
  }
  report.persons = static_cast<std::int64_t>(persons.size());

  // 2. Blocks: the persons of each key, keys carried by too many skipped.
  std::vector<std::vector<std::uint32_t>> blocks(key_ids.size());
  key_ids.clear();
  for (std::uint32_t i = 0; i < persons.size(); ++i) {
    for (std::uint32_t k : persons[i].keys) blocks[k].push_back(i);
  }

  // 3. Each person against its best partners after it (each pair once): the
  // cheap pass (shared keys of blocks small enough, their overlap, PreScore)
  // picks at most max_candidates_per_person, and only those are compared by
  // name (ScoreCandidate).
  std::vector<std::vector<Found>> found(std::max(1u, options.threads));
  std::atomic<std::int64_t> compared{0};
  std::atomic<std::int64_t> skipped{0};
  std::atomic<std::uint32_t> next{0};
  auto work = [&](unsigned slot) {
    std::unordered_map<std::uint32_t, int> shared;
    struct Partner {
      double pre;
      std::uint32_t j;
    };
    std::vector<Partner> ranked;
    for (std::uint32_t i = next++; i < persons.size(); i = next++) {
      shared.clear();
      for (std::uint32_t k : persons[i].keys) {
        const auto& block = blocks[k];
        if (block.size() < 2 || block.size() > options.max_block) continue;
        for (std::uint32_t j : block) {
          if (j > i) ++shared[j];
        }
      }
      ranked.clear();
      for (const auto& [j, c] : shared) {
        // Overlap of the two key sets (shared / the smaller set): a given or
        // a family name alone shares a few of a person's keys, two spellings
        // of one name most of the smaller set (however many other names the
        // other person has).
        const double overlap =
            c / static_cast<double>(std::max<std::size_t>(1, std::min(persons[i].keys.size(), persons[j].keys.size())));
        if (overlap < options.min_key_overlap) {
          ++skipped;
          continue;
        }
        ranked.push_back({PreScore(persons[i].probe, persons[j].probe, c) + overlap, j});
      }
      const std::size_t keep = std::min(ranked.size(), options.max_candidates_per_person);
      std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep), ranked.end(),
                        [](const Partner& x, const Partner& y) { return x.pre != y.pre ? x.pre > y.pre : x.j < y.j; });
      skipped += static_cast<std::int64_t>(ranked.size() - keep);
      for (std::size_t r = 0; r < keep; ++r) {
        const std::uint32_t j = ranked[r].j;
        CandidateScore s = ScoreCandidate(persons[i].probe, persons[j].probe);
        ++compared;
        if (s.score >= options.threshold) found[slot].push_back({i, j, s.score, std::move(s.explanation)});
      }
    }
  };
  {
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < std::max(1u, options.threads); ++t) pool.emplace_back(work, t);
    work(0);
    for (auto& t : pool) t.join();
  }
  report.skipped = skipped;
  report.compared = compared;

  // 4. The queue, 500 pairs per write transaction.
  const std::string now = core::FormatTimestamp(clock.Now());
  std::vector<DuplicatePair> pairs;
  for (auto& slot : found) {
    for (auto& f : slot) {
      DuplicatePair p;
      p.id = core::NewId(clock);
      p.person_a = std::min(persons[f.a].id, persons[f.b].id);
      p.person_b = std::max(persons[f.a].id, persons[f.b].id);
      p.score = std::round(f.score * 1000) / 1000;
      p.explanation = std::move(f.explanation);
      p.source = "batch";
      p.created_at = now;
      pairs.push_back(std::move(p));
    }
  }
  report.proposed = static_cast<std::int64_t>(pairs.size());
  for (std::size_t start = 0; start < pairs.size(); start += 500) {
    CTIMS_ASSIGN_OR_RETURN(auto tx, store.Begin(TxMode::kWrite));
    for (std::size_t i = start; i < std::min(pairs.size(), start + 500); ++i) {
      CTIMS_ASSIGN_OR_RETURN(bool inserted, tx->InsertDuplicatePair(pairs[i]));
      report.inserted += inserted ? 1 : 0;
    }
    CTIMS_RETURN_IF_ERROR(tx->Commit());
  }
  if (options.audit != nullptr) {
    AuditEvent e;
    e.user_id = caller.user_id;
    e.role = caller.role.code;
    e.agency_id = caller.agency_id;
    e.client_ip = caller.client_ip;
    e.action = "dedupe";
    e.resource = "person-duplicates";
    e.outcome = "ok";
    CTIMS_RETURN_IF_ERROR(options.audit->Record(e));
  }
  return report;
}

}  // namespace ctims::app
