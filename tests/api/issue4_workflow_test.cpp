// Issue 4: the workflow rules at their edges, through HTTP. Managed fields,
// transitions in wrong states, unknown actions, stale versions, the parties
// of a referral, consent and its audited override, overdue referrals with
// their tasks and notifications, locked records, closure blocked by pending
// requests, transfer of ownership, and break-the-glass notices.

#include <algorithm>
#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "app/audit_log.hpp"
#include "test_server.hpp"

namespace ctims::api_test {
namespace {

using namespace std::chrono_literals;

class Issue4Workflow : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    // Every action of every resource, scope all: to drive records through
    // every state (who may act is tested with the built-in roles below).
    server().PutRole(R"({"code": "wf_all", "name_lo": "ທົດສອບ", "name_en": "Test: every workflow step", "scope": "all",
      "permissions": [
        {"resource": "*", "actions": ["read", "list", "create", "update", "delete", "history"]},
        {"resource": "cases", "actions": ["follow_up", "reactivate", "request_closure", "approve_closure", "reject_closure", "reopen"]},
        {"resource": "screenings", "actions": ["confirm", "override"]},
        {"resource": "referrals", "actions": ["accept", "decline", "revoke", "complete", "override_consent"]},
        {"resource": "transfers", "actions": ["accept", "decline", "revoke", "override_consent"]},
        {"resource": "repatriations", "actions": ["documents_ready", "depart", "receive", "follow_up", "cancel"]},
        {"resource": "investigations", "actions": ["start", "send_to_prosecution", "resolve", "close_without_action"]}],
      "read_groups": ["general", "identity", "contact", "health", "narrative", "investigation"],
      "write_groups": ["general", "identity", "contact", "health", "narrative", "investigation"]})");
    tph_agency_ = AgencyId("BK-DMC-TPH");
    hxy_agency_ = AgencyId("BK-DMC-HXY");
    shelter_agency_ = AgencyId("BK-LWU-SHELTER");
    wf_tph_id_ = server().AddUser("wf_tph", "BK-DMC-TPH", "wf_all");
    server().AddUser("wf_shelter", "BK-LWU-SHELTER", "wf_all");
    worker_id_ = server().AddUser("tph_worker", "BK-DMC-TPH", "case_worker");
    supervisor_id_ = server().AddUser("tph_supervisor", "BK-DMC-TPH", "supervisor");
    server().AddUser("hxy_worker", "BK-DMC-HXY", "case_worker");
    server().AddUser("shelter_worker", "BK-LWU-SHELTER", "case_worker");
    server().AddUser("police", "BK-PPD", "police_investigator");
    SignInAll();
  }

  void SignInAll() {
    wf_tph_ = server().SignIn("wf_tph");
    wf_shelter_ = server().SignIn("wf_shelter");
    worker_ = server().SignIn("tph_worker");
    supervisor_ = server().SignIn("tph_supervisor");
    hxy_ = server().SignIn("hxy_worker");
    shelter_ = server().SignIn("shelter_worker");
    police_ = server().SignIn("police");
    RefreshSession();
  }

  std::int64_t VersionOf(const std::string& resource, const std::string& id) {
    json j = Read(resource, id);  // tester, scope all
    return j.is_object() && j.contains("version") ? j["version"].get<std::int64_t>() : -1;
  }
  json Items(const Session& s, const std::string& path) {
    Reply r = As(s, "GET", path);
    EXPECT_EQ(r.status, 200) << path << ": " << Describe(r);
    json j = r.Json();
    return j.is_object() && j.contains("items") ? j["items"] : json::array();
  }
  static json Find(const json& items, const std::string& key, const std::string& value) {
    for (const auto& item : items) {
      if (item.is_object() && item.value(key, "") == value) return item;
    }
    return nullptr;
  }
  json TaskFor(const Session& s, const std::string& kind, const std::string& record_id, const std::string& query = "") {
    for (const auto& t : Items(s, "/api/v1/tasks" + (query.empty() ? "" : "?" + query))) {
      if (t.value("kind", "") == kind && t.value("record_id", "") == record_id) return t;
    }
    return nullptr;
  }
  std::vector<json> NotificationsOf(const Session& s, const std::string& kind, const std::string& record_id,
                                    const std::string& query = "") {
    std::vector<json> out;
    for (const auto& item : Items(s, "/api/v1/notifications" + (query.empty() ? "" : "?" + query))) {
      if (item.value("kind", "") == kind && (record_id.empty() || item.value("record_id", "") == record_id)) {
        out.push_back(item);
      }
    }
    return out;
  }
  static std::vector<std::string> Strings(const json& j) {
    std::vector<std::string> out;
    if (!j.is_array()) return out;
    for (const auto& s : j) out.push_back(s.is_string() ? s.get<std::string>() : s.dump());
    return out;
  }
  static ::testing::AssertionResult IsTransitionConflict(const Reply& r, const std::vector<std::string>& allowed) {
    if (r.status != 409) return ::testing::AssertionFailure() << "want 409, got " << Describe(r);
    json e = r.Json().value("error", json::object());
    if (!e.contains("fields") || e["fields"].size() != 1 || e["fields"][0].value("rule", "") != "transition") {
      return ::testing::AssertionFailure() << "want one field error with rule transition, got " << Describe(r);
    }
    if (!e.contains("allowed_actions") || Strings(e["allowed_actions"]) != allowed) {
      return ::testing::AssertionFailure()
             << "want allowed_actions " << json(allowed).dump() << ", got " << Describe(r);
    }
    return ::testing::AssertionSuccess();
  }
  static ::testing::AssertionResult HasRule(const Reply& r, int status, const std::string& path,
                                            const std::string& rule) {
    if (r.status != status) return ::testing::AssertionFailure() << "want " << status << ", got " << Describe(r);
    return HasFieldError(r, path, rule);
  }

  // A person and an Active case of BK-DMC-TPH (made by `s`), with a
  // Referral consent when `consent`.
  std::string NewCase(const Session& s, bool consent = true, bool is_protected = false) {
    const std::string person = CreateAs(s, "persons", {{"prs_FirstName", "ນາງ ທົດລອງ"}})["id"];
    json body = {{"person_id", person}, {"owner_agency_id", tph_agency_}};
    if (is_protected) body["cas_Protected"] = true;
    const std::string case_id = CreateAs(s, "cases", body)["id"];
    if (consent) {
      CreateAs(s, "consents", {{"case_id", case_id}, {"cns_Purpose", "Referral"}, {"cns_Status", "Given"}});
    }
    return case_id;
  }
  json NewReferral(const Session& s, const std::string& case_id, const std::string& to) {
    return CreateAs(s, "referrals",
                    {{"case_id", case_id},
                     {"to_agency_id", to},
                     {"ref_Reason", "Shelter and counselling."},
                     {"ref_ServicesRequested", {"Shelter"}}});
  }
  std::string NewOrganisation() {
    return CreateId("organisations", {{"org_Name", "Receiving office"}, {"org_Category", "GovernmentOffice"}});
  }

  std::string tph_agency_, hxy_agency_, shelter_agency_, wf_tph_id_, worker_id_, supervisor_id_;
  Session wf_tph_, wf_shelter_, worker_, supervisor_, hxy_, shelter_, police_;
};

