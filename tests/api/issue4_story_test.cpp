// Issue 4 end to end, through the HTTP API: the story of DESIGN.md §1.
//
// A woman from Myanmar, rescued in Ton Pheung (the Golden Triangle SEZ), is
// registered by the Ton Pheung district committee (BK-DMC-TPH) with an
// interpreter, screened, assisted by the district and by the Lao Women's
// Union shelter, referred to the provincial Foreign Affairs Department
// (repatriation) and to the provincial police (investigation of the employer
// and of the company her contract was sold to), returned to Myanmar over the
// border, followed up, and her case closed. At every step the test checks who
// can and cannot see what, and what tasks and notifications appear.

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "test_server.hpp"

namespace ctims::api_test {
namespace {

using namespace std::chrono_literals;

class Issue4Story : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    tph_agency_ = AgencyId("BK-DMC-TPH");
    hxy_agency_ = AgencyId("BK-DMC-HXY");
    shelter_agency_ = AgencyId("BK-LWU-SHELTER");
    fad_agency_ = AgencyId("BK-FAD");
    ppd_agency_ = AgencyId("BK-PPD");
    worker_id_ = server().AddUser("tph_worker", "BK-DMC-TPH", "case_worker");
    supervisor_id_ = server().AddUser("tph_supervisor", "BK-DMC-TPH", "supervisor");
    hxy_id_ = server().AddUser("hxy_worker", "BK-DMC-HXY", "case_worker");
    shelter_id_ = server().AddUser("shelter_worker", "BK-LWU-SHELTER", "case_worker");
    fa_id_ = server().AddUser("fa_officer", "BK-FAD", "foreign_affairs_officer");
    police_id_ = server().AddUser("police", "BK-PPD", "police_investigator");
    analyst_id_ = server().AddUser("analyst", "NCATIP-SEC", "analyst");
    worker_ = server().SignIn("tph_worker");
    supervisor_ = server().SignIn("tph_supervisor");
    hxy_ = server().SignIn("hxy_worker");
    shelter_ = server().SignIn("shelter_worker");
    fa_ = server().SignIn("fa_officer");
    police_ = server().SignIn("police");
    analyst_ = server().SignIn("analyst");
  }

  json ReadAs(const Session& s, const std::string& resource, const std::string& id) {
    Reply r = As(s, "GET", Url(resource, id));
    EXPECT_EQ(r.status, 200) << "read " << resource << ": " << Describe(r);
    return r.Json();
  }

  std::int64_t VersionOf(const Session& s, const std::string& resource, const std::string& id) {
    json j = ReadAs(s, resource, id);
    return j.is_object() && j.contains("version") ? j["version"].get<std::int64_t>() : -1;
  }

  // Ids in the list `path` answered to `s` (status must be 200).
  std::set<std::string> IdsAt(const Session& s, const std::string& path) {
    Reply r = As(s, "GET", path);
    EXPECT_EQ(r.status, 200) << path << ": " << Describe(r);
    std::set<std::string> ids;
    json j = r.Json();
    if (!j.is_object() || !j.contains("items")) return ids;
    for (const auto& item : j["items"]) ids.insert(item.value("id", ""));
    return ids;
  }
  bool Listed(const Session& s, const std::string& resource, const std::string& id, const std::string& query = "") {
    return IdsAt(s, Url(resource) + "?limit=500" + (query.empty() ? "" : "&" + query)).count(id) > 0;
  }

  json Items(const Session& s, const std::string& path) {
    Reply r = As(s, "GET", path);
    EXPECT_EQ(r.status, 200) << path << ": " << Describe(r);
    json j = r.Json();
    return j.is_object() && j.contains("items") ? j["items"] : json::array();
  }
  // The item of `items` whose `key` is `value`, or null.
  static json Find(const json& items, const std::string& key, const std::string& value) {
    for (const auto& item : items) {
      if (item.is_object() && item.value(key, "") == value) return item;
    }
    return nullptr;
  }
  // Tasks of `s` of `kind` about record `record_id`.
  json TaskFor(const Session& s, const std::string& kind, const std::string& record_id, const std::string& query = "") {
    for (const auto& t : Items(s, "/api/v1/tasks" + (query.empty() ? "" : "?" + query))) {
      if (t.value("kind", "") == kind && t.value("record_id", "") == record_id) return t;
    }
    return nullptr;
  }
  // Notifications of `s` of `kind` about record `record_id`.
  int NotificationCount(const Session& s, const std::string& kind, const std::string& record_id) {
    int n = 0;
    for (const auto& item : Items(s, "/api/v1/notifications")) {
      if (item.value("kind", "") == kind && item.value("record_id", "") == record_id) ++n;
    }
    return n;
  }

