#include "core/clock.hpp"

#include <gtest/gtest.h>

namespace ctims::core {
namespace {

TEST(ClockTest, FormatsUtcMillis) {
  const TimePoint t{std::chrono::milliseconds(1669852800123)};  // 2022-12-01T00:00:00.123Z
  EXPECT_EQ(FormatTimestamp(t), "2022-12-01T00:00:00.123Z");
  EXPECT_EQ(FormatDate(t), "2022-12-01");
}

TEST(ClockTest, ManualClockAdvances) {
  ManualClock c{TimePoint{std::chrono::seconds(1000)}};
  c.Advance(std::chrono::minutes(30));
  EXPECT_EQ(c.Now(), TimePoint{std::chrono::seconds(1000 + 1800)});
}

TEST(DateTest, RejectsImpossibleDates) {
  EXPECT_TRUE(IsValidDate("2022-09-01"));
  EXPECT_TRUE(IsValidDate("2024-02-29"));
  EXPECT_FALSE(IsValidDate("2023-02-29"));
  EXPECT_FALSE(IsValidDate("2022-13-01"));
  EXPECT_FALSE(IsValidDate("2022-04-31"));
  EXPECT_FALSE(IsValidDate("2022-4-1"));
  EXPECT_FALSE(IsValidDate("22-04-01xx"));
  EXPECT_FALSE(IsValidDate("1200-01-01"));
  EXPECT_FALSE(IsValidDate(""));
  EXPECT_EQ(ParseDateDays("1970-01-02"), 1);
}

}  // namespace
}  // namespace ctims::core
