#pragma once

#include <string_view>

namespace ctims::core {

enum class LogLevel { kDebug = 0, kInfo, kWarning, kError };

// Writes one line to stderr: "<UTC timestamp> <LEVEL> <message>". Thread-safe.
// Callers must never pass personal data (names, document numbers, request
// bodies, query strings): log ids, routes, statuses and durations only.
void Log(LogLevel level, std::string_view message);

// Lines below `level` are dropped. Default: kInfo.
void SetLogLevel(LogLevel level);

}  // namespace ctims::core