  // The first code of a code list (for lists whose codes this test does not
  // name), "" when the list is missing.
  std::string FirstCode(const std::string& list) {
    Reply r = Send(port(), "GET", "/api/v1/codelists/" + list);
    EXPECT_EQ(r.status, 200) << "code list " << list << ": " << Describe(r);
    json j = r.Json();
    if (!j.is_object() || !j.contains("items") || j["items"].empty()) return "";
    return j["items"][0].value("code", "");
  }
  std::vector<std::string> Codes(const std::string& list) {
    Reply r = Send(port(), "GET", "/api/v1/codelists/" + list);
    EXPECT_EQ(r.status, 200) << "code list " << list << ": " << Describe(r);
    std::vector<std::string> out;
    json j = r.Json();
    if (!j.is_object() || !j.contains("items")) return out;
    for (const auto& item : j["items"]) out.push_back(item.value("code", ""));
    return out;
  }

  static std::vector<std::string> Strings(const json& j) {
    std::vector<std::string> out;
    if (!j.is_array()) return out;
    for (const auto& s : j) out.push_back(s.is_string() ? s.get<std::string>() : s.dump());
    return out;
  }
  static bool Contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  }

  // A 409 transition conflict naming exactly the actions allowed now.
  static ::testing::AssertionResult IsTransitionConflict(const Reply& r, const std::vector<std::string>& allowed) {
    if (r.status != 409) return ::testing::AssertionFailure() << "want 409, got " << Describe(r);
    json e = r.Json().value("error", json::object());
    if (!e.contains("fields") || e["fields"].empty() || e["fields"][0].value("rule", "") != "transition") {
      return ::testing::AssertionFailure() << "want rule transition, got " << Describe(r);
    }
    if (!e.contains("allowed_actions") || Strings(e["allowed_actions"]) != allowed) {
      return ::testing::AssertionFailure()
             << "want allowed_actions " << json(allowed).dump() << ", got " << Describe(r);
    }
    return ::testing::AssertionSuccess();
  }
  // A 409 with one field error {path, "precondition"}.
  static ::testing::AssertionResult IsPrecondition(const Reply& r, const std::string& path) {
    return IsError(r, 409, ErrorCodeOf(r), path, "precondition");
  }
  static std::string ErrorCodeOf(const Reply& r) {
    json j = r.Json();
    if (!j.is_object() || !j.contains("error") || !j["error"].contains("code")) return "?";
    return j["error"]["code"].get<std::string>();
  }

  std::string tph_agency_, hxy_agency_, shelter_agency_, fad_agency_, ppd_agency_;
  std::string worker_id_, supervisor_id_, hxy_id_, shelter_id_, fa_id_, police_id_, analyst_id_;
  Session worker_, supervisor_, hxy_, shelter_, fa_, police_, analyst_;
};

// The indicators the Ton Pheung case worker records through the interpreter:
// deceived about the job and its conditions, passport withheld, excessive
// hours, a debt imposed (fees for Covid tests and quarantine), her contract
// sold to another employer, and, as DESIGN §1 reports, wages not paid as
// agreed (without it the exploitation element rests on one strong indicator
// alone, which the ILO-EC method does not count).
const std::vector<std::string> kYes = {"DeceivedAboutJob",
                                       "DeceivedAboutConditions",
                                       "IdentityDocumentsWithheld",
                                       "ExcessiveWorkingHours",
                                       "DebtImposed",
                                       "ContractSoldToAnotherEmployer",
                                       "WagesWithheld"};

