#include "core/crypto.hpp"

#include <sodium.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <unordered_set>

#include "core/secret_file.hpp"

namespace ctims::core {
namespace {

// sodium_init() is itself thread-safe and idempotent; caching its outcome in
// a function-local static (initialised once, under the compiler's guard)
// keeps the hot path to one load.
bool SodiumReady() {
  static const bool kReady = sodium_init() >= 0;
  return kReady;
}

// For functions that have no Status to report with: fail closed.
void RequireSodium() {
  if (!SodiumReady()) {
    std::fputs("ctims: libsodium failed to initialise (no OS randomness); aborting\n", stderr);
    std::abort();
  }
}

// libsodium marks some pointer parameters nonnull even when their length is
// zero, and an empty string_view may have a null data(): never pass that on.
const unsigned char* Bytes(std::string_view s) {
  static constexpr unsigned char kEmpty = 0;
  return s.data() == nullptr ? &kEmpty : reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* MutableBytes(std::string& s) {
  return reinterpret_cast<unsigned char*>(s.data());
}

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

void AsciiLower(std::string& s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
}

// Decodes strict UTF-8 (no overlong forms, no surrogates, nothing above
// U+10FFFF). Returns false when `s` is not valid UTF-8; otherwise stores the
// number of code points and that number with each run of U+0020 counted once.
bool CountCodePoints(std::string_view s, size_t& code_points, size_t& collapsed) {
  code_points = 0;
  collapsed = 0;
  bool previous_space = false;
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (b0 < 0x80) {
      len = 1;
      cp = b0;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
      cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      cp = b0 & 0x0F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      cp = b0 & 0x07;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
    ++code_points;
    const bool space = cp == 0x20;
    if (!(space && previous_space)) ++collapsed;
    previous_space = space;
  }
  return true;
}

const std::unordered_set<std::string>& CommonPasswords() {
  static const auto* const kSet = [] {
    auto* set = new std::unordered_set<std::string>();
    for (const EmbeddedFile& file : EmbeddedCommonPasswords()) {
      std::string_view rest = file.contents;
      while (!rest.empty()) {
        const size_t eol = rest.find('\n');
        std::string_view line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
        if (line.starts_with("#!comment:")) continue;  // John the Ripper's comment lines
        line = Trim(line);
        if (line.empty()) continue;
        std::string entry(line);
        AsciiLower(entry);
        set->insert(std::move(entry));
      }
    }
    return set;
  }();
  return *kSet;
}

}  // namespace

Status InitCrypto() {
  if (!SodiumReady()) return Status::Internal("libsodium failed to initialise");
  return Status::Ok();
}

std::string RandomBytes(size_t n) {
  RequireSodium();
  std::string out(n, '\0');
  if (n > 0) randombytes_buf(out.data(), n);
  return out;
}

std::string RandomToken(size_t bytes) {
  std::string raw = RandomBytes(bytes);
  std::string out(sodium_base64_encoded_len(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), Bytes(raw), raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);  // drop the NUL that sodium_base64_encoded_len counts
  WipeString(raw);
  return out;
}

std::string Sha256Hex(std::string_view data) {
  RequireSodium();
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), Bytes(data), data.size());
  std::string hex(digest.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  hex.pop_back();
  return hex;
}

std::string HmacSha256(std::string_view key, std::string_view message) {
  RequireSodium();
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, Bytes(key), key.size());
  crypto_auth_hmacsha256_update(&state, Bytes(message), message.size());
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&state, MutableBytes(mac));
  sodium_memzero(&state, sizeof state);
  return mac;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  RequireSodium();
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Base64Encode(std::string_view bytes) {
  RequireSodium();
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), Bytes(bytes), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  RequireSodium();
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t len = 0;
  // A null end pointer makes libsodium refuse any unconsumed input.
  if (sodium_base642bin(MutableBytes(out), out.size(), text.data(), text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return Status::InvalidArgument("invalid base64");
  }
  out.resize(len);
  return out;
}

Result<std::string> HashPassword(std::string_view password) {
  if (!SodiumReady()) return Status::Internal("libsodium failed to initialise");
  if (password.size() > crypto_pwhash_PASSWD_MAX) return Status::InvalidArgument("password too long");
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str_alg(out.data(), password.empty() ? "" : password.data(), password.size(), kPasswordOpsLimit,
                            kPasswordMemLimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::Internal("password hashing failed (out of memory)");
  }
  return std::string(out.data());
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  if (!SodiumReady()) return false;
  // libsodium reads a NUL-terminated string of at most STRBYTES - 1 chars; an
  // embedded NUL would make it verify only a prefix of what we stored.
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES || hash.find('\0') != std::string_view::npos) return false;
  const std::string terminated(hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.empty() ? "" : password.data(), password.size()) == 0;
}

