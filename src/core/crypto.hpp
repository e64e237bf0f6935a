#pragma once

// Every cryptographic primitive ctims uses, behind one small API. All of it is
// libsodium 1.0.18 (the one exception, HMAC-SHA1 for TOTP, lives in totp.cpp):
// nothing here is a hand-rolled primitive. libsodium stays a private
// dependency of ctims_core, so no header includes <sodium.h>.
//
// Conventions for the whole file:
// - Binary values (keys, digests, nonces, ciphertexts) travel as std::string
//   holding raw bytes; std::string_view parameters are read, never kept.
// - Errors are core::Status values; nothing throws. Error messages never
//   contain key material, plaintext, passwords or hashes.
// - Every function is thread-safe and initialises libsodium on first use
//   (InitCrypto() exists so that a program can fail early and cleanly at start).
//   libsodium can fail to initialise only when the OS gives no randomness;
//   then functions with a Status in their result return kInternal, bool
//   checks answer the safe way (no match, or "needs rehash"), and the others
//   abort the process: failing closed beats handing out predictable tokens.
// - Callers own every returned value. A returned secret is an ordinary
//   std::string: the caller decides how long it lives and must never log it.
//
// Common-password list: data/common-passwords.txt, generated for ctims (about
// 23,700 entries: the passwords that public "most common" lists are made of,
// with their keyboard walks, digit runs, repetitions, word + number/year/symbol
// suffixes and leet spellings expanded, plus context words of this deployment:
// Lao, Thai, Vietnamese and Chinese-pinyin greetings, place names, the
// product's own name). Debian's john-data list was considered and left out:
// all but one of its entries are shorter than the 12-character minimum.
// Compiled in with ctims_embed as EmbeddedCommonPasswords().

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/embedded_file.hpp"
#include "core/status.hpp"

