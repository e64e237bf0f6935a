// The generated authorization matrix (issue 3, "Tests"; security.md G10-G17):
// for every built-in role of domain::BuiltinRoles() × every resource of
// domain::Resources() × every record action × five placements of the target
// record, the HTTP status the server answers is compared with what a small,
// independent oracle written here derives from the role's data (permissions,
// scope, field groups, aggregate_only). Every 2xx answer is also searched for
// ids of records outside the role's reach and for members of field groups the
// role may not read, and every refused write is checked to have changed
// nothing.
//
// Placements (the caller works at BK-PPD, the Bokeo provincial police, whose
// location is the province LA-BK):
//   own            created by the caller, at BK-PPD
//   same_agency    another user of BK-PPD
//   jurisdiction   BK-DMC-TPH, the Ton Pheung district (LA-BK-02): same province
//   elsewhere      an agency of Luang Prabang province (LA-LP), made here
//   protected      a protected case (cas_Protected) of BK-DMC-HXY (LA-BK-01)

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "access/access_test_util.hpp"
#include "domain/access.hpp"
#include "domain/schema.hpp"
#include "domain/workflow.hpp"

namespace ctims::access_test {
namespace {

// The case registry of issue 3. The referral mechanism's resources (issue 4:
// screenings, referrals, transfers, repatriations, investigations and their
// victim links) carry the same reach columns and go through the same checks;
// their workflow parties and shares are covered by tests/api/issue4_*.
const std::vector<domain::ResourceSpec>& MatrixResources() {
  static const std::vector<domain::ResourceSpec> kSpecs = [] {
    std::vector<domain::ResourceSpec> out;
    for (const auto& spec : domain::Resources()) {
      const bool workflow = domain::FindMachine(spec.name) != nullptr && spec.name != "cases";
      if (workflow || spec.name == "investigation-victims") continue;
      // issue 7: taskforces and directives have write rules beyond the role
      // (membership, chair, issuer, recipient): tests/api/issue7_taskforce_test.cpp.
      if (spec.name == "taskforces" || spec.name.rfind("taskforce-", 0) == 0 || spec.name.rfind("plan-", 0) == 0 ||
          spec.name.rfind("directive", 0) == 0) {
        continue;
      }
      out.push_back(spec);
    }
    return out;
  }();
  return kSpecs;
}

using domain::FieldGroup;

constexpr const char* kCallerAgency = "BK-PPD";
constexpr const char* kRecordActions[] = {"read", "list", "create", "update", "delete", "history"};

enum class Placement { kOwn, kSameAgency, kJurisdiction, kElsewhere, kProtected };
constexpr Placement kPlacements[] = {Placement::kOwn, Placement::kSameAgency, Placement::kJurisdiction,
                                     Placement::kElsewhere, Placement::kProtected};

const char* PlacementName(Placement p) {
  switch (p) {
    case Placement::kOwn: return "own (created by the caller)";
    case Placement::kSameAgency: return "same agency, another user";
    case Placement::kJurisdiction: return "another agency in the caller's jurisdiction (BK-DMC-TPH)";
    case Placement::kElsewhere: return "an agency of another province (LA-LP)";
    case Placement::kProtected: return "protected case of another agency in the jurisdiction (BK-DMC-HXY)";
  }
  return "?";
}
const char* PlacementShort(Placement p) {
  switch (p) {
    case Placement::kOwn: return "own";
    case Placement::kSameAgency: return "agency";
    case Placement::kJurisdiction: return "jurisd";
    case Placement::kElsewhere: return "other";
    case Placement::kProtected: return "protec";
  }
  return "?";
}

// The location chain (country down) of every agency the world uses: written
// from data/seed/*.json, checked against the database at set-up.
const std::map<std::string, std::vector<std::string>>& AgencyChains() {
  static const std::map<std::string, std::vector<std::string>> kChains = {
      {"BK-PPD", {"LA", "LA-BK"}},
      {"BK-DMC-TPH", {"LA", "LA-BK", "LA-BK-02"}},
      {"BK-DMC-HXY", {"LA", "LA-BK", "LA-BK-01"}},
      {"LP-DMC-TEST", {"LA", "LA-LP"}},
  };
  return kChains;
}

// ---- the oracle -----------------------------------------------------------

// Who a personal record belongs to, as the test placed it.
struct Tag {
  std::string owner;   // user id
  std::string agency;  // agency code
  bool is_protected = false;
};

// What the role's data says, computed without the production code's
// Role::Allows / scope filter.
class Oracle {
 public:
  Oracle(const domain::Role& role, std::string caller_id)
      : role_(role), caller_id_(std::move(caller_id)), caller_chain_(AgencyChains().at(kCallerAgency)) {}

  bool Allows(const std::string& resource, const std::string& action) const {
    if (role_.aggregate_only) return false;  // statistics only, never a record
    return role_.permissions.contains({resource, action}) || role_.permissions.contains({"*", action});
  }
  bool InScope(const Tag& t) const {
    switch (role_.scope) {
      case domain::Scope::kOwn: return t.owner == caller_id_;
      case domain::Scope::kAgency: return t.agency == kCallerAgency;
      case domain::Scope::kJurisdiction: {
        const auto& chain = AgencyChains().at(t.agency);
        return chain.size() >= caller_chain_.size() &&
               std::equal(caller_chain_.begin(), caller_chain_.end(), chain.begin());
      }
      case domain::Scope::kAll: return true;
    }
    return false;
  }
  // In scope, and a protected record only for its own agency (no grant here).
  bool Reaches(const Tag& t) const { return InScope(t) && (!t.is_protected || t.agency == kCallerAgency); }
  bool CanRead(FieldGroup g) const { return role_.read_groups.contains(g); }
  bool CanWrite(FieldGroup g) const { return role_.write_groups.contains(g); }
  const std::string& caller_id() const { return caller_id_; }

