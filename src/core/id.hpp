#pragma once

#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace ctims::core {

// A new record id: a UUID version 7 (RFC 9562) in canonical lower-case text.
// Ids made later sort after ids made earlier (to the millisecond), which
// gives lists a stable creation order. The random part comes from libsodium's
// CSPRNG, so ids are unguessable. Thread-safe.
std::string NewId(const Clock& clock = SystemClock());

// True when `text` has the canonical UUID shape (8-4-4-4-12 lower-case hex).
bool IsCanonicalId(std::string_view text);

}  // namespace ctims::core
