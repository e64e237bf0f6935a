#include "core/status.hpp"

namespace ctims::core {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kConflict: return "conflict";
    case StatusCode::kAlreadyExists: return "already_exists";
    case StatusCode::kPayloadTooLarge: return "payload_too_large";
    case StatusCode::kUnauthenticated: return "unauthenticated";
    case StatusCode::kPermissionDenied: return "permission_denied";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kInternal: return "internal";
  }
  return "internal";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out = StatusCodeName(code_);
  out += ": ";
  out += message_;
  for (const auto& f : fields_) {
    out += " [";
    out += f.path;
    out += ": ";
    out += f.rule;
    out += "]";
  }
  return out;
}

}  // namespace ctims::core
