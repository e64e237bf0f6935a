#include "core/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

#include "core/clock.hpp"

namespace ctims::core {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_mutex;

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarning: return "WARN";
    case LogLevel::kError: return "ERROR";
  }
  return "INFO";
}

}  // namespace

void SetLogLevel(LogLevel level) {
  g_level = static_cast<int>(level);
}

void Log(LogLevel level, std::string_view message) {
  if (static_cast<int>(level) < g_level.load(std::memory_order_relaxed)) return;
  std::string line = FormatTimestamp(SystemClock().Now());
  line += ' ';
  line += LevelName(level);
  line += ' ';
  line += message;
  line += '\n';
  const std::lock_guard lock(g_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace ctims::core