 private:
  const domain::Role& role_;
  std::string caller_id_;
  std::vector<std::string> caller_chain_;
};

struct Expected {
  int status = 0;
  std::string rule;  // the field-error rule a refusal must name, "" for none
  std::string why;   // which rule of the access model decided it
};

FieldGroup GroupOf(const domain::ResourceSpec& spec, const std::string& member) {
  const auto* f = spec.FindField(member);
  return f == nullptr ? FieldGroup::kGeneral : f->group;
}

bool IsMeta(const std::string& member) {
  return member == "id" || member == "version" || member == "created_at" || member == "updated_at";
}

// ---- sample bodies ----------------------------------------------------------

// A patch touching only fields of `group` of `resource`, with values that
// differ on every call (n). null when the resource has no such sample.
json SamplePatch(const std::string& resource, FieldGroup group, int n) {
  const std::string s = std::to_string(n);
  using G = FieldGroup;
  if (resource == "locations" && group == G::kGeneral) return {{"loc_NameEn", "Renamed " + s}};
  if (resource == "agencies" && group == G::kGeneral) return {{"org_NameEn", "Renamed " + s}};
  if (resource == "organisations" && group == G::kGeneral) return {{"org_NameLatin", "Renamed " + s}};
  if (resource == "persons") {
    if (group == G::kGeneral) return {{"prs_NumberOfChildren", n % 31}};
    if (group == G::kIdentity) return {{"prs_MiddleName", "Middle " + s}};
    if (group == G::kContact) return {{"prs_MailingStreet", "Street " + s}};
  }
  if (resource == "cases") {
    if (group == G::kGeneral) return {{"vic_AgeWhenTrafficked", n % 121}};
    if (group == G::kHealth) return {{"vic_Vulnerabilities", {n % 2 == 0 ? "Poverty" : "Migration"}}};
    if (group == G::kNarrative) return {{"cas_Summary", "Summary " + s}};
  }
  if (resource == "trafficking-events") {
    if (group == G::kGeneral) return {{"hte_City", "City " + s}};
    if (group == G::kInvestigation) return {{"hte_Street", "Street " + s}};
    if (group == G::kNarrative) return {{"hte_Description", "Description " + s}};
  }
  if (resource == "employment-episodes") {
    if (group == G::kGeneral) return {{"emp_JobTitle", "Job " + s}};
    if (group == G::kNarrative) return {{"emp_Conditions", "Conditions " + s}};
  }
  if (resource == "claims") {
    if (group == G::kGeneral) return {{"clm_Amount", n}, {"clm_Currency", "THB"}};
    if (group == G::kNarrative) return {{"clm_Notes", "Notes " + s}};
  }
  if (resource == "immigration-statuses") {
    if (group == G::kGeneral) return {{"imm_CrossingPoint", "Crossing " + s}};
    if (group == G::kContact) return {{"imm_ReturnPlace", "Place " + s}};
    if (group == G::kNarrative) return {{"imm_Notes", "Notes " + s}};
  }
  if (resource == "assistance") {
    if (group == G::kGeneral) return {{"ast_CostAmount", n}, {"ast_CostCurrency", "LAK"}};
    if (group == G::kNarrative) return {{"ast_Notes", "Notes " + s}};
  }
  if (resource == "consents") {
    if (group == G::kGeneral) return {{"cns_Method", n % 2 == 0 ? "Written" : "Thumbprint"}};
    if (group == G::kIdentity) return {{"cns_Interpreter", "Interpreter " + s}};
    if (group == G::kNarrative) return {{"cns_Notes", "Notes " + s}};
  }
  return nullptr;
}

std::set<FieldGroup> GroupsOf(const domain::ResourceSpec& spec) {
  std::set<FieldGroup> out;
  for (const auto& f : spec.fields) out.insert(f.group);
  return out;
}

// ---- the world ----------------------------------------------------------------

// The records of one placement.
struct PlacementWorld {
  Placement placement = Placement::kOwn;
  std::string agency_code;
  std::string agency_id;
  std::string owner_id;
  Tag tag;
  std::map<std::string, std::string> main;       // resource -> the record read, listed, updated
  std::map<std::string, std::string> deletable;  // resource -> a record nothing refers to (but see protected)
};

struct KnownRecord {
  std::string resource;
  Tag tag;                // personal resources only
  std::string agency_id;  // of tag.agency, to view it as its agency
  bool referenced = false;
};

class AuthorizationMatrixTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    role_ = domain::FindBuiltinRole(GetParam());
    ASSERT_NE(role_, nullptr);
    server_ = std::make_unique<TestServer>();
    BuildWorld();
    if (HasFailure()) return;
    oracle_ = std::make_unique<Oracle>(*role_, caller_id_);
    SignInCaller();
  }

  TestServer& server() { return *server_; }

