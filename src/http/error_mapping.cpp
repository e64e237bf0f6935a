#include "http/error_mapping.hpp"

#include <nlohmann/json.hpp>

namespace ctims::http {

int HttpStatusFor(core::StatusCode code) {
  switch (code) {
    case core::StatusCode::kOk: return 200;
    case core::StatusCode::kInvalidArgument: return 400;
    case core::StatusCode::kUnauthenticated: return 401;
    case core::StatusCode::kPermissionDenied: return 403;
    case core::StatusCode::kNotFound: return 404;
    case core::StatusCode::kConflict: return 409;
    case core::StatusCode::kAlreadyExists: return 409;
    case core::StatusCode::kPayloadTooLarge: return 413;
    case core::StatusCode::kUnavailable: return 503;
    case core::StatusCode::kInternal: return 500;
  }
  return 500;
}

std::string ErrorBody(std::string_view code, std::string_view message, const std::vector<core::FieldError>& fields) {
  nlohmann::json f = nlohmann::json::array();
  for (const auto& e : fields) f.push_back({{"path", e.path}, {"rule", e.rule}, {"message", e.message}});
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}, {"fields", std::move(f)}}}};
  // Replace invalid UTF-8 rather than throw: messages may quote input.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ErrorBody(const core::Status& status) {
  // Internal details stay in the server log; the client gets a generic text.
  if (status.code() == core::StatusCode::kInternal) {
    return ErrorBody("internal", "internal error; the event was logged");
  }
  if (!status.allowed_actions()) {
    return ErrorBody(core::StatusCodeName(status.code()), status.message(), status.field_errors());
  }
  // A refused transition also names the actions allowed from the current state.
  nlohmann::json body =
      nlohmann::json::parse(ErrorBody(core::StatusCodeName(status.code()), status.message(), status.field_errors()));
  body["error"]["allowed_actions"] = *status.allowed_actions();
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ctims::http