std::vector<app::AuditRow> AuditRows(app::Store& store) {
  auto tx = store.Begin(app::TxMode::kRead);
  if (!tx.ok()) return {};
  auto rows = (*tx)->ReadAudit(0, 1000000);
  return rows.ok() ? *rows : std::vector<app::AuditRow>{};
}

// ---- managed fields ---------------------------------------------------------

TEST_F(Issue4Workflow, Issue4_ManagedFieldsAreRefusedOnCreateAndUpdate) {
  const std::string case_id = NewCase(session());
  struct Probe {
    std::string resource;
    json body;
    std::string field;
    json value;
  };
  const json referral = {{"case_id", case_id},
                         {"to_agency_id", shelter_agency_},
                         {"ref_Reason", "Shelter."},
                         {"ref_ServicesRequested", {"Shelter"}}};
  const json repatriation = {{"case_id", case_id}, {"rep_Direction", "Outbound"}, {"rep_DestinationCountry", "MM"}};
  const json investigation = {{"inv_Reference", "X-1"}, {"inv_Offences", {"LaoPenalCode215"}}};
  const json screening = {{"case_id", case_id}};
  const std::vector<Probe> probes = {
      {"cases",
       {{"person_id", CreateId("persons", SmallPerson("a"))}, {"owner_agency_id", tph_agency_}},
       "cas_Status",
       "Closed"},
      {"cases",
       {{"person_id", CreateId("persons", SmallPerson("b"))}, {"owner_agency_id", tph_agency_}},
       "vic_TraffickingStatus",
       "ActualVictimOfTrafficking"},
      {"cases",
       {{"person_id", CreateId("persons", SmallPerson("c"))}, {"owner_agency_id", tph_agency_}},
       "cas_ClosureReason",
       "ReturnedHome"},
      {"screenings", screening, "scr_Status", "Confirmed"},
      {"screenings", screening, "scr_SuggestedStatus", "ActualVictimOfTrafficking"},
      {"screenings", screening, "scr_DecidedStatus", "ActualVictimOfTrafficking"},
      {"referrals", referral, "ref_Status", "Accepted"},
      {"referrals", referral, "from_agency_id", hxy_agency_},
      {"referrals", referral, "ref_AnsweredBy", "someone"},
      {"repatriations", repatriation, "rep_Status", "Received"},
      {"investigations", investigation, "inv_Status", "Resolved"},
      {"investigations", investigation, "agency_id", hxy_agency_},
  };
  for (const auto& p : probes) {
    json body = p.body;
    body[p.field] = p.value;
    Reply r = Post(Url(p.resource), body);
    EXPECT_EQ(r.status, 400) << p.resource << "." << p.field << " on create: " << Describe(r);
    EXPECT_TRUE(HasFieldError(r, p.field, "managed")) << p.resource << "." << p.field;
  }
  // ... and on update, where the record is otherwise editable.
  const std::string ref = CreateAs(wf_tph_, "referrals", referral)["id"].get<std::string>();
  const std::string rep = Create("repatriations", repatriation)["id"].get<std::string>();
  const std::string inv = Create("investigations", investigation)["id"].get<std::string>();
  const std::string scr = Create("screenings", screening)["id"].get<std::string>();
  const std::vector<std::tuple<std::string, std::string, std::string, json>> updates = {
      {"cases", case_id, "cas_Status", "Closed"},
      {"cases", case_id, "vic_TraffickingStatus", "ActualVictimOfTrafficking"},
      {"referrals", ref, "ref_Status", "Accepted"},
      {"referrals", ref, "ref_DueAt", "2030-01-01T00:00:00Z"},
      {"repatriations", rep, "rep_Status", "Departed"},
      {"investigations", inv, "inv_Status", "Resolved"},
      {"screenings", scr, "scr_Status", "Confirmed"},
      {"screenings", scr, "scr_Assessment", "PossibleTrafficking"},
  };
  for (const auto& [resource, id, field, value] : updates) {
    Reply r = Patch(Url(resource, id), {{"version", VersionOf(resource, id)}, {field, value}});
    EXPECT_EQ(r.status, 400) << resource << "." << field << " on update: " << Describe(r);
    EXPECT_TRUE(HasFieldError(r, field, "managed")) << resource << "." << field;
  }
  EXPECT_EQ(Read("cases", case_id).value("cas_Status", ""), "Active");
  EXPECT_EQ(Read("referrals", ref).value("ref_Status", ""), "Requested");
}

// ---- transitions in every state ------------------------------------------------

// One way to a state: the steps from a new record, and the actions allowed
// there (every other action of the machine must answer 409).
struct Path {
  std::vector<std::string> steps;
  std::string state;
  std::vector<std::string> allowed;
};

