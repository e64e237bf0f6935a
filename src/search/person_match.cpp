#include "search/person_match.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <utility>

#include "search/normalize.hpp"
#include "search/romanize.hpp"

namespace ctims::search {

namespace {

// More names than this on one person are not compared (aliases beyond it are
// rare and each adds a MatchNames per candidate).
constexpr std::size_t kMaxNamesCompared = 8;

std::optional<int> YearOf(const PersonFeatures& p) {
  if (p.birth_year) return p.birth_year;
  if (p.birth_date.size() >= 4) {
    int year = 0;
    const char* begin = p.birth_date.data();
    const auto [ptr, ec] = std::from_chars(begin, begin + 4, year);
    if (ec == std::errc() && ptr == begin + 4) return year;
  }
  return std::nullopt;
}

std::vector<std::string> NormalizedDocuments(const std::vector<std::string>& numbers) {
  std::vector<std::string> out;
  out.reserve(numbers.size());
  for (const std::string& n : numbers) out.push_back(NormalizeDocumentNumber(n));
  return out;
}

void AddYearKeys(const std::string& key, std::optional<int> year, std::vector<std::string>& out) {
  if (!year) {
    out.push_back("w:" + key + ":?");
    return;
  }
  out.push_back("w:" + key + ":" + std::to_string(*year));
  out.push_back("w:" + key + ":" + std::to_string(*year + 1));
}

// The radix of each field in a pattern code: its levels and "missing".
constexpr std::array<std::uint16_t, kPersonFieldCount> kPatternRadix = {5, 5, 3, 3, 3};

}  // namespace

std::int16_t NameLevel(double best_name_score) {
  if (best_name_score >= kNameSameScore) return 0;
  if (best_name_score >= kNameCloseScore) return 1;
  if (best_name_score >= kNameSimilarScore) return 2;
  return 3;
}

std::int16_t BirthLevel(std::optional<int> year_a, std::string_view date_a, std::optional<int> year_b,
                        std::string_view date_b) {
  if (!year_a || !year_b) return kLevelMissing;
  if (date_a.size() == 10 && date_a == date_b) return 0;
  const int diff = std::abs(*year_a - *year_b);
  if (diff == 0) return 1;
  if (diff <= 2) return 2;
  return 3;
}

std::int16_t SexLevel(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return kLevelMissing;
  return a == b ? 0 : 1;
}

std::int16_t OverlapLevel(std::span<const std::string> a, std::span<const std::string> b) {
  auto known = [](std::span<const std::string> v) {
    return std::any_of(v.begin(), v.end(), [](const std::string& x) { return !x.empty(); });
  };
  if (!known(a) || !known(b)) return kLevelMissing;
  for (const std::string& x : a) {
    if (!x.empty() && std::find(b.begin(), b.end(), x) != b.end()) return 0;
  }
  return 1;
}

std::uint16_t PersonPatternCode(const ComparisonVector& levels) {
  unsigned code = 0;
  for (std::size_t f = 0; f < kPersonFieldCount; ++f) {
    const int level = f < levels.size() ? levels[f] : kLevelMissing;
    const unsigned digit = level < 0 || level + 1 >= kPatternRadix[f] ? 0u : static_cast<unsigned>(level + 1);
    code = code * kPatternRadix[f] + digit;
  }
  return static_cast<std::uint16_t>(code);
}

ComparisonVector PersonPatternLevels(std::uint16_t code) {
  ComparisonVector levels(kPersonFieldCount, kLevelMissing);
  unsigned rest = code;
  for (std::size_t f = kPersonFieldCount; f-- > 0;) {
    levels[f] = static_cast<std::int16_t>(static_cast<int>(rest % kPatternRadix[f]) - 1);
    rest /= kPatternRadix[f];
  }
  return levels;
}

std::string NormalizeDocumentNumber(std::string_view number) {
  std::string out;
  for (char c : number) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 && u < 0x80) out.push_back(static_cast<char>(std::toupper(u)));
  }
  return out;
}

