#include "search/fuzzy.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <utility>

#include "search/normalize.hpp"
#include "search/romanize.hpp"

namespace ctims::search {

namespace {

// Key overlap moves the spelling similarity this far towards 1 (all keys
// shared); names without any shared key keep this share of their similarity.
// Chosen so that the same-person pairs score >= 0.85 and different
// names < 0.6 (fuzzy_test.cpp, issue8_test.cpp).
constexpr double kKeyBoost = 0.5;
constexpr double kNoSharedKeyFactor = 0.85;
// An unmatched word counts this much of its length against the alignment.
constexpr double kUnmatchedWeight = 0.5;
constexpr std::size_t kMaxCompared = 128;
// Prefix keys: this many letters, of whole-name sound keys at least this long.
constexpr std::size_t kPrefixKeyLength = 4;
constexpr std::size_t kPrefixKeyMinLength = 5;

bool IsVowel(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

void CollapseDoubles(std::string& s) {
  s.erase(std::unique(s.begin(), s.end()), s.end());
}

std::string Skeleton(std::string_view key) {
  std::string s;
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (i == 0 || !IsVowel(key[i])) s.push_back(key[i]);
  }
  CollapseDoubles(s);
  return s;
}

std::string Format2(double v) {
  std::array<char, 16> buf{};
  std::snprintf(buf.data(), buf.size(), "%.2f", v);
  return buf.data();
}

// One Latin spelling of a name, with the sound keys of its words.
struct Form {
  std::string spelling;
  std::vector<std::string> words;
  std::vector<std::string> keys;  // PhoneticKey of each word
  std::string joined;             // PhoneticKey of all words joined, in order
  std::string joined_reversed;
};

std::vector<Form> BuildForms(const Romanization& r) {
  std::vector<Form> forms;
  for (const std::string& spelling : r.spellings) {
    Form f;
    f.spelling = spelling;
    std::string joined;
    std::string reversed;
    for (std::string_view w : SplitTokens(spelling)) {
      f.words.emplace_back(w);
      f.keys.push_back(PhoneticKey(w));
      joined += w;
      reversed.insert(0, w);
    }
    f.joined = PhoneticKey(joined);
    f.joined_reversed = PhoneticKey(reversed);
    forms.push_back(std::move(f));
  }
  return forms;
}

// Sorted and distinct.
std::vector<std::string> KeysOf(const std::vector<Form>& forms) {
  std::vector<std::string> keys;
  for (const Form& f : forms) {
    for (const std::string& k : f.keys) {
      if (!k.empty()) keys.push_back(k);
      std::string skeleton = Skeleton(k);
      if (skeleton.size() >= 3) keys.push_back("~" + skeleton);
    }
    // The first letters of the whole name's sound key: a name written solid
    // with a typo in its second half ("Tanngchaolonb") still meets the
    // same name written in words ("Tang Chaolong").
    for (const std::string* joined : {&f.joined, &f.joined_reversed}) {
      if (joined->size() >= kPrefixKeyMinLength) keys.push_back("^" + joined->substr(0, kPrefixKeyLength));
    }
    if (f.words.size() >= 2) {
      keys.push_back(f.joined);
      keys.push_back(f.joined_reversed);
      // The joined name's skeleton: a name written solid ("Zokyaw") and the
      // same name split with another vowel spelling ("Zaw Kyaw") share it.
      for (const std::string* joined : {&f.joined, &f.joined_reversed}) {
        std::string skeleton = Skeleton(*joined);
        if (skeleton.size() >= 3) keys.push_back("~" + skeleton);
      }
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

struct PairResult {
  double similarity = -1;
  const Form* a = nullptr;
  const Form* b = nullptr;
  std::string how;
};

// Aligns the words of two spellings one to one (best pairs first) and, when
// the word counts differ, also compares the words joined.
PairResult ComparePair(const Form& a, const Form& b) {
  PairResult result;
  result.a = &a;
  result.b = &b;
  const std::size_t n = a.keys.size();
  const std::size_t m = b.keys.size();
  struct Cell {
    double jw;
    std::size_t i;
    std::size_t j;
  };
  std::vector<Cell> cells;
  cells.reserve(n * m);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < m; ++j) {
      // Squared: unrelated words still reach 0.5-0.6 in Jaro-Winkler.
      const double jw = JaroWinkler(a.keys[i], b.keys[j]);
      cells.push_back({jw * jw, i, j});
    }
  }
  std::stable_sort(cells.begin(), cells.end(), [](const Cell& x, const Cell& y) { return x.jw > y.jw; });
  std::vector<bool> used_a(n, false);
  std::vector<bool> used_b(m, false);
  double weighted = 0;
  double total = 0;
  std::string how;
  for (const Cell& c : cells) {
    if (used_a[c.i] || used_b[c.j]) continue;
    used_a[c.i] = used_b[c.j] = true;
    const double w = static_cast<double>(a.keys[c.i].size() + b.keys[c.j].size()) / 2.0;
    weighted += w * c.jw;
    total += w;
    if (!how.empty()) how += ", ";
    if (a.keys[c.i] == b.keys[c.j]) {
      how += a.words[c.i] + "=" + b.words[c.j] + " (sound key " + a.keys[c.i] + ")";
    } else {
      how += a.words[c.i] + "~" + b.words[c.j] + " (" + Format2(c.jw) + ")";
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (used_a[i]) continue;
    total += kUnmatchedWeight * static_cast<double>(a.keys[i].size());
    how += ", " + a.words[i] + " unmatched";
  }
  for (std::size_t j = 0; j < m; ++j) {
    if (used_b[j]) continue;
    total += kUnmatchedWeight * static_cast<double>(b.keys[j].size());
    how += ", " + b.words[j] + " unmatched";
  }
  result.similarity = total > 0 ? weighted / total : 0;
  result.how = std::move(how);
  if (n != m) {
    // Joining is for a name written with and without word breaks; a name
    // that is only part of the other must not win on the Winkler prefix.
    const double shorter = static_cast<double>(std::min(a.joined.size(), b.joined.size()));
    const double longer = static_cast<double>(std::max(a.joined.size(), b.joined.size()));
    const double length_factor = longer > 0 ? std::sqrt(shorter / longer) : 0;
    const double joined =
        length_factor * std::max({JaroWinkler(a.joined, b.joined), JaroWinkler(a.joined_reversed, b.joined),
                                  JaroWinkler(a.joined, b.joined_reversed)});
    if (joined > result.similarity) {
      result.similarity = joined;
      result.how =
          "words joined, " + a.joined + (a.joined == b.joined ? "=" : "~") + b.joined + " (" + Format2(joined) + ")";
    }
  }
  return result;
}

// ComparePair's similarity without its description, on sound keys only:
// the same arithmetic in the same order (MatchPrepared equals MatchNames to
// the last bit), without allocating for names of up to kSmallCells word pairs.
constexpr std::size_t kSmallCells = 64;

double KeySimilarity(const std::vector<std::string>& ak, const std::string& a_joined,
                     const std::string& a_joined_reversed, const std::vector<std::string>& bk,
                     const std::string& b_joined, const std::string& b_joined_reversed) {
  const std::size_t n = ak.size();
  const std::size_t m = bk.size();
  struct Cell {
    double jw;
    std::size_t i;
    std::size_t j;
  };
  std::array<Cell, kSmallCells> small_cells{};
  std::vector<Cell> large_cells;
  const bool small = n * m <= kSmallCells;
  if (!small) large_cells.resize(n * m);
  Cell* cells = small ? small_cells.data() : large_cells.data();
  std::size_t count = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < m; ++j) {
      const double jw = JaroWinkler(ak[i], bk[j]);
      cells[count++] = {jw * jw, i, j};
    }
  }
  if (small) {
    // Insertion sort: stable, like ComparePair's std::stable_sort.
    for (std::size_t k = 1; k < count; ++k) {
      const Cell c = cells[k];
      std::size_t p = k;
      while (p > 0 && cells[p - 1].jw < c.jw) {
        cells[p] = cells[p - 1];
        --p;
      }
      cells[p] = c;
    }
  } else {
    std::stable_sort(cells, cells + count, [](const Cell& x, const Cell& y) { return x.jw > y.jw; });
  }
  std::array<bool, kSmallCells> small_a{};
  std::array<bool, kSmallCells> small_b{};
  std::unique_ptr<bool[]> large_a;
  std::unique_ptr<bool[]> large_b;
  bool* used_a = small_a.data();
  bool* used_b = small_b.data();
  if (n > kSmallCells || m > kSmallCells) {
    large_a = std::make_unique<bool[]>(n);
    large_b = std::make_unique<bool[]>(m);
    used_a = large_a.get();
    used_b = large_b.get();
  }
  double weighted = 0;
  double total = 0;
  for (std::size_t k = 0; k < count; ++k) {
    const Cell& c = cells[k];
    if (used_a[c.i] || used_b[c.j]) continue;
    used_a[c.i] = used_b[c.j] = true;
    const double w = static_cast<double>(ak[c.i].size() + bk[c.j].size()) / 2.0;
    weighted += w * c.jw;
    total += w;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!used_a[i]) total += kUnmatchedWeight * static_cast<double>(ak[i].size());
  }
  for (std::size_t j = 0; j < m; ++j) {
    if (!used_b[j]) total += kUnmatchedWeight * static_cast<double>(bk[j].size());
  }
  double similarity = total > 0 ? weighted / total : 0;
  if (n != m) {
    const double shorter = static_cast<double>(std::min(a_joined.size(), b_joined.size()));
    const double longer = static_cast<double>(std::max(a_joined.size(), b_joined.size()));
    const double length_factor = longer > 0 ? std::sqrt(shorter / longer) : 0;
    const double joined =
        length_factor * std::max({JaroWinkler(a_joined, b_joined), JaroWinkler(a_joined_reversed, b_joined),
                                  JaroWinkler(a_joined, b_joined_reversed)});
    if (joined > similarity) similarity = joined;
  }
  return similarity;
}

// MatchNames' score from the best similarity and the two key sets (sorted,
// distinct: strings, or their hashes).
template <typename Key>
double CombineScore(double sim, const std::vector<Key>& ka, const std::vector<Key>& kb, std::size_t* shared_out) {
  std::size_t shared = 0;
  for (auto x = ka.begin(), y = kb.begin(); x != ka.end() && y != kb.end();) {
    if (*x < *y) {
      ++x;
    } else if (*y < *x) {
      ++y;
    } else {
      ++shared;
      ++x;
      ++y;
    }
  }
  if (shared_out != nullptr) *shared_out = shared;
  // Dice coefficient: a short name sharing all its keys with a longer one
  // gets only part of the boost.
  const double overlap = 2.0 * static_cast<double>(shared) / static_cast<double>(ka.size() + kb.size());
  const double score = shared > 0 ? sim + (1.0 - sim) * kKeyBoost * overlap : sim * kNoSharedKeyFactor;
  return std::clamp(score, 0.0, 1.0);
}

std::string Describe(std::string_view name, const Form& form, const Romanization& r) {
  const std::string normalized = NormalizeName(name);
  std::string out = "\"" + normalized + "\"";
  if (normalized != form.spelling) out += " read as \"" + form.spelling + "\"";
  out += " (";
  for (std::size_t i = 0; i < r.methods.size(); ++i) {
    if (i > 0) out += ", ";
    out += r.methods[i];
  }
  return out + ")";
}

}  // namespace

