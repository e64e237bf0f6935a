#include "domain/access.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "domain/schema.hpp"
#include "domain/workflow.hpp"

namespace ctims::domain {
namespace {

using core::FieldError;
using core::Result;
using core::Status;
using nlohmann::json;

constexpr std::pair<FieldGroup, const char*> kGroupNames[] = {
    {FieldGroup::kGeneral, "general"},     {FieldGroup::kIdentity, "identity"},
    {FieldGroup::kContact, "contact"},     {FieldGroup::kHealth, "health"},
    {FieldGroup::kNarrative, "narrative"}, {FieldGroup::kInvestigation, "investigation"},
};
constexpr std::pair<Scope, const char*> kScopeNames[] = {
    {Scope::kOwn, "own"}, {Scope::kAgency, "agency"}, {Scope::kJurisdiction, "jurisdiction"}, {Scope::kAll, "all"}};

constexpr size_t kMaxNameLength = 200;

bool ValidRoleCode(std::string_view code) {
  if (code.size() < 2 || code.size() > 64) return false;
  if (code[0] < 'a' || code[0] > 'z') return false;
  return std::all_of(code.begin(), code.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

// Reads an array of group names at `path` into `out`.
void ReadGroups(const json& doc, const char* path, std::set<FieldGroup>& out, std::vector<FieldError>& errors) {
  auto it = doc.find(path);
  if (it == doc.end()) return;  // absent = no groups
  if (!it->is_array()) {
    errors.push_back({path, "type", std::string(path) + " must be an array of field group names"});
    return;
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const json& g = (*it)[i];
    const std::string item_path = std::string(path) + "[" + std::to_string(i) + "]";
    auto group = g.is_string() ? ParseFieldGroup(g.get<std::string>()) : std::nullopt;
    if (!group) {
      errors.push_back({item_path, "field_group", "unknown field group"});
    } else if (!out.insert(*group).second) {
      errors.push_back({item_path, "duplicate", "field group listed twice"});
    }
  }
}

void ReadName(const json& doc, const char* path, std::string& out, std::vector<FieldError>& errors) {
  auto it = doc.find(path);
  if (it == doc.end() || !it->is_string() || it->get<std::string>().empty()) {
    errors.push_back({path, "required", std::string(path) + " must be a non-empty string"});
    return;
  }
  out = it->get<std::string>();
  if (out.size() > kMaxNameLength * 4) errors.push_back({path, "max_length", "name too long"});
}

void ReadBool(const json& doc, const char* path, bool& out, std::vector<FieldError>& errors) {
  auto it = doc.find(path);
  if (it == doc.end()) return;  // absent = false
  if (!it->is_boolean()) {
    errors.push_back({path, "type", std::string(path) + " must be a boolean"});
    return;
  }
  out = it->get<bool>();
}

}  // namespace

const char* FieldGroupName(FieldGroup group) {
  for (const auto& [g, name] : kGroupNames) {
    if (g == group) return name;
  }
  return "general";
}

std::optional<FieldGroup> ParseFieldGroup(std::string_view name) {
  for (const auto& [g, n] : kGroupNames) {
    if (name == n) return g;
  }
  return std::nullopt;
}

const char* ScopeName(Scope scope) {
  for (const auto& [s, name] : kScopeNames) {
    if (s == scope) return name;
  }
  return "own";
}

std::optional<Scope> ParseScope(std::string_view name) {
  for (const auto& [s, n] : kScopeNames) {
    if (name == n) return s;
  }
  return std::nullopt;
}

bool IsAction(std::string_view action) {
  if (std::find(std::begin(kActions), std::end(kActions), action) != std::end(kActions)) return true;
  // Workflow steps are permissions too (issue 4), and so is referring
  // without recorded consent.
  if (action == "override_consent") return true;
  // Deciding on proposed duplicate persons (issue 8).
  if (action == "merge") return true;
  for (const auto& machine : StateMachines()) {
    for (const auto& t : machine.transitions) {
      if (t.action == action) return true;
    }
  }
  return false;
}

bool IsAccessResource(std::string_view resource) {
  if (resource == "*") return true;
  if (std::find(std::begin(kAccessResources), std::end(kAccessResources), resource) != std::end(kAccessResources)) {
    return true;
  }
  return FindResource(resource) != nullptr;
}

bool Role::Allows(std::string_view resource, std::string_view action) const {
  if (aggregate_only && action != "report") return false;
  // Heterogeneous lookup is not available on std::set<std::pair<...>>;
  // permissions are few, so build the keys.
  const std::string act(action);
  return permissions.contains({std::string(resource), act}) || permissions.contains({"*", act});
}

Result<Role> ParseRole(const json& doc) {
  if (!doc.is_object()) return Status::InvalidArgument("a role must be a JSON object", {{"", "type", "object"}});
  std::vector<FieldError> errors;
  static constexpr const char* kMembers[] = {"code",         "name_lo",       "name_en",
                                             "scope",        "permissions",   "read_groups",
                                             "write_groups", "requires_totp", "aggregate_only"};
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& key = it.key();
    if (std::find_if(std::begin(kMembers), std::end(kMembers), [&](const char* m) { return key == m; }) ==
        std::end(kMembers)) {
      errors.push_back({key, "unknown_field", "unknown member of a role"});
    }
  }
  Role role;
  auto code = doc.find("code");
  if (code == doc.end() || !code->is_string() || !ValidRoleCode(code->get<std::string>())) {
    errors.push_back({"code", "pattern", "code must match [a-z][a-z0-9_]{1,63}"});
  } else {
    role.code = code->get<std::string>();
  }
  ReadName(doc, "name_lo", role.name_lo, errors);
  ReadName(doc, "name_en", role.name_en, errors);
  auto scope = doc.find("scope");
  auto parsed_scope = (scope != doc.end() && scope->is_string()) ? ParseScope(scope->get<std::string>()) : std::nullopt;
  if (!parsed_scope) {
    errors.push_back({"scope", "scope", "scope must be one of own, agency, jurisdiction, all"});
  } else {
    role.scope = *parsed_scope;
  }

  auto perms = doc.find("permissions");
  if (perms == doc.end() || !perms->is_array()) {
    errors.push_back({"permissions", "type", "permissions must be an array"});
  } else {
    for (size_t i = 0; i < perms->size(); ++i) {
      const json& p = (*perms)[i];
      const std::string path = "permissions[" + std::to_string(i) + "]";
      if (!p.is_object() || p.size() != 2 || !p.contains("resource") || !p.contains("actions")) {
        errors.push_back({path, "type", "a permission is {\"resource\": ..., \"actions\": [...]}"});
        continue;
      }
      const json& res = p["resource"];
      if (!res.is_string() || !IsAccessResource(res.get<std::string>())) {
        errors.push_back({path + ".resource", "resource", "unknown resource"});
        continue;
      }
      const json& acts = p["actions"];
      if (!acts.is_array() || acts.empty()) {
        errors.push_back({path + ".actions", "type", "actions must be a non-empty array"});
        continue;
      }
      for (size_t j = 0; j < acts.size(); ++j) {
        const std::string apath = path + ".actions[" + std::to_string(j) + "]";
        if (!acts[j].is_string() || !IsAction(acts[j].get<std::string>())) {
          errors.push_back({apath, "action", "unknown action"});
        } else if (!role.permissions.emplace(res.get<std::string>(), acts[j].get<std::string>()).second) {
          errors.push_back({apath, "duplicate", "permission listed twice"});
        }
      }
    }
  }
  ReadGroups(doc, "read_groups", role.read_groups, errors);
  ReadGroups(doc, "write_groups", role.write_groups, errors);
  ReadBool(doc, "requires_totp", role.requires_totp, errors);
  ReadBool(doc, "aggregate_only", role.aggregate_only, errors);

  for (FieldGroup g : role.write_groups) {
    if (!role.read_groups.contains(g)) {
      errors.push_back(
          {"write_groups", "subset", std::string("write group ") + FieldGroupName(g) + " is not in read_groups"});
    }
  }
  for (const auto& [resource, action] : role.permissions) {
    if ((action == "export" || action == "manage_users" || action == "manage_roles") && !role.requires_totp) {
      errors.push_back({"requires_totp", "required_with", "a role that can " + action + " must require TOTP"});
      break;
    }
  }
  if (role.aggregate_only) {
    if (std::any_of(role.permissions.begin(), role.permissions.end(),
                    [](const auto& p) { return p.second != "report"; })) {
      errors.push_back({"permissions", "aggregate_only", "an aggregate-only role may only hold report permissions"});
    }
    if (!role.read_groups.empty() || !role.write_groups.empty()) {
      errors.push_back({"read_groups", "aggregate_only", "an aggregate-only role reads no field groups"});
    }
  }
  if (!errors.empty()) {
    const std::string message = "the role breaks " + std::to_string(errors.size()) + " rule(s)";
    return Status::InvalidArgument(message, std::move(errors));
  }
  return role;
}

Result<Role> ParseRoleText(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::InvalidArgument("a role must be valid JSON", {{"", "json", "invalid JSON"}});
  return ParseRole(doc);
}

json RoleToJson(const Role& role) {
  std::map<std::string, std::vector<std::string>> by_resource;  // sorted; set order sorts actions
  for (const auto& [resource, action] : role.permissions) by_resource[resource].push_back(action);
  json perms = json::array();
  for (const auto& [resource, actions] : by_resource) perms.push_back({{"resource", resource}, {"actions", actions}});
  auto groups = [](const std::set<FieldGroup>& set) {
    json out = json::array();
    for (FieldGroup g : set) out.push_back(FieldGroupName(g));
    return out;
  };
  return {{"code", role.code},
          {"name_lo", role.name_lo},
          {"name_en", role.name_en},
          {"scope", ScopeName(role.scope)},
          {"permissions", std::move(perms)},
          {"read_groups", groups(role.read_groups)},
          {"write_groups", groups(role.write_groups)},
          {"requires_totp", role.requires_totp},
          {"aggregate_only", role.aggregate_only}};
}

std::string RoleToText(const Role& role) {
  return RoleToJson(role).dump();
}

Result<std::vector<Role>> ParseRoleFile(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("roles") || !doc["roles"].is_array() || doc.size() != 1) {
    return Status::InvalidArgument("a role file is {\"roles\": [...]}");
  }
  std::vector<Role> out;
  std::set<std::string> codes;
  for (size_t i = 0; i < doc["roles"].size(); ++i) {
    auto role = ParseRole(doc["roles"][i]);
    if (!role.ok()) {
      std::vector<FieldError> errors = role.status().field_errors();
      for (auto& e : errors) e.path = "roles[" + std::to_string(i) + "]." + e.path;
      return Status::InvalidArgument("role " + std::to_string(i) + ": " + role.status().message(), std::move(errors));
    }
    if (!codes.insert(role->code).second) {
      return Status::InvalidArgument("duplicate role code " + role->code,
                                     {{"roles[" + std::to_string(i) + "].code", "unique", "duplicate role code"}});
    }
    out.push_back(std::move(role).value());
  }
  return out;
}

const std::vector<Role>& BuiltinRoles() {
  static const std::vector<Role> kRoles = [] {
    const auto files = EmbeddedRoles();
    if (files.size() != 1) {
      std::fprintf(stderr, "built-in roles: expected one embedded roles.json\n");
      std::abort();
    }
    auto parsed = ParseRoleFile(files[0].contents);
    if (!parsed.ok()) {
      std::fprintf(stderr, "built-in roles are invalid: %s\n", parsed.status().ToString().c_str());
      for (const auto& e : parsed.status().field_errors()) {
        std::fprintf(stderr, "  %s: %s\n", e.path.c_str(), e.rule.c_str());
      }
      std::abort();
    }
    return std::move(parsed).value();
  }();
  return kRoles;
}

const Role* FindBuiltinRole(std::string_view code) {
  for (const auto& r : BuiltinRoles()) {
    if (r.code == code) return &r;
  }
  return nullptr;
}

}  // namespace ctims::domain
