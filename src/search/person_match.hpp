#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "search/fuzzy.hpp"
#include "search/linkage.hpp"

namespace ctims::search {

// Duplicate-person scoring (issue 8, part 4): what two person records have in
// common, weighed by a Fellegi-Sunter model (linkage.hpp) whose weights are
// estimated from the data by EM, with an explanation per field.
//
// Typical use (ctims dedupe):
//   1. for every person, BlockingKeys(); persons sharing a key are candidate
//      pairs (skip keys shared by more than a few hundred persons, see
//      BlockingKeys);
//   2. ComparePersons() every candidate pair;
//   3. model.Fit(comparisons) (or keep the defaults on a small database);
//   4. model.Score(comparison) >= model.threshold() goes to the review queue.
// On registration: BlockingKeys of the new person, candidates from the index,
// Score(new, candidate) with the last fitted model.

// What the matcher knows of one person. Every field may be empty.
struct PersonFeatures {
  // Full names as written, any script, words in any order: "given middle
  // family", each Latin spelling the agencies used, each alias. Compared
  // all against all; the best pair counts.
  std::vector<std::string> names;
  // "YYYY-MM-DD" when the date is known exactly; empty otherwise.
  std::string birth_date;
  // From the date, or the estimated age at the date of the estimate.
  std::optional<int> birth_year;
  // Code ("female", "male", ...) as stored; empty when unknown. Compared for
  // equality only.
  std::string sex;
  // Country codes (ISO 3166-1 alpha-3 or as stored); compared for overlap.
  std::vector<std::string> citizenship;
  // Identity document numbers of any type; compared after removing spaces,
  // hyphens and case (NormalizeDocumentNumber).
  std::vector<std::string> document_numbers;
};

// The compared fields, in the order of a PersonComparison's levels.
enum class PersonField : std::size_t { kName = 0, kBirth, kSex, kCitizenship, kDocument };
inline constexpr std::size_t kPersonFieldCount = 5;

// Agreement levels per field (level 0 = strongest agreement).
//   name        0 same (MatchNames >= 0.95), 1 close (>= 0.85),
//               2 similar (>= 0.70), 3 differs;           missing: no name on a side
//   birth       0 same date, 1 same year, 2 year +-1..2, 3 differs;
//               missing: no year on a side. Two exact dates in the same year
//               that differ are "same year" (typos in day/month are common).
//   sex         0 same, 1 differs;                         missing: unknown on a side
//   citizenship 0 a country in common, 1 none in common;   missing: none on a side
//   document    0 a number in common, 1 none in common;    missing: none on a side
// A different document number is weak evidence against (a person has a
// passport, an ID card, a border pass...): its default m is high.
inline constexpr double kNameSameScore = 0.95;
inline constexpr double kNameCloseScore = 0.85;
inline constexpr double kNameSimilarScore = 0.70;

// The level rules above, one field at a time, for callers that hold a person
// in another form than PersonFeatures (`ctims dedupe` compares prepared
// probes): ComparePersons is built from these and nothing else decides a
// level. Thread-safe.
//   NameLevel: the best name score of the pair (the caller decides
//     "missing": no comparable name on a side).
//   BirthLevel: the birth year (exact or estimated) and the exact date
//     ("YYYY-MM-DD", or empty) of each side.
//   SexLevel: the codes; empty is unknown.
//   OverlapLevel: citizenship codes, or document numbers already
//     normalised (NormalizeDocumentNumber); empty entries are ignored.
std::int16_t NameLevel(double best_name_score);
std::int16_t BirthLevel(std::optional<int> year_a, std::string_view date_a, std::optional<int> year_b,
                        std::string_view date_b);
std::int16_t SexLevel(std::string_view a, std::string_view b);
std::int16_t OverlapLevel(std::span<const std::string> a, std::span<const std::string> b);

// A person comparison's levels packed into one small number, so that a
// caller comparing millions of pairs keeps 2 bytes a pair and counts the
// patterns in an array: each field's level + 1 (0 = missing) in mixed
// radix, the name first. PersonPatternLevels is the inverse.
inline constexpr std::size_t kPersonPatternCount = 675;  // 5 * 5 * 3 * 3 * 3
std::uint16_t PersonPatternCode(const ComparisonVector& levels);
ComparisonVector PersonPatternLevels(std::uint16_t code);

struct PersonComparison {
  ComparisonVector levels;  // kPersonFieldCount entries, see above
  NameMatch name;           // the best pair of names (score and reason)
};

// The blocking keys of a person: two persons are compared only when they
// share a key. Sorted and distinct. Two kinds:
//   "n:" + the sound key (PhoneticKey) of the whole name, words joined in
//        written and in reverse order, for every Latin spelling: specific to
//        one full name, so small blocks on their own; they catch spelling
//        variants, script changes, word splits and swapped order.
//   "w:" + each of the name's FuzzyKeys (word sound keys, skeletons, joined
//        and prefix keys) + ":" + year,
//        for the birth year and the year after (so years one apart share a
//        key), or ":?" without a birth year: they catch a typo in one word.
// Why the year: at 1,000,000 persons a single common word key ("somchai",
// "van", "wei", "maung", "~nyn") is shared by tens of thousands of persons,
// and comparing every pair in it costs minutes; joined with the year it is
// shared by a few hundred at most. The price: a typo in one word together
// with a birth year more than one year off (or known on one side only) is
// found only through another name of the person. Callers should still skip
// a key shared by more persons than they can compare (the largest blocks are
// "w:...:?" keys of persons without a year) and say so in their report.
// Personal data: never log the keys. Thread-safe.
std::vector<std::string> BlockingKeys(const PersonFeatures& person);

// Compares two persons field by field. Costs one MatchNames per pair of
// names (each romanises both names again: tens of microseconds for native
// scripts; at most 8 names per person are compared). Thread-safe.
PersonComparison ComparePersons(const PersonFeatures& a, const PersonFeatures& b);

// Upper-case ASCII letters and digits of a document number, other characters
// dropped ("ab 12-345" -> "AB12345").
std::string NormalizeDocumentNumber(std::string_view number);

// One field's part of a score.
struct FieldExplanation {
  std::string field;  // "name", "birth", "sex", "citizenship", "document"
  std::string level;  // "same", "close", "same_year", "missing", ...
  double weight = 0;  // log2(m/u) of the level; 0 when missing
};

struct PersonScore {
  double weight = 0;                     // sum of the fields' weights
  double probability = 0;                // posterior match probability under the model
  bool is_candidate = false;             // weight >= the model's threshold
  std::vector<FieldExplanation> fields;  // kPersonFieldCount entries, in field order
  // MatchNames' reason for the best pair of names. Personal data: for the
  // reviewer's screen, never for logs.
  std::string name_reason;
};

// Thread-safety: const member functions (Score, threshold, ...) may be called
// from any number of threads at once; Fit() and SetThreshold() must not run
// concurrently with anything else on the same model (fit a copy and swap it
// in).
class PersonMatchModel {
 public:
  // The default model, usable before there is any data: m/u chosen from what
  // is known of such registers (name variants common, birth dates often
  // estimated, sex rarely wrong, citizenship usually right, different
  // document numbers frequent for one person), prior 0.01 among candidate
  // pairs, threshold at probability 0.5: a close name (MatchNames >= 0.85)
  // with the same birth year and sex is proposed, a merely similar one is
  // not.
  PersonMatchModel();

