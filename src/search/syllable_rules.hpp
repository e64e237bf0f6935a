#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace ctims::search {

// A table-driven romaniser for the Brahmic scripts ICU handles badly or not at
// all (Lao, Thai, Myanmar, Khmer). The rules are data (src/search/rules/*.tsv,
// compiled into the binary); this engine only knows the shape of a syllable:
//
//   [pre-vowel] initial [medials|coeng+consonant] [series shift] [vowel signs] [final]
//
// A token is segmented into syllables by dynamic programming: every syllable
// the rules allow at a position is a candidate with a cost (1 per syllable, plus
// the cost of implicit vowels and repairs; a letter no rule reads is skipped
// at cost 10), and the cheapest segmentation of the whole token wins. Ties go
// to the vowel rule listed first in the table, then to clusters before single
// consonants and shorter medial chains before longer ones, then to an open
// syllable before a closed one. Syllables are spelled initial + vowel + final
// whatever the written order (ເກ -> "ke").
//
// Every Latin column of a table lists alternatives separated by '|'. Column k
// of every rule together forms "system" k (system 0 is the customary spelling
// of names, later systems the common variants); a rule with fewer
// alternatives uses its first one. Romanize() renders every system.
//
// Table format: one rule per line, fields separated by TABs, '#' starts a
// comment line, blank lines are ignored. '~' in a Latin column is the empty
// spelling; '-' in a final column means the letter cannot close a syllable.
//
//   option   syllable_sep   none|space     joins syllables of one token
//   option   coeng          C              Khmer-style subscript marker
//   option   sonorants      CCC            consonants that never change the
//                                          series of a coeng cluster
//   ignore   CCC            tone marks etc., skipped wherever no rule names them
//   cancel   C              a mark that silences the consonant (and vowel signs)
//                           written before it (Thai ์, Lao ໌, Khmer ៍)
//   silent   SEQ            a sequence deleted before segmentation
//   replace  SEQ   SEQ      a sequence rewritten before segmentation
//   cons     C  INITIAL  FINAL  [series=2]
//   cluster  SEQ  INITIAL  [series=2] [cost=N]
//                           an initial written with several letters; cost=N
//                           makes readings without the cluster win ties
//   final    SEQ  FINAL                    a final written with several letters
//   medial   C  PATTERN     '+' stands for the initial it follows ("h+", "+y")
//   shift    C  1|2         a sign that moves the initial to consonant series 1/2
//   vowel    TEMPLATE  MODE  COST  LATIN  [series2=LATIN]  [end=LATIN]
// (all the letters of one table must lie within 65536 code points)
//
// In a vowel TEMPLATE '_' stands for the initial (consonant cluster); the
// letters before it are written before the initial, the ones after it after.
// A template without '_' is an independent vowel. MODE is '-' (open syllable
// only), '*' (a final consonant is required) or '?' (optional). COST is
// "N" or "N/M" (M when the syllable ends the token). `series2=` is used after
// a series-2 initial (Khmer), `end=` for an open syllable that ends the token.
//
// Thread-safety: immutable after Parse(); Romanize() is const and safe to call
// from any number of threads.
class SyllableRomanizer {
 public:
  // Parses a rule table. `name` is used in error messages only. Returns
  // kInvalidArgument naming the line of the first malformed rule.
  static core::Result<SyllableRomanizer> Parse(std::string_view name, std::string_view table);

  SyllableRomanizer(SyllableRomanizer&&) noexcept;
  SyllableRomanizer& operator=(SyllableRomanizer&&) noexcept;
  ~SyllableRomanizer();

  // Romanises one token of this script (NFKC + case folded UTF-8, no spaces).
  // Returns one spelling per system (SystemCount() of them, element k in
  // system k, so spellings of several tokens can be joined system by system;
  // systems may coincide), lower-case ASCII, syllables joined by the
  // table's separator; empty when nothing in the token could be read.
  // Tokens longer than kMaxTokenCodePoints are cut there (no name has such
  // words).
  std::vector<std::string> Romanize(std::string_view utf8_token) const;

  // How many spellings ("systems") the table defines at most.
  std::size_t SystemCount() const;

  static constexpr std::size_t kMaxTokenCodePoints = 128;

  struct Rules;

 private:
  explicit SyllableRomanizer(std::unique_ptr<const Rules> rules);
  std::unique_ptr<const Rules> rules_;
};

// Decodes UTF-8 into code points; invalid sequences become U+FFFD.
std::u32string DecodeUtf8(std::string_view utf8);

}  // namespace ctims::search
