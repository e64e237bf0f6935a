#include "core/clock.hpp"

#include <charconv>
#include <cstdio>

namespace ctims::core {
namespace {

class WallClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
};

bool ParseFixedInt(std::string_view text, int& out) {
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end;
}

}  // namespace

const Clock& SystemClock() {
  static const WallClock kClock;
  return kClock;
}

std::string FormatTimestamp(TimePoint t) {
  const auto ms = std::chrono::time_point_cast<std::chrono::milliseconds>(t);
  const auto day = std::chrono::floor<std::chrono::days>(ms);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{ms - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long>(hms.seconds().count()), static_cast<long>(hms.subseconds().count()));
  return buf;
}

std::string FormatDate(TimePoint t) {
  return FormatTimestamp(t).substr(0, 10);
}

std::optional<int> ParseDateDays(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int y = 0;
  int m = 0;
  int d = 0;
  if (!ParseFixedInt(text.substr(0, 4), y) || !ParseFixedInt(text.substr(5, 2), m) ||
      !ParseFixedInt(text.substr(8, 2), d)) {
    return std::nullopt;
  }
  if (y < 1800) return std::nullopt;  // no person or event in scope predates this
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(m)),
                                        std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  return static_cast<int>(std::chrono::sys_days(ymd).time_since_epoch().count());
}

bool IsValidDate(std::string_view text) {
  return ParseDateDays(text).has_value();
}

}  // namespace ctims::core