std::string PhoneticKey(std::string_view w) {
  std::string out;
  out.reserve(w.size());
  const std::size_t n = w.size();
  auto at = [&](std::size_t k) { return k < n ? w[k] : '\0'; };
  std::size_t i = 0;
  while (i < n) {
    const char c = w[i];
    const char d = at(i + 1);
    std::size_t used = 1;
    char emit = c;
    // Lao ຍ and Khmer ញ are written gn, nh or ny before a vowel (Bounnhang,
    // Boungnang).
    if ((c == 'g' || c == 'n') && (d == 'n' || d == 'h') && c != d && IsVowel(at(i + 2)) && at(i + 2) != 'y') {
      out += "ny";
      i += 2;
      continue;
    }
    switch (c) {
      case 't':
        if (d == 'c' && at(i + 2) == 'h') {
          emit = 'j';
          used = 3;
        } else if (d == 'h') {
          used = 2;
        }
        break;
      case 'c':
        if (d == 'h') {
          emit = 'j';
          used = at(i + 2) == 'h' ? 3 : 2;
        } else {
          emit = 'k';
          used = d == 'k' ? 2 : 1;
        }
        break;
      case 'z':
        if (d == 'h') {
          emit = 'j';
          used = 2;
        }
        break;
      case 'p':
        if (d == 'h' || d == 'f') used = 2;
        break;
      case 'f': emit = 'p'; break;
      case 's':
      case 'k':
      case 'g':
      case 'd':
      case 'b':
        if (d == 'h') used = 2;
        break;
      case 'h':
        // Burmese writes aspiration before the consonant: Htun, Hpone, Hsu.
        if (d == 'p' || d == 't' || d == 's' || d == 'k') emit = '\0';
        break;
      case 'q': emit = 'k'; break;
      case 'y':
        // Between consonants y is the vowel i (Lynn, Myn, Sythong).
        if (!out.empty() && !IsVowel(out.back()) && i + 1 < n && !IsVowel(d)) emit = 'i';
        break;
      case 'x': emit = 's'; break;
      case 'v': emit = 'w'; break;
      case 'o':
        if (d == 'u' || d == 'o') {
          emit = 'u';
          used = 2;
        }
        break;
      case 'a':
        if (d == 'e') {  // Thai/Lao/Khmer ae: Saeng, Seng; Kaew, Keo
          emit = 'e';
          used = 2;
        }
        break;
      case 'e':
        if (d == 'e') {
          emit = 'i';
          used = 2;
        }
        break;
      default: break;
    }
    if (emit != '\0') out.push_back(emit);
    i += used;
  }
  CollapseDoubles(out);
  while (out.size() > 1 && out.back() == 'h') out.pop_back();
  if (out.size() > 2 && out.ends_with("rn")) out.erase(out.size() - 2, 1);
  if (out.size() > 1 && out.back() == 'y') out.back() = 'i';
  if (out.size() > 1 && out.back() == 'w' && IsVowel(out[out.size() - 2])) out.back() = 'o';
  if (out.size() > 3 && out.back() == 'e' && !IsVowel(out[out.size() - 2])) out.pop_back();
  CollapseDoubles(out);
  return out;
}

