#include "core/keyring.hpp"

#include <sodium.h>

#include <cstdint>
#include <optional>
#include <utility>

#include "core/crypto.hpp"
#include "core/secret_file.hpp"

namespace ctims::core {
namespace {

constexpr std::string_view kHeader = "ctims-keyring 1";
constexpr std::string_view kSealedPrefix = "enc:v";
constexpr int kMaxVersion = 1'000'000;
constexpr off_t kMaxKeyFileBytes = off_t{64} * 1024;
constexpr std::string_view kLabel = "key file";

// A decimal version number 1..kMaxVersion without sign or leading zeros.
std::optional<int> ParseVersion(std::string_view digits) {
  if (digits.empty() || digits.size() > 7 || digits[0] == '0') return std::nullopt;
  int value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value > kMaxVersion) return std::nullopt;
  return value;
}

void AppendKeyLine(std::string& out, int version, std::string_view data_key, std::string_view index_key) {
  out += 'v';
  out += std::to_string(version);
  out += ' ';
  std::string data_text = Base64Encode(data_key);
  std::string index_text = Base64Encode(index_key);
  out += data_text;
  out += ' ';
  out += index_text;
  out += '\n';
  WipeString(data_text);
  WipeString(index_text);
}

// Key file text for `ring` without `skip`, plus `extra` (version, data key)
// when given.
std::string Serialize(const KeyRing& ring, int skip, const std::pair<int, std::string>* extra) {
  std::string out(kHeader);
  out += '\n';
  out.reserve(out.size() + (ring.versions().size() + 1) * 100);  // no reallocation leaving key copies behind
  for (const int v : ring.versions()) {
    if (v != skip) AppendKeyLine(out, v, *ring.DataKey(v), *ring.IndexKey(v));
  }
  if (extra != nullptr) AppendKeyLine(out, extra->first, extra->second, ring.index_key());
  return out;
}

// Opens, checks and reads the key file (the checks of LoadKeyFile).
Result<SecretFile> ReadKeyFile(const std::string& path) {
  return ReadSecretFile(path, kLabel, kMaxKeyFileBytes);
}

// Associated data of a sealed field: every part length-prefixed (64-bit
// big-endian) so that no two (table, column, row, version) tuples encode
// alike, under a label that keeps this format apart from any other use of
// the same key.
std::string FieldAssociatedData(std::string_view table, std::string_view column, std::string_view row_id, int version) {
  std::string ad = "ctims.field.v1";
  const std::string version_text = std::to_string(version);
  for (const std::string_view part : {table, column, row_id, std::string_view(version_text)}) {
    const auto size = static_cast<uint64_t>(part.size());
    for (int shift = 56; shift >= 0; shift -= 8) ad += static_cast<char>((size >> shift) & 0xFF);
    ad += part;
  }
  return ad;
}

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

}  // namespace

KeyRing::~KeyRing() {
  for (auto& [version, keys] : keys_) {
    WipeString(keys.data_key);
    WipeString(keys.index_key);
  }
}

const std::string* KeyRing::DataKey(int version) const {
  const auto it = keys_.find(version);
  return it == keys_.end() ? nullptr : &it->second.data_key;
}

const std::string* KeyRing::IndexKey(int version) const {
  const auto it = keys_.find(version);
  return it == keys_.end() ? nullptr : &it->second.index_key;
}

std::vector<int> KeyRing::versions() const {
  std::vector<int> out;
  out.reserve(keys_.size());
  for (const auto& [version, keys] : keys_) out.push_back(version);
  return out;
}

