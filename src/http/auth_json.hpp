#pragma once

// JSON forms of the identity API (sessions, users, roles) and strict parsing
// of its request bodies. Kept out of server.cpp so that the transport code
// stays about transport.

#include <nlohmann/json_fwd.hpp>

#include <string>

#include "app/auth_service.hpp"
#include "core/status.hpp"

namespace ctims::http {

// {"id","version","username","display_name","agency_id","role","disabled",
//  "demo","totp_enrolled","locked","created_at","updated_at"}
nlohmann::json UserJson(const app::UserView& user);

// The role as domain::RoleToJson plus nothing secret.
nlohmann::json RoleJson(const domain::Role& role);

// {"user": UserJson-like from the principal, "role": RoleJson, "csrf_token",
//  "second_factor_done", "totp_enrolment_required"}
nlohmann::json SessionJson(const app::Principal& principal);

// Sign-in body {"username", "password", "totp_code"?}. kInvalidArgument with
// a field error per unknown member, missing or mistyped field.
core::Result<app::SignInRequest> ParseSignIn(const nlohmann::json& body);

// User creation body {"username", "display_name", "agency", "role",
// "password"}.
core::Result<app::NewUser> ParseNewUser(const nlohmann::json& body);

// User change body; every member optional: "display_name", "role", "agency",
// "disabled", "password", "reset_totp", "version".
core::Result<app::UserChanges> ParseUserChanges(const nlohmann::json& body);

// {"current_password", "new_password"}.
struct PasswordChange {
  std::string current;
  std::string next;
};
core::Result<PasswordChange> ParsePasswordChange(const nlohmann::json& body);

// {"code"} of a TOTP confirmation; {"reason"} of a break-the-glass request.
core::Result<std::string> ParseSingleString(const nlohmann::json& body, const char* member);

}  // namespace ctims::http
