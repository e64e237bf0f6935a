// Multi-script recall bench (issue 8): a generated corpus of made-up persons
// (search/name_corpus.hpp), each written in its native script and in several
// Latin spellings (agencies' conventions, swapped order, joined words, typos);
// recall within the top 10 per script, Latin query -> native record and
// native query -> Latin record. Prints a table.
//
//   multiscript_recall [PERSONS_PER_SCRIPT [VARIANTS [THREADS]]]
//
// Exits 2 when a script's recall is below 0.95 in either direction.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "search/name_corpus.hpp"

int main(int argc, char** argv) {
  const std::size_t persons = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 5000;
  const std::size_t variants = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 4;
  const unsigned threads = argc > 3 ? static_cast<unsigned>(std::strtoul(argv[3], nullptr, 10)) : 2;
  const auto t0 = std::chrono::steady_clock::now();
  const auto corpus = ctims::search::GenerateNameCorpus(persons, variants, 8);
  const auto rows = ctims::search::MeasureRecall(corpus, 10, threads);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("corpus: %zu persons (%zu per script), %zu Latin variants each, seed 8\n\n", corpus.size(), persons,
              variants);
  std::printf("| script     | Latin -> native queries | recall@10 | native -> Latin queries | recall@10 |\n");
  std::printf("|------------|-------------------------|-----------|-------------------------|-----------|\n");
  bool ok = true;
  std::size_t lq = 0, lh = 0, nq = 0, nh = 0;
  for (const auto& r : rows) {
    std::printf("| %-10s | %23zu | %9.4f | %23zu | %9.4f |\n", ctims::search::CorpusScriptName(r.script),
                r.latin_queries, r.LatinRecall(), r.native_queries, r.NativeRecall());
    ok = ok && r.LatinRecall() >= 0.95 && r.NativeRecall() >= 0.95;
    lq += r.latin_queries;
    lh += r.latin_hits;
    nq += r.native_queries;
    nh += r.native_hits;
  }
  std::printf("| all        | %23zu | %9.4f | %23zu | %9.4f |\n", lq, static_cast<double>(lh) / lq, nq,
              static_cast<double>(nh) / nq);
  std::printf("\n%.1f s (index, %zu queries, %u threads); target recall@10 >= 0.95 per script: %s\n", seconds, lq + nq,
              threads, ok ? "met" : "MISSED");
  return ok ? 0 : 2;
}
