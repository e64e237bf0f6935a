#pragma once

// Who is calling: the principal every use case of the app layer takes and
// authorises against (issue 3 §3). Light header: no storage, no JSON.

#include <string>
#include <string_view>

#include "core/status.hpp"
#include "domain/access.hpp"

namespace ctims::app {

// The caller of a request, made by Authenticate from a session.
struct Principal {
  std::string user_id;
  std::string username;
  std::string display_name;
  std::string agency_id;
  domain::Role role;
  std::string session_token_hash;   // identifies the session (for audit, sign-out); not the token
  std::string csrf_token;           // what CheckCsrf compares against
  bool second_factor_done = false;  // a TOTP code was verified in this session
  // The role requires TOTP and the user has not enrolled yet: this session may
  // only read itself (GET /session), sign out and enrol (BeginTotpEnrolment,
  // ConfirmTotpEnrolment). Everything else must be refused: RequireFullSession.
  bool totp_enrolment_required = false;
  std::string client_ip;  // where the request came from (audit); set by the caller of Authenticate
  // The operator at the command line (SystemPrincipal only): reaches
  // protected cases too. Never set for a signed-in user.
  bool operator_access = false;

  bool Allows(std::string_view resource, std::string_view action) const {
    return !totp_enrolment_required && role.Allows(resource, action);
  }
};

// kPermissionDenied (field "totp", rule "enrolment_required") for a session
// that must enrol a second factor before doing anything else; OK otherwise.
core::Status RequireFullSession(const Principal& principal);

// The operator's own principal for command-line work on a database file
// (`ctims seed`, `ctims migrate`, tests' set-up): every record action on every
// resource, every field group, scope "all", no second factor to enrol. Whoever
// can run the command owns the database file anyway. Never for HTTP.
const Principal& SystemPrincipal();

}  // namespace ctims::app
