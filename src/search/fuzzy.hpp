#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ctims::search {

// The sound key of one Latin word (lower-case ASCII a-z/0-9, as produced by
// LatinKeys). Spelling variants of the region's names map to one key:
//   consonants  ph/p/f -> p, th -> t, kh -> k, gh -> g, dh -> d, bh -> b,
//               ch/j/zh/tch/chh -> j, ck/c/q -> k, x/sh -> s, v/w -> w,
//               Burmese hp/ht/hs/hk -> p/t/s/k, gn/nh before a vowel -> ny
//   vowels      ou/oo/uu -> u, ee/ii -> i, ae -> e (Saeng/Seng), a doubled
//               letter -> one letter (aa -> a, nn -> n)
//   y           i between two consonants (Lynn -> lin, Sythong -> sitong)
//   word end    h dropped (vanh -> van), y -> i, w after a vowel -> o
//               (kaew -> keo), rn -> n (thaworn -> thawon), silent e after
//               a consonant dropped (phone -> pon)
// "Somphone", "Somphon" -> "sompon"; "Chaidi", "Jaidee" -> "jaidi".
// "o" and "u" stay apart (Lao and Thai distinguish them), so "oo" keys as
// "u": in names of the region it spells /u/ (Boonmee, Soonthorn).
// Thread-safe.
std::string PhoneticKey(std::string_view latin_word);

// Blocking keys of a name in any script: for every Latin spelling of the
// name (LatinKeys), the PhoneticKey of every word, of all words joined in
// written and in reverse order ("Maung Maung", "Maung-Maung" and
// "Maungmaung" all give "maungmaung"; "Zhang Wei" and "Wei Zhang" share
// every key), and a consonant skeleton per word and of the words joined
// (both orders), prefixed by '~' ("~smpn", "~smpnpmjk"), when it has at
// least three letters ("Linchao" and "Lin Chao" share "~lnj"), and the first
// four letters of the joined sound key (both orders) prefixed by '^' when it
// has at least five ("^tang" for "Tang Chaolong" and "Tanngchaolonb": a name
// written solid, with a typo). Sorted and distinct.
// Two spellings of one name share at least one key; a shared key is a reason
// to score a pair, not a match by itself. Thread-safe.
std::vector<std::string> FuzzyKeys(std::string_view name);

// The Jaro-Winkler similarity of two byte strings, in [0, 1] (prefix scale
// 0.1, prefix of at most 4). Strings are compared on their first 128 bytes.
double JaroWinkler(std::string_view a, std::string_view b);

// How alike two names are, and why.
struct NameMatch {
  // In [0, 1]. 1 for the same spelling; at least ~0.85 for two spellings of
  // one name in different scripts or conventions; clearly different names
  // score below 0.6.
  double score = 0;
  // Which spellings were compared and how their words matched, e.g.
  //   "ສົມພອນ ພົມມະຈັກ" read as "somphone phommachack" (ctims Lao rules) vs
  //   "somphon phommachak" (ICU Latin-ASCII): somphone=somphon (sound key
  //   sompon), phommachack=phommachak (sound key pomajak); 6 shared fuzzy
  //   keys; score 1.00
  // It quotes the (normalised) names: it is personal data, for the case
  // worker's screen, never for logs.
  std::string reason;
};

// Compares two names in any scripts. For every pair of their Latin
// spellings, the words' sound keys are aligned one to one, best pairs first
// and in any order, and their Jaro-Winkler similarities, squared (unrelated
// words still reach 0.5-0.6), are averaged weighted by length, an unmatched
// word counting half its length against; when the word counts differ, all
// words joined are compared too (scaled by the square root of the length
// ratio, so a given name alone is not taken for the full name). The best
// pair's similarity is raised towards 1 by half the Dice overlap of the two
// names' FuzzyKeys, or multiplied by 0.85 when they share no key.
// Thread-safe.
NameMatch MatchNames(std::string_view a, std::string_view b);

// A name made ready for many comparisons (`ctims dedupe` compares each
// person with up to 20 others; search compares one query with 30
// candidates): its Latin spellings, the sound keys of their words and its
// FuzzyKeys, computed once. Romanising is most of MatchNames' cost, so
// comparing prepared names is an order of magnitude cheaper. Holds no
// spelling, only sound keys (which do still derive from the name: personal
// data, never logged). Immutable after PrepareName; safe to share between
// threads.
class PreparedName {
 public:
  PreparedName() = default;
  // False when the name has no readable letters (it matches nothing).
  bool readable() const { return !forms_.empty(); }
  // 64-bit hashes (std::hash) of the name's FuzzyKeys, sorted and distinct:
  // a third of the memory of the keys themselves (dedupe holds every
  // person's prepared names). Valid within one process only.
  const std::vector<std::uint64_t>& key_hashes() const { return key_hashes_; }
  // A 64-bit hash of everything MatchPrepared reads (forms and key hashes):
  // equal names have equal fingerprints; unequal ones almost never do, so a
  // caller sharing prepared names checks operator== on a match. Valid within
  // one process only.
  std::uint64_t Fingerprint() const;
  // Equal contents: MatchPrepared gives the same result with either.
  bool operator==(const PreparedName& other) const = default;

 private:
  friend PreparedName PrepareName(std::string_view name);
  friend double MatchPrepared(const PreparedName& a, const PreparedName& b);
  struct Form {
    std::vector<std::string> keys;  // PhoneticKey of each word
    std::string joined;             // PhoneticKey of the words joined, in order
    std::string joined_reversed;
    bool operator==(const Form& other) const = default;
  };
  std::vector<Form> forms_;
  std::vector<std::uint64_t> key_hashes_;
};

// Romanises `name` once. Thread-safe.
PreparedName PrepareName(std::string_view name);

// MatchNames(a, b).score of the two names that were prepared, without the
// reason (the same arithmetic: equal to the last bit unless two different
// keys' 64-bit hashes collide). Thread-safe.
double MatchPrepared(const PreparedName& a, const PreparedName& b);

// MatchNames(a, b).score.
double NameSimilarity(std::string_view a, std::string_view b);

}  // namespace ctims::search
