#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace ctims::http {

// The one place where errors become HTTP. Every error body has one shape:
//   {"error": {"code": "...", "message": "...", "fields": [{"path", "rule", "message"}]}}

// HTTP status for a StatusCode (kInvalidArgument -> 400, kNotFound -> 404,
// kConflict and kAlreadyExists -> 409, kPayloadTooLarge -> 413, ...).
int HttpStatusFor(core::StatusCode code);

// The JSON error body for `status` (which must not be OK).
std::string ErrorBody(const core::Status& status);

// The JSON error body for an HTTP-level failure that has no core::Status
// (route not found, method not allowed, unsupported media type).
std::string ErrorBody(std::string_view code, std::string_view message,
                      const std::vector<core::FieldError>& fields = {});

}  // namespace ctims::http
