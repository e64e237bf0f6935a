#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ctims::core {

using TimePoint = std::chrono::system_clock::time_point;

// Source of "now". Injected everywhere time matters so that tests can control
// it (session timeouts, overdue referrals). Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

// The real wall clock. Lives for the whole program.
const Clock& SystemClock();

// A clock that only moves when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_(start.time_since_epoch().count()) {}
  TimePoint Now() const override { return TimePoint(TimePoint::duration(now_.load())); }
  void Advance(std::chrono::milliseconds by) { now_ += std::chrono::duration_cast<TimePoint::duration>(by).count(); }

 private:
  std::atomic<TimePoint::duration::rep> now_;
};

// "2026-11-28T10:50:11.123Z": UTC, millisecond precision, sorts as text.
std::string FormatTimestamp(TimePoint t);

// Today's date in UTC as "YYYY-MM-DD".
std::string FormatDate(TimePoint t);

// True when `text` is a real calendar date written "YYYY-MM-DD" (so
// 2023-02-29 and 2022-13-01 are false).
bool IsValidDate(std::string_view text);

// Parses "YYYY-MM-DD" into days since 1970-01-01; nullopt when invalid.
std::optional<int> ParseDateDays(std::string_view text);

}  // namespace ctims::core