bool PasswordNeedsRehash(std::string_view hash) {
  if (!SodiumReady()) return true;
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES || hash.find('\0') != std::string_view::npos) return true;
  const std::string terminated(hash);
  // The argon2id-specific check (not the generic one) so that an argon2i hash
  // with the same parameters is also upgraded: it returns -1 for it.
  return crypto_pwhash_argon2id_str_needs_rehash(terminated.c_str(), kPasswordOpsLimit, kPasswordMemLimit) != 0;
}

bool IsCommonPassword(std::string_view password) {
  std::string key(Trim(password));
  AsciiLower(key);
  const bool common = CommonPasswords().contains(key);
  WipeString(key);
  return common;
}

std::vector<FieldError> CheckPasswordPolicy(std::string_view password) {
  std::vector<FieldError> errors;
  size_t code_points = 0;
  size_t collapsed = 0;
  if (!CountCodePoints(password, code_points, collapsed)) {
    errors.push_back({"password", "utf8", "password is not valid UTF-8"});
    return errors;
  }
  if (collapsed < kPasswordMinLength) {
    errors.push_back({"password", "min_length",
                      "password must have at least " + std::to_string(kPasswordMinLength) + " characters"});
  }
  if (code_points > kPasswordMaxLength) {
    errors.push_back(
        {"password", "max_length", "password must have at most " + std::to_string(kPasswordMaxLength) + " characters"});
  }
  if (IsCommonPassword(password)) {
    errors.push_back({"password", "common_password", "password is too common; choose another"});
  }
  return errors;
}

std::string NewSecretKey() {
  return RandomBytes(kSecretKeyBytes);
}

Result<std::string> Seal(std::string_view key, std::string_view plaintext, std::string_view associated_data) {
  static_assert(kSealNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  static_assert(kSealTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);
  static_assert(kSecretKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  if (!SodiumReady()) return Status::Internal("libsodium failed to initialise");
  if (key.size() != kSecretKeyBytes) return Status::Internal("encryption key has the wrong size");
  if (plaintext.size() > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX - kSealNonceBytes - kSealTagBytes) {
    return Status::Internal("plaintext too large to encrypt");
  }
  std::string out(kSealNonceBytes + plaintext.size() + kSealTagBytes, '\0');
  unsigned char* nonce = MutableBytes(out);
  randombytes_buf(nonce, kSealNonceBytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + kSealNonceBytes, &written, Bytes(plaintext), plaintext.size(),
                                             Bytes(associated_data), associated_data.size(), nullptr, nonce,
                                             Bytes(key));
  out.resize(kSealNonceBytes + written);
  return out;
}

Result<std::string> Open(std::string_view key, std::string_view sealed, std::string_view associated_data) {
  if (!SodiumReady()) return Status::Internal("libsodium failed to initialise");
  if (key.size() != kSecretKeyBytes) return Status::Internal("encryption key has the wrong size");
  if (sealed.size() < kSealNonceBytes + kSealTagBytes) return Status::InvalidArgument("decryption failed");
  const unsigned char* nonce = Bytes(sealed);
  const size_t ciphertext_size = sealed.size() - kSealNonceBytes;
  std::string out(ciphertext_size - kSealTagBytes, '\0');
  unsigned long long written = 0;
  // out.data() is never null for a std::string, even an empty one.
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(MutableBytes(out), &written, nullptr, nonce + kSealNonceBytes,
                                                 ciphertext_size, Bytes(associated_data), associated_data.size(), nonce,
                                                 Bytes(key)) != 0) {
    return Status::InvalidArgument("decryption failed");
  }
  out.resize(written);
  return out;
}

SigningKeyPair NewSigningKeyPair() {
  static_assert(kSigningPublicKeyBytes == crypto_sign_PUBLICKEYBYTES);
  static_assert(kSigningSecretKeyBytes == crypto_sign_SECRETKEYBYTES);
  static_assert(kSignatureBytes == crypto_sign_BYTES);
  RequireSodium();
  SigningKeyPair pair{std::string(kSigningPublicKeyBytes, '\0'), std::string(kSigningSecretKeyBytes, '\0')};
  crypto_sign_keypair(MutableBytes(pair.public_key), MutableBytes(pair.secret_key));
  return pair;
}

Result<std::string> Sign(std::string_view secret_key, std::string_view message) {
  if (!SodiumReady()) return Status::Internal("libsodium failed to initialise");
  if (secret_key.size() != kSigningSecretKeyBytes) return Status::Internal("signing key has the wrong size");
  std::string signature(kSignatureBytes, '\0');
  crypto_sign_detached(MutableBytes(signature), nullptr, Bytes(message), message.size(), Bytes(secret_key));
  return signature;
}

bool VerifySignature(std::string_view public_key, std::string_view message, std::string_view signature) {
  if (!SodiumReady()) return false;
  if (public_key.size() != kSigningPublicKeyBytes || signature.size() != kSignatureBytes) return false;
  return crypto_sign_verify_detached(Bytes(signature), Bytes(message), message.size(), Bytes(public_key)) == 0;
}

}  // namespace ctims::core
