// Protected cases and break the glass (issue 3 §5), over real HTTP: a
// protected case of the Houayxay district committee (BK-DMC-HXY), with its
// person and the records under it, seen by a police investigator of the
// Bokeo provincial police (BK-PPD), whose jurisdiction (the province) covers
// Houayxay.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "access/access_test_util.hpp"
#include "domain/access.hpp"

namespace ctims::access_test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kReason = "Trafficking ring investigation, warrant 2025/117 for Houayxay";

class BreakGlassTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>();
    const domain::Role* police = domain::FindBuiltinRole("police_investigator");
    ASSERT_NE(police, nullptr);
    // The built-in police role may break the glass; "police" below is the
    // same role without that permission, to show it is needed.
    domain::Role plain = *police;
    plain.code = "police_no_breakglass";
    plain.name_en = "Police investigator who may not break the glass";
    plain.permissions.erase({"cases", "break_glass"});
    server_->PutRole(domain::RoleToText(plain));
    domain::Role breaker = *police;
    breaker.code = "police_breakglass";
    breaker.name_en = "Police investigator who may break the glass";
    breaker.permissions.insert({"cases", "break_glass"});
    server_->PutRole(domain::RoleToText(breaker));

    owner_id_ = server_->AddUser("hxy_worker", "BK-DMC-HXY", "case_worker");
    breaker_id_ = server_->AddUser("police_bg", "BK-PPD", "police_breakglass");
    server_->AddUser("police", "BK-PPD", "police_no_breakglass");
    server_->AddUser("tph_worker", "BK-DMC-TPH", "case_worker");
    SignInAll();

    // The owning agency records the case over HTTP, protected from the start.
    hxy_agency_ = SystemIdByCode(*server_, "agencies", "org_Code", "BK-DMC-HXY");
    person_ = Create(owner_, "persons", {{"prs_FirstName", "ບຸນມີ"}, {"prs_LatinNames", {"Bounmy Phommachanh"}}});
    case_ = Create(owner_, "cases",
                   {{"person_id", person_},
                    {"owner_agency_id", hxy_agency_},
                    {"cas_Protected", true},
                    {"cas_Summary", "Witness against the recruiter."}});
    event_ = Create(owner_, "trafficking-events", {{"case_id", case_}, {"hte_Type", "Recruitment"}});
    claim_ = Create(owner_, "claims",
                    {{"case_id", case_},
                     {"clm_Kind", "CovidTest"},
                     {"clm_Direction", "DemandedFromWorker"},
                     {"clm_Status", "Demanded"}});
    // A control: an unprotected case of the same agency, which the police
    // reach by scope alone.
    open_person_ = Create(owner_, "persons", {{"prs_FirstName", "ສົມພອນ"}});
    open_case_ = Create(owner_, "cases", {{"person_id", open_person_}, {"owner_agency_id", hxy_agency_}});
  }

  void SignInAll() {
    owner_ = server_->SignIn("hxy_worker");
    breaker_ = server_->SignIn("police_bg");
    police_ = server_->SignIn("police");
    tph_ = server_->SignIn("tph_worker");
  }

  std::string Create(const Session& s, const std::string& resource, const json& body) {
    Reply r = Call(*server_, s, "POST", Url(resource), body);
    EXPECT_EQ(r.status, 201) << "set-up: create " << resource << ": " << Describe(r);
    return r.Json().value("id", "");
  }

  // The records under protection, by resource.
  std::vector<std::pair<std::string, std::string>> Protected() const {
    return {{"cases", case_}, {"persons", person_}, {"trafficking-events", event_}, {"claims", claim_}};
  }

  bool Listed(const Session& s, const std::string& resource, const std::string& id) {
    int status = 0;
    const auto items = ListAll(*server_, s, resource, &status);
    EXPECT_EQ(status, 200) << "list " << resource;
    for (const auto& item : items) {
      if (item.value("id", "") == id) return true;
    }
    return false;
  }

  // `who` reaches every protected record (read, history, lists) or none.
  void ExpectReach(const Session& who, bool reach, const std::string& context) {
    for (const auto& [resource, id] : Protected()) {
      Reply read = Call(*server_, who, "GET", Url(resource, id));
      EXPECT_EQ(read.status, reach ? 200 : 404)
          << context << ": GET " << resource << " of the protected case: "
          << (reach ? "must be readable" : "rule protected: must be answered like a missing record") << ": "
          << Describe(read);
      if (!reach && read.status == 404) {
        EXPECT_EQ(ErrorCode(read), "not_found") << context << ": " << Describe(read);
        EXPECT_EQ(read.body.find(id), std::string::npos) << context << ": the 404 names the id";
      }
      Reply history = Call(*server_, who, "GET", Url(resource, id) + "/history");
      EXPECT_EQ(history.status, reach ? 200 : 404)
          << context << ": history of " << resource << ": " << Describe(history);
      EXPECT_EQ(Listed(who, resource, id), reach)
          << context << ": list " << resource << (reach ? " must contain" : " rule protected: must not contain")
          << " the protected record";
    }
  }

  Reply BreakGlass(const Session& who, const std::string& case_id, const std::string& reason) {
    return Call(*server_, who, "POST", Url("cases", case_id) + "/break-glass", json{{"reason", reason}});
  }

  json Grants(const Session& who, int* status) {
    Reply r = Call(*server_, who, "GET", Url("cases", case_) + "/access-grants");
    *status = r.status;
    return r.Json();
  }

  std::unique_ptr<TestServer> server_;
  std::string owner_id_, breaker_id_, hxy_agency_;
  Session owner_, breaker_, police_, tph_;
  std::string person_, case_, event_, claim_, open_person_, open_case_;
};

