#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "search/normalize.hpp"

namespace ctims::search {

// At most this many Latin spellings are produced for one name.
inline constexpr std::size_t kMaxLatinKeys = 8;

// A name's candidate Latin spellings and how they were made.
struct Romanization {
  // Distinct, lower-case ASCII a-z/0-9, words separated by one space, word
  // order as written, customary spelling first; at most kMaxLatinKeys. Empty
  // when the name has nothing that can be read (no letters).
  std::vector<std::string> spellings;
  // The scripts of the name's words, in order of first appearance.
  std::vector<Script> scripts;
  // What produced the spellings, for match reasons: "ICU Latin-ASCII",
  // "ICU Han-Latin/Names", "ctims Lao rules", ...; in order of first use.
  // The views point at string literals.
  std::vector<std::string_view> methods;
};

// Normalises `name` (NormalizeName), detects the script of every word, and
// romanises each word:
//   Latin, Vietnamese   ICU Latin-ASCII (Nguyễn Văn An -> "nguyen van an"),
//                       done as ICU NFD minus marks where that gives the
//                       same result (it is much faster)
//   Han                 ICU Han-Latin/Names, then as Latin (张伟 -> "zhang
//                       wei"; 毛泽东 -> "mao zedong", "mao ze dong")
//   Lao, Thai, Khmer,   the project's rule tables (src/search/rules/*.tsv):
//   Myanmar             several spellings per word (ສົມພອນ -> "somphone",
//                       "somphon"); Myanmar syllables become separate words
//                       (မောင်မောင် -> "maung maung"); Myanmar text in the
//                       legacy Zawgyi encoding is converted first.
//   anything else       ICU Any-Latin, Latin-ASCII
// Spelling k of the name joins spelling k of every word (a word with fewer
// spellings repeats its first), so each candidate follows one convention.
// Never fails; a script whose rules could not be loaded (see
// CheckNameRules) contributes nothing.
//
// Thread-safe: the rule tables are immutable after first use and each thread
// uses its own clones of the ICU transliterators (ICU's are not thread-safe).
// The first call (per process, then per thread) pays for loading them.
Romanization Romanize(std::string_view name);

// Romanize(name).spellings.
std::vector<std::string> LatinKeys(std::string_view name);

// Loads the embedded rule tables and ICU's normaliser and transliterators
// (once per process) and reports the first failure: kInternal naming the
// table line or ICU transform that failed. Call at start-up so a broken build
// or ICU data package fails loudly instead of matching fewer names.
core::Status CheckNameRules();

}  // namespace ctims::search