  static const std::vector<LinkageField>& Fields();
  static LinkageParams DefaultParams();

  // Re-estimates m, u and the prior by EM from compared candidate pairs
  // (ComparePersons over the blocked pairs), starting from the current
  // parameters, and moves the threshold to the expected-F1 optimum over
  // `pairs` (LinkageModel::ChooseThreshold).
  // Returns kInvalidArgument when `pairs` is empty or a vector is malformed;
  // the model is then unchanged.
  core::Result<EmReport> Fit(std::span<const ComparisonVector> pairs, const EmOptions& options = {});
  // As above, from the comparisons.
  core::Result<EmReport> Fit(std::span<const PersonComparison> pairs, const EmOptions& options = {});
  // As above, from the patterns and how many pairs have each.
  core::Result<EmReport> Fit(std::span<const CountedComparison> patterns, const EmOptions& options = {});

  // Why the parameters (after Fit) are not to be trusted, or "" when they
  // are: "classes_swapped" (EM ended with the classes the wrong way round),
  // "prior" (not in (0, 0.5): EM ran into the cap, the classes are not
  // separated), "<field>_agreement" (m < u at a field's level 0: agreeing
  // would count against a match). `report` is Fit's. A caller then keeps
  // the default model.
  std::string FitProblem(const EmReport& report) const;

  PersonScore Score(const PersonComparison& comparison) const;
  PersonScore Score(const PersonFeatures& a, const PersonFeatures& b) const;

  // Pairs with a weight at or above this are proposed as possible duplicates.
  double threshold() const { return threshold_; }
  void SetThreshold(double weight) { threshold_ = weight; }

  const LinkageModel& model() const { return model_; }

 private:
  LinkageModel model_;
  double threshold_ = 0;
};

}  // namespace ctims::search
