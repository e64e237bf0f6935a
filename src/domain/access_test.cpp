#include "domain/access.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <set>

#include "domain/schema.hpp"

namespace ctims::domain {
namespace {

using nlohmann::json;

const Role& Builtin(const char* code) {
  const Role* r = FindBuiltinRole(code);
  EXPECT_NE(r, nullptr) << code;
  static const Role kNone;
  return r != nullptr ? *r : kNone;
}

const char* const kCaseResources[] = {
    "persons", "cases", "trafficking-events", "employment-episodes", "claims", "immigration-statuses", "assistance"};
const char* const kReferenceResources[] = {"locations", "agencies", "organisations"};

json ValidRole() {
  return json::parse(R"({
    "code": "custom_role", "name_lo": "ທົດລອງ", "name_en": "Custom", "scope": "agency",
    "permissions": [{"resource": "persons", "actions": ["read", "list"]}],
    "read_groups": ["general", "identity"], "write_groups": ["general"],
    "requires_totp": false, "aggregate_only": false})");
}

bool HasFieldError(const core::Status& s, const std::string& path, const std::string& rule) {
  return std::any_of(s.field_errors().begin(), s.field_errors().end(),
                     [&](const core::FieldError& e) { return e.path == path && e.rule == rule; });
}

// Issue 3's seven, and the data officer who exports case data (issue 5).
TEST(AccessTest, BuiltinRolesAreTheSevenOfIssue3AndTheDataOfficer) {
  std::vector<std::string> codes;
  for (const auto& r : BuiltinRoles()) codes.push_back(r.code);
  EXPECT_EQ(codes,
            (std::vector<std::string>{"case_worker", "supervisor", "police_investigator", "foreign_affairs_officer",
                                      "analyst", "taskforce_member", "data_officer", "administrator"}));
  for (const auto& r : BuiltinRoles()) {
    EXPECT_FALSE(r.name_lo.empty()) << r.code;
    EXPECT_FALSE(r.name_en.empty()) << r.code;
  }
  EXPECT_EQ(FindBuiltinRole("root"), nullptr);
}

TEST(AccessTest, CaseWorkerWorksOnCasesOfItsAgencyButDeletesNothing) {
  const Role& r = Builtin("case_worker");
  EXPECT_EQ(r.scope, Scope::kAgency);
  for (const char* res : kCaseResources) {
    for (const char* action : {"read", "list", "create", "update", "history"}) {
      EXPECT_TRUE(r.Allows(res, action)) << res << " " << action;
    }
    EXPECT_FALSE(r.Allows(res, "delete")) << res;
    EXPECT_FALSE(r.Allows(res, "export")) << res;
  }
  for (const char* res : kReferenceResources) {
    EXPECT_TRUE(r.Allows(res, "read"));
    EXPECT_FALSE(r.Allows(res, "update"));
  }
  for (FieldGroup g : {FieldGroup::kIdentity, FieldGroup::kContact, FieldGroup::kHealth, FieldGroup::kNarrative}) {
    EXPECT_TRUE(r.CanRead(g));
    EXPECT_TRUE(r.CanWrite(g));
  }
  EXPECT_FALSE(r.CanRead(FieldGroup::kInvestigation));
  EXPECT_FALSE(r.Allows("users", "manage_users"));
  EXPECT_FALSE(r.requires_totp);
}

TEST(AccessTest, SupervisorHasEverythingACaseWorkerHasPlusDelete) {
  const Role& cw = Builtin("case_worker");
  const Role& sup = Builtin("supervisor");
  EXPECT_TRUE(
      std::includes(sup.permissions.begin(), sup.permissions.end(), cw.permissions.begin(), cw.permissions.end()));
  EXPECT_TRUE(
      std::includes(sup.read_groups.begin(), sup.read_groups.end(), cw.read_groups.begin(), cw.read_groups.end()));
  EXPECT_EQ(sup.scope, Scope::kAgency);
  for (const char* res : kCaseResources) EXPECT_TRUE(sup.Allows(res, "delete")) << res;
  EXPECT_FALSE(sup.Allows("locations", "delete"));
}

TEST(AccessTest, PoliceInvestigatorSeesNoContactOrHealth) {
  const Role& r = Builtin("police_investigator");
  EXPECT_EQ(r.scope, Scope::kJurisdiction);
  EXPECT_TRUE(r.CanRead(FieldGroup::kIdentity));
  EXPECT_TRUE(r.CanRead(FieldGroup::kNarrative));
  EXPECT_TRUE(r.CanRead(FieldGroup::kInvestigation));
  EXPECT_FALSE(r.CanRead(FieldGroup::kContact));
  EXPECT_FALSE(r.CanRead(FieldGroup::kHealth));
  EXPECT_FALSE(r.CanWrite(FieldGroup::kIdentity));
  EXPECT_TRUE(r.Allows("cases", "read"));
  EXPECT_FALSE(r.Allows("cases", "delete"));
  EXPECT_FALSE(r.Allows("persons", "create"));
}

TEST(AccessTest, ForeignAffairsOfficerWorksOnImmigrationAndAssistance) {
  const Role& r = Builtin("foreign_affairs_officer");
  EXPECT_EQ(r.scope, Scope::kJurisdiction);
  EXPECT_TRUE(r.CanRead(FieldGroup::kIdentity));
  EXPECT_TRUE(r.CanRead(FieldGroup::kContact));
  EXPECT_FALSE(r.CanRead(FieldGroup::kHealth));
  EXPECT_FALSE(r.CanRead(FieldGroup::kNarrative));
  EXPECT_TRUE(r.Allows("persons", "read"));
  EXPECT_TRUE(r.Allows("immigration-statuses", "create"));
  EXPECT_TRUE(r.Allows("assistance", "update"));
  EXPECT_FALSE(r.Allows("claims", "read"));
  EXPECT_FALSE(r.Allows("trafficking-events", "read"));
}

TEST(AccessTest, AnalystOnlyReportsAndNeverReadsARecord) {
  const Role& r = Builtin("analyst");
  EXPECT_TRUE(r.aggregate_only);
  EXPECT_TRUE(r.Allows("statistics", "report"));
  EXPECT_TRUE(r.read_groups.empty());
  EXPECT_TRUE(r.write_groups.empty());
  for (const auto& res : Resources()) {
    for (std::string_view action : kActions) {
      if (action == "report") continue;
      EXPECT_FALSE(r.Allows(res.name, action)) << res.name << " " << action;
    }
  }
}

TEST(AccessTest, TaskforceMemberReportsAndReadsReferenceDataOnly) {
  const Role& r = Builtin("taskforce_member");
  EXPECT_TRUE(r.Allows("statistics", "report"));
  for (const char* res : kReferenceResources) EXPECT_TRUE(r.Allows(res, "read"));
  for (const char* res : kCaseResources) EXPECT_FALSE(r.Allows(res, "read")) << res;
  EXPECT_FALSE(r.CanRead(FieldGroup::kIdentity));
  // issue 7: members write their taskforce's plan (general fields only).
  EXPECT_EQ(r.write_groups, std::set<FieldGroup>{FieldGroup::kGeneral});
  for (const char* res : {"taskforces", "taskforce-members", "taskforce-meetings", "plan-objectives", "plan-activities",
                          "plan-indicators", "directives", "directive-recipients"}) {
    for (const char* action : {"read", "list", "create", "update", "delete", "history"}) {
      EXPECT_TRUE(r.Allows(res, action)) << res << " " << action;
    }
  }
}

// issue 7: who reads and writes taskforces and directives, by role.
TEST(AccessTest, Issue7TaskforceAndDirectivePermissions) {
  const char* plan[] = {"taskforces",      "taskforce-members", "taskforce-meetings",
                        "plan-objectives", "plan-activities",   "plan-indicators"};
  const char* directives[] = {"directives", "directive-recipients"};
  // Agencies that receive and issue directives answer them.
  for (const char* role : {"supervisor", "police_investigator", "foreign_affairs_officer"}) {
    const Role& r = Builtin(role);
    for (const char* res : directives) {
      EXPECT_TRUE(r.Allows(res, "update")) << role << " " << res;
      EXPECT_TRUE(r.Allows(res, "create")) << role << " " << res;
    }
    for (const char* res : plan) {
      EXPECT_TRUE(r.Allows(res, "read")) << role << " " << res;
      EXPECT_FALSE(r.Allows(res, "update")) << role << " " << res;
    }
  }
  // Case workers read; administrators read and see history; analysts see
  // aggregates only.
  for (const char* res : directives) {
    EXPECT_TRUE(Builtin("case_worker").Allows(res, "read")) << res;
    EXPECT_FALSE(Builtin("case_worker").Allows(res, "update")) << res;
    EXPECT_TRUE(Builtin("administrator").Allows(res, "history")) << res;
    EXPECT_FALSE(Builtin("administrator").Allows(res, "create")) << res;
    EXPECT_FALSE(Builtin("analyst").Allows(res, "read")) << res;
  }
  for (const char* res : plan) {
    EXPECT_TRUE(Builtin("case_worker").Allows(res, "list")) << res;
    EXPECT_FALSE(Builtin("case_worker").Allows(res, "create")) << res;
    EXPECT_FALSE(Builtin("analyst").Allows(res, "list")) << res;
  }
}

TEST(AccessTest, AdministratorAdministersButSeesNoCaseData) {
  const Role& r = Builtin("administrator");
  EXPECT_EQ(r.scope, Scope::kAll);
  EXPECT_TRUE(r.requires_totp);
  EXPECT_TRUE(r.Allows("users", "manage_users"));
  EXPECT_TRUE(r.Allows("roles", "manage_roles"));
  for (const char* res : kReferenceResources) {
    for (const char* action : {"create", "update", "delete"}) EXPECT_TRUE(r.Allows(res, action)) << res;
  }
  for (const char* res : kCaseResources) {
    for (std::string_view action : kActions) EXPECT_FALSE(r.Allows(res, action)) << res << " " << action;
  }
  for (FieldGroup g : {FieldGroup::kIdentity, FieldGroup::kContact, FieldGroup::kHealth, FieldGroup::kNarrative,
                       FieldGroup::kInvestigation}) {
    EXPECT_FALSE(r.CanRead(g)) << FieldGroupName(g);
  }
}

TEST(AccessTest, EveryBuiltinRoleThatExportsOrAdministersRequiresTotp) {
  for (const auto& r : BuiltinRoles()) {
    const bool powerful = std::any_of(r.permissions.begin(), r.permissions.end(), [](const auto& p) {
      return p.second == "export" || p.second == "manage_users" || p.second == "manage_roles";
    });
    if (powerful) {
      EXPECT_TRUE(r.requires_totp) << r.code;
    }
    for (FieldGroup g : r.write_groups) EXPECT_TRUE(r.CanRead(g)) << r.code;
  }
}

TEST(AccessTest, RolesRoundTripThroughJson) {
  for (const auto& r : BuiltinRoles()) {
    auto back = ParseRoleText(RoleToText(r));
    ASSERT_TRUE(back.ok()) << r.code << ": " << back.status().ToString();
    EXPECT_EQ(*back, r);
    EXPECT_EQ(RoleToText(*back), RoleToText(r));  // canonical
  }
}

TEST(AccessTest, WildcardResourceAllowsTheActionEverywhere) {
  json doc = ValidRole();
  doc["permissions"] = json::parse(R"([{"resource": "*", "actions": ["read"]}])");
  auto r = ParseRole(doc);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->Allows("cases", "read"));
  EXPECT_TRUE(r->Allows("persons", "read"));
  EXPECT_FALSE(r->Allows("cases", "update"));
}