TEST_F(BreakGlassTest, ProtectedCaseItsPersonAndChildrenAreInvisibleToJurisdictionPolice) {
  ExpectReach(breaker_, false, "police_breakglass (BK-PPD, jurisdiction LA-BK) before breaking the glass");
  ExpectReach(police_, false, "police_investigator (BK-PPD)");
  ExpectReach(tph_, false, "case_worker of BK-DMC-TPH");
  ExpectReach(owner_, true, "case_worker of the owning agency BK-DMC-HXY");
  // Control: the same agency's unprotected case is in the police's scope.
  Reply open = Call(*server_, police_, "GET", Url("cases", open_case_));
  EXPECT_EQ(open.status, 200) << "rule scope jurisdiction: an unprotected case of BK-DMC-HXY is in reach of BK-PPD: "
                              << Describe(open);
  EXPECT_EQ(Call(*server_, police_, "GET", Url("persons", open_person_)).status, 200);
}

TEST_F(BreakGlassTest, ReasonMustBeLongEnough) {
  Reply r = BreakGlass(breaker_, case_, "need it");
  EXPECT_EQ(r.status, 400) << "rule length: a reason under 20 characters is refused: " << Describe(r);
  EXPECT_TRUE(HasFieldRule(r, "reason", "length")) << Describe(r);
  Reply two_lines = BreakGlass(breaker_, case_, "Investigation of the ring\nwarrant 2025/117");
  EXPECT_EQ(two_lines.status, 400) << "rule length: the reason is one line: " << Describe(two_lines);
  EXPECT_TRUE(HasFieldRule(two_lines, "reason", "length")) << Describe(two_lines);
  ExpectReach(breaker_, false, "after refused break-glass requests");
  int status = 0;
  const json grants = Grants(owner_, &status);
  ASSERT_EQ(status, 200);
  EXPECT_TRUE(grants["items"].empty()) << "a refused request wrote a grant: " << grants.dump();
}

TEST_F(BreakGlassTest, WithoutThePermissionIsForbidden) {
  Reply r = BreakGlass(police_, case_, kReason);
  EXPECT_EQ(r.status, 403) << "rule permission: police without (cases, break_glass): " << Describe(r);
  EXPECT_EQ(ErrorCode(r), "permission_denied") << Describe(r);
  Reply worker = BreakGlass(tph_, case_, kReason);
  EXPECT_EQ(worker.status, 403) << "rule permission: case_worker lacks (cases, break_glass): " << Describe(worker);
  ExpectReach(police_, false, "police_investigator after a refused break-glass");
  int status = 0;
  const json grants = Grants(owner_, &status);
  ASSERT_EQ(status, 200);
  EXPECT_TRUE(grants["items"].empty()) << "a refused request wrote a grant: " << grants.dump();
}

TEST_F(BreakGlassTest, UnprotectedOrOwnCaseNeedsNoGlassAndUnknownCaseIsNotFound) {
  Reply open = BreakGlass(breaker_, open_case_, kReason);
  EXPECT_EQ(open.status, 409) << "rule not_protected: " << Describe(open);
  EXPECT_TRUE(HasFieldRule(open, "case_id", "not_protected")) << Describe(open);
  Reply missing = BreakGlass(breaker_, "0197a000-0000-7000-8000-000000000000", kReason);
  EXPECT_EQ(missing.status, 404) << Describe(missing);
}