Result<KeyRing> ParseKeyRing(std::string_view contents) {
  std::map<int, KeyRing::Keys> keys;
  auto wipe_all = [&keys] {
    for (auto& [version, k] : keys) {
      WipeString(k.data_key);
      WipeString(k.index_key);
    }
  };
  auto malformed = [&](size_t line_number, const std::string& why) {
    wipe_all();
    return Status::InvalidArgument("key file line " + std::to_string(line_number) + ": " + why);
  };
  if (contents.ends_with('\n')) contents.remove_suffix(1);
  size_t line_number = 0;
  while (true) {
    ++line_number;
    const size_t eol = contents.find('\n');
    const std::string_view line = contents.substr(0, eol);
    if (line_number == 1) {
      if (line != kHeader) return malformed(1, "expected \"" + std::string(kHeader) + "\"");
    } else {
      // "v<N> <data key> <index key>", single spaces.
      const size_t s1 = line.find(' ');
      const size_t s2 = s1 == std::string_view::npos ? s1 : line.find(' ', s1 + 1);
      if (s2 == std::string_view::npos || line.find(' ', s2 + 1) != std::string_view::npos || line[0] != 'v') {
        return malformed(line_number, "expected \"v<N> <base64 data key> <base64 index key>\"");
      }
      const std::optional<int> version = ParseVersion(line.substr(1, s1 - 1));
      if (!version) return malformed(line_number, "bad version number");
      if (keys.contains(*version)) return malformed(line_number, "duplicate version");
      Result<std::string> data_key = Base64Decode(line.substr(s1 + 1, s2 - s1 - 1));
      Result<std::string> index_key = Base64Decode(line.substr(s2 + 1));
      const bool good = data_key.ok() && data_key->size() == kSecretKeyBytes && index_key.ok() &&
                        index_key->size() == kSecretKeyBytes;
      if (!good) {
        if (data_key.ok()) WipeString(*data_key);
        if (index_key.ok()) WipeString(*index_key);
        return malformed(line_number, "keys must be base64 of 32 bytes");
      }
      if (!keys.empty() && !ConstantTimeEquals(keys.begin()->second.index_key, *index_key)) {
        WipeString(*data_key);
        WipeString(*index_key);
        return malformed(line_number, "index key differs from the other versions' (it must never change)");
      }
      keys.emplace(*version, KeyRing::Keys{std::move(*data_key), std::move(*index_key)});
    }
    if (eol == std::string_view::npos) break;
    contents.remove_prefix(eol + 1);
  }
  if (keys.empty()) return malformed(line_number, "no key version");
  return KeyRing(std::move(keys));
}

Status InitKeyFile(const std::string& path) {
  std::string contents(kHeader);
  contents += '\n';
  {
    std::string data_key = NewSecretKey();
    std::string index_key = NewSecretKey();
    AppendKeyLine(contents, 1, data_key, index_key);
    WipeString(data_key);
    WipeString(index_key);
  }
  WipeOnExit wipe(contents);
  return WriteSecretFileAtomically(path, contents, /*replace=*/false, kLabel);
}

Result<KeyRing> LoadKeyFile(const std::string& path) {
  CTIMS_ASSIGN_OR_RETURN(SecretFile file, ReadKeyFile(path));
  WipeOnExit wipe(file.contents);
  Result<KeyRing> ring = ParseKeyRing(file.contents);
  if (!ring.ok()) return Status(ring.status().code(), "key file " + path + ": " + ring.status().message());
  return ring;
}

Status AddKeyVersion(const std::string& path) {
  CTIMS_ASSIGN_OR_RETURN(SecretFile file, ReadKeyFile(path));
  WipeOnExit wipe(file.contents);
  Result<KeyRing> ring = ParseKeyRing(file.contents);
  if (!ring.ok()) return Status(ring.status().code(), "key file " + path + ": " + ring.status().message());
  if (ring->current_version() >= kMaxVersion) return Status::Conflict("key file " + path + " has no version left");
  std::pair<int, std::string> added{ring->current_version() + 1, NewSecretKey()};
  WipeOnExit wipe_added(added.second);
  std::string contents = Serialize(*ring, 0, &added);
  WipeOnExit wipe_contents(contents);
  return WriteSecretFileAtomically(path, contents, /*replace=*/true, kLabel, file.owner);
}

