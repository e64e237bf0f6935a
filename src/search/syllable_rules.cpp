#include "search/syllable_rules.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "search/normalize.hpp"

namespace ctims::search {

namespace {

// One spelling per system; always exactly Rules::systems entries once parsed.
using Spellings = std::vector<std::string>;

enum class FinalMode { kNone, kRequired, kOptional };

struct Consonant {
  Spellings initial;
  Spellings final_spelling;  // empty: cannot close a syllable
  int series = 1;
};

struct Cluster {
  std::u32string seq;
  Spellings initial;
  int series = 0;  // 0: the series of its first letter
  int cost = 0;
};

struct FinalSeq {
  std::u32string seq;
  Spellings final_spelling;
};

struct Medial {
  std::string prefix;
  std::string suffix;
};

struct VowelRule {
  std::u32string pre;
  std::u32string post;
  bool has_initial = false;
  FinalMode mode = FinalMode::kNone;
  int cost_mid = 0;
  int cost_end = 0;
  Spellings latin;
  Spellings series2;  // empty: same as latin
  Spellings end;      // empty: same as latin
};

constexpr std::size_t kNpos = std::u32string::npos;
constexpr int kUnknownCost = 10;
constexpr int kInfinity = std::numeric_limits<int>::max() / 4;

bool IsLatinSpelling(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

}  // namespace

struct SyllableRomanizer::Rules {
  std::string sep;
  char32_t coeng = 0;
  std::unordered_set<char32_t> sonorants;
  std::unordered_set<char32_t> ignorable;
  std::unordered_set<char32_t> cancel;
  std::unordered_set<char32_t> vowel_signs;
  std::vector<std::u32string> silent;
  std::vector<std::pair<std::u32string, std::u32string>> replace;
  std::unordered_map<char32_t, Consonant> consonants;
  std::vector<Cluster> clusters;  // longest first
  std::vector<FinalSeq> finals;   // longest first
  std::unordered_map<char32_t, Medial> medials;
  std::unordered_map<char32_t, int> shifts;
  std::vector<VowelRule> vowels;  // table order
  std::size_t systems = 1;

  // Dense lookups over the letters the table names, [lo, lo + flags.size()),
  // built by TableParser::Finish: segmentation asks them for every letter.
  enum Flag : std::uint8_t { kIgnorable = 1, kCancel = 2, kVowelSign = 4, kSonorant = 8 };
  char32_t lo = 0;
  std::vector<std::uint8_t> flags;
  std::vector<const Consonant*> consonant_at;
  std::vector<const Medial*> medial_at;
  std::vector<std::int16_t> shift_at;

  // Vowel rules (indices into `vowels`, table order) by the letter they start
  // with: a pre-posed vowel or an independent vowel (starting_at), or the
  // first sign after the initial (after_initial_at); rules that are just "_"
  // (implicit vowels) in no_signs.
  std::vector<std::vector<std::uint16_t>> starting_at;
  std::vector<std::vector<std::uint16_t>> after_initial_at;
  std::vector<std::uint16_t> no_signs;
  // Clusters (indices into `clusters`, longest first) by their first letter.
  std::vector<std::vector<std::uint16_t>> clusters_at;