TEST_F(BreakGlassTest, GrantOpensTheCaseForThreeHoursThenClosesIt) {
  const auto granted_at = server_->clock().Now();
  Reply r = BreakGlass(breaker_, case_, kReason);
  ASSERT_EQ(r.status, 201) << "break the glass with a reason: " << Describe(r);
  EXPECT_EQ(r.Json().value("case_id", ""), case_);
  EXPECT_EQ(r.Json().value("expires_at", ""), core::FormatTimestamp(granted_at + 3h))
      << "rule grant_duration: default 3 hours";
  ExpectReach(breaker_, true, "police_breakglass holding a grant");
  ExpectReach(police_, false, "another police user (the grant is personal)");
  // Within the grant, its reach includes what hangs off the case.
  Reply person = Call(*server_, breaker_, "GET", Url("persons", person_));
  EXPECT_EQ(person.Json().value("prs_FirstName", ""), "ບຸນມີ") << "the role reads identity: " << Describe(person);

  server_->clock().Advance(3h - 1s);
  SignInAll();  // the sessions went idle
  ExpectReach(breaker_, true, "one second before the grant expires");

  server_->clock().Advance(1s);
  ExpectReach(breaker_, false, "rule grant_duration: at 3 hours the grant is over");
  // A new reason gives a new grant.
  Reply again = BreakGlass(breaker_, case_, kReason);
  EXPECT_EQ(again.status, 201) << Describe(again);
  ExpectReach(breaker_, true, "after a second grant");
}

TEST_F(BreakGlassTest, OwningAgencySeesTheGrantOthersGetNotFound) {
  ASSERT_EQ(BreakGlass(breaker_, case_, kReason).status, 201);
  int status = 0;
  json grants = Grants(owner_, &status);
  ASSERT_EQ(status, 200) << "the owning agency reads the grants: " << grants.dump();
  ASSERT_EQ(grants["items"].size(), 1u) << grants.dump();
  const json& g = grants["items"][0];
  EXPECT_EQ(g.value("user_id", ""), breaker_id_);
  EXPECT_EQ(g.value("reason", ""), kReason);
  EXPECT_EQ(g.value("granted_at", ""), core::FormatTimestamp(server_->clock().Now()));
  EXPECT_TRUE(g.value("active", false)) << g.dump();

  for (const auto& [name, who] :
       std::vector<std::pair<std::string, Session>>{{"police_breakglass holding the grant", breaker_},
                                                    {"police_investigator of BK-PPD", police_},
                                                    {"case_worker of BK-DMC-TPH", tph_},
                                                    {"test_all (scope all) of BK-DMC-TPH", server_->session()}}) {
    Reply r = Call(*server_, who, "GET", Url("cases", case_) + "/access-grants");
    EXPECT_EQ(r.status, 404) << name << ": rule owning agency only: grants of another agency's case: " << Describe(r);
    EXPECT_EQ(r.body.find(kReason), std::string::npos) << name << " sees the reason";
  }

  server_->clock().Advance(3h);
  SignInAll();
  grants = Grants(owner_, &status);
  ASSERT_EQ(status, 200);
  ASSERT_EQ(grants["items"].size(), 1u) << "an expired grant stays on record: " << grants.dump();
  EXPECT_FALSE(grants["items"][0].value("active", true)) << "rule grant_duration: " << grants.dump();
}

TEST_F(BreakGlassTest, CaseOutOfScopeCannotBeOpenedByBreakingTheGlass) {
  // A police investigator of another province: the case is outside the
  // jurisdiction, so breaking the glass must not reach it (404 like a
  // missing case), reason or not.
  auto lp = server_->service().Create(*domain::FindResource("agencies"),
                                      {{"org_Code", "LP-PPD-TEST"},
                                       {"org_NameLo", "ກອງບັນຊາການປ້ອງກັນຄວາມສະຫງົບແຂວງຫຼວງພະບາງ"},
                                       {"org_NameEn", "Luang Prabang Provincial Police (test)"},
                                       {"org_Type", "LawEnforcement"},
                                       {"org_Level", "provincial"},
                                       {"location_id", SystemIdByCode(*server_, "locations", "loc_Code", "LA-LP")}},
                                      app::SystemPrincipal());
  ASSERT_TRUE(lp.ok()) << lp.status().ToString();
  server_->AddUser("police_lp", "LP-PPD-TEST", "police_breakglass");
  const Session lp_police = server_->SignIn("police_lp");
  Reply r = BreakGlass(lp_police, case_, kReason);
  EXPECT_EQ(r.status, 404) << "rule scope: break the glass only within the role's scope: " << Describe(r);
  ExpectReach(lp_police, false, "police of another province after a refused break-glass");
  int status = 0;
  EXPECT_TRUE(Grants(owner_, &status)["items"].empty());
}

