#pragma once

// Shared by the per-script table tests (lao_test.cpp, thai_test.cpp, ...).

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "search/romanize.hpp"

namespace ctims::search::test_util {

// A native spelling and the Latin spellings its rules must produce, the
// customary one first.
struct SpellingCase {
  const char* native;
  std::vector<std::string> latin;
};

inline std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "\"" : ", \"") + s + "\"";
  return out;
}

// The first spelling is the customary one; every listed spelling is among
// LatinKeys().
inline void ExpectSpellings(const SpellingCase& c) {
  const std::vector<std::string> keys = LatinKeys(c.native);
  ASSERT_FALSE(keys.empty()) << c.native;
  EXPECT_EQ(keys.front(), c.latin.front()) << c.native << " gave " << Join(keys);
  for (const std::string& expected : c.latin) {
    EXPECT_NE(std::find(keys.begin(), keys.end(), expected), keys.end())
        << c.native << " should give \"" << expected << "\", gave " << Join(keys);
  }
}

}  // namespace ctims::search::test_util