TEST_F(Issue4Workflow, Issue4_EveryTransitionInAWrongStateIsAConflictListingTheAllowedActions) {
  const std::string org = NewOrganisation();
  auto payload = [](const std::string& resource, const std::string& action) -> json {
    if (action == "request_closure") return {{"closure_reason", "ReturnedHome"}};
    if (action == "override")
      return {{"trafficking_status", "ActualVictimOfTrafficking"}, {"reason", "Confirmed by the police report."}};
    if (action == "decline" || action == "cancel" || action == "close_without_action")
      return {{"reason", "Not for us, sorry."}};
    (void)resource;
    return json::object();
  };
  // Receiver actions are sent by the receiving agency's user, the others by
  // the sender / owner.
  auto actor = [&](const std::string& resource, const std::string& action) -> const Session& {
    if ((resource == "referrals" || resource == "transfers") &&
        (action == "accept" || action == "decline" || action == "complete")) {
      return wf_shelter_;
    }
    return wf_tph_;
  };
  struct Machine {
    std::string resource;
    std::string state_field;
    std::vector<std::string> actions;
    std::function<std::string()> make;
    std::vector<Path> paths;
  };
  const std::vector<Machine> machines = {
      {"cases",
       "cas_Status",
       {"follow_up", "reactivate", "request_closure", "approve_closure", "reject_closure", "reopen"},
       [&] { return NewCase(wf_tph_, false); },
       {{{}, "Active", {"follow_up", "request_closure"}},
        {{"follow_up"}, "FollowUp", {"reactivate", "request_closure"}},
        {{"request_closure"}, "ClosureRequested", {"approve_closure", "reject_closure"}},
        {{"request_closure", "approve_closure"}, "Closed", {"reopen"}}}},
      {"screenings",
       "scr_Status",
       {"confirm", "override"},
       [&] {
         return CreateAs(wf_tph_, "screenings",
                         {{"case_id", NewCase(wf_tph_, false)},
                          {"scr_Indicators",
                           {{{"ind_Code", "DeceivedAboutJob"}, {"ind_Answer", "Yes"}},
                            {{"ind_Code", "IdentityDocumentsWithheld"}, {"ind_Answer", "Yes"}},
                            {{"ind_Code", "ExcessiveWorkingHours"}, {"ind_Answer", "Yes"}}}}})["id"]
             .get<std::string>();
       },
       {{{}, "Submitted", {"confirm", "override"}}, {{"override"}, "Overridden", {}}}},
      {"referrals",
       "ref_Status",
       {"accept", "decline", "revoke", "complete"},
       [&] { return NewReferral(wf_tph_, NewCase(wf_tph_), shelter_agency_)["id"].get<std::string>(); },
       {{{}, "Requested", {"accept", "decline", "revoke"}},
        {{"accept"}, "Accepted", {"complete"}},
        {{"decline"}, "Declined", {}},
        {{"revoke"}, "Revoked", {}},
        {{"accept", "complete"}, "Completed", {}}}},
      {"transfers",
       "trf_Status",
       {"accept", "decline", "revoke"},
       [&] {
         return CreateAs(wf_tph_, "transfers",
                         {{"case_id", NewCase(wf_tph_)},
                          {"to_agency_id", shelter_agency_},
                          {"trf_Reason", "The shelter takes over."}})["id"]
             .get<std::string>();
       },
       {{{}, "Requested", {"accept", "decline", "revoke"}},
        {{"accept"}, "Accepted", {}},
        {{"decline"}, "Declined", {}},
        {{"revoke"}, "Revoked", {}}}},
      {"repatriations",
       "rep_Status",
       {"documents_ready", "depart", "receive", "follow_up", "cancel"},
       [&] {
         return CreateAs(wf_tph_, "repatriations",
                         {{"case_id", NewCase(wf_tph_, false)},
                          {"rep_Direction", "Outbound"},
                          {"rep_DestinationCountry", "MM"},
                          {"rep_TravelDocumentStatus", "Issued"},
                          {"rep_BorderCrossingPoint", "Houayxay – Chiang Khong Friendship Bridge"},
                          {"receiving_organisation_id", org}})["id"]
             .get<std::string>();
       },
       {{{}, "Planned", {"documents_ready", "cancel"}},
        {{"documents_ready"}, "DocumentsReady", {"depart", "cancel"}},
        {{"documents_ready", "depart"}, "Departed", {"receive"}},
        {{"documents_ready", "depart", "receive"}, "Received", {"follow_up"}},
        {{"cancel"}, "Cancelled", {}}}},
      {"investigations",
       "inv_Status",
       {"start", "send_to_prosecution", "resolve", "close_without_action"},
       [&] {
         return CreateAs(wf_tph_, "investigations",
                         {{"inv_Reference", "W-1"}, {"inv_Offences", {"LaoPenalCode215"}}})["id"]
             .get<std::string>();
       },
       {{{}, "Open", {"start", "close_without_action"}},
        {{"start"}, "Investigating", {"send_to_prosecution", "close_without_action"}},
        {{"start", "send_to_prosecution"}, "SentToProsecution", {"resolve", "close_without_action"}},
        {{"start", "send_to_prosecution", "resolve"}, "Resolved", {}},
        {{"close_without_action"}, "ClosedWithoutAction", {}}}},
  };
  for (const auto& m : machines) {
    for (const auto& path : m.paths) {
      const std::string id = m.make();
      std::int64_t version = VersionOf(m.resource, id);
      for (const auto& action : path.steps) {
        Reply r = Step(actor(m.resource, action), m.resource, id, action, version, payload(m.resource, action));
        ASSERT_EQ(r.status, 200) << m.resource << " " << action << " on the way to " << path.state << ": "
                                 << Describe(r);
        version = r.Json().value("version", version + 1);
      }
      ASSERT_EQ(Read(m.resource, id).value(m.state_field, ""), path.state) << m.resource;
      for (const auto& action : m.actions) {
        if (std::find(path.allowed.begin(), path.allowed.end(), action) != path.allowed.end()) continue;
        Reply r = Step(actor(m.resource, action), m.resource, id, action, version, payload(m.resource, action));
        EXPECT_TRUE(IsTransitionConflict(r, path.allowed)) << m.resource << " in " << path.state << ": " << action;
        EXPECT_TRUE(HasFieldError(r, m.state_field, "transition")) << m.resource << " " << action;
      }
      EXPECT_EQ(VersionOf(m.resource, id), version) << "a refused step wrote " << m.resource;
    }
  }
  // A case closed as referred elsewhere.
  const std::string referred = NewCase(wf_tph_, false);
  ASSERT_EQ(
      Step(wf_tph_, "cases", referred, "request_closure", 1, {{"closure_reason", "ReferredToOtherAgency"}}).status,
      200);
  Reply closed = Step(wf_tph_, "cases", referred, "approve_closure", 2);
  ASSERT_EQ(closed.status, 200) << Describe(closed);
  EXPECT_EQ(closed.Json().value("cas_Status", ""), "ClosedReferred");
  EXPECT_TRUE(IsTransitionConflict(Step(wf_tph_, "cases", referred, "follow_up", 3), {"reopen"}));
  Reply reopened = Step(wf_tph_, "cases", referred, "reopen", 3);
  ASSERT_EQ(reopened.status, 200) << Describe(reopened);
  EXPECT_EQ(reopened.Json().value("cas_Status", ""), "Active");
  EXPECT_FALSE(reopened.Json().contains("cas_ClosureReason")) << "reopening clears the closure";
}