  void SignInCaller() {
    std::string code;
    if (role_->requires_totp) {
      // Such users must have a second factor: enrolled by the operator, code
      // from core/totp at the fixture's clock.
      auto enrolment = server().auth().EnrolTotpForUser("caller");
      ASSERT_TRUE(enrolment.ok()) << enrolment.status().ToString();
      code = server().TotpNow(enrolment->secret_base32);
    }
    session_ = server().SignIn("caller", TestServer::kPassword, code);
    Reply me = Call(server(), session_, "GET", "/api/v1/session");
    ASSERT_EQ(me.status, 200) << Describe(me);
    ASSERT_FALSE(me.Json().value("totp_enrolment_required", true))
        << "rule requires_totp: an enrolled user must get a full session";
  }

  std::string AgencyId(const std::string& code) { return SystemIdByCode(server(), "agencies", "org_Code", code); }
  std::string LocationId(const std::string& code) { return SystemIdByCode(server(), "locations", "loc_Code", code); }

  void Register(const std::string& id, const std::string& resource, const Tag& tag) {
    if (id.empty()) return;
    records_[id] = {resource, tag, tag.agency.empty() ? "" : AgencyId(tag.agency), false};
  }

  // The stored record with every field: as its own agency (the operator does
  // not reach protected cases), else as the operator.
  json StoredView(const std::string& resource, const std::string& id) {
    auto it = records_.find(id);
    if (it != records_.end() && !it->second.agency_id.empty()) {
      return SystemView(server(), resource, id, ActingAs(it->second.tag.owner, it->second.agency_id));
    }
    return SystemView(server(), resource, id);
  }

  // Every stored id of `resource`, protected ones included.
  std::set<std::string> AllIds(const std::string& resource) {
    std::set<std::string> out = SystemIds(server(), resource);
    for (const auto& w : worlds_) {
      for (const auto& id : SystemIds(server(), resource, ActingAs(w.owner_id, w.agency_id))) out.insert(id);
    }
    return out;
  }

  void BuildWorld() {
    // The agency of another province, made by the operator.
    auto lp = server().service().Create(*domain::FindResource("agencies"),
                                        {{"org_Code", "LP-DMC-TEST"},
                                         {"org_NameLo", "ຄະນະກຳມະການຄຸ້ມຄອງເມືອງທົດສອບ"},
                                         {"org_NameEn", "Test District Committee, Luang Prabang"},
                                         {"org_Type", "LocalGovernmentOrganisation"},
                                         {"org_Level", "district"},
                                         {"location_id", LocationId("LA-LP")}},
                                        app::SystemPrincipal());
    ASSERT_TRUE(lp.ok()) << lp.status().ToString();
    // The oracle's location chains must be the seed's.
    for (const auto& [code, chain] : AgencyChains()) {
      json agency = SystemView(server(), "agencies", AgencyId(code));
      ASSERT_TRUE(agency.is_object()) << code;
      json location = SystemView(server(), "locations", agency.value("location_id", ""));
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        ASSERT_TRUE(location.is_object()) << "agency " << code << ": the seed's location chain is not " << *it;
        ASSERT_EQ(location.value("loc_Code", ""), *it) << "agency " << code << ": location chain";
        location = location.contains("parent_id")
                       ? SystemView(server(), "locations", location["parent_id"].get<std::string>())
                       : json();
      }
      ASSERT_TRUE(location.is_null()) << "agency " << code << ": location chain longer than the oracle's";
    }

