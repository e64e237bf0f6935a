#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ctims::search {

// A deterministic multi-script test corpus of made-up persons (issue 8,
// part 5): each person's name in its native script and in several Latin
// spellings as different agencies write it, with the ground truth. Names are
// built from the project's own inventories of syllables typical of each
// language's names, each with its customary Latin spellings (so the Latin
// side does not come from the romaniser under test). No real person is meant.

enum class CorpusScript { kLao, kThai, kBurmese, kKhmer, kChinese, kVietnamese };
inline constexpr std::size_t kCorpusScriptCount = 6;
const char* CorpusScriptName(CorpusScript script);  // "lao", "thai", ...

struct CorpusPerson {
  std::size_t id = 0;
  CorpusScript script = CorpusScript::kLao;
  std::string native;  // native script as a native agency writes it, words in native order
  std::string latin;   // customary Latin spelling, words in native order
  // Other Latin spellings of the same name: alternative romanisations
  // (ph/p/f, th/t, kh/k, ou/u/oo, x/s, ck/k, v/w, doubled letters), words
  // joined or split, given and family name swapped, upper-case family
  // name, and some with one typo (one edit). Distinct from `latin`.
  std::vector<std::string> variants;
};

// `persons_per_script` persons of every script (ids 0..n-1, scripts
// interleaved), `variants_per_person` Latin variants each. Native names are
// distinct within a script. The same arguments give the same corpus on every
// run and machine (own PRNG and draws, no std distributions).
std::vector<CorpusPerson> GenerateNameCorpus(std::size_t persons_per_script, std::size_t variants_per_person,
                                             std::uint64_t seed);

// One made-up person's name of `script` for generated demo data (`ctims
// demo`): drawn from the same syllable inventories as the corpus, so the
// Latin side is the customary spelling each syllable is listed with, not the
// romaniser's output. Given and family names are combined freely, so exact
// repeats of a full name are rare (as in a real caseload) rather than the
// rule. `female` picks the middle name where it marks sex (Vietnamese
// Thị/Ngọc, Văn/Đức/Hữu). Burmese names have no family name: the whole name
// is the given name (`family_*` empty). Native words of Burmese and Chinese
// names are written solid. The same arguments give the same name on every
// run and machine. Thread-safe.
struct MadeUpName {
  std::string given_native;   // Vietnamese: without the middle name
  std::string middle_native;  // Vietnamese only, else empty
  std::string family_native;  // empty for Burmese
  std::string given_latin;    // customary spelling, capitalised words
  std::string middle_latin;
  std::string family_latin;
  bool family_first = false;  // Chinese, Vietnamese, Khmer: family name written first
};
MadeUpName MakeUpName(CorpusScript script, bool female, std::uint64_t seed);

// An in-memory name index for the recall measurement: names indexed by their
// FuzzyKeys; a query gathers the records sharing a key, keeps the
// `shortlist` with the highest summed key rarity (inverse document
// frequency), and ranks those by MatchNames. Not thread-safe to Add; Search
// is const and thread-safe.
class NameIndex {
 public:
  void Add(std::size_t id, std::string_view name);
  // Call once after the last Add and before Search.
  void Finish();
  // The best `k` record ids with their MatchNames scores, best first (ties by
  // id).
  std::vector<std::pair<std::size_t, double>> Search(std::string_view query, std::size_t k,
                                                     std::size_t shortlist = 100) const;
  std::size_t size() const { return names_.size(); }

 private:
  std::vector<std::string> names_;
  std::vector<std::size_t> ids_;
  std::vector<std::pair<std::string, std::size_t>> postings_;  // (key, record index), sorted by Finish()
};

struct RecallRow {
  CorpusScript script = CorpusScript::kLao;
  std::size_t latin_queries = 0;  // Latin variant -> record indexed by its native name
  std::size_t latin_hits = 0;
  std::size_t native_queries = 0;  // native name -> record indexed by one Latin variant
  std::size_t native_hits = 0;
  double LatinRecall() const { return latin_queries ? static_cast<double>(latin_hits) / latin_queries : 0; }
  double NativeRecall() const { return native_queries ? static_cast<double>(native_hits) / native_queries : 0; }
};

// Recall within the top `k`, per script, in both directions: every Latin
// variant (and the customary spelling) is queried against an index of all
// persons' native names; every native name against an index of one Latin
// variant per person (chosen by the seed). `threads` parallelises the
// queries. Deterministic for a given corpus.
std::vector<RecallRow> MeasureRecall(const std::vector<CorpusPerson>& corpus, std::size_t k, unsigned threads = 1);

}  // namespace ctims::search