TEST_F(Issue4Workflow, Issue4_UnknownActionStaleVersionAndBadPayloads) {
  const std::string case_id = NewCase(wf_tph_);
  Reply unknown = Step(wf_tph_, "cases", case_id, "close", 1);
  EXPECT_TRUE(IsFieldError(unknown, "action", "unknown_action")) << Describe(unknown);
  Reply unknown_ref = Step(wf_tph_, "referrals", NewReferral(wf_tph_, case_id, shelter_agency_)["id"], "approve", 1);
  EXPECT_TRUE(IsFieldError(unknown_ref, "action", "unknown_action")) << Describe(unknown_ref);
  // A stale version: someone edited the case in between.
  ASSERT_EQ(As(wf_tph_, "PATCH", Url("cases", case_id), {{"version", 1}, {"cas_Summary", "edited"}}).status, 200);
  Reply stale = Step(wf_tph_, "cases", case_id, "follow_up", 1);
  EXPECT_EQ(stale.status, 409) << Describe(stale);
  EXPECT_TRUE(HasFieldError(stale, "version", "stale"));
  EXPECT_EQ(Read("cases", case_id).value("cas_Status", ""), "Active");
  // A version is required.
  Reply no_version = As(wf_tph_, "POST", Url("cases", case_id) + "/transitions/follow_up", json::object());
  EXPECT_EQ(no_version.status, 400) << Describe(no_version);
  // request_closure needs a reason of the code list; unknown members are refused.
  EXPECT_TRUE(HasRule(Step(wf_tph_, "cases", case_id, "request_closure", 2), 400, "closure_reason", "required"));
  EXPECT_TRUE(HasRule(Step(wf_tph_, "cases", case_id, "request_closure", 2, {{"closure_reason", "Bored"}}), 400,
                      "closure_reason", "codelist"));
  EXPECT_TRUE(HasRule(Step(wf_tph_, "cases", case_id, "follow_up", 2, {{"cas_Status", "Closed"}}), 400, "cas_Status",
                      "unknown_field"));
  // override needs a status and a reason of at least 10 characters.
  const std::string scr = CreateAs(wf_tph_, "screenings", {{"case_id", case_id}})["id"];
  EXPECT_TRUE(HasRule(Step(supervisor_, "screenings", scr, "override", 1,
                           {{"trafficking_status", "ActualVictimOfTrafficking"}, {"reason", "too short"}}),
                      400, "reason", "required"));
  EXPECT_TRUE(
      HasRule(Step(supervisor_, "screenings", scr, "override", 1, {{"reason", "Police report 2025/31 confirms."}}), 400,
              "trafficking_status", "required"));
  Reply overridden = Step(supervisor_, "screenings", scr, "override", 1,
                          {{"trafficking_status", "ActualVictimOfTrafficking"},
                           {"reason", "Police report 2025/31 confirms."},
                           {"decision_org", "Police"}});
  ASSERT_EQ(overridden.status, 200) << Describe(overridden);
  EXPECT_EQ(overridden.Json().value("scr_Status", ""), "Overridden");
  json kase = Read("cases", case_id);
  EXPECT_EQ(kase.value("vic_TraffickingStatus", ""), "ActualVictimOfTrafficking");
  EXPECT_EQ(kase.value("vic_TraffickingStatusDecisionMakingOrg", ""), "Police");
  // A transition of an unknown record.
  EXPECT_EQ(Step(wf_tph_, "cases", "0197a000-0000-7000-8000-000000000000", "follow_up", 1).status, 404);
}

// ---- the parties of a referral ---------------------------------------------------

TEST_F(Issue4Workflow, Issue4_OnlyTheReceiverAnswersAndOnlyTheSenderRevokes) {
  const std::string case_id = NewCase(worker_);
  const json ref = NewReferral(worker_, case_id, shelter_agency_);
  const std::string id = ref["id"];
  Reply sender_accepts = Step(worker_, "referrals", id, "accept", 1);
  EXPECT_EQ(sender_accepts.status, 403) << Describe(sender_accepts);
  EXPECT_TRUE(HasFieldError(sender_accepts, "to_agency_id", "party"));
  EXPECT_EQ(Step(supervisor_, "referrals", id, "decline", 1, {{"reason", "We are full."}}).status, 403);
  EXPECT_EQ(Step(hxy_, "referrals", id, "accept", 1).status, 404) << "an unrelated agency";
  EXPECT_EQ(Step(hxy_, "referrals", id, "revoke", 1).status, 404);
  EXPECT_EQ(Step(shelter_, "referrals", id, "revoke", 1).status == 200, false) << "the receiver cannot revoke";
  // Decline needs a reason.
  EXPECT_TRUE(HasRule(Step(shelter_, "referrals", id, "decline", 1), 400, "reason", "required"));
  EXPECT_TRUE(HasRule(Step(shelter_, "referrals", id, "decline", 1, {{"reason", ""}}), 400, "reason", "required"));
  Reply declined = Step(shelter_, "referrals", id, "decline", 1, {{"reason", "No bed free this month."}});
  ASSERT_EQ(declined.status, 200) << Describe(declined);
  EXPECT_EQ(declined.Json().value("ref_Status", ""), "Declined");
  EXPECT_EQ(declined.Json().value("ref_DeclineReason", ""), "No bed free this month.");
  EXPECT_EQ(As(shelter_, "GET", Url("cases", case_id)).status, 404) << "a declined referral shares nothing";
  EXPECT_EQ(NotificationsOf(worker_, "ReferralAnswered", id).size(), 1u);
  // The sender may refer again, and revoke while it is pending.
  const std::string again = NewReferral(worker_, case_id, shelter_agency_)["id"];
  Reply duplicate = As(worker_, "POST", Url("referrals"),
                       {{"case_id", case_id},
                        {"to_agency_id", shelter_agency_},
                        {"ref_Reason", "again"},
                        {"ref_ServicesRequested", {"Shelter"}}});
  EXPECT_EQ(duplicate.status, 409) << "one pending referral per case and agency: " << Describe(duplicate);
  ASSERT_TRUE(TaskFor(shelter_, "AnswerReferral", again).is_object());
  Reply revoked = Step(worker_, "referrals", again, "revoke", 1);
  ASSERT_EQ(revoked.status, 200) << Describe(revoked);
  EXPECT_EQ(revoked.Json().value("ref_Status", ""), "Revoked");
  EXPECT_TRUE(TaskFor(shelter_, "AnswerReferral", again).is_null()) << "revoking withdraws the task";
  json cancelled = TaskFor(shelter_, "AnswerReferral", again, "closed=true");
  ASSERT_TRUE(cancelled.is_object());
  EXPECT_EQ(cancelled.value("status", ""), "Cancelled");
  EXPECT_TRUE(IsTransitionConflict(Step(shelter_, "referrals", again, "accept", 2), {}));
  // A referral to oneself is nonsense.
  Reply self = As(worker_, "POST", Url("referrals"),
                  {{"case_id", case_id},
                   {"to_agency_id", tph_agency_},
                   {"ref_Reason", "x"},
                   {"ref_ServicesRequested", {"Shelter"}}});
  EXPECT_TRUE(HasRule(self, 400, "to_agency_id", "different"));
}