    caller_id_ = server().AddUser("caller", kCallerAgency, role_->code);
    const std::string peer = server().AddUser("peer", kCallerAgency, "case_worker");
    const std::string tph = server().AddUser("owner_tph", "BK-DMC-TPH", "case_worker");
    const std::string lpu = server().AddUser("owner_lp", "LP-DMC-TEST", "case_worker");
    const std::string hxy = server().AddUser("owner_hxy", "BK-DMC-HXY", "case_worker");
    const struct {
      Placement p;
      const char* agency;
      std::string owner;
    } plan[] = {{Placement::kOwn, kCallerAgency, caller_id_},
                {Placement::kSameAgency, kCallerAgency, peer},
                {Placement::kJurisdiction, "BK-DMC-TPH", tph},
                {Placement::kElsewhere, "LP-DMC-TEST", lpu},
                {Placement::kProtected, "BK-DMC-HXY", hxy}};
    for (const auto& step : plan) {
      PlacementWorld w;
      w.placement = step.p;
      w.agency_code = step.agency;
      w.agency_id = AgencyId(step.agency);
      w.owner_id = step.owner;
      w.tag = {step.owner, step.agency, step.p == Placement::kProtected};
      MakeRecords(w);
      worlds_.push_back(std::move(w));
    }
  }

  void MakeRecords(PlacementWorld& w) {
    const app::Principal owner = ActingAs(w.owner_id, w.agency_id);
    const bool prot = w.placement == Placement::kProtected;
    const std::string n = std::to_string(counter_++);
    const std::string district = LocationId("LA-BK-02");
    // Reference data (not personal: placement does not matter to reach).
    w.main["locations"] = CreateAs(server(), owner, "locations",
                                   {{"loc_Code", "T-LOC-" + n},
                                    {"loc_NameLo", "ບ້ານທົດສອບ"},
                                    {"loc_NameEn", "Test village " + n},
                                    {"loc_Level", "village"},
                                    {"parent_id", district}});
    w.main["agencies"] = CreateAs(server(), owner, "agencies",
                                  {{"org_Code", "T-AG-" + n},
                                   {"org_NameLo", "ອົງການທົດສອບ"},
                                   {"org_NameEn", "Test agency " + n},
                                   {"org_Type", "NGO"},
                                   {"org_Level", "district"},
                                   {"location_id", district}});
    w.main["organisations"] = CreateAs(server(), owner, "organisations",
                                       {{"org_Name", "ບໍລິສັດ " + n},
                                        {"org_NameLatin", "Company " + n},
                                        {"org_Category", "Employer"},
                                        {"org_ShippingCountry", "TH"},
                                        {"org_Phone", "+66812345678"}});
    for (const char* r : {"locations", "agencies", "organisations"}) {
      Register(w.main[r], r, {});
      w.deletable[r] = w.main[r];
    }
    // Personal records with a member of every field group the resource has.
    w.main["persons"] = CreateAs(
        server(), owner, "persons",
        {{"prs_FirstName", "ມະນີວອນ"},
         {"prs_SecondName", "ສີສຸວັນ"},
         {"prs_LatinNames", {"Manivone Sisouvanh"}},
         {"prs_Sex", "Female"},
         {"prs_Birthdate", "2001-03-14"},
         {"prs_IdentityDocuments", {{{"doc_Type", "Passport"}, {"doc_Number", "P12345" + n}, {"doc_Status", "Lost"}}}},
         {"prs_MobilePhone", "+8562055512345"},
         {"prs_MailingCity", "ຕົ້ນເຜິ້ງ"}});
    json case_body = {{"person_id", w.main["persons"]},
                      {"owner_agency_id", w.agency_id},
                      {"cas_OpenedOn", "2025-06-01"},
                      {"vic_AgeWhenTrafficked", 22},
                      {"vic_TypeOfExploitation", {"ForcedLabour"}},
                      {"vic_Vulnerabilities", {"Poverty"}},
                      {"vic_MethodsOfControl", {{"DebtBondage", "No"}}},
                      {"vic_PlaceOfRecruitment", "Market"},
                      {"cas_Summary", "Recruited on Facebook; passport held by the factory."}};
    if (prot) case_body["cas_Protected"] = true;
    w.main["cases"] = CreateAs(server(), owner, "cases", case_body);
    const std::string c = w.main["cases"];
    w.main["trafficking-events"] = CreateAs(server(), owner, "trafficking-events",
                                            {{"case_id", c},
                                             {"hte_Type", "Recruitment"},
                                             {"hte_City", "Houayxay"},
                                             {"hte_Street", "Road 3"},
                                             {"hte_Latitude", 20.27},
                                             {"hte_Longitude", 100.41},
                                             {"hte_Description", "Met the broker at the market."}});
    w.main["employment-episodes"] = CreateAs(server(), owner, "employment-episodes",
                                             {{"case_id", c},
                                              {"emp_JobTitle", "Sewing machine operator"},
                                              {"emp_Conditions", "Twelve hours a day, seven days a week."}});
    w.main["claims"] = CreateAs(server(), owner, "claims",
                                {{"case_id", c},
                                 {"employment_episode_id", w.main["employment-episodes"]},
                                 {"clm_Kind", "CovidTest"},
                                 {"clm_Direction", "DemandedFromWorker"},
                                 {"clm_Amount", 3000},
                                 {"clm_Currency", "THB"},
                                 {"clm_Status", "Demanded"},
                                 {"clm_Notes", "Paid in cash to the supervisor."}});
    w.main["immigration-statuses"] = CreateAs(server(), owner, "immigration-statuses",
                                              {{"case_id", c},
                                               {"imm_BorderCrossing", "PassportNotStamped"},
                                               {"imm_WishToReturn", "Yes"},
                                               {"imm_ReturnPlace", "ຕົ້ນເຜິ້ງ"},
                                               {"imm_Notes", "Wants to go home."}});
    w.main["assistance"] = CreateAs(server(), owner, "assistance",
                                    {{"case_id", c},
                                     {"agency_id", w.agency_id},
                                     {"ast_Date", api_test::kToday},
                                     {"ast_ServiceType", "Shelter"},
                                     {"ast_Notes", "Three nights."}});
    w.main["consents"] = CreateAs(server(), owner, "consents",
                                  {{"case_id", c},
                                   {"cns_Purpose", "Referral"},
                                   {"cns_Status", "Given"},
                                   {"cns_Interpreter", "ນາງ ແກ້ວ"},
                                   {"cns_Notes", "Explained in Lao."}});
    for (const auto& spec : MatrixResources()) {
      if (spec.personal) Register(w.main[spec.name], spec.name, w.tag);
    }
    records_[w.main["persons"]].referenced = true;
    records_[c].referenced = true;
    records_[w.main["employment-episodes"]].referenced = true;

    // One update by the owner touching every field group, so that histories
    // hold changes of every group.
    int k = 1000 + counter_ * 10;
    for (const auto& spec : MatrixResources()) {
      if (!spec.personal) continue;
      json patch = json::object();
      for (FieldGroup g : GroupsOf(spec)) {
        json sample = SamplePatch(spec.name, g, ++k);
        if (sample.is_object()) patch.update(sample);
      }
      patch["version"] = 1;
      auto r = server().service().Update(spec, w.main[spec.name], patch, std::nullopt, owner);
      ASSERT_TRUE(r.ok()) << "set-up update " << spec.name << ": " << r.status().ToString();
    }

    // Leaves nothing refers to, for delete.
    if (prot) {
      // A protected person is one whose case is protected: the main one (a
      // case refers to it, so reaching it would give 409).
      w.deletable["persons"] = w.main["persons"];
    } else {
      w.deletable["persons"] = CreateAs(server(), owner, "persons", {{"prs_FirstName", "ລຶບ " + n}});
      Register(w.deletable["persons"], "persons", w.tag);
    }
    json del_case = {{"person_id", w.main["persons"]}, {"owner_agency_id", w.agency_id}};
    if (prot) del_case["cas_Protected"] = true;
    w.deletable["cases"] = CreateAs(server(), owner, "cases", del_case);
    for (const auto& spec : MatrixResources()) {
      if (spec.case_field.empty()) continue;
      w.deletable[spec.name] = CreateAs(server(), owner, spec.name, MinimalBody(spec.name, w));
    }
    for (const auto& spec : MatrixResources()) {
      if (spec.personal && spec.name != "persons") Register(w.deletable[spec.name], spec.name, w.tag);
    }
  }

  // The smallest valid body of `resource` placed in `w` (general fields
  // only, except a person's name, which is identity).
  json MinimalBody(const std::string& resource, const PlacementWorld& w) {
    const std::string n = std::to_string(counter_++);
    const std::string c = w.main.at("cases");
    if (resource == "locations") {
      return {
          {"loc_Code", "T-NEW-" + n}, {"loc_NameLo", "ບ້ານໃໝ່"}, {"loc_NameEn", "New " + n}, {"loc_Level", "village"}};
    }
    if (resource == "agencies") {
      return {{"org_Code", "T-NEW-" + n},
              {"org_NameLo", "ອົງການໃໝ່"},
              {"org_NameEn", "New " + n},
              {"org_Type", "NGO"},
              {"org_Level", "district"}};
    }
    if (resource == "organisations") return {{"org_Name", "New " + n}, {"org_Category", "Employer"}};
    if (resource == "persons") return {{"prs_FirstName", "ໃໝ່ " + n}};
    if (resource == "cases") {
      json body = {{"person_id", w.main.at("persons")}, {"owner_agency_id", w.agency_id}};
      if (w.placement == Placement::kProtected) body["cas_Protected"] = true;
      return body;
    }
    if (resource == "trafficking-events") return {{"case_id", c}, {"hte_Type", "Transit"}};
    if (resource == "employment-episodes") return {{"case_id", c}, {"emp_JobTitle", "Picker " + n}};
    if (resource == "claims") {
      return {{"case_id", c},
              {"clm_Kind", "CovidTest"},
              {"clm_Direction", "DemandedFromWorker"},
              {"clm_Status", "Demanded"}};
    }
    if (resource == "immigration-statuses") return {{"case_id", c}, {"imm_BorderCrossing", "PassportNotStamped"}};
    if (resource == "assistance") {
      return {
          {"case_id", c}, {"agency_id", w.agency_id}, {"ast_Date", api_test::kToday}, {"ast_ServiceType", "Shelter"}};
    }
    if (resource == "consents") return {{"case_id", c}, {"cns_Purpose", "Services"}, {"cns_Status", "Given"}};
    ADD_FAILURE() << "no minimal body for " << resource << ": add one to the matrix test";
    return json::object();
  }

  // ---- expectations ----------------------------------------------------------

  bool Reachable(const std::string& id) const {
    auto it = records_.find(id);
    if (it == records_.end()) return false;
    const auto* spec = domain::FindResource(it->second.resource);
    return !spec->personal || oracle_->Reaches(it->second.tag);
  }

  Expected ExpectRead(const domain::ResourceSpec& spec, const std::string& action, const std::string& id) const {
    if (!oracle_->Allows(spec.name, action)) return {403, "", "the role lacks (" + spec.name + ", " + action + ")"};
    if (!Reachable(id))
      return {404, "",
              "out of reach (scope " + std::string(domain::ScopeName(role_->scope)) +
                  " / protected case) is answered like a missing record"};
    return {200, "", "allowed and in reach"};
  }

  // The tag a record created with `body` gets, per the contract: a person
  // belongs to its creator's agency, a case to its owner_agency_id, a
  // record under a case to its case.
  Tag NewTag(const domain::ResourceSpec& spec, const json& body, const PlacementWorld& w) const {
    if (spec.name == "persons") return {caller_id_, kCallerAgency, false};
    if (spec.name == "cases") return {caller_id_, w.agency_code, body.value("cas_Protected", false)};
    return records_.at(body.at(spec.case_field).get<std::string>()).tag;
  }

  Expected ExpectCreate(const domain::ResourceSpec& spec, const json& body, const PlacementWorld& w) const {
    if (!oracle_->Allows(spec.name, "create")) return {403, "", "the role lacks (" + spec.name + ", create)"};
    for (const auto& [member, value] : body.items()) {
      if (!oracle_->CanWrite(GroupOf(spec, member))) {
        return {403, "field_group", "the body names " + member + ", a group the role may not write"};
      }
    }
    for (const auto& field : spec.fields) {
      if (field.type != domain::FieldType::kRef || !body.contains(field.name)) continue;
      if (domain::FindResource(field.ref)->personal && !Reachable(body[field.name].get<std::string>())) {
        return {400, "reference", field.name + " names a record out of reach: like a missing one"};
      }
    }
    if (spec.personal && !oracle_->InScope(NewTag(spec, body, w))) {
      return {403, "scope", "the new record would be outside the role's scope"};
    }
    return {201, "", "allowed, writable, references in reach, lands in scope"};
  }

  // The patch the matrix sends: a field of a group the role may write when
  // the resource has one (general first), else a general one.
  json MatrixPatch(const domain::ResourceSpec& spec) {
    for (FieldGroup g : GroupsOf(spec)) {
      if (oracle_->CanWrite(g)) {
        json p = SamplePatch(spec.name, g, ++counter_);
        if (p.is_object()) return p;
      }
    }
    return SamplePatch(spec.name, FieldGroup::kGeneral, ++counter_);
  }

  Expected ExpectUpdate(const domain::ResourceSpec& spec, const std::string& id, const json& patch) const {
    if (!oracle_->Allows(spec.name, "update")) return {403, "", "the role lacks (" + spec.name + ", update)"};
    if (!Reachable(id)) return {404, "", "out of reach is answered like a missing record"};
    for (const auto& [member, value] : patch.items()) {
      if (!oracle_->CanWrite(GroupOf(spec, member))) {
        return {403, "field_group", "the patch names " + member + ", a group the role may not write"};
      }
    }
    return {200, "", "allowed, in reach, writable"};
  }

  Expected ExpectDelete(const domain::ResourceSpec& spec, const std::string& id) const {
    if (!oracle_->Allows(spec.name, "delete")) return {403, "", "the role lacks (" + spec.name + ", delete)"};
    if (!Reachable(id)) return {404, "", "out of reach is answered like a missing record"};
    if (records_.at(id).referenced) return {409, "", "others refer to it"};
    return {204, "", "allowed and in reach"};
  }

  // ---- response checks ------------------------------------------------------

  // No id of a personal record out of the caller's reach anywhere in `body`.
  void CheckNoForeignIds(const std::string& what, const std::string& body) {
    for (const auto& [id, rec] : records_) {
      if (!domain::FindResource(rec.resource)->personal || Reachable(id)) continue;
      ++checks_;
      EXPECT_EQ(body.find(id), std::string::npos) << what << ": rule scope/protected: the answer contains the id of a "
                                                  << rec.resource << " out of reach (" << id << ")";
    }
  }

  // Every member of `record` is metadata or in a group the role reads; and
  // every readable member of the stored record is there, equal.
  void CheckMembers(const std::string& what, const domain::ResourceSpec& spec, const json& record) {
    ASSERT_TRUE(record.is_object()) << what;
    for (const auto& [member, value] : record.items()) {
      ++checks_;
      if (IsMeta(member)) continue;
      EXPECT_TRUE(oracle_->CanRead(GroupOf(spec, member)))
          << what << ": rule field_group (read): member " << member << " of group "
          << domain::FieldGroupName(GroupOf(spec, member)) << " is shown to a role that may not read it";
    }
    const json full = StoredView(spec.name, record.value("id", ""));
    if (!full.is_object()) return;
    for (const auto& [member, value] : full.items()) {
      if (IsMeta(member) || !oracle_->CanRead(GroupOf(spec, member))) continue;
      EXPECT_EQ(record.value(member, json()), value)
          << what << ": readable member " << member << " is missing or differs from the stored record";
    }
  }

  void CheckHistory(const std::string& what, const domain::ResourceSpec& spec, const json& history) {
    ASSERT_TRUE(history.is_object() && history["items"].is_array()) << what << ": " << history.dump();
    for (const auto& entry : history["items"]) {
      for (const auto& change : entry["changes"]) {
        std::string path = change.value("path", "");
        path = path.substr(0, path.find('.'));
        ++checks_;
        EXPECT_TRUE(oracle_->CanRead(GroupOf(spec, path)))
            << what << ": rule field_group (history): a change of " << path << " (group "
            << domain::FieldGroupName(GroupOf(spec, path)) << ") is shown to a role that may not read it";
      }
    }
  }

  // ---- the matrix -----------------------------------------------------------

  std::string Cell(const domain::ResourceSpec& spec, const std::string& action, const PlacementWorld& w) const {
    return "[role " + role_->code + "] " + action + " " + spec.name + " placed: " + PlacementName(w.placement);
  }

  void Note(const std::string& resource, const std::string& action, Placement p, int status) {
    outcomes_[resource][action][static_cast<int>(p)] = status;
    ++cells_;
  }

  // Asserts `r` against `e`; refused writes must name e.rule.
  void ExpectOutcome(const std::string& cell, const Reply& r, const Expected& e) {
    EXPECT_EQ(r.status, e.status) << cell << ": expected " << e.status << " because " << e.why << "; got "
                                  << Describe(r);
    if (r.status == e.status && !e.rule.empty()) {
      EXPECT_TRUE(HasRule(r, e.rule)) << cell << ": the refusal must name rule " << e.rule << ": " << Describe(r);
    }
    if (r.status == 403) {
      EXPECT_EQ(ErrorCode(r), "permission_denied") << cell << ": " << Describe(r);
    }
  }

  void ReadsAndHistories() {
    for (const auto& spec : MatrixResources()) {
      for (const auto& w : worlds_) {
        for (const char* action : {"read", "history"}) {
          const std::string& id = w.main.at(spec.name);
          const std::string cell = Cell(spec, action, w);
          const Expected e = ExpectRead(spec, action, id);
          const std::string path = Url(spec.name, id) + (std::string(action) == "history" ? "/history" : "");
          Reply r = Call(server(), session_, "GET", path);
          ExpectOutcome(cell, r, e);
          Note(spec.name, action, w.placement, r.status);
          CheckNoForeignIds(cell, r.body);
          if (r.status != 200) continue;
          if (std::string(action) == "read") {
            EXPECT_EQ(r.Json().value("id", ""), id) << cell;
            CheckMembers(cell, spec, r.Json());
          } else {
            CheckHistory(cell, spec, r.Json());
          }
        }
      }
    }
  }

  // Lists: every record of the resource in reach is there, nothing out of
  // reach is, and every member is readable. `record_cells` counts the
  // placements as matrix cells (first pass).
  void Lists(bool record_cells) {
    for (const auto& spec : MatrixResources()) {
      const std::string what = "[role " + role_->code + "] list " + spec.name;
      int status = 0;
      std::string raw;
      const auto items = ListAll(server(), session_, spec.name, &status, &raw);
      const bool allowed = oracle_->Allows(spec.name, "list");
      EXPECT_EQ(status, allowed ? 200 : 403)
          << what << ": expected " << (allowed ? "200: the role holds (" : "403: the role lacks (") << spec.name
          << ", list)";
      CheckNoForeignIds(what, raw);
      std::set<std::string> seen;
      for (const auto& item : items) {
        const std::string id = item.value("id", "");
        seen.insert(id);
        CheckMembers(what + " item " + id, spec, item);
        if (spec.personal) {
          EXPECT_TRUE(records_.contains(id) && Reachable(id))
              << what << ": rule scope: lists a record out of the role's reach: " << id;
        }
      }
      for (const auto& w : worlds_) {
        int cell_status = status;
        if (status == 200) {
          const std::string& id = w.main.at(spec.name);
          const bool want = Reachable(id);
          EXPECT_EQ(seen.contains(id), want)
              << "[role " << role_->code << "] list " << spec.name << " placed: " << PlacementName(w.placement)
              << ": the record in " << (want ? "reach is missing" : "no reach is listed");
          cell_status = seen.contains(id) ? 200 : 0;
        }
        if (record_cells) Note(spec.name, "list", w.placement, cell_status);
      }
      if (status != 200) continue;
      for (const auto& [id, rec] : records_) {
        if (rec.resource != spec.name) continue;
        EXPECT_EQ(seen.contains(id), Reachable(id))
            << what << ": record " << id << (Reachable(id) ? " in reach is missing" : " out of reach is listed");
      }
    }
  }

  void Creates() {
    for (const auto& spec : MatrixResources()) {
      for (const auto& w : worlds_) {
        const json body = MinimalBody(spec.name, w);
        const std::string cell = Cell(spec, "create", w);
        const Expected e = ExpectCreate(spec, body, w);
        const auto before = AllIds(spec.name);
        Reply r = Call(server(), session_, "POST", Url(spec.name), body);
        ExpectOutcome(cell, r, e);
        Note(spec.name, "create", w.placement, r.status);
        CheckNoForeignIds(cell, r.body);
        if (r.status == 201) {
          const std::string id = r.Json().value("id", "");
          CheckMembers(cell, spec, r.Json());
          Register(id, spec.name, spec.personal ? NewTag(spec, body, w) : Tag{});
        } else {
          EXPECT_EQ(AllIds(spec.name), before) << cell << ": a refused create wrote a record";
        }
      }
    }
  }

  void Updates() {
    for (const auto& spec : MatrixResources()) {
      for (const auto& w : worlds_) {
        const std::string& id = w.main.at(spec.name);
        json patch = MatrixPatch(spec);
        const std::string cell = Cell(spec, "update", w) + " patch " + patch.dump();
        const Expected e = ExpectUpdate(spec, id, patch);
        const json before = StoredView(spec.name, id);
        patch["version"] = before["version"];
        Reply r = Call(server(), session_, "PATCH", Url(spec.name, id), patch);
        ExpectOutcome(cell, r, e);
        Note(spec.name, "update", w.placement, r.status);
        CheckNoForeignIds(cell, r.body);
        if (r.status == 200) {
          CheckMembers(cell, spec, r.Json());
        } else {
          EXPECT_EQ(StoredView(spec.name, id), before) << cell << ": a refused update changed the record";
        }
      }
    }
  }

  void Deletes() {
    for (const auto& spec : MatrixResources()) {
      for (const auto& w : worlds_) {
        const std::string& id = w.deletable.at(spec.name);
        const std::string cell = Cell(spec, "delete", w);
        const Expected e = ExpectDelete(spec, id);
        const json before = StoredView(spec.name, id);
        ASSERT_TRUE(before.is_object()) << cell << ": set-up record " << id << " is gone";
        Reply r = Call(server(), session_, "DELETE",
                       Url(spec.name, id) + "?version=" + std::to_string(before["version"].get<int>()));
        ExpectOutcome(cell, r, e);
        Note(spec.name, "delete", w.placement, r.status);
        CheckNoForeignIds(cell, r.body);
        if (r.status == 204) {
          records_.erase(id);
        } else {
          EXPECT_EQ(StoredView(spec.name, id), before) << cell << ": a refused delete changed the record";
        }
      }
    }
  }

  // Writes naming a field of a group the role may not write: 403, rule
  // field_group on that field, nothing written. On the caller's own records,
  // which every scope reaches.
  void FieldGroupWrites() {
    const PlacementWorld& own = worlds_.front();
    for (const auto& spec : MatrixResources()) {
      for (FieldGroup g : GroupsOf(spec)) {
        if (oracle_->CanWrite(g)) continue;
        const json sample = SamplePatch(spec.name, g, ++counter_);
        ASSERT_TRUE(sample.is_object()) << "no sample patch for " << spec.name << " group " << domain::FieldGroupName(g)
                                        << ": add one to the matrix test";
        const std::string what = "[role " + role_->code + "] rule field_group: write " + spec.name + " " +
                                 domain::FieldGroupName(g) + " field(s) " + sample.dump();
        if (oracle_->Allows(spec.name, "update")) {
          const std::string& id = own.main.at(spec.name);
          const json before = StoredView(spec.name, id);
          json patch = sample;
          patch["version"] = before["version"];
          Reply r = Call(server(), session_, "PATCH", Url(spec.name, id), patch);
          EXPECT_EQ(r.status, 403) << what << " (update): " << Describe(r);
          for (const auto& [member, value] : sample.items()) {
            EXPECT_TRUE(HasFieldRule(r, member, "field_group")) << what << " (update): " << Describe(r);
          }
          EXPECT_EQ(StoredView(spec.name, id), before) << what << " (update) changed the record";
          ++field_group_writes_;
        }
        if (oracle_->Allows(spec.name, "create")) {
          json body = MinimalBody(spec.name, own);
          body.update(sample);
          const auto before = AllIds(spec.name);
          Reply r = Call(server(), session_, "POST", Url(spec.name), body);
          EXPECT_EQ(r.status, 403) << what << " (create): " << Describe(r);
          for (const auto& [member, value] : sample.items()) {
            EXPECT_TRUE(HasFieldRule(r, member, "field_group")) << what << " (create): " << Describe(r);
          }
          EXPECT_EQ(AllIds(spec.name), before) << what << " (create) wrote a record";
          ++field_group_writes_;
        }
      }
    }
  }

  void PrintMatrix() {
    std::ostringstream out;
    out << "authorization matrix, role " << role_->code << " (scope " << domain::ScopeName(role_->scope)
        << "): status per placement [";
    for (Placement p : kPlacements) out << " " << PlacementShort(p);
    out << " ]; list: 200 listed, 0 absent\n";
    for (const auto& spec : MatrixResources()) {
      out << "  " << std::left << std::setw(21) << spec.name;
      for (const char* action : kRecordActions) {
        out << " " << action << ":";
        for (Placement p : kPlacements) out << " " << outcomes_[spec.name][action][static_cast<int>(p)];
      }
      out << "\n";
    }
    out << "  checked " << cells_ << " cells (" << MatrixResources().size() << " resources x "
        << std::size(kRecordActions) << " actions x " << std::size(kPlacements) << " placements), "
        << field_group_writes_ << " field-group writes, " << checks_ << " id/member checks\n";
    std::cout << out.str();
  }

  const domain::Role* role_ = nullptr;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<Oracle> oracle_;
  std::string caller_id_;
  Session session_;
  std::vector<PlacementWorld> worlds_;
  std::map<std::string, KnownRecord> records_;
  int counter_ = 1;
  int cells_ = 0;
  int checks_ = 0;
  int field_group_writes_ = 0;
  std::map<std::string, std::map<std::string, std::map<int, int>>> outcomes_;
};