std::vector<std::string> BlockingKeys(const PersonFeatures& person) {
  std::vector<std::string> keys;
  const std::optional<int> year = YearOf(person);
  for (std::size_t i = 0; i < person.names.size() && i < kMaxNamesCompared; ++i) {
    for (const std::string& spelling : LatinKeys(person.names[i])) {
      std::string joined;
      std::string reversed;
      for (std::string_view w : SplitTokens(spelling)) {
        joined += w;
        reversed.insert(0, w);
      }
      keys.push_back("n:" + PhoneticKey(joined));
      keys.push_back("n:" + PhoneticKey(reversed));
    }
    for (const std::string& key : FuzzyKeys(person.names[i])) AddYearKeys(key, year, keys);
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::erase(keys, std::string("n:"));
  return keys;
}

PersonComparison ComparePersons(const PersonFeatures& a, const PersonFeatures& b) {
  PersonComparison c;
  c.levels.assign(kPersonFieldCount, kLevelMissing);
  bool any_name = false;
  for (std::size_t i = 0; i < a.names.size() && i < kMaxNamesCompared; ++i) {
    for (std::size_t j = 0; j < b.names.size() && j < kMaxNamesCompared; ++j) {
      NameMatch m = MatchNames(a.names[i], b.names[j]);
      if (m.reason.starts_with("no readable letters")) continue;
      if (!any_name || m.score > c.name.score) c.name = std::move(m);
      any_name = true;
    }
  }
  if (any_name) c.levels[static_cast<std::size_t>(PersonField::kName)] = NameLevel(c.name.score);
  c.levels[static_cast<std::size_t>(PersonField::kBirth)] =
      BirthLevel(YearOf(a), a.birth_date, YearOf(b), b.birth_date);
  c.levels[static_cast<std::size_t>(PersonField::kSex)] = SexLevel(a.sex, b.sex);
  c.levels[static_cast<std::size_t>(PersonField::kCitizenship)] = OverlapLevel(a.citizenship, b.citizenship);
  c.levels[static_cast<std::size_t>(PersonField::kDocument)] =
      OverlapLevel(NormalizedDocuments(a.document_numbers), NormalizedDocuments(b.document_numbers));
  return c;
}

const std::vector<LinkageField>& PersonMatchModel::Fields() {
  static const std::vector<LinkageField> kFields = {
      {"name", {"same", "close", "similar", "differs"}},
      {"birth", {"same_date", "same_year", "year_within_2", "differs"}},
      {"sex", {"same", "differs"}},
      {"citizenship", {"shared", "none_shared"}},
      {"document", {"shared", "none_shared"}},
  };
  return kFields;
}

LinkageParams PersonMatchModel::DefaultParams() {
  LinkageParams p;
  // Among candidate pairs (which already share a name key): the same person's
  // names are often spelled differently; birth dates are often estimated;
  // sex is rarely wrong; one person's documents often differ (passport vs ID
  // card), while two people almost never share a number.
  p.m = {{0.55, 0.30, 0.12, 0.03}, {0.50, 0.15, 0.25, 0.10}, {0.97, 0.03}, {0.95, 0.05}, {0.45, 0.55}};
  p.u = {{0.002, 0.02, 0.10, 0.878}, {0.0003, 0.02, 0.08, 0.8997}, {0.50, 0.50}, {0.60, 0.40}, {0.00001, 0.99999}};
  // Candidate pairs already share a name key and a birth year (BlockingKeys),
  // so about one in a hundred is the same person.
  p.prior = 0.01;
  return p;
}

PersonMatchModel::PersonMatchModel() : model_(LinkageModel::Create(Fields(), DefaultParams()).value()) {
  threshold_ = model_.WeightForProbability(0.5);
}

namespace {

// Fits a copy of `model` on `pairs` (one vector per pair, or counted
// patterns) and, on success, moves it into `model` with the expected-F1
// threshold over the same pairs; `model` is unchanged on error.
template <typename Pair>
core::Result<EmReport> FitAndChooseThreshold(LinkageModel& model, double& threshold, std::span<const Pair> pairs,
                                             const EmOptions& options) {
  LinkageModel fitted = model;
  core::Result<EmReport> report = fitted.Fit(pairs, options);
  if (!report.ok()) return report;
  model = std::move(fitted);
  threshold = model.ChooseThreshold(pairs).weight;
  return report;
}

}  // namespace

core::Result<EmReport> PersonMatchModel::Fit(std::span<const ComparisonVector> pairs, const EmOptions& options) {
  return FitAndChooseThreshold(model_, threshold_, pairs, options);
}

core::Result<EmReport> PersonMatchModel::Fit(std::span<const PersonComparison> pairs, const EmOptions& options) {
  std::vector<ComparisonVector> vectors;
  vectors.reserve(pairs.size());
  for (const PersonComparison& c : pairs) vectors.push_back(c.levels);
  return Fit(std::span<const ComparisonVector>(vectors), options);
}

core::Result<EmReport> PersonMatchModel::Fit(std::span<const CountedComparison> patterns, const EmOptions& options) {
  return FitAndChooseThreshold(model_, threshold_, patterns, options);
}

std::string PersonMatchModel::FitProblem(const EmReport& report) const {
  if (report.classes_swapped) return "classes_swapped";
  const LinkageParams& p = model_.params();
  if (!(p.prior > 0 && p.prior < 0.5)) return "prior";
  for (std::size_t f = 0; f < p.m.size(); ++f) {
    if (p.m[f][0] < p.u[f][0]) return Fields()[f].name + "_agreement";
  }
  return "";
}

PersonScore PersonMatchModel::Score(const PersonComparison& comparison) const {
  PersonScore s;
  const auto& fields = Fields();
  for (std::size_t f = 0; f < fields.size(); ++f) {
    const int level = f < comparison.levels.size() ? comparison.levels[f] : kLevelMissing;
    FieldExplanation e;
    e.field = fields[f].name;
    e.level = level == kLevelMissing || static_cast<std::size_t>(level) >= fields[f].levels.size()
                  ? "missing"
                  : fields[f].levels[static_cast<std::size_t>(level)];
    e.weight = model_.FieldWeight(f, level);
    s.weight += e.weight;
    s.fields.push_back(std::move(e));
  }
  s.probability = model_.Probability(s.weight);
  s.is_candidate = s.weight >= threshold_;
  s.name_reason = comparison.name.reason;
  return s;
}

PersonScore PersonMatchModel::Score(const PersonFeatures& a, const PersonFeatures& b) const {
  return Score(ComparePersons(a, b));
}

}  // namespace ctims::search