// ---- consent ---------------------------------------------------------------------

TEST_F(Issue4Workflow, Issue4_ReferralNeedsConsentOrAnAuditedOverride) {
  const std::string case_id = NewCase(worker_, /*consent=*/false);
  const json body = {{"case_id", case_id},
                     {"to_agency_id", shelter_agency_},
                     {"ref_Reason", "Needs shelter tonight."},
                     {"ref_ServicesRequested", {"Shelter"}}};
  Reply none = As(worker_, "POST", Url("referrals"), body);
  EXPECT_EQ(none.status, 409) << Describe(none);
  EXPECT_TRUE(HasFieldError(none, "consent_id", "consent_required"));
  // Consent for services, or a refused or withdrawn referral consent, is not consent to refer.
  CreateAs(worker_, "consents", {{"case_id", case_id}, {"cns_Purpose", "Services"}, {"cns_Status", "Given"}});
  CreateAs(worker_, "consents", {{"case_id", case_id}, {"cns_Purpose", "Referral"}, {"cns_Status", "Refused"}});
  EXPECT_TRUE(HasRule(As(worker_, "POST", Url("referrals"), body), 409, "consent_id", "consent_required"));
  EXPECT_TRUE(HasRule(As(worker_, "POST", Url("transfers"),
                         {{"case_id", case_id}, {"to_agency_id", hxy_agency_}, {"trf_Reason", "Moves to Houayxay."}}),
                      409, "consent_id", "consent_required"));
  EXPECT_TRUE(Find(Items(shelter_, "/api/v1/referrals/inbox"), "case_id", case_id).is_null()) << "nothing was sent";

  json with_override = body;
  with_override["ref_ConsentOverrideReason"] = "She is unconscious and needs shelter and care tonight.";
  Reply worker_override = As(worker_, "POST", Url("referrals"), with_override);
  EXPECT_EQ(worker_override.status, 403) << "a case worker may not override consent: " << Describe(worker_override);
  EXPECT_TRUE(HasFieldError(worker_override, "ref_ConsentOverrideReason", "permission"));
  json short_override = body;
  short_override["ref_ConsentOverrideReason"] = "urgent";
  EXPECT_TRUE(
      HasRule(As(supervisor_, "POST", Url("referrals"), short_override), 400, "ref_ConsentOverrideReason", "length"));

  const std::size_t before = AuditRows(server().store()).size();
  Reply overridden = As(supervisor_, "POST", Url("referrals"), with_override);
  ASSERT_EQ(overridden.status, 201) << Describe(overridden);
  const std::string id = overridden.Json()["id"];
  EXPECT_EQ(overridden.Json().value("ref_ConsentOverridden", false), true);
  EXPECT_FALSE(overridden.Json().contains("consent_id"));
  auto rows = AuditRows(server().store());
  bool found = false;
  for (std::size_t i = before; i < rows.size(); ++i) {
    if (rows[i].action == "consent_override") {
      found = true;
      EXPECT_EQ(rows[i].resource, "referrals");
      EXPECT_EQ(rows[i].record_ids, json::array({id}).dump());
      EXPECT_EQ(rows[i].user_id, supervisor_id_);
      EXPECT_EQ(rows[i].role, "supervisor");
      EXPECT_EQ(rows[i].record_ids.find("unconscious"), std::string::npos) << "the reason is not in the log";
    }
  }
  EXPECT_TRUE(found) << "no consent_override event in the audit log";
  EXPECT_TRUE(Find(Items(shelter_, "/api/v1/referrals/inbox"), "id", id).is_object());

  // With consent given, a case worker refers without any override.
  const std::string consented = NewCase(worker_, /*consent=*/true);
  json ok = body;
  ok["case_id"] = consented;
  Reply plain = As(worker_, "POST", Url("referrals"), ok);
  ASSERT_EQ(plain.status, 201) << Describe(plain);
  EXPECT_EQ(plain.Json().value("ref_ConsentOverridden", true), false);
  EXPECT_TRUE(plain.Json().contains("consent_id"));
}

// ---- overdue referrals, tasks and notifications --------------------------------------