TEST(AccessTest, AggregateOnlyAllowsOnlyReportsEvenIfGivenMore) {
  Role r = Builtin("analyst");
  r.permissions.emplace("cases", "read");  // a role built in code, bypassing ParseRole
  EXPECT_FALSE(r.Allows("cases", "read"));
  EXPECT_TRUE(r.Allows("statistics", "report"));
}

TEST(AccessTest, ParseRoleRefusesBadShapes) {
  ASSERT_TRUE(ParseRole(ValidRole()).ok());
  struct Case {
    const char* name;
    std::function<void(json&)> mutate;
    const char* path;
    const char* rule;
  };
  const Case cases[] = {
      {"unknown member", [](json& d) { d["superuser"] = true; }, "superuser", "unknown_field"},
      {"bad code", [](json& d) { d["code"] = "Case Worker"; }, "code", "pattern"},
      {"missing name", [](json& d) { d.erase("name_en"); }, "name_en", "required"},
      {"bad scope", [](json& d) { d["scope"] = "planet"; }, "scope", "scope"},
      {"unknown resource", [](json& d) { d["permissions"][0]["resource"] = "secrets"; }, "permissions[0].resource",
       "resource"},
      {"unknown action", [](json& d) { d["permissions"][0]["actions"][1] = "pwn"; }, "permissions[0].actions[1]",
       "action"},
      {"duplicate action", [](json& d) { d["permissions"][0]["actions"][1] = "read"; }, "permissions[0].actions[1]",
       "duplicate"},
      {"unknown group", [](json& d) { d["read_groups"][1] = "secrets"; }, "read_groups[1]", "field_group"},
      {"blind write", [](json& d) { d["write_groups"].push_back("health"); }, "write_groups", "subset"},
      {"export without totp", [](json& d) { d["permissions"][0]["actions"].push_back("export"); }, "requires_totp",
       "required_with"},
      {"manage users without totp",
       [](json& d) {
         d["permissions"].push_back({{"resource", "users"}, {"actions", {"manage_users"}}});
       },
       "requires_totp", "required_with"},
      {"aggregate with reads", [](json& d) { d["aggregate_only"] = true; }, "permissions", "aggregate_only"},
      {"totp not a bool", [](json& d) { d["requires_totp"] = "yes"; }, "requires_totp", "type"},
  };
  for (const auto& c : cases) {
    json doc = ValidRole();
    c.mutate(doc);
    auto r = ParseRole(doc);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument) << c.name;
    EXPECT_TRUE(HasFieldError(r.status(), c.path, c.rule)) << c.name << ": " << r.status().ToString();
  }
  json export_role = ValidRole();
  export_role["permissions"][0]["actions"].push_back("export");
  export_role["requires_totp"] = true;
  EXPECT_TRUE(ParseRole(export_role).ok());
  EXPECT_FALSE(ParseRoleText("{not json").ok());
  EXPECT_FALSE(ParseRoleText("[]").ok());
}

