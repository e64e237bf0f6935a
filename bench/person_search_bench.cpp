// Person search speed and recall over the encrypted name index (issue 8).
//
//   person_search_bench DB KEY_FILE [QUERIES [MAX_SCORED]]
//
// Draws QUERIES stored persons (spread over the table), makes a query from
// each in three spellings — the name as written, its customary Latin
// spelling (search::LatinKeys, so a Lao name is searched in Latin), and a
// second Latin convention or a one-letter typo — and runs the search path of
// the API without HTTP: candidate retrieval by blind-index tokens (scope
// "all"), opening the candidates, the cheap pre-rank and scoring the best
// MAX_SCORED (app::ScoreShortlist, default app::kMaxScoredCandidates). Prints latency p50/p99 and
// recall within the top 10 per spelling, then the duplicate check of one
// person (all their names and fields as the probe).
//
// "tied" counts the misses where at least 10 other persons score at least
// as high as the very person sought (ScoreCandidate of the query against
// that person): the query cannot tell them apart (namesakes: the demo's
// name lists are small, so at 1,000,000 persons hundreds share a full
// name), and which of them the top 10 shows is chance, not a ranking error.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "app/field_cipher.hpp"
#include "app/person_search.hpp"
#include "app/record_service.hpp"
#include "app/record_service_util.hpp"
#include "core/keyring.hpp"
#include "search/romanize.hpp"
#include "storage/postgres/postgres_store.hpp"
#include "storage/sqlite/sqlite_store.hpp"

namespace {

using namespace ctims;  // NOLINT(google-build-using-namespace): a benchmark program
using nlohmann::json;
using Clock = std::chrono::steady_clock;

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

struct Query {
  std::string text;
  std::string expected;
  const app::PersonProbe* expected_probe = nullptr;  // the person sought
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DB KEY_FILE [QUERIES]\n", argv[0]);
    return 2;
  }
  const std::string db = argv[1];
  const std::size_t wanted = argc > 3 ? static_cast<std::size_t>(std::stoul(argv[3])) : 2000;
  // How many candidates get the full name comparison (app::ScoreShortlist);
  // a large value scores every candidate, as before issue 8 §5.
  const std::size_t max_scored = argc > 4 ? static_cast<std::size_t>(std::stoul(argv[4])) : app::kMaxScoredCandidates;
  auto ring = core::LoadKeyFile(argv[2]);
  if (!ring.ok()) {
    std::fprintf(stderr, "%s\n", ring.status().ToString().c_str());
    return 1;
  }
  core::Result<std::unique_ptr<app::Store>> store = db.starts_with("postgresql://")
                                                        ? storage::postgres::OpenPostgresStore({.conninfo = db})
                                                        : storage::sqlite::OpenSqliteStore({.path = db});
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  app::FieldCipher cipher(*ring);
  const auto& spec = *domain::FindResource("persons");
  const app::TableDef table = app::TableFor(spec);
  app::AccessFilter all;
  all.include_protected = true;

  // Every person's id, then a spread sample of them opened.
  std::vector<app::StoredRecord> sample;
  {
    std::vector<std::string> ids;
    app::ListQuery q;
    q.limit = 5000;
    q.access = all;
    auto tx = (*store)->Begin(app::TxMode::kRead);
    for (;;) {
      auto page = (*tx)->List(table, q);
      if (!page.ok()) return 1;
      for (const auto& r : *page) ids.push_back(r.id);
      if (page->size() < q.limit) break;
      q.after_id = page->back().id;
    }
    const std::size_t step = std::max<std::size_t>(1, ids.size() / wanted);
    for (std::size_t i = 0; i < ids.size() && sample.size() < wanted; i += step) {
      auto r = (*tx)->Get(table, ids[i]);
      if (r.ok() && *r) sample.push_back(**r);
    }
    std::printf("persons: %zu, sampled: %zu\n", ids.size(), sample.size());
  }
  std::vector<Query> as_written, latin, variant;
  std::vector<json> probes;
  std::vector<app::PersonProbe> sought;
  sought.reserve(sample.size());  // Query points into it
  for (const auto& r : sample) {
    auto fields = app::detail::Fields(spec, table, r, &cipher);
    if (!fields.ok()) return 1;
    const auto forms = app::PersonNameForms(*fields);
    if (forms.empty()) continue;
    probes.push_back(*fields);
    sought.push_back(app::ProbeOf(*fields));
    const app::PersonProbe* person = &sought.back();
    as_written.push_back({forms[0], r.id, person});
    const auto keys = search::LatinKeys(forms[0]);
    if (keys.empty()) continue;
    latin.push_back({keys[0], r.id, person});
    std::string v = keys.size() > 1 ? keys[1] : keys[0];
    if (keys.size() == 1 && v.size() > 4) v.erase(v.size() / 2, 1);  // a typo
    variant.push_back({v, r.id, person});
  }