TEST_F(Issue4Workflow, Issue4_OverdueReferralShowsInInboxTasksAndNotifiesOnce) {
  const std::string case_id = NewCase(worker_);
  const std::string id = NewReferral(worker_, case_id, shelter_agency_)["id"];
  const std::string other = NewReferral(worker_, NewCase(worker_), shelter_agency_)["id"];
  json item = Find(Items(shelter_, "/api/v1/referrals/inbox"), "id", id);
  ASSERT_TRUE(item.is_object());
  EXPECT_EQ(item.value("overdue", true), false);
  EXPECT_TRUE(Items(shelter_, "/api/v1/referrals/inbox?overdue=true").empty());
  EXPECT_TRUE(Items(shelter_, "/api/v1/tasks?overdue=true").empty());
  json task = TaskFor(shelter_, "AnswerReferral", id);
  ASSERT_TRUE(task.is_object());
  EXPECT_EQ(task.value("overdue", true), false);
  EXPECT_EQ(task.value("due_at", ""), core::FormatTimestamp(server().clock().Now() + 48h));
  EXPECT_TRUE(NotificationsOf(shelter_, "TaskDue", "").empty()) << "not due for 48 hours";

  // The other referral is answered in time.
  ASSERT_EQ(Step(shelter_, "referrals", other, "accept", 1).status, 200);

  server().clock().Advance(48h + 1min);
  SignInAll();
  item = Find(Items(shelter_, "/api/v1/referrals/inbox"), "id", id);
  ASSERT_TRUE(item.is_object());
  EXPECT_EQ(item.value("overdue", false), true);
  json answered = Find(Items(shelter_, "/api/v1/referrals/inbox"), "id", other);
  ASSERT_TRUE(answered.is_object());
  EXPECT_EQ(answered.value("overdue", true), false) << "an answered referral is never overdue";
  json overdue = Items(shelter_, "/api/v1/referrals/inbox?overdue=true");
  ASSERT_EQ(overdue.size(), 1u) << overdue.dump();
  EXPECT_EQ(overdue[0].value("id", ""), id);
  json out_item = Find(Items(worker_, "/api/v1/referrals/outbox"), "id", id);
  EXPECT_TRUE(out_item.is_object() && out_item.value("overdue", false)) << "the sender sees it overdue too";
  EXPECT_EQ(Items(worker_, "/api/v1/referrals/outbox?overdue=true").size(), 1u);
  EXPECT_EQ(Items(shelter_, "/api/v1/referrals/inbox?status=Accepted").size(), 1u);
  EXPECT_TRUE(HasRule(As(shelter_, "GET", "/api/v1/referrals/inbox?overdue=maybe"), 400, "overdue", "boolean"));

  json overdue_tasks = Items(shelter_, "/api/v1/tasks?overdue=true");
  json t = Find(overdue_tasks, "record_id", id);
  ASSERT_TRUE(t.is_object()) << overdue_tasks.dump();
  EXPECT_EQ(t.value("kind", ""), "AnswerReferral");
  EXPECT_EQ(t.value("overdue", false), true);
  EXPECT_TRUE(Items(worker_, "/api/v1/tasks?overdue=true").empty()) << "not the sender's task";

  // Listing notifications twice makes one TaskDue notice.
  Items(shelter_, "/api/v1/notifications");
  auto due = NotificationsOf(shelter_, "TaskDue", t.value("id", ""));
  ASSERT_EQ(due.size(), 1u) << "one TaskDue notice for the overdue task";
  EXPECT_EQ(due[0].value("case_id", ""), case_id);
  EXPECT_EQ(NotificationsOf(shelter_, "TaskDue", "").size(), 1u);
  EXPECT_EQ(NotificationsOf(worker_, "TaskDue", t.value("id", "")).size(), 0u);
  // Read it: gone from the unread ones.
  const std::string notice = due[0].value("id", "");
  EXPECT_EQ(As(worker_, "POST", "/api/v1/notifications/" + notice + "/read", json::object()).status, 404)
      << "not the sender's";
  EXPECT_EQ(As(shelter_, "POST", "/api/v1/notifications/" + notice + "/read", json::object()).status, 204);
  EXPECT_TRUE(NotificationsOf(shelter_, "TaskDue", t.value("id", ""), "unread=true").empty());
  EXPECT_EQ(NotificationsOf(shelter_, "TaskDue", t.value("id", "")).at(0).value("read", false), true);

  // Answered late: no longer overdue, the task closes.
  ASSERT_EQ(Step(shelter_, "referrals", id, "accept", 1).status, 200);
  EXPECT_TRUE(Items(shelter_, "/api/v1/referrals/inbox?overdue=true").empty());
  EXPECT_TRUE(Items(shelter_, "/api/v1/tasks?overdue=true").empty());
  EXPECT_TRUE(TaskFor(shelter_, "AnswerReferral", id).is_null());
}

TEST_F(Issue4Workflow, Issue4_TasksCanBeCompletedOrCancelledOnceByTheirAgency) {
  const std::string id = NewReferral(worker_, NewCase(worker_), shelter_agency_)["id"];
  json task = TaskFor(shelter_, "AnswerReferral", id);
  ASSERT_TRUE(task.is_object());
  const std::string task_id = task["id"];
  EXPECT_EQ(
      As(worker_, "POST", "/api/v1/tasks/" + task_id + "/transitions/complete", {{"version", task["version"]}}).status,
      404)
      << "another agency's task";
  Reply stale = As(shelter_, "POST", "/api/v1/tasks/" + task_id + "/transitions/complete",
                   {{"version", task["version"].get<std::int64_t>() + 5}});
  EXPECT_TRUE(HasRule(stale, 409, "version", "stale"));
  Reply done =
      As(shelter_, "POST", "/api/v1/tasks/" + task_id + "/transitions/complete", {{"version", task["version"]}});
  ASSERT_EQ(done.status, 200) << Describe(done);
  EXPECT_EQ(done.Json().value("status", ""), "Done");
  Reply again =
      As(shelter_, "POST", "/api/v1/tasks/" + task_id + "/transitions/cancel", {{"version", done.Json()["version"]}});
  EXPECT_TRUE(IsTransitionConflict(again, {}));
  EXPECT_TRUE(TaskFor(shelter_, "AnswerReferral", id).is_null());
}

// ---- locked records -----------------------------------------------------------------