TEST(AccessTest, RoleFileRefusesDuplicateCodes) {
  json file = {{"roles", {ValidRole(), ValidRole()}}};
  auto r = ParseRoleFile(file.dump());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(HasFieldError(r.status(), "roles[1].code", "unique"));
  EXPECT_FALSE(ParseRoleFile(R"({"roles": [], "extra": 1})").ok());
  auto one = ParseRoleFile(json({{"roles", {ValidRole()}}}).dump());
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1u);
}

TEST(AccessTest, NamesRoundTrip) {
  for (FieldGroup g : {FieldGroup::kGeneral, FieldGroup::kIdentity, FieldGroup::kContact, FieldGroup::kHealth,
                       FieldGroup::kNarrative, FieldGroup::kInvestigation}) {
    EXPECT_EQ(ParseFieldGroup(FieldGroupName(g)), g);
  }
  for (Scope s : {Scope::kOwn, Scope::kAgency, Scope::kJurisdiction, Scope::kAll}) {
    EXPECT_EQ(ParseScope(ScopeName(s)), s);
  }
  EXPECT_FALSE(ParseScope("everything"));
  EXPECT_TRUE(IsAccessResource("cases"));
  EXPECT_TRUE(IsAccessResource("users"));
  EXPECT_FALSE(IsAccessResource("sessions"));
  EXPECT_TRUE(IsAction("consent_override"));
  EXPECT_FALSE(IsAction("READ"));
}

}  // namespace
}  // namespace ctims::domain
