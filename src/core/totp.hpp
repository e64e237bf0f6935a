#pragma once

// Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP) for the second
// login factor, in the form every authenticator app (Google Authenticator,
// Aegis, FreeOTP, ...) accepts by default: HMAC-SHA1, 6 digits, 30-second
// steps. HMAC-SHA1 comes from OpenSSL's libcrypto (libsodium has no SHA-1);
// SHA-1's collision weakness does not affect HMAC-SHA1 as a PRF.
//
// A TOTP secret is as sensitive as a password: store it sealed (keyring.hpp
// SealField), never log it, the otpauth URI or a code. All functions are
// thread-safe and never throw; callers own every returned value.
//
// Replay (ASVS 4.0.3 2.8.4, "a code is accepted once within its window"):
// VerifyTotp returns the time step it matched. The caller keeps, per user,
// the last step it accepted and accepts a code only when the returned step is
// greater, then stores it in the same transaction as the login.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace ctims::core {

inline constexpr size_t kTotpSecretBytes = 20;  // 160 bits, as RFC 4226 §4 recommends
inline constexpr int kTotpDigits = 6;
inline constexpr int kTotpPeriod = 30;  // seconds
inline constexpr int kTotpMaxWindow = 10;

// A fresh random TOTP secret: kTotpSecretBytes raw bytes from the CSPRNG.
std::string NewTotpSecret();

// RFC 4648 §6 base32 (alphabet A-Z2-7) with '=' padding.
std::string Base32Encode(std::string_view bytes);

// Inverse of Base32Encode, tolerant of how people type a secret by hand:
// lower case is accepted and the padding may be omitted. Anything else
// (spaces, other characters, an impossible length, misplaced or partial
// padding, non-zero trailing bits) gives kInvalidArgument ("invalid base32").
Result<std::string> Base32Decode(std::string_view text);

// The TOTP code for `unix_time` (seconds since the epoch): `digits` decimal
// digits with leading zeros, of HOTP(secret, floor(unix_time / period)).
// Preconditions: secret non-empty, unix_time >= 0, 6 <= digits <= 8,
// period > 0. When one is broken (or libcrypto fails) the result is the empty
// string, which VerifyTotp never accepts.
std::string TotpCode(std::string_view secret, int64_t unix_time, int digits = kTotpDigits, int period = kTotpPeriod);

// Checks `code` against the steps floor(unix_time / period) - window ...
// + window (window = 1 allows one step of clock drift each way, ASVS 2.8.1).
// Returns the matched time step, or nullopt when the code matches none, is not
// exactly `digits` ASCII digits, or a precondition of TotpCode is broken or
// window is outside 0..kTotpMaxWindow. Every candidate step is computed and
// compared in constant time, so timing reveals neither which step matched nor
// how much of the code was right. If the code matches several steps (chance
// ~1e-6) the latest is returned, so a reuse check refuses the most.
// The caller must enforce single use: see the top of this file.
std::optional<int64_t> VerifyTotp(std::string_view secret, std::string_view code, int64_t unix_time, int window = 1,
                                  int digits = kTotpDigits, int period = kTotpPeriod);

// The provisioning URI for an authenticator app (shown as a QR code):
// "otpauth://totp/<issuer>:<account>?secret=<BASE32>&issuer=<issuer>
//  &algorithm=SHA1&digits=6&period=30", with issuer and account
// percent-encoded (RFC 3986 unreserved characters kept) and the secret in
// base32 without padding. It contains the secret: show it once, never log it.
std::string OtpauthUri(std::string_view issuer, std::string_view account, std::string_view secret);

}  // namespace ctims::core