TEST_F(Issue4Workflow, Issue4_RecordsInATerminalStateAreLocked) {
  // A declined referral.
  const std::string case_id = NewCase(wf_tph_);
  const std::string ref = NewReferral(wf_tph_, case_id, shelter_agency_)["id"];
  ASSERT_EQ(Step(wf_shelter_, "referrals", ref, "decline", 1, {{"reason", "No bed free."}}).status, 200);
  Reply r = As(wf_tph_, "PATCH", Url("referrals", ref), {{"version", 2}, {"ref_Reason", "changed"}});
  EXPECT_TRUE(HasRule(r, 409, "ref_Status", "locked"));
  EXPECT_EQ(VersionOf("referrals", ref), 2);
  // A pending referral is editable.
  const std::string pending = NewReferral(wf_tph_, case_id, shelter_agency_)["id"];
  EXPECT_EQ(As(wf_tph_, "PATCH", Url("referrals", pending), {{"version", 1}, {"ref_Urgency", "Emergency"}}).status,
            200);
  // A closed case: locked until reopened.
  ASSERT_EQ(Step(wf_tph_, "referrals", pending, "revoke", 2).status, 200);
  const std::int64_t v = VersionOf("cases", case_id);
  ASSERT_EQ(Step(wf_tph_, "cases", case_id, "request_closure", v, {{"closure_reason", "ReturnedHome"}}).status, 200);
  EXPECT_EQ(
      As(wf_tph_, "PATCH", Url("cases", case_id), {{"version", v + 1}, {"cas_Summary", "while requested"}}).status, 200)
      << "a case awaiting approval is still editable";
  ASSERT_EQ(Step(wf_tph_, "cases", case_id, "approve_closure", v + 2).status, 200);
  Reply locked = As(wf_tph_, "PATCH", Url("cases", case_id), {{"version", v + 3}, {"cas_Summary", "after closure"}});
  EXPECT_TRUE(HasRule(locked, 409, "cas_Status", "locked"));
  EXPECT_EQ(Strings(locked.Json()["error"].value("allowed_actions", json::array())),
            std::vector<std::string>{"reopen"});
  // A new referral of a closed case is refused.
  Reply closed_ref = As(wf_tph_, "POST", Url("referrals"),
                        {{"case_id", case_id},
                         {"to_agency_id", hxy_agency_},
                         {"ref_Reason", "x"},
                         {"ref_ServicesRequested", {"Shelter"}}});
  EXPECT_TRUE(HasRule(closed_ref, 409, "case_id", "precondition"));
  ASSERT_EQ(Step(wf_tph_, "cases", case_id, "reopen", v + 3).status, 200);
  EXPECT_EQ(As(wf_tph_, "PATCH", Url("cases", case_id), {{"version", v + 4}, {"cas_Summary", "reopened"}}).status, 200);

  // A decided screening, a resolved investigation, a cancelled repatriation.
  const std::string scr = CreateAs(wf_tph_, "screenings", {{"case_id", case_id}})["id"];
  ASSERT_EQ(Step(wf_tph_, "screenings", scr, "override", 1,
                 {{"trafficking_status", "NotAVictimOfTrafficking"}, {"reason", "A labour dispute only."}})
                .status,
            200);
  EXPECT_TRUE(HasRule(As(wf_tph_, "PATCH", Url("screenings", scr), {{"version", 2}, {"scr_Notes", "x"}}), 409,
                      "scr_Status", "locked"));
  const std::string inv =
      CreateAs(wf_tph_, "investigations", {{"inv_Reference", "L-1"}, {"inv_Offences", {"LaoPenalCode215"}}})["id"];
  ASSERT_EQ(Step(wf_tph_, "investigations", inv, "close_without_action", 1, {{"reason", "No evidence found."}}).status,
            200);
  EXPECT_TRUE(HasRule(As(wf_tph_, "PATCH", Url("investigations", inv), {{"version", 2}, {"inv_Summary", "x"}}), 409,
                      "inv_Status", "locked"));
  const std::string rep =
      CreateAs(wf_tph_, "repatriations",
               {{"case_id", case_id}, {"rep_Direction", "Outbound"}, {"rep_DestinationCountry", "MM"}})["id"];
  Reply no_reason = Step(wf_tph_, "repatriations", rep, "cancel", 1);
  EXPECT_TRUE(HasRule(no_reason, 400, "reason", "required"));
  ASSERT_EQ(Step(wf_tph_, "repatriations", rep, "cancel", 1, {{"reason", "She chose to stay."}}).status, 200);
  EXPECT_TRUE(HasRule(As(wf_tph_, "PATCH", Url("repatriations", rep), {{"version", 2}, {"rep_Escort", "x"}}), 409,
                      "rep_Status", "locked"));
}

// ---- closure while a request is pending ------------------------------------------------

TEST_F(Issue4Workflow, Issue4_ApproveClosureIsRefusedWhileAReferralOrTransferIsPending) {
  const std::string case_id = NewCase(worker_);
  const std::string ref = NewReferral(worker_, case_id, shelter_agency_)["id"];
  ASSERT_EQ(Step(worker_, "cases", case_id, "request_closure", 1, {{"closure_reason", "ReturnedHome"}}).status, 200);
  Reply refused = Step(supervisor_, "cases", case_id, "approve_closure", 2);
  ASSERT_EQ(refused.status, 409) << Describe(refused);
  ASSERT_TRUE(HasErrorShape(refused));
  ASSERT_EQ(refused.Json()["error"]["fields"].size(), 1u) << Describe(refused);
  EXPECT_EQ(refused.Json()["error"]["fields"][0].value("rule", ""), "precondition") << Describe(refused);
  EXPECT_EQ(Read("cases", case_id).value("cas_Status", ""), "ClosureRequested");
  ASSERT_EQ(Step(worker_, "referrals", ref, "revoke", 1).status, 200);
  // Now a pending transfer blocks it the same way.
  const std::string trf = CreateAs(
      worker_, "transfers", {{"case_id", case_id}, {"to_agency_id", hxy_agency_}, {"trf_Reason", "She moved."}})["id"];
  Reply refused2 = Step(supervisor_, "cases", case_id, "approve_closure", 2);
  EXPECT_EQ(refused2.status, 409) << Describe(refused2);
  EXPECT_TRUE(HasErrorShape(refused2) && !refused2.Json()["error"]["fields"].empty() &&
              refused2.Json()["error"]["fields"][0].value("rule", "") == "precondition")
      << Describe(refused2);
  ASSERT_EQ(Step(worker_, "transfers", trf, "revoke", 1).status, 200);
  Reply closed = Step(supervisor_, "cases", case_id, "approve_closure", 2);
  ASSERT_EQ(closed.status, 200) << Describe(closed);
  EXPECT_EQ(closed.Json().value("cas_Status", ""), "Closed");
  // Rejecting brings a case back to Active and clears the request.
  const std::string other = NewCase(worker_);
  ASSERT_EQ(Step(worker_, "cases", other, "request_closure", 1, {{"closure_reason", "LostContact"}}).status, 200);
  Reply rejected = Step(supervisor_, "cases", other, "reject_closure", 2);
  ASSERT_EQ(rejected.status, 200) << Describe(rejected);
  EXPECT_EQ(rejected.Json().value("cas_Status", ""), "Active");
  EXPECT_FALSE(rejected.Json().contains("cas_ClosureReason"));
  EXPECT_EQ(NotificationsOf(worker_, "ApprovalAnswered", other).size(), 1u);
}

// ---- transfer of ownership --------------------------------------------------------------

