#include "search/normalize.hpp"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <array>
#include <cstdint>
#include <optional>

namespace ctims::search {

namespace {

// Longer input is cut: no name is this long, and it bounds the work.
constexpr std::size_t kMaxNameBytes = 4096;

bool IsApostrophe(UChar32 c) {
  return c == 0x27 || c == 0x60 || c == 0x2018 || c == 0x2019 || c == 0x02BC || c == 0x02BB || c == 0xFF07;
}

bool IsVietnameseMarker(UChar32 c) {
  switch (c) {
    case 0x0102:
    case 0x0103:  // Ă ă
    case 0x00C2:
    case 0x00E2:  // Â â
    case 0x0110:
    case 0x0111:  // Đ đ
    case 0x00CA:
    case 0x00EA:  // Ê ê
    case 0x00D4:
    case 0x00F4:  // Ô ô
    case 0x01A0:
    case 0x01A1:  // Ơ ơ
    case 0x01AF:
    case 0x01B0:  // Ư ư
    case 0x0309:  // combining hook above
    case 0x0323:  // combining dot below
    case 0x031B:  // combining horn
      return true;
    default: return c >= 0x1EA0 && c <= 0x1EF9;  // precomposed Vietnamese letters with tone marks
  }
}

// The script of one code point; nullopt for Common and Inherited (digits,
// punctuation, combining marks shared by scripts).
std::optional<Script> ScriptOf(UChar32 c) {
  UErrorCode status = U_ZERO_ERROR;
  const UScriptCode code = uscript_getScript(c, &status);
  if (U_FAILURE(status)) return Script::kOther;
  switch (code) {
    case USCRIPT_COMMON:
    case USCRIPT_INHERITED: return std::nullopt;
    case USCRIPT_LATIN: return Script::kLatin;
    case USCRIPT_LAO: return Script::kLao;
    case USCRIPT_THAI: return Script::kThai;
    case USCRIPT_MYANMAR: return Script::kMyanmar;
    case USCRIPT_KHMER: return Script::kKhmer;
    case USCRIPT_HAN: return Script::kHan;
    default: return Script::kOther;
  }
}

void AppendUtf8(std::string& out, UChar32 c) {
  std::array<char, U8_MAX_LENGTH> buf{};
  int32_t len = 0;
  UBool error = false;
  U8_APPEND(reinterpret_cast<uint8_t*>(buf.data()), len, U8_MAX_LENGTH, c, error);
  if (!error) out.append(buf.data(), static_cast<std::size_t>(len));
}

// Calls fn(code point) for each code point of `s`; invalid UTF-8 yields a
// negative value.
template <typename Fn>
void ForEachCodePoint(std::string_view s, Fn fn) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const auto n = static_cast<int32_t>(s.size());
  int32_t i = 0;
  while (i < n) {
    UChar32 c = 0;
    U8_NEXT(p, i, n, c);
    fn(c);
  }
}

}  // namespace

const char* ScriptName(Script script) {
  switch (script) {
    case Script::kLatin: return "latin";
    case Script::kVietnameseLatin: return "vietnamese_latin";
    case Script::kLao: return "lao";
    case Script::kThai: return "thai";
    case Script::kMyanmar: return "myanmar";
    case Script::kKhmer: return "khmer";
    case Script::kHan: return "han";
    case Script::kOther: return "other";
  }
  return "other";
}

std::string NormalizeName(std::string_view utf8) {
  if (utf8.size() > kMaxNameBytes) utf8 = utf8.substr(0, kMaxNameBytes);
  UErrorCode status = U_ZERO_ERROR;
  std::string folded;
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_SUCCESS(status)) {
    const icu::UnicodeString src =
        icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
    const icu::UnicodeString dst = nfkc_cf->normalize(src, status);
    if (U_SUCCESS(status)) dst.toUTF8String(folded);
  }
  if (U_FAILURE(status)) {
    folded.assign(utf8);
    for (char& ch : folded) {
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    }
  }
  std::string out;
  out.reserve(folded.size());
  bool pending_space = false;
  ForEachCodePoint(folded, [&](UChar32 c) {
    if (c >= 0 && IsApostrophe(c)) return;
    constexpr uint32_t kKeep = U_GC_L_MASK | U_GC_M_MASK | U_GC_ND_MASK;
    if (c < 0 || c == 0xFFFD || (U_GET_GC_MASK(c) & kKeep) == 0) {
      pending_space = true;
      return;
    }
    if (pending_space && !out.empty()) out.push_back(' ');
    pending_space = false;
    AppendUtf8(out, c);
  });
  return out;
}

std::vector<std::string_view> SplitNonEmpty(std::string_view text, char separator) {
  std::vector<std::string_view> pieces;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) pieces.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return pieces;
}

std::vector<std::string_view> SplitTokens(std::string_view normalized) {
  return SplitNonEmpty(normalized, ' ');
}

Script DetectScript(std::string_view token) {
  std::array<int, 8> counts{};
  std::array<int, 8> first_seen{};
  first_seen.fill(-1);
  bool vietnamese = false;
  int position = 0;
  ForEachCodePoint(token, [&](UChar32 c) {
    if (c < 0) return;
    if (IsVietnameseMarker(c)) vietnamese = true;
    const std::optional<Script> script = ScriptOf(c);
    if (!script.has_value()) return;
    const auto i = static_cast<std::size_t>(*script);
    if (counts[i]++ == 0) first_seen[i] = position++;
  });
  std::size_t best = static_cast<std::size_t>(Script::kOther);
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    if (counts[best] == 0 || counts[i] > counts[best] ||
        (counts[i] == counts[best] && first_seen[i] < first_seen[best])) {
      best = i;
    }
  }
  if (counts[best] == 0) return Script::kOther;
  const auto script = static_cast<Script>(best);
  return script == Script::kLatin && vietnamese ? Script::kVietnameseLatin : script;
}

std::vector<std::pair<Script, std::string>> SplitScriptRuns(std::string_view token) {
  std::vector<std::pair<Script, std::string>> runs;
  std::vector<bool> vietnamese;
  std::string pending;  // common characters before the first run
  ForEachCodePoint(token, [&](UChar32 c) {
    if (c < 0) return;
    const std::optional<Script> script = ScriptOf(c);
    if (!script.has_value()) {
      if (runs.empty()) {
        AppendUtf8(pending, c);
      } else {
        AppendUtf8(runs.back().second, c);
        if (IsVietnameseMarker(c)) vietnamese.back() = true;
      }
      return;
    }
    if (runs.empty() || runs.back().first != *script) {
      runs.emplace_back(*script, std::move(pending));
      pending.clear();
      vietnamese.push_back(false);
    }
    AppendUtf8(runs.back().second, c);
    if (IsVietnameseMarker(c)) vietnamese.back() = true;
  });
  if (runs.empty() && !pending.empty()) runs.emplace_back(Script::kOther, std::move(pending));
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (runs[i].first == Script::kLatin && vietnamese[i]) runs[i].first = Script::kVietnameseLatin;
  }
  return runs;
}

}  // namespace ctims::search
