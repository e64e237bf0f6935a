#include "core/id.hpp"

#include <sodium.h>

#include <array>
#include <cstdint>
#include <mutex>
#include <stdexcept>

namespace ctims::core {
namespace {

void EnsureSodium() {
  static const bool kReady = [] {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
    return true;
  }();
  (void)kReady;
}

}  // namespace

std::string NewId(const Clock& clock) {
  EnsureSodium();
  std::array<unsigned char, 16> b{};
  randombytes_buf(b.data(), b.size());
  auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch()).count());
  // RFC 9562 method 1: within one millisecond the 12-bit rand_a field is a
  // counter, so ids made by this process sort in creation order.
  std::uint16_t counter = 0;
  {
    static std::mutex mutex;
    static std::uint64_t last_ms = 0;
    static std::uint16_t last_counter = 0;
    const std::lock_guard lock(mutex);
    if (ms <= last_ms) {
      ms = last_ms;
      if (++last_counter > 0x0FFF) {  // counter exhausted: borrow the next millisecond
        ++ms;
        last_counter = 0;
      }
    } else {
      last_counter = static_cast<std::uint16_t>(b[7] & 0x03);  // small random start
    }
    last_ms = ms;
    counter = last_counter;
  }
  b[6] = static_cast<unsigned char>(counter >> 8);
  b[7] = static_cast<unsigned char>(counter & 0xFF);
  for (int i = 0; i < 6; ++i) b[static_cast<size_t>(i)] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x70);  // version 7
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // variant 10
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0F]);
  }
  return out;
}

bool IsCanonicalId(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace ctims::core
