// Dedupe accuracy bench (issue 8 §4): `ctims dedupe` (app::RunDedupe, default
// options) over persons registered from the generated multi-script corpus
// (search/name_corpus.hpp), with the ground truth of which records are the
// same person. Each corpus person becomes several person records, as
// different agencies would register them: one in the native script, the
// others under a Latin spelling (the customary one, then the corpus'
// variants: other conventions, swapped or joined words, typos). Sex, birth
// date or estimated age, citizenship and a passport number are drawn per
// person and then degraded per record the way registers differ (dates
// estimated or missing, a year off, a field left empty, another document).
// Prints pairs completeness and precision of the review queue, per script
// and overall.
//
//   dedupe_accuracy write DIR [PERSONS_PER_SCRIPT [RECORDS_PER_PERSON [SEED]]]
//       DIR/d.db (SQLite), DIR/k.key, DIR/truth.tsv (record id, person, script)
//   ctims dedupe --db DIR/d.db --key-file DIR/k.key      (any build of ctims)
//   dedupe_accuracy score DIR
//
// Two steps around the command so that two builds of `ctims dedupe` are
// measured on the same database (copy DIR first). Fictional data only.

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "app/field_cipher.hpp"
#include "app/record_service.hpp"
#include "app/record_service_util.hpp"
#include "core/clock.hpp"
#include "core/id.hpp"
#include "core/keyring.hpp"
#include "search/name_corpus.hpp"
#include "storage/sqlite/sqlite_store.hpp"