  // For bench/trigram_compare.sh: every person's Latin names and the Latin
  // queries, in plaintext, into files of a throwaway directory (the
  // comparison loads them into pg_trgm and SQLite FTS5 tables).
  if (const char* dir = std::getenv("BENCH_EXPORT_DIR"); dir != nullptr && *dir != '\0') {
    std::FILE* names = std::fopen((std::string(dir) + "/names.tsv").c_str(), "w");
    std::FILE* queries = std::fopen((std::string(dir) + "/queries.tsv").c_str(), "w");
    if (names == nullptr || queries == nullptr) return 1;
    app::ListQuery q;
    q.limit = 5000;
    q.access = all;
    auto tx = (*store)->Begin(app::TxMode::kRead);
    for (;;) {
      auto page = (*tx)->List(table, q);
      if (!page.ok()) return 1;
      for (const auto& r : *page) {
        auto fields = app::detail::Fields(spec, table, r, &cipher);
        if (!fields.ok()) return 1;
        for (const auto& n : fields->value("prs_LatinNames", json::array())) {
          if (n.is_string()) std::fprintf(names, "%s\t%s\n", r.id.c_str(), n.get<std::string>().c_str());
        }
      }
      if (page->size() < q.limit) break;
      q.after_id = page->back().id;
    }
    for (const auto* set : {&latin, &variant}) {
      for (const auto& query : *set) {
        std::fprintf(queries, "%s\t%s\t%s\n", set == &latin ? "latin" : "variant", query.text.c_str(),
                     query.expected.c_str());
      }
    }
    std::fclose(names);
    std::fclose(queries);
  }

  auto run = [&](const char* label, const std::vector<Query>& queries) {
    std::vector<double> ms;
    std::size_t hits = 0;
    std::size_t tied = 0;
    for (const auto& q : queries) {
      const auto start = Clock::now();
      auto tx = (*store)->Begin(app::TxMode::kRead);
      // As GET /persons/search without filters: only the candidates that can
      // be scored are opened.
      app::CandidateOptions retrieval;
      retrieval.max_candidates = std::clamp(max_scored, std::size_t{1}, retrieval.max_candidates);
      auto found = app::RetrieveCandidates(**tx, table, *ring, app::NameKeysOf({q.text}), all, retrieval);
      if (!found.ok()) return;
      app::PersonProbe probe;
      probe.names = {q.text};
      std::vector<app::PersonProbe> candidates;
      std::vector<int> shared;
      std::vector<const std::string*> ids;
      for (const auto& hit : *found) {
        auto fields = app::detail::Fields(spec, table, hit.record, &cipher);
        if (!fields.ok()) continue;
        candidates.push_back(app::ProbeOf(*fields));
        shared.push_back(hit.shared);
        ids.push_back(&hit.record.id);
      }
      const auto ranked = app::ScoreShortlist(probe, candidates, shared, max_scored);
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      bool hit = false;
      for (std::size_t i = 0; i < ranked.size() && i < 10; ++i) {
        hit = hit || (ranked[i].score.score >= 0.6 && *ids[ranked[i].index] == q.expected);
      }
      if (hit) {
        ++hits;
      } else if (ranked.size() >= 10) {
        const double own = app::ScoreCandidate(probe, *q.expected_probe).score;
        std::size_t as_good = 0;
        for (const auto& r : ranked) as_good += r.score.score >= own && *ids[r.index] != q.expected ? 1 : 0;
        tied += own >= 0.6 && as_good >= 10 ? 1 : 0;
      }
    }
    const double n = queries.empty() ? 1.0 : static_cast<double>(queries.size());
    std::printf("| %-28s | %6zu | %8.2f | %8.2f | %6.3f | %6zu | %9.3f |\n", label, queries.size(), Percentile(ms, 0.5),
                Percentile(ms, 0.99), static_cast<double>(hits) / n, tied, static_cast<double>(hits + tied) / n);
  };
  std::printf("| query                        | n      | p50 ms   | p99 ms   | recall@10 | tied   | hit or tied |\n");
  std::printf("|------------------------------|--------|----------|----------|--------|--------|-----------|\n");
  run("name as written", as_written);
  run("customary Latin spelling", latin);
  run("other convention or typo", variant);

  // Duplicate check: one person's names and fields against the index.
  std::vector<double> ms;
  std::size_t proposed = 0;
  for (const auto& p : probes) {
    const auto start = Clock::now();
    auto tx = (*store)->Begin(app::TxMode::kRead);
    const app::PersonProbe probe = app::ProbeOf(p);
    auto found = app::RetrieveCandidates(**tx, table, *ring, app::NameKeysOf(probe.names), all);
    if (!found.ok()) return 1;
    std::vector<app::PersonProbe> candidates;
    std::vector<int> shared;
    for (const auto& hit : *found) {
      auto fields = app::detail::Fields(spec, table, hit.record, &cipher);
      if (!fields.ok()) continue;
      candidates.push_back(app::ProbeOf(*fields));
      shared.push_back(hit.shared);
    }
    for (const auto& s : app::ScoreShortlist(probe, candidates, shared, max_scored)) {
      if (s.score.score >= 0.85) ++proposed;
    }
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::printf("| %-28s | %6zu | %8.2f | %8.2f |   -    |   -    |     -     |\n", "duplicate check of a person",
              probes.size(), Percentile(ms, 0.5), Percentile(ms, 0.99));
  std::printf("duplicate check: %zu proposals at >= 0.85 for %zu persons (the person itself included)\n", proposed,
              probes.size());
  return 0;
}