namespace ctims::core {

// Initialises libsodium. Idempotent and thread-safe; OK after the first
// success. kInternal when libsodium cannot start (no entropy source).
Status InitCrypto();

// ---- Randomness, digests, encodings ----------------------------------------

// `n` bytes from libsodium's CSPRNG (the OS generator).
std::string RandomBytes(size_t n);

// `bytes` random bytes as URL-safe base64 without padding (43 characters for
// the default 32 bytes = 256 bits): session ids, CSRF tokens, reset tokens.
std::string RandomToken(size_t bytes = 32);

// SHA-256 of `data` as 64 lower-case hex digits.
std::string Sha256Hex(std::string_view data);

// HMAC-SHA-256 (RFC 2104 / RFC 4231) of `message` under `key`: raw 32 bytes.
// Any key length is accepted (keys longer than the 64-byte block are hashed,
// as HMAC specifies); use at least 32 random bytes.
std::string HmacSha256(std::string_view key, std::string_view message);

// True when `a` and `b` are byte-for-byte equal. The time taken depends only on
// the lengths, never on where the contents differ; strings of different
// lengths compare false at once (lengths are not secret: compare fixed-size
// digests or tokens).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Standard base64 (RFC 4648 §4, with '=' padding).
std::string Base64Encode(std::string_view bytes);

// Inverse of Base64Encode. Strict: padding is required, and whitespace, other
// alphabets and non-canonical trailing bits are refused with kInvalidArgument
// ("invalid base64"), so one value has exactly one encoding.
Result<std::string> Base64Decode(std::string_view text);

// ---- Passwords ---------------------------------------------------------------

// argon2id parameters for new hashes. libsodium's "interactive" level:
// 2 passes over 64 MiB, parallelism 1 — above OWASP's floor for argon2id
// (19 MiB, 2 passes, 1 lane). Raising them makes PasswordNeedsRehash() true
// for older hashes, which the login use case then re-hashes.
// Cost per hash on a 2-core laptop: roughly 0.1 s of one core and 64 MiB of
// memory, so the HTTP layer must throttle logins (memory = 64 MiB × concurrent
// hashes).
inline constexpr unsigned long long kPasswordOpsLimit = 2;
inline constexpr size_t kPasswordMemLimit = size_t{64} * 1024 * 1024;

// Password length bounds, in Unicode code points (ASVS 4.0.3 2.1.1/2.1.2).
inline constexpr size_t kPasswordMinLength = 12;
inline constexpr size_t kPasswordMaxLength = 128;

// The encoded argon2id hash of `password` with a fresh random salt, in the
// PHC string format ("$argon2id$v=19$m=65536,t=2,p=1$<salt>$<hash>"), safe to
// store. The password's bytes are hashed as given (no normalisation): callers
// pass the UTF-8 the user typed. kInternal when memory for the hash cannot be
// allocated; kInvalidArgument when the password is longer than libsodium's
// limit (check CheckPasswordPolicy first). Takes ~0.1 s: do not call it while
// holding a lock.
Result<std::string> HashPassword(std::string_view password);

// True when `password` matches `hash` (a string made by HashPassword, or any
// argon2i/argon2id PHC string libsodium accepts). False for a wrong password
// and for a malformed, empty or truncated hash; never throws. `hash` must come
// from our own store: its cost parameters are trusted.
bool VerifyPassword(std::string_view hash, std::string_view password);

// True when `hash` was not made with argon2id at exactly kPasswordOpsLimit /
// kPasswordMemLimit (older parameters, another algorithm, or malformed): the
// caller should re-hash the password after a successful VerifyPassword.
bool PasswordNeedsRehash(std::string_view hash);

// Checks a new password against the policy (ASVS 4.0.3 2.1.1, 2.1.2, 2.1.7,
// 2.1.9): every broken rule, all with path "password"; empty when acceptable.
// - "utf8": not valid UTF-8 (lengths cannot be counted).
// - "min_length": fewer than kPasswordMinLength code points, counting a run of
//   spaces as one (ASVS 2.1.1 "after multiple spaces are combined").
// - "max_length": more than kPasswordMaxLength code points.
// - "common_password": in the common-password list, compared after trimming
//   leading/trailing whitespace and ASCII case folding.
// No composition rules (upper case, digits, symbols) by design (ASVS 2.1.9).
// Messages name the rule, never the password.
std::vector<FieldError> CheckPasswordPolicy(std::string_view password);

// True when `password` is in the common-password list (trimmed, ASCII
// case-insensitive). Exposed for tests and for the admin "is this password
// banned" check; CheckPasswordPolicy already calls it.
bool IsCommonPassword(std::string_view password);

// The common-password lists compiled into the binary (see the top of this
// file): one password per line; lines starting with "#!comment:" are comments.
// Defined in a file generated by the build.
std::span<const EmbeddedFile> EmbeddedCommonPasswords();

// ---- Authenticated encryption -------------------------------------------------

inline constexpr size_t kSecretKeyBytes = 32;  // Seal/Open keys, HMAC keys
inline constexpr size_t kSealNonceBytes = 24;
inline constexpr size_t kSealTagBytes = 16;

// A fresh random key for Seal/Open.
std::string NewSecretKey();

// Encrypts `plaintext` with XChaCha20-Poly1305 (IETF AEAD) under `key`
// (kSecretKeyBytes), authenticating `associated_data` too. Returns
// nonce (24 random bytes) || ciphertext || tag (16 bytes): plaintext size + 40.
// Random 192-bit nonces make nonce reuse negligible for any number of
// messages under one key. kInternal when `key` has the wrong size (a bug:
// keys never come from clients).
Result<std::string> Seal(std::string_view key, std::string_view plaintext, std::string_view associated_data);

// Inverse of Seal. kInvalidArgument with the message "decryption failed" when
// `sealed` is too short, was modified, was sealed under another key or with
// other associated data — one error for all, so callers cannot be used as an
// oracle. kInternal when `key` has the wrong size.
Result<std::string> Open(std::string_view key, std::string_view sealed, std::string_view associated_data);

// ---- Signatures (Ed25519) -----------------------------------------------------

inline constexpr size_t kSigningPublicKeyBytes = 32;
inline constexpr size_t kSigningSecretKeyBytes = 64;  // libsodium's seed || public key form
inline constexpr size_t kSignatureBytes = 64;

struct SigningKeyPair {
  std::string public_key;  // kSigningPublicKeyBytes
  std::string secret_key;  // kSigningSecretKeyBytes; never log or store beside the data it signs
};

// A fresh random Ed25519 key pair.
SigningKeyPair NewSigningKeyPair();

// The detached Ed25519 signature (kSignatureBytes) of `message`. Deterministic
// for one key and message. kInternal when `secret_key` has the wrong size.
Result<std::string> Sign(std::string_view secret_key, std::string_view message);

// True when `signature` is a valid Ed25519 signature of `message` by
// `public_key`. False for any wrong size, wrong key, or modified message.
bool VerifySignature(std::string_view public_key, std::string_view message, std::string_view signature);

}  // namespace ctims::core
