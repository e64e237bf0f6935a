#include "app/principal.hpp"

namespace ctims::app {

core::Status RequireFullSession(const Principal& principal) {
  if (principal.totp_enrolment_required) {
    return core::Status::PermissionDenied("enrol a second factor first",
                                          {{"totp", "enrolment_required", "this role requires TOTP"}});
  }
  return core::Status::Ok();
}

const Principal& SystemPrincipal() {
  static const Principal* const kSystem = [] {
    auto* p = new Principal;
    p->user_id = "system";
    p->username = "system";
    p->display_name = "ctims (command line)";
    p->role.code = "system";
    p->role.name_en = "Command line";
    p->role.scope = domain::Scope::kAll;
    for (const char* action : {"read", "list", "create", "update", "delete", "history"}) {
      p->role.permissions.insert({"*", action});
    }
    for (auto g : {domain::FieldGroup::kGeneral, domain::FieldGroup::kIdentity, domain::FieldGroup::kContact,
                   domain::FieldGroup::kHealth, domain::FieldGroup::kNarrative, domain::FieldGroup::kInvestigation}) {
      p->role.read_groups.insert(g);
      p->role.write_groups.insert(g);
    }
    p->second_factor_done = true;
    p->operator_access = true;
    return p;
  }();
  return *kSystem;
}

}  // namespace ctims::app