std::vector<std::string> FuzzyKeys(std::string_view name) {
  return KeysOf(BuildForms(Romanize(name)));
}

double JaroWinkler(std::string_view a, std::string_view b) {
  a = a.substr(0, std::min(a.size(), kMaxCompared));
  b = b.substr(0, std::min(b.size(), kMaxCompared));
  if (a.empty() && b.empty()) return 1.0;
  if (a.empty() || b.empty()) return 0.0;
  // Equal strings: the formula below gives exactly 1.0 ((1 + 1 + 1) / 3, no
  // prefix bonus on 1.0). Most keys compared in a large register are equal.
  if (a == b) return 1.0;
  const std::size_t window = std::max(a.size(), b.size()) / 2 > 0 ? std::max(a.size(), b.size()) / 2 - 1 : 0;
  std::array<bool, kMaxCompared> a_matched{};
  std::array<bool, kMaxCompared> b_matched{};
  std::size_t matches = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::size_t lo = i > window ? i - window : 0;
    const std::size_t hi = std::min(i + window + 1, b.size());
    for (std::size_t j = lo; j < hi; ++j) {
      if (b_matched[j] || a[i] != b[j]) continue;
      a_matched[i] = b_matched[j] = true;
      ++matches;
      break;
    }
  }
  if (matches == 0) return 0.0;
  std::size_t half_transpositions = 0;
  for (std::size_t i = 0, j = 0; i < a.size(); ++i) {
    if (!a_matched[i]) continue;
    while (!b_matched[j]) ++j;
    if (a[i] != b[j]) ++half_transpositions;
    ++j;
  }
  const auto m = static_cast<double>(matches);
  const double t = static_cast<double>(half_transpositions) / 2.0;
  const double jaro = (m / static_cast<double>(a.size()) + m / static_cast<double>(b.size()) + (m - t) / m) / 3.0;
  std::size_t prefix = 0;
  while (prefix < 4 && prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  return jaro + static_cast<double>(prefix) * 0.1 * (1.0 - jaro);
}

