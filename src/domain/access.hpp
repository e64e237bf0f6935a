#pragma once

// Roles and permissions (issue 3 §1). Pure types and rules, no I/O: the app
// layer decides who may do what from these, storage keeps roles as JSON text.
//
// A role is data: a set of (resource, action) permissions, a scope (whose
// records it reaches) and the field groups it may read and write. Resources
// are the case-registry resources of domain::Resources() ("persons",
// "cases", ...) plus the non-record resources in kAccessResources ("users",
// "roles", "statistics", "audit"); "*" in a permission means every resource.
// Actions are the strings in kActions.

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/embedded_file.hpp"
#include "core/status.hpp"
#include "domain/field_group.hpp"

namespace ctims::domain {

// Stable JSON names: "general", "identity", "contact", "health", "narrative",
// "investigation"; "own", "agency", "jurisdiction", "all".
const char* FieldGroupName(FieldGroup group);
std::optional<FieldGroup> ParseFieldGroup(std::string_view name);
const char* ScopeName(Scope scope);
std::optional<Scope> ParseScope(std::string_view name);

// Every action a permission may name.
inline constexpr std::string_view kActions[] = {
    "read",   "list",   "create",       "update",       "delete",      "history",
    "export", "report", "manage_users", "manage_roles", "break_glass", "consent_override",
};
bool IsAction(std::string_view action);

// Resources that are not records of domain::Resources() but can be named in a
// permission: user accounts, roles, aggregate statistics, the audit log.
inline constexpr std::string_view kAccessResources[] = {"users", "roles", "statistics", "audit"};
// True for "*", a domain::Resources() name, or one of kAccessResources.
bool IsAccessResource(std::string_view resource);

struct Role {
  std::string code;  // [a-z][a-z0-9_]{1,63}, stable: users refer to it
  std::string name_lo, name_en;
  std::set<std::pair<std::string, std::string>> permissions;  // (resource, action); resource "*" = any
  Scope scope = Scope::kOwn;
  std::set<FieldGroup> read_groups, write_groups;
  bool requires_totp = false;   // sign-in needs a second factor (administrators, export roles)
  bool aggregate_only = false;  // only "report" actions: statistics, never a record

  // True when the role holds (resource, action) or ("*", action). An
  // aggregate_only role allows nothing but "report", whatever its permission
  // set says (ParseRole refuses such a set anyway: defence in depth).
  bool Allows(std::string_view resource, std::string_view action) const;
  bool CanRead(FieldGroup group) const { return read_groups.contains(group); }
  bool CanWrite(FieldGroup group) const { return write_groups.contains(group); }

  bool operator==(const Role&) const = default;
};

// Parses one role from its JSON form:
//   {"code": "case_worker", "name_lo": "...", "name_en": "...",
//    "scope": "agency",
//    "permissions": [{"resource": "persons", "actions": ["read", "list"]}, ...],
//    "read_groups": ["general", "identity"], "write_groups": ["general"],
//    "requires_totp": false, "aggregate_only": false}
// Strict: unknown members, wrong types, unknown resources, actions, groups or
// scopes are refused. Rules beyond the shape (each a FieldError on its path):
// - write_groups must be a subset of read_groups (no blind writes);
// - a role that can "export", "manage_users" or "manage_roles" must have
//   requires_totp (ASVS 4.0.3 4.3.1, issue 3 §2);
// - an aggregate_only role may hold only "report" permissions and no field
//   groups.
// kInvalidArgument with every broken rule.
core::Result<Role> ParseRole(const nlohmann::json& doc);
core::Result<Role> ParseRoleText(std::string_view text);

// The JSON form above, canonical: permissions grouped by resource in sorted
// order, actions sorted, groups in enum order. ParseRole(RoleToJson(r)) == r.
nlohmann::json RoleToJson(const Role& role);
std::string RoleToText(const Role& role);

// Parses a role file ({"roles": [role, ...]}); refuses duplicate codes.
core::Result<std::vector<Role>> ParseRoleFile(std::string_view text);

// The built-in roles from data/roles.json (compiled in), in file order.
// Aborts at start if the file is malformed (a build defect, caught by the
// unit tests). Immutable; thread-safe.
const std::vector<Role>& BuiltinRoles();

// The built-in role with `code`, or nullptr.
const Role* FindBuiltinRole(std::string_view code);

// data/roles.json as compiled into the binary. Defined in a generated file.
std::span<const core::EmbeddedFile> EmbeddedRoles();

}  // namespace ctims::domain