TEST_F(Issue4Story, Issue4_WomanFromMyanmarRescuedInTonPheung) {
  // ---- the companies, as organisations (administrator-like tester) -------
  const std::string employer = CreateId("organisations", {{"org_Name", "Golden Lotus Entertainment Co."},
                                                          {"org_NameLatin", "Golden Lotus Entertainment Co."},
                                                          {"org_Category", "Employer"},
                                                          {"org_Type", "CorporateBusiness"},
                                                          {"org_ShippingCountry", "LA"},
                                                          {"org_ShippingCity", "Ton Pheung"}});
  const std::string buyer = CreateId("organisations", {{"org_Name", "Sanjiang Online Service Co."},
                                                       {"org_NameLatin", "Sanjiang Online Service Co."},
                                                       {"org_Category", "Company"},
                                                       {"org_Type", "CorporateBusiness"},
                                                       {"org_ShippingCountry", "LA"}});
  const std::string receiving_org = CreateId("organisations", {{"org_Name", "Department of Social Welfare, Tachileik"},
                                                               {"org_Category", "GovernmentOffice"},
                                                               {"org_Type", "CentralGovernmentOrganisation"},
                                                               {"org_ShippingCountry", "MM"}});

  // ---- 1. registration by the Ton Pheung district committee --------------
  const json person =
      CreateAs(worker_, "persons",
               {{"prs_FirstName", "မာမာဝင်း"},
                {"prs_LatinNames", {"Ma Ma Win"}},
                {"prs_Sex", "Female"},
                {"prs_Citizenship", {"MM"}},
                {"prs_PrimaryLanguage", "my"},
                {"prs_Languages", {"my"}},
                {"prs_IdentityDocuments",
                 {{{"doc_Type", "Passport"}, {"doc_IssuingCountry", "MM"}, {"doc_Status", "WithheldByEmployer"}}}}});
  const std::string person_id = person["id"];
  json case_body = {{"person_id", person_id},
                    {"owner_agency_id", tph_agency_},
                    {"cas_OpenedOn", kToday},
                    {"vic_TypeOfExploitation", {"ForcedLabour"}},
                    {"vic_Vulnerabilities", {"Migration", "Poverty"}},
                    {"cas_Summary", "Recruited for a restaurant job; made to work in an online scam compound."}};
  // The trafficking status is decided by screening, not typed in.
  json with_status = case_body;
  with_status["vic_TraffickingStatus"] = "ActualVictimOfTrafficking";
  EXPECT_TRUE(HasFieldError(As(worker_, "POST", Url("cases"), with_status), "vic_TraffickingStatus", "managed"));
  const json kase = CreateAs(worker_, "cases", case_body);
  const std::string case_id = kase["id"];
  EXPECT_EQ(kase.value("cas_Status", ""), "Active");
  EXPECT_FALSE(kase.contains("vic_TraffickingStatus")) << kase.dump();

  const json services_consent = CreateAs(worker_, "consents",
                                         {{"case_id", case_id},
                                          {"cns_Purpose", "Services"},
                                          {"cns_Status", "Given"},
                                          {"cns_GivenBy", "Self"},
                                          {"cns_Method", "Thumbprint"},
                                          {"cns_Interpreter", "Daw Khin (Burmese-Lao)"}});
  const json referral_consent = CreateAs(worker_, "consents",
                                         {{"case_id", case_id},
                                          {"cns_Purpose", "Referral"},
                                          {"cns_Status", "Given"},
                                          {"cns_GivenBy", "Self"},
                                          {"cns_Method", "Thumbprint"},
                                          {"cns_Interpreter", "Daw Khin (Burmese-Lao)"}});

  // Nobody outside the district (and its province's jurisdictions) sees her.
  EXPECT_EQ(As(hxy_, "GET", Url("cases", case_id)).status, 404) << "Houayxay committee: another district's case";
  EXPECT_EQ(As(hxy_, "GET", Url("persons", person_id)).status, 404);
  EXPECT_FALSE(Listed(hxy_, "cases", case_id));
  EXPECT_EQ(As(shelter_, "GET", Url("cases", case_id)).status, 404) << "the shelter, before any referral";
  EXPECT_EQ(As(analyst_, "GET", Url("cases", case_id)).status, 403) << "the analyst reads statistics only";
  EXPECT_EQ(As(analyst_, "GET", Url("cases") + "?limit=5").status, 403);
  EXPECT_EQ(As(analyst_, "GET", Url("persons", person_id)).status, 403);

  // ---- 2. screening through the interpreter --------------------------------
  const std::vector<std::string> all_indicators = Codes("screening_indicator");
  for (const auto& code : kYes) EXPECT_TRUE(Contains(all_indicators, code)) << "indicator " << code << " is missing";
  std::vector<std::string> others;  // answered No / Unknown
  for (const auto& code : all_indicators) {
    if (!Contains(kYes, code) && others.size() < 4) others.push_back(code);
  }
  ASSERT_GE(others.size(), 2u) << "the indicator catalogue is too small";
  json indicators = json::array();
  for (const auto& code : kYes) indicators.push_back({{"ind_Code", code}, {"ind_Answer", "Yes"}});
  indicators[4]["ind_Note"] = "Employer demands 15,000 THB for Covid tests and quarantine before she may leave.";
  for (std::size_t i = 0; i < others.size(); ++i) {
    indicators.push_back({{"ind_Code", others[i]}, {"ind_Answer", i % 2 == 0 ? "No" : "Unknown"}});
  }
  const json screening = CreateAs(worker_, "screenings",
                                  {{"case_id", case_id},
                                   {"scr_Date", kToday},
                                   {"scr_Interviewer", "tph_worker"},
                                   {"scr_InterviewLanguage", "my"},
                                   {"scr_InterpreterName", "Daw Khin"},
                                   {"scr_InterpreterLanguage", "lo"},
                                   {"scr_Indicators", indicators}});
  const std::string screening_id = screening["id"];
  EXPECT_EQ(screening.value("scr_Status", ""), "Submitted");
  EXPECT_EQ(screening.value("scr_Assessment", ""), "PossibleTrafficking") << screening.dump();
  EXPECT_EQ(screening.value("scr_SuggestedStatus", ""), "PossibleVictimOfTrafficking");
  EXPECT_EQ(screening.value("scr_RecordedBy", ""), worker_id_);
  const auto basis = Strings(screening.value("scr_SuggestionBasis", json::array()));
  for (const auto& code : kYes)
    EXPECT_TRUE(Contains(basis, code)) << code << " not in the basis " << json(basis).dump();
  for (const auto& code : others) EXPECT_FALSE(Contains(basis, code)) << code << " (No/Unknown) in the basis";
  EXPECT_FALSE(screening.value("scr_IloIndicators", json::array()).empty()) << screening.dump();
  EXPECT_FALSE(screening.value("scr_Explanation", "").empty());
  // The managed fields of a screening are the server's.
  EXPECT_TRUE(HasFieldError(As(worker_, "PATCH", Url("screenings", screening_id),
                               {{"version", screening["version"]}, {"scr_Assessment", "LabourDispute"}}),
                            "scr_Assessment", "managed"));

  // The supervisor is asked to confirm; the case worker is not.
  json confirm_task = TaskFor(supervisor_, "ConfirmScreening", screening_id);
  ASSERT_TRUE(confirm_task.is_object()) << "no ConfirmScreening task for the supervisor";
  EXPECT_EQ(confirm_task.value("agency_id", ""), tph_agency_);
  EXPECT_EQ(confirm_task.value("case_id", ""), case_id);
  EXPECT_FALSE(confirm_task.value("overdue", true));
  EXPECT_EQ(NotificationCount(supervisor_, "ApprovalRequested", screening_id), 1);
  EXPECT_EQ(NotificationCount(worker_, "ApprovalRequested", screening_id), 0)
      << "the case worker cannot confirm, so is not asked to";
  EXPECT_EQ(NotificationCount(shelter_, "ApprovalRequested", screening_id), 0);
  EXPECT_EQ(Step(worker_, "screenings", screening_id, "confirm", 1).status, 403) << "a case worker cannot confirm";

  Reply confirmed = Step(supervisor_, "screenings", screening_id, "confirm", 1);
  ASSERT_EQ(confirmed.status, 200) << Describe(confirmed);
  EXPECT_EQ(confirmed.Json().value("scr_Status", ""), "Confirmed");
  EXPECT_EQ(confirmed.Json().value("scr_DecidedStatus", ""), "PossibleVictimOfTrafficking");
  EXPECT_EQ(confirmed.Json().value("scr_DecisionOrg", ""), "NonPoliceGovernmentalOrganization")
      << "a district committee is a non-police government organisation";
  EXPECT_EQ(confirmed.Json().value("scr_DecidedBy", ""), supervisor_id_);
  json case_now = ReadAs(worker_, "cases", case_id);
  EXPECT_EQ(case_now.value("vic_TraffickingStatus", ""), "PossibleVictimOfTrafficking");
  EXPECT_EQ(case_now.value("vic_TraffickingStatusDecisionMakingOrg", ""), "NonPoliceGovernmentalOrganization");
  json case_history = History("cases", case_id);
  ASSERT_FALSE(case_history.empty());
  EXPECT_EQ(case_history.back().value("action", ""), "screening_decision") << case_history.dump();
  EXPECT_EQ(case_history.back().value("actor", ""), supervisor_id_);
  EXPECT_TRUE(TaskFor(supervisor_, "ConfirmScreening", screening_id).is_null()) << "the task closed";
  json closed_task = TaskFor(supervisor_, "ConfirmScreening", screening_id, "closed=true");
  ASSERT_TRUE(closed_task.is_object());
  EXPECT_EQ(closed_task.value("status", ""), "Done");
  EXPECT_EQ(NotificationCount(worker_, "ApprovalAnswered", screening_id), 1) << "the screener hears the decision";
  EXPECT_TRUE(IsTransitionConflict(Step(supervisor_, "screenings", screening_id, "confirm", 2), {}))
      << "a screening is decided once";

  // ---- 3. assistance: the district and the shelter -------------------------
  const std::string medical = CreateAs(
      worker_, "assistance",
      {{"case_id", case_id}, {"agency_id", tph_agency_}, {"ast_Date", kToday}, {"ast_ServiceType", "Medical"}})["id"];
  const json shelter_ref = CreateAs(worker_, "referrals",
                                    {{"case_id", case_id},
                                     {"to_agency_id", shelter_agency_},
                                     {"ref_Reason", "Needs a safe place to stay and counselling."},
                                     {"ref_Urgency", "Urgent"},
                                     {"ref_ServicesRequested", {"Shelter", "Psychosocial"}}});
  const std::string shelter_ref_id = shelter_ref["id"];
  EXPECT_EQ(shelter_ref.value("ref_Status", ""), "Requested");
  EXPECT_EQ(shelter_ref.value("from_agency_id", ""), tph_agency_);
  EXPECT_EQ(shelter_ref.value("ref_RequestedBy", ""), worker_id_);
  EXPECT_EQ(shelter_ref.value("consent_id", ""), referral_consent["id"]) << "the referral rests on her consent";
  EXPECT_EQ(shelter_ref.value("ref_ConsentOverridden", true), false);
  EXPECT_EQ(shelter_ref.value("ref_DueAt", ""), core::FormatTimestamp(server().clock().Now() + 48h));

  // Before accepting: the shelter sees the request, not the case.
  json inbox = Items(shelter_, "/api/v1/referrals/inbox");
  json in_item = Find(inbox, "id", shelter_ref_id);
  ASSERT_TRUE(in_item.is_object()) << "the referral is not in the shelter's inbox: " << inbox.dump();
  EXPECT_EQ(in_item.value("overdue", true), false);
  EXPECT_TRUE(Find(Items(worker_, "/api/v1/referrals/outbox"), "id", shelter_ref_id).is_object())
      << "the sender sees it in its outbox";
  EXPECT_TRUE(Find(Items(worker_, "/api/v1/referrals/inbox"), "id", shelter_ref_id).is_null());
  EXPECT_TRUE(Find(Items(shelter_, "/api/v1/referrals/outbox"), "id", shelter_ref_id).is_null());
  EXPECT_TRUE(Find(Items(hxy_, "/api/v1/referrals/inbox"), "id", shelter_ref_id).is_null());
  EXPECT_EQ(As(shelter_, "GET", Url("cases", case_id)).status, 404) << "not the case before accepting";
  EXPECT_EQ(As(shelter_, "GET", Url("persons", person_id)).status, 404);
  EXPECT_EQ(As(shelter_, "GET", Url("assistance", medical)).status, 404);
  EXPECT_FALSE(Listed(shelter_, "cases", case_id));
  json answer_task = TaskFor(shelter_, "AnswerReferral", shelter_ref_id);
  ASSERT_TRUE(answer_task.is_object()) << "no AnswerReferral task at the shelter";
  EXPECT_EQ(answer_task.value("agency_id", ""), shelter_agency_);
  EXPECT_EQ(answer_task.value("overdue", true), false);
  EXPECT_TRUE(TaskFor(worker_, "AnswerReferral", shelter_ref_id).is_null()) << "the sender has nothing to answer";
  EXPECT_EQ(NotificationCount(shelter_, "ReferralReceived", shelter_ref_id), 1);
  EXPECT_EQ(NotificationCount(worker_, "ReferralReceived", shelter_ref_id), 0);
  EXPECT_EQ(NotificationCount(hxy_, "ReferralReceived", shelter_ref_id), 0);

  // Only the receiving agency answers.
  EXPECT_EQ(Step(worker_, "referrals", shelter_ref_id, "accept", 1).status, 403) << "the sender cannot accept";
  EXPECT_EQ(Step(hxy_, "referrals", shelter_ref_id, "accept", 1).status, 404) << "an unrelated agency";
  Reply accepted = Step(shelter_, "referrals", shelter_ref_id, "accept", 1);
  ASSERT_EQ(accepted.status, 200) << Describe(accepted);
  EXPECT_EQ(accepted.Json().value("ref_Status", ""), "Accepted");
  EXPECT_EQ(accepted.Json().value("ref_AnsweredBy", ""), shelter_id_);
  EXPECT_TRUE(IsTransitionConflict(Step(shelter_, "referrals", shelter_ref_id, "accept", 2), {"complete"}))
      << "accepting an accepted referral";

  // After accepting: the shelter reaches the case, her person and what hangs
  // off the case, and assists her too.
  EXPECT_EQ(As(shelter_, "GET", Url("cases", case_id)).status, 200);
  EXPECT_EQ(ReadAs(shelter_, "persons", person_id).value("prs_FirstName", ""), "မာမာဝင်း");
  EXPECT_EQ(As(shelter_, "GET", Url("assistance", medical)).status, 200);
  EXPECT_TRUE(Listed(shelter_, "cases", case_id));
  const std::string shelter_stay = CreateAs(shelter_, "assistance",
                                            {{"case_id", case_id},
                                             {"agency_id", shelter_agency_},
                                             {"ast_Date", kToday},
                                             {"ast_ServiceType", "Shelter"}})["id"];
  for (const Session* s : {&worker_, &shelter_}) {
    auto ids = IdsAt(*s, Url("assistance") + "?case_id=" + case_id);
    EXPECT_EQ(ids, (std::set<std::string>{medical, shelter_stay})) << "both agencies' assistance to the same person";
  }
  EXPECT_EQ(As(hxy_, "GET", Url("assistance", shelter_stay)).status, 404);
  EXPECT_TRUE(TaskFor(shelter_, "AnswerReferral", shelter_ref_id).is_null()) << "answered: the task closed";
  EXPECT_EQ(NotificationCount(worker_, "ReferralAnswered", shelter_ref_id), 1) << "the sender hears the answer";
  Reply completed = Step(shelter_, "referrals", shelter_ref_id, "complete", 2, {{"outcome", "Stayed 3 weeks."}});
  ASSERT_EQ(completed.status, 200) << Describe(completed);
  EXPECT_EQ(completed.Json().value("ref_Status", ""), "Completed");
  json ref_history = History("referrals", shelter_ref_id);
  ASSERT_EQ(ref_history.size(), 3u) << ref_history.dump();
  EXPECT_EQ(ref_history[0].value("action", ""), "create");
  EXPECT_EQ(ref_history[0].value("actor", ""), worker_id_);
  EXPECT_EQ(ref_history[1].value("action", ""), "accept");
  EXPECT_EQ(ref_history[1].value("actor", ""), shelter_id_);
  EXPECT_EQ(ref_history[2].value("action", ""), "complete");
  EXPECT_EQ(ref_history[2].value("actor", ""), shelter_id_);

  // ---- 4. referrals to Foreign Affairs and to the police ------------------
  const std::string fad_ref = CreateAs(worker_, "referrals",
                                       {{"case_id", case_id},
                                        {"to_agency_id", fad_agency_},
                                        {"ref_Reason", "Myanmar national who wants to go home."},
                                        {"ref_ServicesRequested", {"Repatriation", "Documents"}}})["id"];
  const std::string ppd_ref = CreateAs(worker_, "referrals",
                                       {{"case_id", case_id},
                                        {"to_agency_id", ppd_agency_},
                                        {"ref_Reason", "Employer and the company her contract was sold to."},
                                        {"ref_ServicesRequested", {"Legal"}}})["id"];
  EXPECT_TRUE(Find(Items(fa_, "/api/v1/referrals/inbox"), "id", fad_ref).is_object());
  EXPECT_TRUE(Find(Items(fa_, "/api/v1/referrals/inbox"), "id", ppd_ref).is_null());
  EXPECT_TRUE(Find(Items(police_, "/api/v1/referrals/inbox"), "id", ppd_ref).is_object());
  EXPECT_EQ(Find(Items(worker_, "/api/v1/referrals/outbox"), "id", fad_ref).is_object(), true);
  EXPECT_EQ(NotificationCount(fa_, "ReferralReceived", fad_ref), 1);
  EXPECT_EQ(NotificationCount(police_, "ReferralReceived", ppd_ref), 1);
  EXPECT_EQ(NotificationCount(police_, "ReferralReceived", fad_ref), 0);
  EXPECT_EQ(Step(police_, "referrals", fad_ref, "accept", 1).status == 200, false)
      << "the police cannot answer Foreign Affairs' referral";
  ASSERT_EQ(Step(fa_, "referrals", fad_ref, "accept", 1).status, 200);
  ASSERT_EQ(Step(police_, "referrals", ppd_ref, "accept", 1).status, 200);

  // The police read who she is, not her health, and cannot edit the case.
  json police_case = ReadAs(police_, "cases", case_id);
  EXPECT_EQ(police_case.value("vic_TraffickingStatus", ""), "PossibleVictimOfTrafficking");
  EXPECT_FALSE(police_case.contains("vic_Vulnerabilities"))
      << "health fields leaked to the police: " << police_case.dump();
  EXPECT_EQ(ReadAs(police_, "persons", person_id).value("prs_FirstName", ""), "မာမာဝင်း") << "identity";
  Reply police_edit = As(police_, "PATCH", Url("cases", case_id),
                         {{"version", police_case["version"]}, {"cas_OpenedOn", "2025-06-02"}});
  EXPECT_EQ(police_edit.status, 403) << "the police cannot update case general fields: " << Describe(police_edit);
  EXPECT_EQ(ReadAs(worker_, "cases", case_id).value("cas_OpenedOn", ""), kToday) << "the police edit changed the case";
  // Foreign Affairs: identity and contact, no health, no narrative.
  json fa_case = ReadAs(fa_, "cases", case_id);
  EXPECT_FALSE(fa_case.contains("vic_Vulnerabilities")) << fa_case.dump();
  EXPECT_FALSE(fa_case.contains("cas_Summary")) << fa_case.dump();
  EXPECT_EQ(ReadAs(fa_, "persons", person_id).value("prs_FirstName", ""), "မာမာဝင်း");

  // ---- 5. the investigation -------------------------------------------------
  json investigation = CreateAs(
      police_, "investigations",
      {{"inv_Reference", "BK-PPD/2025/117"},
       {"inv_Offences", {"LaoPenalCode215"}},
       {"inv_Summary", "Deceptive recruitment into an online scam compound; contract sold on; debt for Covid fees."},
       {"inv_Suspects",
        {{{"sus_Kind", "Organisation"}, {"organisation_id", employer}, {"sus_Roles", {"Exploiter"}}},
         {{"sus_Kind", "Organisation"}, {"organisation_id", buyer}, {"sus_Roles", {"Exploiter"}}},
         {{"sus_Kind", "Person"}, {"sus_Name", "Mr. Zhao"}, {"sus_Roles", {"RecruiterOrIntermediary"}}}}},
       {"inv_Organisations",
        {{{"organisation_id", employer}, {"org_Involvement", "Employer"}},
         {{"organisation_id", buyer}, {"org_Involvement", "ContractBuyer"}}}}});
  const std::string inv_id = investigation["id"];
  EXPECT_EQ(investigation.value("inv_Status", ""), "Open");
  EXPECT_EQ(investigation.value("agency_id", ""), ppd_agency_);
  const std::string link =
      CreateAs(police_, "investigation-victims", {{"investigation_id", inv_id}, {"case_id", case_id}})["id"];
  EXPECT_TRUE(Listed(police_, "investigation-victims", link));
  EXPECT_EQ(As(worker_, "GET", Url("investigations", inv_id)).status, 403) << "case workers have no investigations";
  EXPECT_EQ(As(shelter_, "GET", Url("investigations", inv_id)).status, 403);
  EXPECT_EQ(As(analyst_, "GET", Url("investigations", inv_id)).status, 403);
  EXPECT_TRUE(
      IsTransitionConflict(Step(police_, "investigations", inv_id, "resolve", 1), {"start", "close_without_action"}));
  Reply started = Step(police_, "investigations", inv_id, "start", 1);
  ASSERT_EQ(started.status, 200) << Describe(started);
  EXPECT_EQ(started.Json().value("inv_Status", ""), "Investigating");
  Reply sent =
      Step(police_, "investigations", inv_id, "send_to_prosecution", 2, {{"prosecution_reference", "BK-PROS/2025/31"}});
  ASSERT_EQ(sent.status, 200) << Describe(sent);
  EXPECT_EQ(sent.Json().value("inv_Status", ""), "SentToProsecution");
  EXPECT_EQ(sent.Json().value("inv_ProsecutionReference", ""), "BK-PROS/2025/31");
  Reply resolved = Step(police_, "investigations", inv_id, "resolve", 3,
                        {{"outcome", "Both companies fined; recruiter convicted."}});
  ASSERT_EQ(resolved.status, 200) << Describe(resolved);
  EXPECT_EQ(resolved.Json().value("inv_Status", ""), "Resolved");
  EXPECT_EQ(resolved.Json().value("inv_ResolvedOn", ""), kToday);
  EXPECT_TRUE(IsTransitionConflict(Step(police_, "investigations", inv_id, "resolve", 4), {}));
  ASSERT_EQ(Step(police_, "referrals", ppd_ref, "complete", 2).status, 200);

  // ---- 6. repatriation to Myanmar ---------------------------------------------
  json rep = CreateAs(fa_, "repatriations",
                      {{"case_id", case_id},
                       {"rep_Direction", "Outbound"},
                       {"rep_DestinationCountry", "MM"},
                       {"rep_DestinationPlace", "Tachileik, Shan State"},
                       {"rep_EmbassyContact", "Consulate of Myanmar, Houayxay liaison office"},
                       {"rep_TravelDocumentStatus", "Requested"},
                       {"rep_OutstandingDebtAmount", 15000},
                       {"rep_OutstandingDebtCurrency", "THB"},
                       {"rep_PlannedDate", "2025-06-20"},
                       {"rep_Escort", "FA officer and LWU social worker"}});
  const std::string rep_id = rep["id"];
  EXPECT_EQ(rep.value("rep_Status", ""), "Planned");
  EXPECT_EQ(As(hxy_, "GET", Url("repatriations", rep_id)).status, 404);
  EXPECT_TRUE(IsPrecondition(Step(fa_, "repatriations", rep_id, "documents_ready", 1), "rep_TravelDocumentStatus"))
      << "documents are only requested";
  EXPECT_TRUE(IsTransitionConflict(Step(fa_, "repatriations", rep_id, "depart", 1), {"documents_ready", "cancel"}))
      << "departing before the documents are ready";
  ASSERT_EQ(
      As(fa_, "PATCH", Url("repatriations", rep_id), {{"version", 1}, {"rep_TravelDocumentStatus", "Issued"}}).status,
      200);
  Reply ready = Step(fa_, "repatriations", rep_id, "documents_ready", 2);
  ASSERT_EQ(ready.status, 200) << Describe(ready);
  EXPECT_EQ(ready.Json().value("rep_Status", ""), "DocumentsReady");
  EXPECT_TRUE(IsPrecondition(Step(fa_, "repatriations", rep_id, "depart", 3), "rep_BorderCrossingPoint"));
  ASSERT_EQ(As(fa_, "PATCH", Url("repatriations", rep_id),
               {{"version", 3}, {"rep_BorderCrossingPoint", "Houayxay – Chiang Khong Friendship Bridge"}})
                .status,
            200);
  Reply departed = Step(fa_, "repatriations", rep_id, "depart", 4, {{"departure_date", kToday}});
  ASSERT_EQ(departed.status, 200) << Describe(departed);
  EXPECT_EQ(departed.Json().value("rep_Status", ""), "Departed");
  EXPECT_EQ(departed.Json().value("rep_DepartureDate", ""), kToday);
  EXPECT_TRUE(IsTransitionConflict(Step(fa_, "repatriations", rep_id, "cancel", 5, {{"reason", "changed her mind"}}),
                                   {"receive"}))
      << "no cancelling once she has left";
  EXPECT_TRUE(IsPrecondition(Step(fa_, "repatriations", rep_id, "receive", 5), "receiving_organisation_id"));
  ASSERT_EQ(
      As(fa_, "PATCH", Url("repatriations", rep_id), {{"version", 5}, {"receiving_organisation_id", receiving_org}})
          .status,
      200);
  Reply received = Step(fa_, "repatriations", rep_id, "receive", 6, {{"arrival_date", kToday}});
  ASSERT_EQ(received.status, 200) << Describe(received);
  EXPECT_EQ(received.Json().value("rep_Status", ""), "Received");
  // The district that owns the case follows her up within 30 days.
  json follow_task = TaskFor(worker_, "FollowUpReturn", rep_id);
  ASSERT_TRUE(follow_task.is_object()) << "no FollowUpReturn task for the owning agency";
  EXPECT_EQ(follow_task.value("agency_id", ""), tph_agency_);
  EXPECT_EQ(follow_task.value("due_at", ""), core::FormatTimestamp(server().clock().Now() + 24h * 30));
  EXPECT_TRUE(TaskFor(fa_, "FollowUpReturn", rep_id).is_null()) << "not Foreign Affairs' task";
  EXPECT_TRUE(IsPrecondition(Step(worker_, "repatriations", rep_id, "follow_up", 7), "rep_FollowUps"));
  const std::string outcome = FirstCode("followup_outcome");
  Reply visit = As(worker_, "PATCH", Url("repatriations", rep_id),
                   {{"version", 7},
                    {"rep_FollowUps",
                     {{{"fup_Date", kToday},
                       {"fup_Outcome", outcome},
                       {"fup_By", "tph_worker"},
                       {"fup_Notes", "Phone call with the welfare office in Tachileik; she is with her family."}}}}});
  ASSERT_EQ(visit.status, 200) << Describe(visit);
  Reply followed = Step(worker_, "repatriations", rep_id, "follow_up", 8);
  ASSERT_EQ(followed.status, 200) << Describe(followed);
  EXPECT_EQ(followed.Json().value("rep_Status", ""), "FollowedUp");
  EXPECT_TRUE(TaskFor(worker_, "FollowUpReturn", rep_id).is_null()) << "the follow-up closed the task";
  ASSERT_EQ(Step(fa_, "referrals", fad_ref, "complete", 2, {{"outcome", "Returned to Myanmar."}}).status, 200);

  // ---- 7. closure ------------------------------------------------------------
  const std::int64_t v = VersionOf(worker_, "cases", case_id);
  EXPECT_EQ(Step(worker_, "cases", case_id, "approve_closure", v).status, 403) << "a case worker cannot approve";
  Reply requested = Step(worker_, "cases", case_id, "request_closure", v,
                         {{"closure_reason", "ReturnedHome"}, {"note", "Returned to Myanmar and followed up."}});
  ASSERT_EQ(requested.status, 200) << Describe(requested);
  EXPECT_EQ(requested.Json().value("cas_Status", ""), "ClosureRequested");
  EXPECT_EQ(requested.Json().value("cas_ClosureRequestedBy", ""), worker_id_);
  EXPECT_TRUE(TaskFor(supervisor_, "ApproveClosure", case_id).is_object());
  EXPECT_EQ(NotificationCount(supervisor_, "ApprovalRequested", case_id), 1);
  EXPECT_EQ(NotificationCount(worker_, "ApprovalRequested", case_id), 0);
  EXPECT_EQ(Step(worker_, "cases", case_id, "approve_closure", v + 1).status, 403);
  Reply closed = Step(supervisor_, "cases", case_id, "approve_closure", v + 1);
  ASSERT_EQ(closed.status, 200) << Describe(closed);
  EXPECT_EQ(closed.Json().value("cas_Status", ""), "Closed");
  EXPECT_EQ(closed.Json().value("cas_ClosureReason", ""), "ReturnedHome");
  EXPECT_EQ(closed.Json().value("cas_ClosedOn", ""), kToday);
  EXPECT_TRUE(TaskFor(supervisor_, "ApproveClosure", case_id).is_null());
  EXPECT_EQ(NotificationCount(worker_, "ApprovalAnswered", case_id), 1);
  EXPECT_TRUE(IsTransitionConflict(
      Step(worker_, "cases", case_id, "request_closure", v + 2, {{"closure_reason", "ReturnedHome"}}), {"reopen"}));
  Reply locked = As(worker_, "PATCH", Url("cases", case_id), {{"version", v + 2}, {"cas_Summary", "late edit"}});
  EXPECT_EQ(locked.status, 409) << Describe(locked);
  EXPECT_TRUE(HasFieldError(locked, "cas_Status", "locked"));

  // To the end: Houayxay never saw her, the analyst never read her.
  EXPECT_EQ(As(hxy_, "GET", Url("cases", case_id)).status, 404);
  EXPECT_FALSE(Listed(hxy_, "cases", case_id));
  EXPECT_FALSE(Listed(hxy_, "persons", person_id));
  EXPECT_FALSE(Listed(hxy_, "referrals", shelter_ref_id));
  EXPECT_EQ(As(hxy_, "GET", Url("screenings", screening_id)).status, 404);
  EXPECT_EQ(As(analyst_, "GET", Url("referrals", fad_ref)).status, 403);
  EXPECT_EQ(As(analyst_, "GET", "/api/v1/referrals/inbox").status, 403);
  (void)services_consent;
}

}  // namespace
}  // namespace ctims::api_test
