#include "core/totp.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <climits>

#include "core/crypto.hpp"

namespace ctims::core {
namespace {

constexpr char kBase32Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// Value of a base32 digit, or -1. Accepts lower case.
int Base32Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

bool ValidParameters(std::string_view secret, int digits, int period) {
  return !secret.empty() && secret.size() <= INT_MAX && digits >= 6 && digits <= 8 && period > 0;
}

// RFC 4226 §5.3: HMAC-SHA1 of the big-endian counter, dynamic truncation,
// reduced modulo 10^digits. Empty on a libcrypto failure.
std::string Hotp(std::string_view secret, uint64_t counter, int digits) {
  std::array<unsigned char, 8> message{};
  for (size_t i = 0; i < message.size(); ++i) message[7 - i] = static_cast<unsigned char>(counter >> (8 * i));
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), message.data(), message.size(), mac.data(),
           &mac_len) == nullptr ||
      mac_len != 20) {
    return {};
  }
  const unsigned offset = mac[19] & 0x0F;
  const uint32_t binary = (static_cast<uint32_t>(mac[offset] & 0x7F) << 24) |
                          (static_cast<uint32_t>(mac[offset + 1]) << 16) |
                          (static_cast<uint32_t>(mac[offset + 2]) << 8) | static_cast<uint32_t>(mac[offset + 3]);
  uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  uint32_t value = binary % modulus;
  std::string code(static_cast<size_t>(digits), '0');
  for (size_t i = code.size(); i-- > 0;) {
    code[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return code;
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    const bool unreserved = (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-' ||
                            b == '.' || b == '_' || b == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0x0F]);
    }
  }
  return out;
}

}  // namespace

std::string NewTotpSecret() {
  return RandomBytes(kTotpSecretBytes);
}

std::string Base32Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 4) / 5 * 8);
  uint32_t buffer = 0;
  int bits = 0;
  for (const char c : bytes) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kBase32Alphabet[(buffer >> bits) & 0x1F]);
    }
  }
  if (bits > 0) out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 0x1F]);
  while (out.size() % 8 != 0) out.push_back('=');
  return out;
}

Result<std::string> Base32Decode(std::string_view text) {
  const Status invalid = Status::InvalidArgument("invalid base32");
  // Padding, when present, must be exactly what completes the last group.
  const size_t data_len = text.find('=') == std::string_view::npos ? text.size() : text.find('=');
  const std::string_view padding = text.substr(data_len);
  if (padding.find_first_not_of('=') != std::string_view::npos) return invalid;
  if (!padding.empty() && (text.size() % 8 != 0 || padding.size() >= 8)) return invalid;
  // A last group of 2, 4, 5 or 7 digits carries 1-4 bytes; 1, 3 or 6 cannot.
  const size_t tail = data_len % 8;
  if (tail == 1 || tail == 3 || tail == 6) return invalid;
  std::string out;
  out.reserve(data_len * 5 / 8);
  uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text.substr(0, data_len)) {
    const int v = Base32Value(c);
    if (v < 0) return invalid;
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  if ((buffer & ((1U << bits) - 1)) != 0) return invalid;  // non-canonical trailing bits
  return out;
}

std::string TotpCode(std::string_view secret, int64_t unix_time, int digits, int period) {
  if (!ValidParameters(secret, digits, period) || unix_time < 0) return {};
  return Hotp(secret, static_cast<uint64_t>(unix_time / period), digits);
}

std::optional<int64_t> VerifyTotp(std::string_view secret, std::string_view code, int64_t unix_time, int window,
                                  int digits, int period) {
  if (!ValidParameters(secret, digits, period) || unix_time < 0 || window < 0 || window > kTotpMaxWindow) {
    return std::nullopt;
  }
  if (code.size() != static_cast<size_t>(digits)) return std::nullopt;
  for (const char c : code) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  const int64_t now_step = unix_time / period;
  std::optional<int64_t> matched;
  // No early exit: every step in the window costs the same.
  for (int64_t step = now_step - window; step <= now_step + window; ++step) {
    if (step < 0) continue;
    const std::string expected = Hotp(secret, static_cast<uint64_t>(step), digits);
    if (!expected.empty() && ConstantTimeEquals(expected, code)) matched = step;
  }
  return matched;
}

std::string OtpauthUri(std::string_view issuer, std::string_view account, std::string_view secret) {
  std::string secret32 = Base32Encode(secret);
  secret32.erase(secret32.find_last_not_of('=') + 1);
  return "otpauth://totp/" + PercentEncode(issuer) + ":" + PercentEncode(account) + "?secret=" + secret32 +
         "&issuer=" + PercentEncode(issuer) + "&algorithm=SHA1&digits=" + std::to_string(kTotpDigits) +
         "&period=" + std::to_string(kTotpPeriod);
}

}  // namespace ctims::core