namespace {

using ctims::search::CorpusPerson;
using nlohmann::json;

// SplitMix64: the same draws on every machine.
struct Rng {
  std::uint64_t state;
  std::uint64_t Next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int Below(int n) { return static_cast<int>(Next() % static_cast<std::uint64_t>(n)); }
  bool Chance(int percent) { return Below(100) < percent; }
};

const char* CountryOf(ctims::search::CorpusScript script) {
  switch (script) {
    case ctims::search::CorpusScript::kLao: return "LAO";
    case ctims::search::CorpusScript::kThai: return "THA";
    case ctims::search::CorpusScript::kBurmese: return "MMR";
    case ctims::search::CorpusScript::kKhmer: return "KHM";
    case ctims::search::CorpusScript::kChinese: return "CHN";
    case ctims::search::CorpusScript::kVietnamese: return "VNM";
  }
  return "XX";
}

std::string Date(int year, int month, int day) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

// Record `r` (0: native script) of corpus person `p`.
json RecordOf(const CorpusPerson& p, std::size_t r, Rng& person_rng, std::uint64_t seed) {
  // The person's true attributes: drawn from the person's own stream so that
  // every record of the person sees the same ones.
  Rng truth{person_rng.state};
  const bool female = truth.Chance(50);
  const int year = 1965 + truth.Below(45);
  const int month = 1 + truth.Below(12);
  const int day = 1 + truth.Below(28);
  const bool has_passport = truth.Chance(35);
  const std::string passport = "P" + std::to_string(1000000 + truth.Below(8999999));
  // This record's degradations.
  Rng rec{seed ^ (p.id * 1000003ULL + r * 7919ULL + 17)};
  json person = json::object();
  if (r == 0) {
    person["prs_FirstName"] = p.native;
  } else {
    const std::string& latin = r == 1 || p.variants.empty() ? p.latin : p.variants[(r - 2) % p.variants.size()];
    person["prs_LatinNames"] = json::array({latin});
  }
  // Sex left out on one record in ten, mistyped on one in fifty.
  if (!rec.Chance(10)) person["prs_Sex"] = female != rec.Chance(2) ? "Female" : "Male";
  const int birth = rec.Below(100);
  if (birth < 45) {
    person["prs_Birthdate"] = Date(year, month, day);
  } else if (birth < 55) {
    // A typo in the day or month.
    person["prs_Birthdate"] = Date(year, 1 + rec.Below(12), 1 + rec.Below(28));
  } else if (birth < 85) {
    // Age estimated at registration, one year off now and then.
    const int on = 2020 + rec.Below(5);
    person["prs_EstimatedAge"] = on - year + (rec.Chance(30) ? (rec.Chance(50) ? 1 : -1) : 0);
    person["prs_AgeEstimatedOn"] = Date(on, 6, 1);
  }
  if (!rec.Chance(20)) person["prs_Citizenship"] = json::array({CountryOf(p.script)});
  if (has_passport && rec.Chance(60)) {
    person["prs_IdentityDocuments"] = json::array({{{"doc_Type", "Passport"}, {"doc_Number", passport}}});
  } else if (rec.Chance(20)) {
    // Another document of the person (an ID card): a number no other record has.
    person["prs_IdentityDocuments"] = json::array(
        {{{"doc_Type", "NationalId"}, {"doc_Number", "N" + std::to_string(p.id) + "-" + std::to_string(r)}}});
  }
  return person;
}

namespace app = ctims::app;
namespace core = ctims::core;

int Write(const std::filesystem::path& dir, std::size_t per_script, std::size_t records, std::uint64_t seed) {
  std::filesystem::create_directories(dir);
  const std::string key_file = (dir / "k.key").string();
  if (auto s = core::InitKeyFile(key_file); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  auto ring = core::LoadKeyFile(key_file);
  auto store = ctims::storage::sqlite::OpenSqliteStore({.path = (dir / "d.db").string()});
  if (!ring.ok() || !store.ok() || !(*store)->Migrate().ok()) {
    std::fprintf(stderr, "cannot set up the database\n");
    return 1;
  }
  app::FieldCipher cipher(*ring);
  const auto& spec = *ctims::domain::FindResource("persons");
  const app::TableDef table = app::TableFor(spec);
  const auto corpus = ctims::search::GenerateNameCorpus(per_script, records, seed);
  std::ofstream truth(dir / "truth.tsv");
  const std::string now = core::FormatTimestamp(core::SystemClock().Now());
  std::vector<app::StoredRecord> batch;
  for (const CorpusPerson& p : corpus) {
    Rng person_rng{seed * 0x100000001b3ULL + p.id};
    for (std::size_t r = 0; r < records; ++r) {
      const std::string id = core::NewId();
      auto stored = app::detail::ToStored(spec, table, RecordOf(p, r, person_rng, seed), id, &cipher);
      if (!stored.ok()) {
        std::fprintf(stderr, "%s\n", stored.status().ToString().c_str());
        return 1;
      }
      stored->version = 1;
      stored->created_at = stored->updated_at = now;
      batch.push_back(std::move(*stored));
      truth << id << '\t' << p.id << '\t' << static_cast<int>(p.script) << '\n';
    }
  }
  auto tx = (*store)->Begin(app::TxMode::kWrite);
  core::Status written = tx.ok() ? (*tx)->InsertMany(table, batch) : tx.status();
  if (written.ok()) written = (*tx)->Commit();
  if (!written.ok()) {
    std::fprintf(stderr, "cannot write the persons: %s\n", written.ToString().c_str());
    return 1;
  }
  std::printf("corpus: %zu persons (%zu per script), %zu records each (native + Latin spellings), seed %llu\n",
              corpus.size(), per_script, records, static_cast<unsigned long long>(seed));
  return 0;
}

int Score(const std::filesystem::path& dir) {
  std::map<std::string, std::pair<std::size_t, std::size_t>> owner;  // record id -> (person, script)
  std::map<std::size_t, std::size_t> records_of;                     // person -> records
  {
    std::ifstream truth(dir / "truth.tsv");
    std::string id;
    std::size_t person = 0;
    std::size_t script = 0;
    while (truth >> id >> person >> script) {
      owner[id] = {person, script};
      ++records_of[person];
    }
  }
  auto store = ctims::storage::sqlite::OpenSqliteStore({.path = (dir / "d.db").string()});
  if (!store.ok() || owner.empty()) {
    std::fprintf(stderr, "no database or truth in %s\n", dir.c_str());
    return 1;
  }
  std::vector<app::DuplicatePair> queue;
  {
    auto tx = (*store)->Begin(app::TxMode::kRead);
    if (!tx.ok()) return 1;
    std::string after;
    for (;;) {
      auto page = (*tx)->ListDuplicatePairs("", after, 1000);
      if (!page.ok() || page->empty()) break;
      after = page->back().id;
      queue.insert(queue.end(), page->begin(), page->end());
    }
  }
  struct Row {
    std::size_t truth = 0, proposed = 0, right = 0;
  };
  std::vector<Row> rows(ctims::search::kCorpusScriptCount + 1);
  std::map<std::size_t, std::size_t> script_of;
  for (const auto& [id, ps] : owner) script_of[ps.first] = ps.second;
  for (const auto& [person, n] : records_of) rows[script_of[person]].truth += n * (n - 1) / 2;
  for (const auto& pair : queue) {
    const auto a = owner.at(pair.person_a);
    const auto b = owner.at(pair.person_b);
    // A pair across scripts counts against the first person's script.
    Row& row = rows[a.second];
    ++row.proposed;
    if (a.first == b.first) ++row.right;
  }
  Row& all = rows.back();
  for (std::size_t s = 0; s < ctims::search::kCorpusScriptCount; ++s) {
    all.truth += rows[s].truth;
    all.proposed += rows[s].proposed;
    all.right += rows[s].right;
  }
  std::printf("| script     | true pairs | proposed | true proposed | pairs completeness | precision |\n");
  std::printf("|------------|------------|----------|---------------|--------------------|-----------|\n");
  for (std::size_t s = 0; s <= ctims::search::kCorpusScriptCount; ++s) {
    const Row& r = rows[s];
    const char* name = s < ctims::search::kCorpusScriptCount
                           ? ctims::search::CorpusScriptName(static_cast<ctims::search::CorpusScript>(s))
                           : "all";
    std::printf("| %-10s | %10zu | %8zu | %13zu | %18.4f | %9.4f |\n", name, r.truth, r.proposed, r.right,
                r.truth ? static_cast<double>(r.right) / static_cast<double>(r.truth) : 0.0,
                r.proposed ? static_cast<double>(r.right) / static_cast<double>(r.proposed) : 0.0);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 2 ? argv[1] : "";
  if (mode == "write") {
    const std::size_t per_script = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 300;
    const std::size_t records = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 3;
    const std::uint64_t seed = argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 8;
    if (records < 2) {
      std::fprintf(stderr, "RECORDS_PER_PERSON must be at least 2\n");
      return 2;
    }
    return Write(argv[2], per_script, records, seed);
  }
  if (mode == "score") return Score(argv[2]);
  std::fprintf(stderr, "usage: %s write DIR [PERSONS_PER_SCRIPT [RECORDS [SEED]]] | score DIR\n", argv[0]);
  return 2;
}