NameMatch MatchNames(std::string_view a, std::string_view b) {
  const Romanization ra = Romanize(a);
  const Romanization rb = Romanize(b);
  NameMatch match;
  if (ra.spellings.empty() || rb.spellings.empty()) {
    match.reason = "no readable letters in " + std::string(ra.spellings.empty() ? "the first" : "the second") + " name";
    return match;
  }
  const std::vector<Form> fa = BuildForms(ra);
  const std::vector<Form> fb = BuildForms(rb);
  PairResult best;
  for (const Form& x : fa) {
    for (const Form& y : fb) {
      PairResult r = ComparePair(x, y);
      if (r.similarity > best.similarity) best = std::move(r);
    }
  }
  std::size_t shared = 0;
  match.score = CombineScore(best.similarity, KeysOf(fa), KeysOf(fb), &shared);
  match.reason = Describe(a, *best.a, ra) + " vs " + Describe(b, *best.b, rb) + ": " + best.how + "; " +
                 std::to_string(shared) + " shared fuzzy key" + (shared == 1 ? "" : "s") + "; score " +
                 Format2(match.score);
  return match;
}

PreparedName PrepareName(std::string_view name) {
  PreparedName p;
  const std::vector<Form> forms = BuildForms(Romanize(name));
  const std::hash<std::string> hash;
  for (const std::string& k : KeysOf(forms)) p.key_hashes_.push_back(hash(k));
  std::sort(p.key_hashes_.begin(), p.key_hashes_.end());
  p.key_hashes_.erase(std::unique(p.key_hashes_.begin(), p.key_hashes_.end()), p.key_hashes_.end());
  p.forms_.reserve(forms.size());
  for (const Form& f : forms) p.forms_.push_back({f.keys, f.joined, f.joined_reversed});
  return p;
}