TEST_F(BreakGlassTest, RecordMovedUnderAProtectedCaseBecomesProtected) {
  // An event recorded under the agency's open case, then moved (case_id)
  // under its protected case: it must be protected like everything else
  // under that case.
  const std::string moved = Create(owner_, "trafficking-events", {{"case_id", open_case_}, {"hte_Type", "Transit"}});
  ASSERT_EQ(Call(*server_, police_, "GET", Url("trafficking-events", moved)).status, 200)
      << "control: under the open case the police reach it";
  Reply patch =
      Call(*server_, owner_, "PATCH", Url("trafficking-events", moved), json{{"case_id", case_}, {"version", 1}});
  ASSERT_EQ(patch.status, 200) << Describe(patch);
  Reply r = Call(*server_, police_, "GET", Url("trafficking-events", moved));
  EXPECT_EQ(r.status, 404) << "rule protected: a record now under a protected case must be out of reach of the "
                              "police outside the owning agency: "
                           << Describe(r);
  EXPECT_FALSE(Listed(police_, "trafficking-events", moved)) << "rule protected: listed under a protected case";
}

TEST_F(BreakGlassTest, PersonStaysProtectedWhileAnyOfItsCasesIsProtected) {
  // The same person gets a second protected case, which is later opened up:
  // the first case is still protected, so its person must stay protected.
  const std::string second =
      Create(owner_, "cases", {{"person_id", person_}, {"owner_agency_id", hxy_agency_}, {"cas_Protected", true}});
  ASSERT_EQ(Call(*server_, police_, "GET", Url("persons", person_)).status, 404);
  Reply patch = Call(*server_, owner_, "PATCH", Url("cases", second), json{{"cas_Protected", false}, {"version", 1}});
  ASSERT_EQ(patch.status, 200) << Describe(patch);
  ASSERT_EQ(Call(*server_, police_, "GET", Url("cases", second)).status, 200) << "control: the second case is open";
  ASSERT_EQ(Call(*server_, police_, "GET", Url("cases", case_)).status, 404) << "the first case is still protected";
  Reply r = Call(*server_, police_, "GET", Url("persons", person_));
  EXPECT_EQ(r.status, 404) << "rule protected: the person of a still-protected case became readable when another of "
                              "its cases was unprotected: "
                           << Describe(r);
}

TEST_F(BreakGlassTest, HistoryOfADeletedProtectedCaseStaysProtected) {
  // A case deleted by its agency: its history (with the narrative) must not
  // become readable to others, not even to a role of scope "all".
  server_->AddUser("hxy_supervisor", "BK-DMC-HXY", "supervisor");
  const Session supervisor = server_->SignIn("hxy_supervisor");
  const std::string gone = Create(owner_, "cases",
                                  {{"person_id", person_},
                                   {"owner_agency_id", hxy_agency_},
                                   {"cas_Protected", true},
                                   {"cas_Summary", "Names the recruiter's family."}});
  const Session& all_scope = server_->session();  // "tester", role test_all (scope all) of BK-DMC-TPH
  ASSERT_EQ(Call(*server_, all_scope, "GET", Url("cases", gone) + "/history").status, 404)
      << "control: protected while it exists";
  Reply del = Call(*server_, supervisor, "DELETE", Url("cases", gone) + "?version=1");
  ASSERT_EQ(del.status, 204) << Describe(del);
  Reply r = Call(*server_, all_scope, "GET", Url("cases", gone) + "/history");
  EXPECT_EQ(r.status, 404) << "rule protected: the history of a deleted protected case is readable outside its "
                              "agency: "
                           << Describe(r);
  EXPECT_EQ(r.body.find("recruiter"), std::string::npos) << "the protected narrative leaked through history";
}

}  // namespace
}  // namespace ctims::access_test