TEST_F(Issue4Workflow, Issue4_AcceptedTransferMovesTheCaseToTheNewAgency) {
  server().AddUser("hxy_worker2", "BK-DMC-HXY", "case_worker");
  const std::string case_id = NewCase(worker_);
  const std::string person = Read("cases", case_id).value("person_id", "");
  const std::string event =
      CreateAs(worker_, "trafficking-events", {{"case_id", case_id}, {"hte_Type", "Recruitment"}})["id"];
  // Only the owning agency hands its case over.
  Reply not_owner = As(wf_shelter_, "POST", Url("transfers"),
                       {{"case_id", case_id}, {"to_agency_id", hxy_agency_}, {"trf_Reason", "Not ours to give."}});
  EXPECT_TRUE(HasRule(not_owner, 403, "case_id", "owner_only"));
  const json trf =
      CreateAs(worker_, "transfers",
               {{"case_id", case_id}, {"to_agency_id", hxy_agency_}, {"trf_Reason", "She moved to Houayxay."}});
  const std::string id = trf["id"];
  EXPECT_EQ(trf.value("from_agency_id", ""), tph_agency_);
  EXPECT_EQ(trf.value("trf_Status", ""), "Requested");
  EXPECT_TRUE(Find(Items(hxy_, "/api/v1/transfers/inbox"), "id", id).is_object());
  EXPECT_TRUE(Find(Items(worker_, "/api/v1/transfers/outbox"), "id", id).is_object());
  EXPECT_TRUE(TaskFor(hxy_, "AnswerTransfer", id).is_object());
  EXPECT_EQ(NotificationsOf(hxy_, "TransferReceived", id).size(), 1u);
  EXPECT_EQ(As(hxy_, "GET", Url("cases", case_id)).status, 404) << "not before accepting";
  EXPECT_EQ(Step(worker_, "transfers", id, "accept", 1).status, 403) << "the sender cannot accept";
  EXPECT_EQ(Step(shelter_, "transfers", id, "accept", 1).status, 404) << "an unrelated agency";

  Reply accepted = Step(hxy_, "transfers", id, "accept", 1);
  ASSERT_EQ(accepted.status, 200) << Describe(accepted);
  EXPECT_EQ(accepted.Json().value("trf_Status", ""), "Accepted");
  EXPECT_EQ(Read("cases", case_id).value("owner_agency_id", ""), hxy_agency_);
  json case_history = History("cases", case_id);
  ASSERT_FALSE(case_history.empty());
  EXPECT_EQ(case_history.back().value("action", ""), "transfer");
  // The new agency reaches the case, its person and its children; the old one no longer does.
  for (const Session* s : std::initializer_list<const Session*>{&hxy_, &server().session()}) {
    EXPECT_EQ(As(*s, "GET", Url("cases", case_id)).status, 200);
  }
  const Session hxy2 = server().SignIn("hxy_worker2");
  EXPECT_EQ(As(hxy2, "GET", Url("cases", case_id)).status, 200) << "any case worker of the new agency";
  EXPECT_EQ(As(hxy_, "GET", Url("persons", person)).status, 200);
  EXPECT_EQ(As(hxy_, "GET", Url("trafficking-events", event)).status, 200);
  EXPECT_EQ(As(worker_, "GET", Url("cases", case_id)).status, 404) << "the old owner's case worker";
  EXPECT_EQ(As(worker_, "GET", Url("persons", person)).status, 404);
  EXPECT_EQ(As(worker_, "GET", Url("trafficking-events", event)).status, 404);
  EXPECT_EQ(As(supervisor_, "GET", Url("cases", case_id)).status, 404);
  EXPECT_EQ(NotificationsOf(worker_, "TransferAnswered", id).size(), 1u);
  EXPECT_TRUE(TaskFor(hxy_, "AnswerTransfer", id).is_null());
  EXPECT_TRUE(IsTransitionConflict(Step(hxy_, "transfers", id, "accept", 2), {}));
}

// ---- break the glass --------------------------------------------------------------------

TEST_F(Issue4Workflow, Issue4_BreakingTheGlassNotifiesTheOwningAgency) {
  const std::string case_id = NewCase(worker_, false, /*is_protected=*/true);
  EXPECT_EQ(As(police_, "GET", Url("cases", case_id)).status, 404);
  EXPECT_TRUE(NotificationsOf(worker_, "ProtectedCaseAccessed", "").empty());
  Reply glass = As(police_, "POST", Url("cases", case_id) + "/break-glass",
                   {{"reason", "Trafficking ring investigation, warrant 2025/117"}});
  ASSERT_EQ(glass.status, 201) << Describe(glass);
  auto notices = NotificationsOf(worker_, "ProtectedCaseAccessed", "");
  ASSERT_EQ(notices.size(), 1u) << "the owning agency's case worker is told";
  EXPECT_EQ(notices[0].value("case_id", ""), case_id);
  EXPECT_EQ(notices[0].value("read", true), false);
  EXPECT_EQ(NotificationsOf(supervisor_, "ProtectedCaseAccessed", "").size(), 1u);
  EXPECT_TRUE(NotificationsOf(police_, "ProtectedCaseAccessed", "").empty()) << "not the one who broke it";
  EXPECT_TRUE(NotificationsOf(hxy_, "ProtectedCaseAccessed", "").empty()) << "not another agency";
  EXPECT_TRUE(NotificationsOf(shelter_, "ProtectedCaseAccessed", "").empty());
  EXPECT_EQ(As(police_, "POST", "/api/v1/notifications/" + notices[0].value("id", "") + "/read", json::object()).status,
            404);
  EXPECT_EQ(As(worker_, "POST", "/api/v1/notifications/" + notices[0].value("id", "") + "/read", json::object()).status,
            204);
  EXPECT_TRUE(NotificationsOf(worker_, "ProtectedCaseAccessed", "", "unread=true").empty());
  // A second grant is a second notice.
  server().clock().Advance(3h);
  SignInAll();
  ASSERT_EQ(As(police_, "POST", Url("cases", case_id) + "/break-glass",
               {{"reason", "Trafficking ring investigation, warrant 2025/118"}})
                .status,
            201);
  EXPECT_EQ(NotificationsOf(worker_, "ProtectedCaseAccessed", "").size(), 2u);
  EXPECT_EQ(NotificationsOf(worker_, "ProtectedCaseAccessed", "", "unread=true").size(), 1u);
}

}  // namespace
}  // namespace ctims::api_test
