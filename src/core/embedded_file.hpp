#pragma once

#include <string_view>

namespace ctims::core {

// A data file compiled into the binary by cmake/embed_files.cmake. Both views
// point at static storage and live as long as the program.
struct EmbeddedFile {
  std::string_view name;      // file name without directory, e.g. "sex.json"
  std::string_view contents;  // raw bytes
};

}  // namespace ctims::core