TEST_P(AuthorizationMatrixTest, EveryResourceActionAndPlacementFollowsTheRoleData) {
  ASSERT_FALSE(HasFailure()) << "set-up failed";
  // Every field group a resource has needs a sample patch here, so that a new
  // group in the schema cannot go untested.
  for (const auto& spec : MatrixResources()) {
    for (FieldGroup g : GroupsOf(spec)) {
      EXPECT_TRUE(SamplePatch(spec.name, g, 1).is_object())
          << "the matrix has no sample of " << spec.name << " group " << domain::FieldGroupName(g);
    }
  }
  ReadsAndHistories();
  Lists(/*record_cells=*/true);
  Creates();
  Updates();
  Deletes();
  FieldGroupWrites();
  Lists(/*record_cells=*/false);  // after every write: still nothing out of reach
  PrintMatrix();
  EXPECT_EQ(cells_, static_cast<int>(MatrixResources().size() * std::size(kRecordActions) * std::size(kPlacements)));
}

std::vector<std::string> BuiltinRoleCodes() {
  std::vector<std::string> out;
  for (const auto& role : domain::BuiltinRoles()) out.push_back(role.code);
  return out;
}

INSTANTIATE_TEST_SUITE_P(BuiltinRoles, AuthorizationMatrixTest, ::testing::ValuesIn(BuiltinRoleCodes()),
                         [](const ::testing::TestParamInfo<std::string>& param) { return param.param; });

}  // namespace
}  // namespace ctims::access_test
