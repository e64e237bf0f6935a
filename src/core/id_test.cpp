#include "core/id.hpp"

#include <gtest/gtest.h>

#include <set>

namespace ctims::core {
namespace {

TEST(IdTest, CanonicalVersion7) {
  const std::string id = NewId();
  EXPECT_TRUE(IsCanonicalId(id)) << id;
  EXPECT_EQ(id[14], '7');
  EXPECT_FALSE(IsCanonicalId("not-an-id"));
  EXPECT_FALSE(IsCanonicalId("0190F1E2-0000-7000-8000-000000000000"));  // upper case
}

TEST(IdTest, LaterIdsSortAfterEarlierOnes) {
  ManualClock clock{TimePoint{std::chrono::milliseconds(1700000000000)}};
  const std::string a = NewId(clock);
  clock.Advance(std::chrono::milliseconds(1));
  const std::string b = NewId(clock);
  EXPECT_LT(a, b);
}

TEST(IdTest, Unique) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) EXPECT_TRUE(seen.insert(NewId()).second);
}

}  // namespace
}  // namespace ctims::core