Status RemoveKeyVersion(const std::string& path, int version) {
  CTIMS_ASSIGN_OR_RETURN(SecretFile file, ReadKeyFile(path));
  WipeOnExit wipe(file.contents);
  Result<KeyRing> ring = ParseKeyRing(file.contents);
  if (!ring.ok()) return Status(ring.status().code(), "key file " + path + ": " + ring.status().message());
  if (ring->DataKey(version) == nullptr) {
    return Status::NotFound("key file " + path + " has no version " + std::to_string(version));
  }
  if (version == ring->current_version()) {
    return Status::Conflict("version " + std::to_string(version) +
                            " is the current key version; add a newer one and re-seal before removing it");
  }
  std::string contents = Serialize(*ring, version, nullptr);
  WipeOnExit wipe_contents(contents);
  return WriteSecretFileAtomically(path, contents, /*replace=*/true, kLabel, file.owner);
}

Result<std::string> SealField(const KeyRing& ring, std::string_view table, std::string_view column,
                              std::string_view row_id, std::string_view plaintext) {
  const int version = ring.current_version();
  CTIMS_ASSIGN_OR_RETURN(const std::string sealed,
                         Seal(*ring.DataKey(version), plaintext, FieldAssociatedData(table, column, row_id, version)));
  return std::string(kSealedPrefix) + std::to_string(version) + ":" + Base64Encode(sealed);
}

namespace {

// The key version of `text` and its payload (the text after the second
// colon), from the prefix alone: the payload's characters are not looked at.
// 0 when the prefix is not "enc:v<N>:" or the payload is empty.
int ParseSealedPrefix(std::string_view text, std::string_view& payload) {
  if (!text.starts_with(kSealedPrefix)) return 0;
  text.remove_prefix(kSealedPrefix.size());
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) return 0;
  const std::optional<int> version = ParseVersion(text.substr(0, colon));
  if (!version) return 0;
  payload = text.substr(colon + 1);
  return *version;
}

}  // namespace

Result<std::string> OpenField(const KeyRing& ring, std::string_view table, std::string_view column,
                              std::string_view row_id, std::string_view sealed) {
  // One pass over the payload: libsodium's decoder refuses any character
  // outside the base64 alphabet (no ignore set, no unconsumed input), which
  // is at least as strict as SealedVersion's scan.
  std::string_view payload;
  const int version = ParseSealedPrefix(sealed, payload);
  if (version == 0) return Status::InvalidArgument("malformed sealed value");
  Result<std::string> bytes = Base64Decode(payload);
  if (!bytes.ok()) return Status::InvalidArgument("malformed sealed value");
  const std::string* key = ring.DataKey(version);
  if (key == nullptr) return Status::Internal("key version " + std::to_string(version) + " is not in the key ring");
  return Open(*key, *bytes, FieldAssociatedData(table, column, row_id, version));
}

bool IsSealed(std::string_view text) {
  return SealedVersion(text) != 0;
}

bool HasSealedPrefix(std::string_view text) {
  std::string_view payload;
  return ParseSealedPrefix(text, payload) != 0;
}

int SealedVersion(std::string_view text) {
  std::string_view payload;
  const int version = ParseSealedPrefix(text, payload);
  if (version == 0) return 0;
  for (const char c : payload) {
    if (!IsBase64Char(c)) return 0;
  }
  return version;
}

std::string BlindIndex(const KeyRing& ring, std::string_view purpose, std::string_view normalized_value) {
  std::string message;
  for (const std::string_view part : {purpose, normalized_value}) {
    const auto size = static_cast<uint64_t>(part.size());
    for (int shift = 56; shift >= 0; shift -= 8) message += static_cast<char>((size >> shift) & 0xFF);
    message += part;
  }
  const std::string mac = HmacSha256(ring.index_key(), message);
  WipeString(message);
  std::string hex(mac.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
  hex.pop_back();
  return hex;
}

}  // namespace ctims::core
