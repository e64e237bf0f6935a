#include "http/auth_json.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <initializer_list>
#include <string_view>

namespace ctims::http {
namespace {

using nlohmann::json;

// Checks that `body` is an object whose members are all in `allowed` and
// of the right JSON type; collects field errors.
class Shape {
 public:
  explicit Shape(const json& body) : body_(body) {
    if (!body.is_object()) errors_.push_back({"", "type", "expected a JSON object"});
  }
  void Allow(std::initializer_list<const char*> names) {
    if (!body_.is_object()) return;
    for (const auto& [key, value] : body_.items()) {
      bool known = false;
      for (const char* n : names) known = known || key == n;
      if (!known) errors_.push_back({key, "unknown_field", "not a member of this request"});
    }
  }
  std::optional<std::string> String(const char* name, bool required) {
    if (!body_.is_object()) return std::nullopt;
    auto it = body_.find(name);
    if (it == body_.end() || it->is_null()) {
      if (required) errors_.push_back({name, "required", std::string(name) + " is required"});
      return std::nullopt;
    }
    if (!it->is_string()) {
      errors_.push_back({name, "type", std::string(name) + " must be a string"});
      return std::nullopt;
    }
    return it->get<std::string>();
  }
  std::optional<bool> Bool(const char* name) {
    if (!body_.is_object()) return std::nullopt;
    auto it = body_.find(name);
    if (it == body_.end() || it->is_null()) return std::nullopt;
    if (!it->is_boolean()) {
      errors_.push_back({name, "type", std::string(name) + " must be true or false"});
      return std::nullopt;
    }
    return it->get<bool>();
  }
  std::optional<std::int64_t> PositiveInt(const char* name) {
    if (!body_.is_object()) return std::nullopt;
    auto it = body_.find(name);
    if (it == body_.end() || it->is_null()) return std::nullopt;
    if (!it->is_number_integer() || it->get<std::int64_t>() < 1) {
      errors_.push_back({name, "type", std::string(name) + " must be a positive integer"});
      return std::nullopt;
    }
    return it->get<std::int64_t>();
  }
  core::Status Done() {
    if (errors_.empty()) return core::Status::Ok();
    return core::Status::InvalidArgument("the request body breaks " + std::to_string(errors_.size()) + " rule(s)",
                                         std::move(errors_));
  }

 private:
  const json& body_;
  std::vector<core::FieldError> errors_;
};

}  // namespace

json UserJson(const app::UserView& u) {
  return {{"id", u.id},
          {"version", u.version},
          {"username", u.username},
          {"display_name", u.display_name},
          {"agency_id", u.agency_id},
          {"role", u.role_code},
          {"disabled", u.disabled},
          {"demo", u.is_demo},
          {"totp_enrolled", u.totp_enrolled},
          {"locked", u.locked},
          {"created_at", u.created_at},
          {"updated_at", u.updated_at}};
}

json RoleJson(const domain::Role& role) {
  json out = domain::RoleToJson(role);
  // Built-in roles cannot be replaced (PUT answers 409); clients show them
  // read-only instead of offering an edit that must fail.
  const auto& builtin = domain::BuiltinRoles();
  out["builtin"] =
      std::any_of(builtin.begin(), builtin.end(), [&](const domain::Role& r) { return r.code == role.code; });
  return out;
}

json SessionJson(const app::Principal& p) {
  return {{"user",
           {{"id", p.user_id}, {"username", p.username}, {"display_name", p.display_name}, {"agency_id", p.agency_id}}},
          {"role", RoleJson(p.role)},
          {"csrf_token", p.csrf_token},
          {"second_factor_done", p.second_factor_done},
          {"totp_enrolment_required", p.totp_enrolment_required}};
}

core::Result<app::SignInRequest> ParseSignIn(const json& body) {
  Shape shape(body);
  shape.Allow({"username", "password", "totp_code"});
  app::SignInRequest out;
  auto username = shape.String("username", true);
  auto password = shape.String("password", true);
  auto code = shape.String("totp_code", false);
  CTIMS_RETURN_IF_ERROR(shape.Done());
  out.username = *username;
  out.password = *password;
  out.totp_code = code;
  return out;
}

core::Result<app::NewUser> ParseNewUser(const json& body) {
  Shape shape(body);
  shape.Allow({"username", "display_name", "agency", "role", "password"});
  auto username = shape.String("username", true);
  auto display = shape.String("display_name", true);
  auto agency = shape.String("agency", true);
  auto role = shape.String("role", true);
  auto password = shape.String("password", true);
  CTIMS_RETURN_IF_ERROR(shape.Done());
  app::NewUser out;
  out.username = *username;
  out.display_name = *display;
  out.agency = *agency;
  out.role_code = *role;
  out.password = *password;
  return out;
}

core::Result<app::UserChanges> ParseUserChanges(const json& body) {
  Shape shape(body);
  shape.Allow({"display_name", "role", "agency", "disabled", "password", "reset_totp", "version"});
  app::UserChanges out;
  out.display_name = shape.String("display_name", false);
  out.role_code = shape.String("role", false);
  out.agency = shape.String("agency", false);
  out.disabled = shape.Bool("disabled");
  out.password = shape.String("password", false);
  out.reset_totp = shape.Bool("reset_totp").value_or(false);
  out.expected_version = shape.PositiveInt("version");
  CTIMS_RETURN_IF_ERROR(shape.Done());
  return out;
}

core::Result<PasswordChange> ParsePasswordChange(const json& body) {
  Shape shape(body);
  shape.Allow({"current_password", "new_password"});
  auto current = shape.String("current_password", true);
  auto next = shape.String("new_password", true);
  CTIMS_RETURN_IF_ERROR(shape.Done());
  return PasswordChange{*current, *next};
}

core::Result<std::string> ParseSingleString(const json& body, const char* member) {
  Shape shape(body);
  shape.Allow({member});
  auto value = shape.String(member, true);
  CTIMS_RETURN_IF_ERROR(shape.Done());
  return *value;
}

}  // namespace ctims::http
