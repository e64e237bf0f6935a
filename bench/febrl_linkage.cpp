// FEBRL accuracy bench (issue 8): dataset4a x dataset4b linkage and dataset3
// deduplication with the project's Fellegi-Sunter model fitted by EM (no
// labels); the ground truth from rec_id scores the result. Prints a table.
//
//   febrl_linkage [DIR]     DIR defaults to ../shared/data/febrl
//
// Exits 1 when a file cannot be read, 2 when a target is missed
// (linkage F1 >= 0.95, deduplication F1 >= 0.90).

#include <csv.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "febrl_linkage_lib.hpp"

namespace {

using ctims::bench::FebrlRecord;

struct CsvState {
  std::vector<std::string> row;
  std::vector<std::vector<std::string>> rows;
};

void OnField(void* data, std::size_t len, void* state) {
  static_cast<CsvState*>(state)->row.emplace_back(static_cast<const char*>(data), len);
}

void OnRow(int /*terminator*/, void* state) {
  auto* s = static_cast<CsvState*>(state);
  s->rows.push_back(std::move(s->row));
  s->row.clear();
}

// Reads a FEBRL file (", "-separated: libcsv trims the blanks around
// unquoted fields). Returns false when the file cannot be read or parsed.
bool ReadFebrl(const std::string& path, std::vector<FebrlRecord>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  csv_parser parser{};
  if (csv_init(&parser, CSV_STRICT) != 0) return false;
  CsvState state;
  const bool parsed = csv_parse(&parser, text.data(), text.size(), OnField, OnRow, &state) == text.size() &&
                      csv_fini(&parser, OnField, OnRow, &state) == 0;
  csv_free(&parser);
  if (!parsed || state.rows.empty()) return false;
  for (std::size_t i = 1; i < state.rows.size(); ++i) {  // row 0 is the header
    auto& f = state.rows[i];
    if (f.size() != 11) return false;
    FebrlRecord r{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10]};
    r.entity = ctims::bench::EntityOf(r.rec_id);
    if (r.entity < 0) return false;
    out.push_back(std::move(r));
  }
  return true;
}

void PrintRow(const char* task, const ctims::bench::LinkageResult& r, double seconds) {
  std::printf(
      "| %-22s | %5zu x %5zu | %9zu | %6zu | %6zu | %6zu | %9.4f | %6.4f | %6.4f | %6.4f | %6.4f | %8.6f | %4.1f |\n",
      task, r.records_a, r.records_b, r.candidate_pairs, r.true_pairs, r.links, r.true_links, r.precision, r.recall,
      r.f1, r.expected_f1, r.pairs_completeness, r.reduction_ratio, seconds);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "../shared/data/febrl";
  std::vector<FebrlRecord> d4a;
  std::vector<FebrlRecord> d4b;
  std::vector<FebrlRecord> d3;
  for (auto [name, records] : {std::pair{"dataset4a.csv", &d4a}, {"dataset4b.csv", &d4b}, {"dataset3.csv", &d3}}) {
    if (!ReadFebrl(dir + "/" + name, *records)) {
      std::fprintf(stderr, "febrl_linkage: cannot read %s/%s\n", dir.c_str(), name);
      return 1;
    }
  }
  std::printf(
      "| task                   | records       | candidates | true   | links  | true   | precision | recall | F1     "
      "| exp.F1 | PC     | RR       | s    |\n");
  std::printf(
      "|------------------------|---------------|-----------|--------|--------|--------|-----------|--------|--------"
      "|--------|--------|----------|------|\n");
  auto time = [](auto&& fn) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = fn();
    return std::pair{r, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
  };
  const auto [link, link_s] = time([&] { return ctims::bench::RunFebrlLinkage(d4a, d4b, false); });
  PrintRow("dataset4a x dataset4b", link, link_s);
  const auto [dedup, dedup_s] = time([&] { return ctims::bench::RunFebrlLinkage(d3, d3, true); });
  PrintRow("dataset3 deduplication", dedup, dedup_s);
  std::printf("\nEM-fitted model, linkage:\n%s\nEM-fitted model, deduplication:\n%s", link.model.c_str(),
              dedup.model.c_str());
  const bool ok = link.f1 >= 0.95 && dedup.f1 >= 0.90;
  std::printf("\ntargets (linkage F1 >= 0.95, deduplication F1 >= 0.90): %s\n", ok ? "met" : "MISSED");
  return ok ? 0 : 2;
}
