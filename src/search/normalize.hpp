#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ctims::search {

// The writing systems names arrive in, as far as romanisation cares.
enum class Script {
  kLatin,
  kVietnameseLatin,  // Latin with Vietnamese letters or tone marks (ă â đ ê ô ơ ư, ạ ả ...)
  kLao,
  kThai,
  kMyanmar,
  kKhmer,
  kHan,
  kOther,  // anything else, including tokens without letters
};

// A stable lower-case name ("lao", "vietnamese_latin", ...) for tests and reasons.
const char* ScriptName(Script script);

// Returns `utf8` in Unicode NFKC with full case folding and default-ignorable
// code points removed (ICU's NFKC_Casefold: full-width "Ｓｏｍ" -> "som",
// "ﬁ" -> "fi", "ß" -> "ss", zero-width spaces gone), with every run of
// characters that are not letters, combining marks or digits (spaces,
// punctuation, symbols, hyphens) turned into one ASCII space, apostrophes
// dropped ("O'Neill" -> "oneill") and no leading or trailing space. Invalid
// UTF-8 is treated as a separator. Never fails: if ICU's normaliser data is
// unavailable (CheckNameRules() reports it) only ASCII is lower-cased.
// Thread-safe.
std::string NormalizeName(std::string_view utf8);

// Splits a normalised name at its spaces. The views point into `normalized`.
std::vector<std::string_view> SplitTokens(std::string_view normalized);

// The non-empty pieces of `text` between `separator`s (runs of separators
// and separators at either end give no empty piece). The views point into
// `text`.
std::vector<std::string_view> SplitNonEmpty(std::string_view text, char separator);

// The script of the majority of the letters of `token` (NFKC, case folded;
// ties go to the script seen first). Digits and punctuation do not count; a
// token without letters is kOther. Latin with at least one Vietnamese letter
// or tone mark is kVietnameseLatin. Thread-safe.
Script DetectScript(std::string_view token);

// Cuts a token into runs of one script ("ສົມphone" -> {Lao "ສົມ", Latin
// "phone"}); digits, marks and other common characters stay with the run
// they follow. Thread-safe.
std::vector<std::pair<Script, std::string>> SplitScriptRuns(std::string_view token);

}  // namespace ctims::search