std::uint64_t PreparedName::Fingerprint() const {
  // boost::hash_combine's mixing step, over the strings' std::hash values.
  std::uint64_t h = forms_.size();
  auto mix = [&h](std::uint64_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
  const std::hash<std::string> hash;
  for (const Form& f : forms_) {
    mix(f.keys.size());
    for (const std::string& k : f.keys) mix(hash(k));
    mix(hash(f.joined));
    mix(hash(f.joined_reversed));
  }
  for (std::uint64_t k : key_hashes_) mix(k);
  return h;
}

double MatchPrepared(const PreparedName& a, const PreparedName& b) {
  if (a.forms_.empty() || b.forms_.empty()) return 0;
  double best = -1;
  for (const PreparedName::Form& x : a.forms_) {
    for (const PreparedName::Form& y : b.forms_) {
      // The same words: every word pairs with its equal (Jaro-Winkler 1.0),
      // so KeySimilarity is exactly 1.0; namesakes are most of the pairs
      // dedupe compares in a large register.
      const double s = !x.keys.empty() && x.keys == y.keys
                           ? 1.0
                           : KeySimilarity(x.keys, x.joined, x.joined_reversed, y.keys, y.joined, y.joined_reversed);
      if (s > best) best = s;
      // No similarity exceeds 1.0: the other forms cannot change the best.
      if (best >= 1.0) return CombineScore(best, a.key_hashes_, b.key_hashes_, nullptr);
    }
  }
  return CombineScore(best, a.key_hashes_, b.key_hashes_, nullptr);
}

double NameSimilarity(std::string_view a, std::string_view b) {
  return MatchNames(a, b).score;
}

}  // namespace ctims::search