  bool InRange(char32_t c) const { return c >= lo && c - lo < flags.size(); }
  bool Has(char32_t c, std::uint8_t flag) const { return InRange(c) && (flags[c - lo] & flag) != 0; }
  bool IsIgnorable(char32_t c) const { return Has(c, kIgnorable); }
  const Consonant* FindConsonant(char32_t c) const { return InRange(c) ? consonant_at[c - lo] : nullptr; }
  const Medial* FindMedial(char32_t c) const { return InRange(c) ? medial_at[c - lo] : nullptr; }
  int ShiftOf(char32_t c) const { return InRange(c) ? shift_at[c - lo] : 0; }
};

std::u32string DecodeUtf8(std::string_view utf8) {
  std::u32string out;
  out.reserve(utf8.size());
  std::size_t i = 0;
  const std::size_t n = utf8.size();
  while (i < n) {
    const auto b0 = static_cast<unsigned char>(utf8[i]);
    int len = 0;
    char32_t cp = 0;
    if (b0 < 0x80) {
      len = 1;
      cp = b0;
    } else if ((b0 & 0xE0) == 0xC0) {
      len = 2;
      cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3;
      cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4;
      cp = b0 & 0x07;
    }
    bool valid = len > 0 && i + static_cast<std::size_t>(len) <= n;
    for (int k = 1; valid && k < len; ++k) {
      const auto b = static_cast<unsigned char>(utf8[i + static_cast<std::size_t>(k)]);
      if ((b & 0xC0) != 0x80) valid = false;
      cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr std::array<char32_t, 5> kMin = {0, 0, 0x80, 0x800, 0x10000};
    if (valid && (cp < kMin[static_cast<std::size_t>(len)] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) {
      valid = false;
    }
    if (!valid) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += static_cast<std::size_t>(len);
  }
  return out;
}

namespace {

// Parses one table into Rules. Errors name the table and line.
class TableParser {
 public:
  TableParser(std::string_view name, SyllableRomanizer::Rules& rules) : name_(name), rules_(rules) {}

  core::Status Parse(std::string_view table) {
    std::size_t line_start = 0;
    while (line_start < table.size()) {
      std::size_t nl = table.find('\n', line_start);
      if (nl == std::string_view::npos) nl = table.size();
      std::string_view line = table.substr(line_start, nl - line_start);
      line_start = nl + 1;
      ++line_no_;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty() || line.front() == '#') continue;
      CTIMS_RETURN_IF_ERROR(ParseLine(SplitNonEmpty(line, '\t')));
    }
    return Finish();
  }

 private:
  core::Status Error(std::string_view what) const {
    return core::Status::InvalidArgument(std::string(name_) + ":" + std::to_string(line_no_) + ": " +
                                         std::string(what));
  }

  // Parses "a|b|~" into raw alternatives ('~' is the empty spelling).
  core::Status ParseSpellings(std::string_view field, Spellings& out) {
    out.clear();
    std::size_t start = 0;
    while (true) {
      std::size_t bar = field.find('|', start);
      std::string_view alt = field.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start);
      if (alt == "~") {
        out.emplace_back();
      } else if (IsLatinSpelling(alt)) {
        out.emplace_back(alt);
      } else {
        return Error("a spelling must be lower-case a-z or '~'");
      }
      if (bar == std::string_view::npos) break;
      start = bar + 1;
    }
    return core::Status::Ok();
  }

  core::Status ParseSeq(std::string_view field, std::u32string& out, bool single) {
    out = DecodeUtf8(field);
    if (out.empty() || out.find(0xFFFD) != std::u32string::npos) return Error("invalid UTF-8 letter sequence");
    if (single && out.size() != 1) return Error("expected exactly one letter");
    return core::Status::Ok();
  }

  // Parses the attributes of a consonant or cluster: series=1|2, and for a
  // cluster (cost != nullptr) cost=N.
  core::Status ParseAttributes(const std::vector<std::string_view>& f, std::size_t from, int& series, int* cost) {
    for (std::size_t i = from; i < f.size(); ++i) {
      if (f[i] == "series=1") {
        series = 1;
      } else if (f[i] == "series=2") {
        series = 2;
      } else if (cost != nullptr && f[i].starts_with("cost=")) {
        const std::string_view n = f[i].substr(5);
        auto [ptr, ec] = std::from_chars(n.data(), n.data() + n.size(), *cost);
        if (ec != std::errc() || ptr != n.data() + n.size() || *cost < 0 || *cost > 99) {
          return Error("cost is 0 to 99");
        }
      } else {
        return Error(cost != nullptr ? "unknown attribute (expected series=1, series=2 or cost=N)"
                                     : "unknown attribute (expected series=1 or series=2)");
      }
    }
    return core::Status::Ok();
  }

  core::Status ParseLine(const std::vector<std::string_view>& f) {
    const std::string_view kind = f[0];
    std::u32string seq;
    if (kind == "option") {
      if (f.size() != 3) return Error("option takes a name and a value");
      if (f[1] == "syllable_sep") {
        if (f[2] == "none") {
          rules_.sep.clear();
        } else if (f[2] == "space") {
          rules_.sep = " ";
        } else {
          return Error("syllable_sep is none or space");
        }
      } else if (f[1] == "coeng") {
        CTIMS_RETURN_IF_ERROR(ParseSeq(f[2], seq, true));
        rules_.coeng = seq[0];
      } else if (f[1] == "sonorants") {
        CTIMS_RETURN_IF_ERROR(ParseSeq(f[2], seq, false));
        rules_.sonorants.insert(seq.begin(), seq.end());
      } else {
        return Error("unknown option");
      }
    } else if (kind == "ignore" || kind == "cancel") {
      if (f.size() < 2) return Error("expected letters");
      for (std::size_t i = 1; i < f.size(); ++i) {
        CTIMS_RETURN_IF_ERROR(ParseSeq(f[i], seq, false));
        (kind == "ignore" ? rules_.ignorable : rules_.cancel).insert(seq.begin(), seq.end());
      }
    } else if (kind == "silent") {
      if (f.size() != 2) return Error("silent takes one sequence");
      CTIMS_RETURN_IF_ERROR(ParseSeq(f[1], seq, false));
      rules_.silent.push_back(seq);
    } else if (kind == "replace") {
      if (f.size() != 3) return Error("replace takes two sequences");
      std::u32string to;
      CTIMS_RETURN_IF_ERROR(ParseSeq(f[1], seq, false));
      CTIMS_RETURN_IF_ERROR(ParseSeq(f[2], to, false));
      rules_.replace.emplace_back(seq, to);
    } else if (kind == "cons") {
      if (f.size() < 4) return Error("cons takes a letter, an initial and a final spelling");
      CTIMS_RETURN_IF_ERROR(ParseSeq(f[1], seq, true));
      if (rules_.consonants.count(seq[0]) != 0) return Error("duplicate consonant");
      Consonant c;
      CTIMS_RETURN_IF_ERROR(ParseSpellings(f[2], c.initial));
      if (f[3] != "-") CTIMS_RETURN_IF_ERROR(ParseSpellings(f[3], c.final_spelling));
      CTIMS_RETURN_IF_ERROR(ParseAttributes(f, 4, c.series, nullptr));
      rules_.consonants.emplace(seq[0], std::move(c));
    } else if (kind == "cluster") {
      if (f.size() < 3) return Error("cluster takes letters and an initial spelling");
      Cluster c;
      CTIMS_RETURN_IF_ERROR(ParseSeq(f[1], c.seq, false));
      if (c.seq.size() < 2) return Error("a cluster has at least two letters");
      CTIMS_RETURN_IF_ERROR(ParseSpellings(f[2], c.initial));
      CTIMS_RETURN_IF_ERROR(ParseAttributes(f, 3, c.series, &c.cost));
      rules_.clusters.push_back(std::move(c));
    } else if (kind == "final") {
      if (f.size() != 3) return Error("final takes letters and a final spelling");
      FinalSeq fs;
      CTIMS_RETURN_IF_ERROR(ParseSeq(f[1], fs.seq, false));
      CTIMS_RETURN_IF_ERROR(ParseSpellings(f[2], fs.final_spelling));
      rules_.finals.push_back(std::move(fs));
    } else if (kind == "medial") {
      if (f.size() != 3) return Error("medial takes a letter and a pattern");
      CTIMS_RETURN_IF_ERROR(ParseSeq(f[1], seq, true));
      const std::size_t plus = f[2].find('+');
      if (plus == std::string_view::npos || f[2].find('+', plus + 1) != std::string_view::npos) {
        return Error("a medial pattern has exactly one '+'");
      }
      Medial m{std::string(f[2].substr(0, plus)), std::string(f[2].substr(plus + 1))};
      if ((!m.prefix.empty() && !IsLatinSpelling(m.prefix)) || (!m.suffix.empty() && !IsLatinSpelling(m.suffix))) {
        return Error("a medial pattern is lower-case a-z around '+'");
      }
      rules_.medials.emplace(seq[0], std::move(m));
    } else if (kind == "shift") {
      if (f.size() != 3 || (f[2] != "1" && f[2] != "2")) return Error("shift takes a letter and 1 or 2");
      CTIMS_RETURN_IF_ERROR(ParseSeq(f[1], seq, true));
      rules_.shifts[seq[0]] = f[2] == "1" ? 1 : 2;
    } else if (kind == "vowel") {
      return ParseVowel(f);
    } else {
      return Error("unknown rule kind");
    }
    return core::Status::Ok();
  }

  core::Status ParseCost(std::string_view field, VowelRule& v) {
    const std::size_t slash = field.find('/');
    std::string_view mid = field.substr(0, slash);
    std::string_view end = slash == std::string_view::npos ? mid : field.substr(slash + 1);
    auto parse = [](std::string_view s, int& out) {
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      return ec == std::errc() && ptr == s.data() + s.size() && out >= 0 && out < 100;
    };
    if (!parse(mid, v.cost_mid) || !parse(end, v.cost_end)) return Error("cost is N or N/M, 0 to 99");
    return core::Status::Ok();
  }

  core::Status ParseVowel(const std::vector<std::string_view>& f) {
    if (f.size() < 5) return Error("vowel takes a template, a mode, a cost and a spelling");
    VowelRule v;
    std::u32string tmpl;
    CTIMS_RETURN_IF_ERROR(ParseSeq(f[1], tmpl, false));
    const std::size_t us = tmpl.find(U'_');
    if (us != std::u32string::npos) {
      if (tmpl.find(U'_', us + 1) != std::u32string::npos) return Error("a template has at most one '_'");
      v.has_initial = true;
      v.pre = tmpl.substr(0, us);
      v.post = tmpl.substr(us + 1);
    } else {
      v.post = tmpl;
    }
    if (f[2] == "-") {
      v.mode = FinalMode::kNone;
    } else if (f[2] == "*") {
      v.mode = FinalMode::kRequired;
    } else if (f[2] == "?") {
      v.mode = FinalMode::kOptional;
    } else {
      return Error("mode is '-', '*' or '?'");
    }
    CTIMS_RETURN_IF_ERROR(ParseCost(f[3], v));
    CTIMS_RETURN_IF_ERROR(ParseSpellings(f[4], v.latin));
    for (std::size_t i = 5; i < f.size(); ++i) {
      if (f[i].starts_with("series2=")) {
        CTIMS_RETURN_IF_ERROR(ParseSpellings(f[i].substr(8), v.series2));
      } else if (f[i].starts_with("end=")) {
        CTIMS_RETURN_IF_ERROR(ParseSpellings(f[i].substr(4), v.end));
      } else {
        return Error("unknown vowel attribute (expected series2= or end=)");
      }
    }
    rules_.vowels.push_back(std::move(v));
    return core::Status::Ok();
  }

  // Checks cross-rule constraints and expands every spelling to all systems.
  core::Status Finish() {
    if (rules_.consonants.empty()) return core::Status::InvalidArgument(std::string(name_) + ": no consonants");
    if (rules_.vowels.empty()) return core::Status::InvalidArgument(std::string(name_) + ": no vowels");
    std::size_t systems = 1;
    auto count = [&systems](const Spellings& s) { systems = std::max(systems, s.size()); };
    for (const auto& [c, cons] : rules_.consonants) {
      count(cons.initial);
      count(cons.final_spelling);
    }
    for (const auto& c : rules_.clusters) count(c.initial);
    for (const auto& fs : rules_.finals) count(fs.final_spelling);
    for (const auto& v : rules_.vowels) {
      count(v.latin);
      count(v.series2);
      count(v.end);
    }
    rules_.systems = systems;
    auto expand = [systems](Spellings& s) {
      if (s.empty()) return;
      const std::string first = s.front();
      s.resize(systems, first);
    };
    for (auto& [c, cons] : rules_.consonants) {
      expand(cons.initial);
      expand(cons.final_spelling);
    }
    for (auto& c : rules_.clusters) {
      expand(c.initial);
      if (c.series == 0) {
        const Consonant* first = rules_.FindConsonant(c.seq[0]);
        c.series = first != nullptr ? first->series : 1;
      }
    }
    for (auto& fs : rules_.finals) expand(fs.final_spelling);
    for (auto& v : rules_.vowels) {
      expand(v.latin);
      expand(v.series2);
      expand(v.end);
      for (char32_t c : v.post) {
        if (rules_.consonants.count(c) == 0) rules_.vowel_signs.insert(c);
      }
    }
    auto longest_first = [](const auto& a, const auto& b) { return a.seq.size() > b.seq.size(); };
    std::stable_sort(rules_.clusters.begin(), rules_.clusters.end(), longest_first);
    std::stable_sort(rules_.finals.begin(), rules_.finals.end(), longest_first);
    return BuildIndex();
  }

  core::Status BuildIndex() {
    using R = SyllableRomanizer::Rules;
    char32_t lo = 0x10FFFF;
    char32_t hi = 0;
    auto see = [&](char32_t c) {
      lo = std::min(lo, c);
      hi = std::max(hi, c);
    };
    for (const auto& [c, cons] : rules_.consonants) see(c);
    for (const auto& [c, m] : rules_.medials) see(c);
    for (const auto& [c, sh] : rules_.shifts) see(c);
    for (const auto* set : {&rules_.ignorable, &rules_.cancel, &rules_.vowel_signs, &rules_.sonorants}) {
      for (char32_t c : *set) see(c);
    }
    if (rules_.vowels.size() > 0xFFFF) return core::Status::InvalidArgument(std::string(name_) + ": too many vowels");
    for (const VowelRule& v : rules_.vowels) {
      if (!v.pre.empty()) see(v.pre[0]);
      if (!v.post.empty()) {
        see(v.post[0]);
        if (rules_.ignorable.count(v.post[0]) != 0) {
          return core::Status::InvalidArgument(std::string(name_) +
                                               ": a vowel template cannot start its signs with an ignored letter");
        }
      }
    }
    if (hi - lo >= 0x10000) {
      return core::Status::InvalidArgument(std::string(name_) + ": the letters span more than 65536 code points");
    }
    const std::size_t size = hi - lo + 1;
    rules_.lo = lo;
    rules_.flags.assign(size, 0);
    rules_.consonant_at.assign(size, nullptr);
    rules_.medial_at.assign(size, nullptr);
    rules_.shift_at.assign(size, 0);
    for (const auto& [c, cons] : rules_.consonants) rules_.consonant_at[c - lo] = &cons;
    for (const auto& [c, m] : rules_.medials) rules_.medial_at[c - lo] = &m;
    for (const auto& [c, sh] : rules_.shifts) rules_.shift_at[c - lo] = static_cast<std::int16_t>(sh);
    const std::array<std::pair<const std::unordered_set<char32_t>*, std::uint8_t>, 4> sets = {{
        {&rules_.ignorable, R::kIgnorable},
        {&rules_.cancel, R::kCancel},
        {&rules_.vowel_signs, R::kVowelSign},
        {&rules_.sonorants, R::kSonorant},
    }};
    for (const auto& [set, flag] : sets) {
      for (char32_t c : *set) rules_.flags[c - lo] |= flag;
    }
    if (rules_.clusters.size() > 0xFFFF)
      return core::Status::InvalidArgument(std::string(name_) + ": too many clusters");
    rules_.clusters_at.assign(size, {});
    for (std::size_t c = 0; c < rules_.clusters.size(); ++c) {
      const char32_t first = rules_.clusters[c].seq[0];
      if (rules_.InRange(first)) rules_.clusters_at[first - lo].push_back(static_cast<std::uint16_t>(c));
    }
    rules_.starting_at.assign(size, {});
    rules_.after_initial_at.assign(size, {});
    for (std::size_t r = 0; r < rules_.vowels.size(); ++r) {
      const VowelRule& v = rules_.vowels[r];
      const auto index = static_cast<std::uint16_t>(r);
      if (!v.pre.empty()) {
        rules_.starting_at[v.pre[0] - lo].push_back(index);
      } else if (!v.has_initial) {
        rules_.starting_at[v.post[0] - lo].push_back(index);
      } else if (!v.post.empty()) {
        rules_.after_initial_at[v.post[0] - lo].push_back(index);
      } else {
        rules_.no_signs.push_back(index);
      }
    }
    return core::Status::Ok();
  }

  std::string_view name_;
  SyllableRomanizer::Rules& rules_;
  int line_no_ = 0;
};

void ReplaceAll(std::u32string& s, const std::u32string& from, const std::u32string& to) {
  std::size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::u32string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
}

// The segmentation of one token: a dynamic programme over positions.
class Segmenter {
 public:
  using Rules = SyllableRomanizer::Rules;

  struct Initial {
    std::size_t end = 0;
    const Spellings* spelling = nullptr;
    int series = 1;
    int penalty = 0;
    bool after_coeng = false;  // a subscript left over from the previous syllable
    // Filled by AddInitial: where the vowel signs start (after any series
    // shift), the series they read in, and their first letter that is not
    // ignorable (0 at the end), so most vowel rules are rejected at once.
    std::size_t vowel_start = 0;
    int vowel_series = 1;
    char32_t first_sign = 0;
  };

  // A step of the best path from one position: a syllable, or a skipped letter.
  struct Step {
    std::size_t end = 0;
    int cost = kInfinity;
    const VowelRule* rule = nullptr;  // nullptr: no syllable (ignored or unknown letter)
    int initial = -1;                 // index into pool_
    const Spellings* final_spelling = nullptr;
    int series = 1;
    // Among readings of equal cost the smallest tie wins: the earlier rule of
    // the table, then the earlier initial (clusters first, shorter first),
    // then open before closed. 0 for a skipped letter.
    std::uint64_t tie = 0;
  };

  Segmenter(const Rules& rules, std::u32string_view s) : rules_(rules), s_(s), n_(s.size()), at_(n_ + 1) {
    at_[n_].only_ignorable_from = true;
    for (std::size_t i = n_; i-- > 0;) {
      at_[i].only_ignorable_from = at_[i + 1].only_ignorable_from && rules_.IsIgnorable(s_[i]);
    }
    pool_.reserve(2 * n_ + 4);
  }

  void Run() {
    at_[n_].best.cost = 0;
    for (std::size_t i = n_; i-- > 0;) Enumerate(i);
  }

  std::vector<std::string> Render() const {
    std::vector<const Step*> path;
    for (std::size_t i = 0; i < n_;) {
      const Step& step = at_[i].best;
      if (step.rule != nullptr) path.push_back(&step);
      i = step.end;
    }
    std::vector<std::string> out(rules_.systems);
    for (std::size_t k = 0; k < rules_.systems; ++k) {
      std::string& text = out[k];
      for (std::size_t p = 0; p < path.size(); ++p) {
        const Step& step = *path[p];
        const VowelRule& rule = *step.rule;
        const Spellings* vowel = &rule.latin;
        if (p + 1 == path.size() && step.final_spelling == nullptr && !rule.end.empty()) {
          vowel = &rule.end;
        } else if (step.series == 2 && !rule.series2.empty()) {
          vowel = &rule.series2;
        }
        const std::size_t before = text.size();
        if (!text.empty()) text += rules_.sep;
        const std::size_t start = text.size();
        if (step.initial >= 0) text += (*pool_[static_cast<std::size_t>(step.initial)].spelling)[k];
        text += (*vowel)[k];
        if (step.final_spelling != nullptr) text += (*step.final_spelling)[k];
        if (text.size() == start) text.resize(before);  // a silent syllable adds no separator
      }
    }
    if (out.front().empty()) out.clear();  // every system reads the same syllables
    return out;
  }

 private:
  static constexpr std::uint32_t kNotComputed = ~std::uint32_t{0};

  // Matches `pattern` at `j`, skipping ignorable letters the pattern does not
  // name. Returns the end, or kNpos.
  std::size_t MatchLiteral(std::size_t j, std::u32string_view pattern) const {
    for (char32_t c : pattern) {
      while (j < n_ && s_[j] != c && rules_.IsIgnorable(s_[j])) ++j;
      if (j >= n_ || s_[j] != c) return kNpos;
      ++j;
    }
    return j;
  }

  void AddInitial(Initial ini) {
    std::size_t v = ini.end;
    ini.vowel_series = ini.series;
    while (v < n_) {
      const int shift = rules_.ShiftOf(s_[v]);
      if (shift == 0) break;
      ini.vowel_series = shift;
      ++v;
    }
    ini.vowel_start = v;
    while (v < n_ && rules_.IsIgnorable(s_[v])) ++v;
    ini.first_sign = v < n_ ? s_[v] : 0;
    pool_.push_back(ini);
  }

  Spellings* Compose(const Spellings& base) {
    composed_.push_back(std::make_unique<Spellings>(base));
    return composed_.back().get();
  }

  // Adds `ini` and every extension of it by medial signs and coeng
  // subscripts, shortest first: a vowel template may itself start with a
  // medial (Myanmar ွန် reads "un").
  void AddWithExtensions(Initial ini) {
    AddInitial(ini);
    while (ini.end < n_) {
      const char32_t c = s_[ini.end];
      if (const Medial* medial = rules_.FindMedial(c); medial != nullptr) {
        Spellings* composed = Compose(*ini.spelling);
        for (auto& sp : *composed) sp = medial->prefix + sp + medial->suffix;
        ini.spelling = composed;
        ++ini.end;
        AddInitial(ini);
        continue;
      }
      if (rules_.coeng != 0 && c == rules_.coeng && ini.end + 1 < n_) {
        const Consonant* sub = rules_.FindConsonant(s_[ini.end + 1]);
        if (sub == nullptr) break;
        Spellings* composed = Compose(*ini.spelling);
        for (std::size_t k = 0; k < composed->size(); ++k) (*composed)[k] += sub->initial[k];
        ini.spelling = composed;
        if (ini.series == 1 && sub->series == 2 && !rules_.Has(s_[ini.end + 1], Rules::kSonorant)) ini.series = 2;
        ini.end += 2;
        AddInitial(ini);
        continue;
      }
      break;
    }
  }

  // The initials that can start at `j`, as a range of pool_.
  std::pair<std::uint32_t, std::uint32_t> InitialsAt(std::size_t j) {
    auto& range = at_[j].initials;
    if (range.second != kNotComputed) return range;
    range.first = static_cast<std::uint32_t>(pool_.size());
    if (j < n_) {
      const std::vector<std::uint16_t>* clusters =
          rules_.InRange(s_[j]) ? &rules_.clusters_at[s_[j] - rules_.lo] : nullptr;
      for (std::size_t ci = 0; clusters != nullptr && ci < clusters->size(); ++ci) {
        const Cluster& c = rules_.clusters[(*clusters)[ci]];
        if (s_.substr(j, c.seq.size()) == c.seq) {
          AddWithExtensions(Initial{j + c.seq.size(), &c.initial, c.series, c.cost, false});
        }
      }
      const bool after_coeng = rules_.coeng != 0 && s_[j] == rules_.coeng;
      const std::size_t at = after_coeng ? j + 1 : j;
      if (at < n_) {
        if (const Consonant* c = rules_.FindConsonant(s_[at]); c != nullptr) {
          AddWithExtensions(Initial{at + 1, &c->initial, c->series, after_coeng ? 1 : 0, after_coeng});
        }
      }
    }
    range.second = static_cast<std::uint32_t>(pool_.size());
    return range;
  }

  void Offer(std::size_t i, const Step& step) {
    const int total = step.cost + at_[step.end].best.cost;
    Step& best = at_[i].best;
    if (total < best.cost || (total == best.cost && step.tie < best.tie)) {
      best = step;
      best.cost = total;
    }
  }

  std::uint64_t Tie(const VowelRule& rule, int initial, std::uint64_t variant) const {
    const auto r = static_cast<std::uint64_t>(&rule - rules_.vowels.data());
    return ((r + 1) << 40) | (static_cast<std::uint64_t>(initial + 1) << 8) | variant;
  }

  int SyllableCost(const VowelRule& rule, std::size_t end, int penalty) const {
    return 1 + (at_[end].only_ignorable_from ? rule.cost_end : rule.cost_mid) + penalty;
  }

  // Offers the syllable ending at `p` (after the vowel signs), with or without
  // a final consonant as the rule allows.
  void OfferFinals(std::size_t i, const VowelRule& rule, int initial, int series, std::size_t p) {
    const int penalty = initial >= 0 ? pool_[static_cast<std::size_t>(initial)].penalty : 0;
    if (rule.mode != FinalMode::kRequired) {
      Offer(i, Step{p, SyllableCost(rule, p, penalty), &rule, initial, nullptr, series, Tie(rule, initial, 0)});
    }
    if (rule.mode == FinalMode::kNone) return;
    std::size_t q = p;
    while (q < n_ && rules_.IsIgnorable(s_[q])) ++q;
    if (q >= n_) return;
    for (const FinalSeq& fs : rules_.finals) {
      if (s_.substr(q, fs.seq.size()) == fs.seq) {
        const std::size_t end = q + fs.seq.size();
        Offer(i, Step{end, SyllableCost(rule, end, penalty), &rule, initial, &fs.final_spelling, series,
                      Tie(rule, initial, 1)});
      }
    }
    const Consonant* fin = rules_.FindConsonant(s_[q]);
    if (fin == nullptr || fin->final_spelling.empty()) return;
    Offer(i, Step{q + 1, SyllableCost(rule, q + 1, penalty), &rule, initial, &fin->final_spelling, series,
                  Tie(rule, initial, 2)});
    // A subscript written under the final at the end of a word is silent.
    if (rules_.coeng != 0 && q + 2 < n_ && s_[q + 1] == rules_.coeng && rules_.FindConsonant(s_[q + 2]) != nullptr &&
        at_[q + 3].only_ignorable_from) {
      Offer(i, Step{q + 3, SyllableCost(rule, q + 3, penalty + 1), &rule, initial, &fin->final_spelling, series,
                    Tie(rule, initial, 3)});
    }
  }

  // Offers `rule` read with each initial that starts at `j`.
  void TryInitials(std::size_t i, const VowelRule& rule, std::size_t j) {
    const auto [first, last] = InitialsAt(j);
    for (std::uint32_t k = first; k < last; ++k) TryInitial(i, rule, k);
  }

  void TryInitial(std::size_t i, const VowelRule& rule, std::uint32_t k) {
    const Initial& ini = pool_[k];
    if (!rule.post.empty() && ini.first_sign != rule.post[0]) return;
    if (!rule.pre.empty() && ini.after_coeng) return;
    const std::size_t p = MatchLiteral(ini.vowel_start, rule.post);
    if (p != kNpos) OfferFinals(i, rule, static_cast<int>(k), ini.vowel_series, p);
  }

  void Enumerate(std::size_t i) {
    // A letter nobody reads is skipped at a high price, so any reading wins.
    Offer(i, Step{i + 1, rules_.IsIgnorable(s_[i]) ? 0 : kUnknownCost, nullptr, -1, nullptr, 1, 0});
    if (!rules_.InRange(s_[i])) return;
    // Pre-posed and independent vowels start here.
    for (std::uint16_t r : rules_.starting_at[s_[i] - rules_.lo]) {
      const VowelRule& rule = rules_.vowels[r];
      if (!rule.has_initial) {
        const std::size_t p = MatchLiteral(i, rule.post);
        if (p != kNpos) OfferFinals(i, rule, -1, 1, p);
        continue;
      }
      const std::size_t j = MatchLiteral(i, rule.pre);
      if (j != kNpos) TryInitials(i, rule, j);
    }
    // Syllables that start with their initial.
    const auto [first, last] = InitialsAt(i);
    for (std::uint32_t k = first; k < last; ++k) {
      const char32_t sign = pool_[k].first_sign;
      if (rules_.InRange(sign)) {
        for (std::uint16_t r : rules_.after_initial_at[sign - rules_.lo]) TryInitial(i, rules_.vowels[r], k);
      }
      for (std::uint16_t r : rules_.no_signs) TryInitial(i, rules_.vowels[r], k);
    }
  }

  // What the programme knows about one position of the token.
  struct Position {
    Step best;                                                          // cheapest reading of s_[i..]
    std::pair<std::uint32_t, std::uint32_t> initials{0, kNotComputed};  // range of pool_
    bool only_ignorable_from = false;                                   // s_[i..] has nothing to read
  };

  const Rules& rules_;
  std::u32string_view s_;
  std::size_t n_;
  std::vector<Position> at_;
  std::vector<Initial> pool_;
  std::vector<std::unique_ptr<Spellings>> composed_;  // spellings of initials with medials
};

}  // namespace

core::Result<SyllableRomanizer> SyllableRomanizer::Parse(std::string_view name, std::string_view table) {
  auto rules = std::make_unique<Rules>();
  TableParser parser(name, *rules);
  CTIMS_RETURN_IF_ERROR(parser.Parse(table));
  return SyllableRomanizer(std::move(rules));
}

SyllableRomanizer::SyllableRomanizer(std::unique_ptr<const Rules> rules) : rules_(std::move(rules)) {}
SyllableRomanizer::SyllableRomanizer(SyllableRomanizer&&) noexcept = default;
SyllableRomanizer& SyllableRomanizer::operator=(SyllableRomanizer&&) noexcept = default;
SyllableRomanizer::~SyllableRomanizer() = default;

std::size_t SyllableRomanizer::SystemCount() const {
  return rules_->systems;
}

std::vector<std::string> SyllableRomanizer::Romanize(std::string_view utf8_token) const {
  std::u32string s = DecodeUtf8(utf8_token);
  if (s.size() > kMaxTokenCodePoints) s.resize(kMaxTokenCodePoints);
  const Rules& r = *rules_;
  for (const auto& [from, to] : r.replace) ReplaceAll(s, from, to);
  for (const auto& seq : r.silent) ReplaceAll(s, seq, std::u32string());
  if (!r.cancel.empty()) {
    for (std::size_t j = 0; j < s.size();) {
      if (!r.Has(s[j], Rules::kCancel)) {
        ++j;
        continue;
      }
      // Silence the consonant the mark sits on, with the signs written on it.
      std::size_t start = j;
      while (start > 0 && r.Has(s[start - 1], Rules::kVowelSign | Rules::kIgnorable)) --start;
      if (start > 0 && r.FindConsonant(s[start - 1]) != nullptr) --start;
      s.erase(start, j + 1 - start);
      j = start;
    }
  }
  if (s.empty()) return {};
  Segmenter seg(r, s);
  seg.Run();
  return seg.Render();
}

}  // namespace ctims::search
