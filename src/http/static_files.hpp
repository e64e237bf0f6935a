#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace ctims::http {

// One answer for a GET of the web application.
struct StaticAnswer {
  int status = 404;
  std::string content_type;
  std::string cache_control;
  std::string body;
};

// The content security policy of the web application: its own scripts,
// styles, fonts and API, nothing else (no inline scripts, no CDN).
inline constexpr const char* kWebContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// Serves the built single-page application (web/, built to build/web) from
// a directory: files by path with their content type; hashed assets under
// /assets/ cached for a year, index.html revalidated every time; any other
// path without a file extension answers index.html (the app routes it).
// Never leaves the directory: ".." segments, backslashes, NUL and symbolic
// links pointing outside are refused.
class StaticFiles {
 public:
  // kInvalidArgument when `root` has no index.html.
  static core::Result<StaticFiles> Open(const std::string& root);

  // The answer for a decoded request path such as "/assets/index-ab12.js".
  StaticAnswer Get(std::string_view path) const;

  const std::string& root() const { return root_; }

  // "text/javascript; charset=utf-8" for "x.js", and so on;
  // "application/octet-stream" for unknown extensions.
  static std::string ContentType(std::string_view file_name);

 private:
  explicit StaticFiles(std::string root) : root_(std::move(root)) {}
  // The file under root_ for `path`, or nullopt when unsafe or absent.
  std::optional<std::string> Resolve(std::string_view path) const;

  std::string root_;  // canonical, without a trailing slash
};

}  // namespace ctims::http
