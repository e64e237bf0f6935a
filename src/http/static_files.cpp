#include "http/static_files.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

namespace ctims::http {
namespace {

namespace fs = std::filesystem;

constexpr const char* kIndex = "index.html";

bool ReadFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

std::string_view Extension(std::string_view name) {
  const auto slash = name.rfind('/');
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return {};
  return name.substr(dot + 1);
}

// True when `path` (decoded, starting with '/') names nothing outside the
// root by its form alone: no "." or ".." segment, no backslash, no NUL.
bool SafeForm(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  if (path.find('\\') != std::string_view::npos || path.find('\0') != std::string_view::npos) return false;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    if (segment == "." || segment == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

core::Result<StaticFiles> StaticFiles::Open(const std::string& root) {
  std::error_code ec;
  const fs::path canonical = fs::canonical(root, ec);
  if (ec || !fs::is_regular_file(canonical / kIndex, ec)) {
    return core::Status::InvalidArgument("the web root " + root + " has no " + kIndex +
                                         " (build the web app: make build)");
  }
  return StaticFiles(canonical.string());
}

std::string StaticFiles::ContentType(std::string_view file_name) {
  const std::string_view ext = Extension(file_name);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json" || ext == "map") return "application/json";
  if (ext == "webmanifest") return "application/manifest+json";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "woff2") return "font/woff2";
  if (ext == "woff") return "font/woff";
  if (ext == "ttf") return "font/ttf";
  if (ext == "otf") return "font/otf";
  if (ext == "txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::optional<std::string> StaticFiles::Resolve(std::string_view path) const {
  if (!SafeForm(path)) return std::nullopt;
  std::string relative(path.substr(1));
  if (relative.empty() || relative.back() == '/') relative += kIndex;
  std::error_code ec;
  // Symbolic links are followed, but the target must stay under the root.
  const fs::path file = fs::canonical(fs::path(root_) / relative, ec);
  if (ec) return std::nullopt;
  const std::string text = file.string();
  if (text.size() <= root_.size() || text.compare(0, root_.size(), root_) != 0 || text[root_.size()] != '/') {
    return std::nullopt;
  }
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  return text;
}

StaticAnswer StaticFiles::Get(std::string_view path) const {
  StaticAnswer answer;
  std::optional<std::string> file = Resolve(path);
  if (!file) {
    // A path the app routes ("/cases/123") gets the app; a missing file
    // with an extension ("/assets/old-hash.js") is a plain 404.
    if (!SafeForm(path) || !Extension(path).empty()) {
      answer.status = 404;
      answer.content_type = "text/plain; charset=utf-8";
      answer.cache_control = "no-store";
      answer.body = "not found\n";
      return answer;
    }
    file = root_ + "/" + kIndex;
  }
  if (!ReadFile(*file, answer.body)) {
    answer.status = 404;
    answer.content_type = "text/plain; charset=utf-8";
    answer.cache_control = "no-store";
    answer.body = "not found\n";
    return answer;
  }
  answer.status = 200;
  answer.content_type = ContentType(*file);
  const std::string_view rel = std::string_view(*file).substr(root_.size());
  if (rel.rfind("/assets/", 0) == 0) {
    answer.cache_control = "public, max-age=31536000, immutable";  // content-hashed names
  } else if (Extension(rel) == "html") {
    answer.cache_control = "no-cache";
  } else {
    answer.cache_control = "public, max-age=86400";
  }
  return answer;
}

}  // namespace ctims::http
