// Issue 7: taskforces, the plan of action and directives, through HTTP with
// the built-in roles. The whole story (a taskforce, its members, objectives,
// activities, indicators, a meeting whose follow-up becomes an activity, a
// directive answered per recipient), who may change what (members, the
// chair, the issuer, each recipient), overdue flags on the plan, the
// dashboard, tasks and notifications, indicators computed by named queries
// equal to the report service's figures, the XLSX and printable exports,
// and bad input answered 400 naming the field and the rule.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "app/demo_taskforce.hpp"
#include "test_server.hpp"

namespace ctims::api_test {
namespace {

using namespace std::chrono_literals;

class Issue7Taskforce : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    // Sets up cases and referrals for the statistics and reads the reports
    // without disclosure control (identity group): the figures the named
    // queries must equal.
    server().PutRole(R"({"code": "tf_all", "name_lo": "ທົດສອບ", "name_en": "Test: records and reports", "scope": "all",
      "permissions": [{"resource": "*", "actions": ["read", "list", "create", "update", "delete", "history"]},
                      {"resource": "statistics", "actions": ["report"]}],
      "read_groups": ["general", "identity", "contact", "health", "narrative", "investigation"],
      "write_groups": ["general", "identity", "contact", "health", "narrative", "investigation"]})");
    ppd_ = AgencyId("BK-PPD");
    fad_ = AgencyId("BK-FAD");
    hxy_ = AgencyId("BK-DMC-HXY");
    mng_ = AgencyId("BK-DMC-MNG");
    server().AddUser("chair", "BK-PPD", "taskforce_member");
    server().AddUser("fad_member", "BK-FAD", "taskforce_member");
    server().AddUser("outsider", "BK-DMC-MNG", "taskforce_member");
    server().AddUser("tph_supervisor", "BK-DMC-TPH", "supervisor");
    server().AddUser("hxy_supervisor", "BK-DMC-HXY", "supervisor");
    server().AddUser("worker", "BK-DMC-TPH", "case_worker");
    server().AddUser("analyst", "BK-PPD", "analyst");
    server().AddUser("stats", "BK-DMC-TPH", "tf_all");
    SignInAll();
  }

  void SignInAll() {
    chair_ = server().SignIn("chair");
    fad_member_ = server().SignIn("fad_member");
    outsider_ = server().SignIn("outsider");
    tph_ = server().SignIn("tph_supervisor");
    hxy_s_ = server().SignIn("hxy_supervisor");
    worker_ = server().SignIn("worker");
    analyst_ = server().SignIn("analyst");
    stats_ = server().SignIn("stats");
    RefreshSession();
  }

  // The chair's taskforce with FAD as a member agency.
  std::string MakeTaskforce(const std::string& code = "BK-TF") {
    json tf = CreateAs(chair_, "taskforces",
                       {{"tfc_Code", code},
                        {"tfc_NameLo", "ຄະນະສະເພາະກິດ"},
                        {"tfc_NameEn", "Bokeo taskforce"},
                        {"chair_agency_id", ppd_},
                        {"tfc_PlanStart", "2025-01-01"},
                        {"tfc_PlanEnd", "2025-12-31"}});
    CreateAs(chair_, "taskforce-members", {{"taskforce_id", tf["id"]}, {"agency_id", fad_}});
    return tf["id"];
  }
  std::string MakeObjective(const Session& s, const std::string& tf, const std::string& code = "O1") {
    return CreateAs(s, "plan-objectives",
                    {{"taskforce_id", tf},
                     {"obj_Code", code},
                     {"obj_Title", "Workers are paid as agreed"},
                     {"obj_Problems", {"UnpaidWages", "ContractSold"}}})["id"];
  }
  json ActivityBody(const std::string& tf, const std::string& objective, const std::string& end) {
    return {{"taskforce_id", tf},
            {"objective_id", objective},
            {"act_Title", "Inspect SEZ companies"},
            {"responsible_agency_id", fad_},
            {"act_StartDate", "2025-01-10"},
            {"act_EndDate", end},
            {"act_Status", "OnTrack"}};
  }
  json Plan(const Session& s, const std::string& tf) {
    Reply r = As(s, "GET", "/api/v1/taskforces/" + tf + "/plan");
    EXPECT_EQ(r.status, 200) << Describe(r);
    return r.Json();
  }
  static json FindBy(const json& items, const std::string& key, const std::string& value) {
    for (const auto& i : items) {
      if (i.is_object() && i.value(key, "") == value) return i;
    }
    return nullptr;
  }
  // The directive and recipient records of a directive from the chair's
  // agency to TPH and HXY, due `due`.
  struct Directive {
    std::string id, to_tph, to_hxy;
  };
  Directive IssueDirective(const std::string& due) {
    Directive d;
    d.id = CreateAs(chair_, "directives",
                    {{"dir_Subject", "Screen SEZ workers for fee demands"},
                     {"dir_Text", "Report every worker asked to refund Covid tests, quarantine or work permits."},
                     {"dir_DueDate", due},
                     {"dir_Priority", "High"}})["id"];
    d.to_tph =
        CreateAs(chair_, "directive-recipients", {{"directive_id", d.id}, {"agency_id", AgencyId("BK-DMC-TPH")}})["id"];
    d.to_hxy = CreateAs(chair_, "directive-recipients", {{"directive_id", d.id}, {"agency_id", hxy_}})["id"];
    return d;
  }
  std::int64_t Version(const std::string& resource, const std::string& id) {
    return Read(resource, id).value("version", std::int64_t{-1});
  }
  Reply PatchAs(const Session& s, const std::string& resource, const std::string& id, json patch) {
    patch["version"] = Version(resource, id);
    return As(s, "PATCH", Url(resource, id), patch);
  }

  std::string ppd_, fad_, hxy_, mng_;
  Session chair_, fad_member_, outsider_, tph_, hxy_s_, worker_, analyst_, stats_;
};

TEST_F(Issue7Taskforce, MembersEditThePlanAndTheChairManagesMembership) {
  // A taskforce is created with the caller's agency as chair.
  EXPECT_TRUE(IsError(As(outsider_, "POST", Url("taskforces"),
                         {{"tfc_Code", "X"}, {"tfc_NameLo", "x"}, {"tfc_NameEn", "x"}, {"chair_agency_id", ppd_}}),
                      403, "permission_denied", "chair_agency_id", "scope"));
  const std::string tf = MakeTaskforce();
  // Only the chair manages members; a member cannot add another agency.
  EXPECT_TRUE(IsError(As(fad_member_, "POST", Url("taskforce-members"), {{"taskforce_id", tf}, {"agency_id", mng_}}),
                      403, "permission_denied", "taskforce_id", "chair"));
  // A member agency edits the plan; a non-member cannot create or change it.
  const std::string objective = MakeObjective(fad_member_, tf);
  EXPECT_TRUE(IsError(As(outsider_, "POST", Url("plan-objectives"),
                         {{"taskforce_id", tf}, {"obj_Code", "O9"}, {"obj_Title", "Not mine"}}),
                      403, "permission_denied", "taskforce_id", "member"));
  EXPECT_TRUE(IsError(PatchAs(outsider_, "plan-objectives", objective, {{"obj_Title", "Changed"}}), 403,
                      "permission_denied", "taskforce_id", "member"));
  EXPECT_EQ(Read("plan-objectives", objective)["obj_Title"], "Workers are paid as agreed");
  EXPECT_TRUE(IsError(As(outsider_, "DELETE", Url("plan-objectives", objective) + "?version=1"), 403,
                      "permission_denied", "taskforce_id", "member"));
  // Other roles read per their permissions: a case worker reads the plan but
  // writes nothing; an analyst reads no record.
  EXPECT_EQ(As(worker_, "GET", Url("plan-objectives", objective)).status, 200);
  EXPECT_EQ(As(worker_, "POST", Url("plan-objectives"), {{"taskforce_id", tf}, {"obj_Code", "O2"}, {"obj_Title", "x"}})
                .status,
            403);
  EXPECT_EQ(As(analyst_, "GET", Url("plan-objectives", objective)).status, 403);
  EXPECT_EQ(As(analyst_, "GET", "/api/v1/taskforces/" + tf + "/plan").status, 403);

  // Once the chair adds MNG, its users are members.
  const json member = CreateAs(chair_, "taskforce-members", {{"taskforce_id", tf}, {"agency_id", mng_}});
  EXPECT_EQ(PatchAs(outsider_, "plan-objectives", objective, {{"obj_Title", "Changed by MNG"}}).status, 200);
  // A record does not move to another taskforce.
  const std::string other_tf = MakeTaskforce("BK-TF-2");
  EXPECT_TRUE(IsFieldError(PatchAs(fad_member_, "plan-objectives", objective, {{"taskforce_id", other_tf}}),
                           "taskforce_id", "immutable"));
  // The chair removes MNG again: its users can no longer edit.
  EXPECT_EQ(As(chair_, "DELETE", Url("taskforce-members", member["id"]) + "?version=1").status, 204);
  EXPECT_EQ(PatchAs(outsider_, "plan-objectives", objective, {{"obj_Title", "Again"}}).status, 403);
  // Every change is in the record's history.
  const json history = History("plan-objectives", objective);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[1]["action"], "update");
}

TEST_F(Issue7Taskforce, ActivitiesShowLateAndIndicatorsShowProgress) {
  const std::string tf = MakeTaskforce();
  const std::string objective = MakeObjective(fad_member_, tf);
  const json late = CreateAs(fad_member_, "plan-activities", ActivityBody(tf, objective, "2025-06-01"));
  const json current = CreateAs(fad_member_, "plan-activities", ActivityBody(tf, objective, "2025-12-31"));
  json done_body = ActivityBody(tf, objective, "2025-03-31");
  done_body["act_Status"] = "Done";
  done_body["act_Progress"] = {
      {{"prg_Date", "2025-03-30"}, {"prg_Note", "Twelve companies inspected"}, {"prg_Percent", 100}}};
  const json done = CreateAs(fad_member_, "plan-activities", done_body);
  CreateAs(fad_member_, "plan-indicators",
           {{"taskforce_id", tf},
            {"objective_id", objective},
            {"ind_Name", "Workers whose wages were recovered"},
            {"ind_Baseline", 10},
            {"ind_Target", 50},
            {"ind_CurrentValue", 30}});

  const json plan = Plan(fad_member_, tf);
  ASSERT_EQ(plan["objectives"].size(), 1u);
  const json& acts = plan["objectives"][0]["activities"];
  EXPECT_EQ(FindBy(acts, "id", late["id"])["effective_status"], "Late");
  EXPECT_EQ(FindBy(acts, "id", late["id"])["late"], true);
  EXPECT_EQ(FindBy(acts, "id", late["id"])["act_Status"], "OnTrack");  // stored as entered
  EXPECT_EQ(FindBy(acts, "id", current["id"])["effective_status"], "OnTrack");
  EXPECT_EQ(FindBy(acts, "id", done["id"])["effective_status"], "Done");
  EXPECT_EQ(FindBy(acts, "id", late["id"])["responsible_agency"]["code"], "BK-FAD");
  const json& ind = plan["objectives"][0]["indicators"][0];
  EXPECT_EQ(ind["current_value"], 30);
  EXPECT_DOUBLE_EQ(ind["progress"].get<double>(), 0.5);  // 10 -> 30 of 10 -> 50
  EXPECT_EQ(ind["computed"], false);

  // Marked done, it is no longer late.
  EXPECT_EQ(PatchAs(fad_member_, "plan-activities", late["id"], {{"act_Status", "Done"}}).status, 200);
  EXPECT_EQ(FindBy(Plan(fad_member_, tf)["objectives"][0]["activities"], "id", late["id"])["effective_status"], "Done");
}

TEST_F(Issue7Taskforce, BadInputIsRefusedNamingTheFieldAndRule) {
  const std::string tf = MakeTaskforce();
  const std::string objective = MakeObjective(fad_member_, tf);
  json body = ActivityBody(tf, objective, "2025-01-01");  // ends before it starts
  EXPECT_TRUE(IsFieldError(As(fad_member_, "POST", Url("plan-activities"), body), "act_EndDate", "date_order"));
  body = ActivityBody(tf, objective, "2025-12-31");
  body["act_PartnerAgencyIds"] = {"0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"};
  EXPECT_TRUE(
      IsFieldError(As(fad_member_, "POST", Url("plan-activities"), body), "act_PartnerAgencyIds[0]", "reference"));
  body = ActivityBody(tf, objective, "2025-12-31");
  body["act_Status"] = "Finished";
  EXPECT_TRUE(IsFieldError(As(fad_member_, "POST", Url("plan-activities"), body), "act_Status", "codelist"));
  body = ActivityBody(tf, objective, "2025-12-31");
  body["act_BudgetAmount"] = 1000;
  EXPECT_TRUE(
      IsFieldError(As(fad_member_, "POST", Url("plan-activities"), body), "act_BudgetCurrency", "required_with"));
  // An activity belongs to its objective's taskforce.
  const std::string other_tf = MakeTaskforce("BK-TF-2");
  EXPECT_TRUE(IsFieldError(As(chair_, "POST", Url("plan-activities"), ActivityBody(other_tf, objective, "2025-12-31")),
                           "taskforce_id", "consistent"));
  // A computed indicator is not typed, and names its query and location.
  json ind = {{"taskforce_id", tf},      {"objective_id", objective}, {"ind_Name", "Repatriated"},
              {"ind_Target", 100},       {"ind_Source", "Query"},     {"ind_Query", "PersonsRepatriatedThisYear"},
              {"ind_Location", "LA-BK"}, {"ind_CurrentValue", 12}};
  EXPECT_TRUE(IsFieldError(As(fad_member_, "POST", Url("plan-indicators"), ind), "ind_CurrentValue", "computed"));
  ind.erase("ind_CurrentValue");
  ind.erase("ind_Query");
  EXPECT_TRUE(IsFieldError(As(fad_member_, "POST", Url("plan-indicators"), ind), "ind_Query", "required_with"));
  ind["ind_Query"] = "PersonsCounted";
  EXPECT_TRUE(IsFieldError(As(fad_member_, "POST", Url("plan-indicators"), ind), "ind_Query", "codelist"));
  // Directives: subject required, due date not before issue.
  EXPECT_TRUE(IsFieldError(As(chair_, "POST", Url("directives"), {{"dir_Text", "x"}, {"dir_DueDate", "2025-07-01"}}),
                           "dir_Subject", "required"));
  EXPECT_TRUE(IsFieldError(
      As(chair_, "POST", Url("directives"),
         {{"dir_Subject", "x"}, {"dir_Text", "x"}, {"dir_DueDate", "2025-07-01"}, {"dir_IssuedOn", "2025-07-02"}}),
      "dir_DueDate", "date_order"));
  // The server stamps answers; the plan takes no query parameters.
  const json d =
      CreateAs(chair_, "directives", {{"dir_Subject", "x"}, {"dir_Text", "x"}, {"dir_DueDate", "2025-07-01"}});
  EXPECT_TRUE(IsError(As(chair_, "POST", Url("directive-recipients"),
                         {{"directive_id", d["id"]}, {"agency_id", hxy_}, {"drc_DoneAt", "2025-06-15T00:00:00.000Z"}}),
                      400, "invalid_argument", "drc_DoneAt", "managed"));
  EXPECT_TRUE(
      IsFieldError(As(chair_, "GET", "/api/v1/taskforces/" + tf + "/plan?year=2025"), "year", "unknown_parameter"));
  // Nothing of the refused writes was stored.
  EXPECT_EQ(Count("plan-activities"), 0u);
  EXPECT_EQ(Count("plan-indicators"), 0u);
  EXPECT_EQ(Count("directive-recipients"), 0u);
}

TEST_F(Issue7Taskforce, FollowUpBecomesALinkedActivity) {
  const std::string tf = MakeTaskforce();
  const std::string objective = MakeObjective(chair_, tf);
  const json meeting =
      CreateAs(fad_member_, "taskforce-meetings",
               {{"taskforce_id", tf},
                {"mtg_Date", "2025-06-10"},
                {"mtg_Place", "Provincial Police Department, Houayxay"},
                {"mtg_Attendees", {{{"agency_id", ppd_}}, {{"agency_id", fad_}}}},
                {"mtg_Decisions", {"Inspect SEZ companies in July"}},
                {"mtg_Minutes", "Unpaid wages and sold contracts discussed."},
                {"mtg_FollowUps",
                 {{{"fup_Action", "List workers without passports"}, {"agency_id", fad_}, {"fup_Due", "2025-07-31"}},
                  {{"fup_Action", "Brief village chiefs"}, {"agency_id", ppd_}}}}});
  const std::string base = "/api/v1/taskforce-meetings/" + meeting["id"].get<std::string>() + "/follow-ups/";
  // A non-member cannot; a bad index and a missing objective are 400.
  EXPECT_EQ(As(outsider_, "POST", base + "0/activity", {{"objective_id", objective}}).status, 403);
  EXPECT_TRUE(
      IsFieldError(As(fad_member_, "POST", base + "7/activity", {{"objective_id", objective}}), "index", "range"));
  EXPECT_TRUE(IsFieldError(As(fad_member_, "POST", base + "0/activity", json::object()), "objective_id", "required"));
  // Follow-up 1 has no due date: the activity needs an end date.
  EXPECT_TRUE(IsFieldError(As(fad_member_, "POST", base + "1/activity", {{"objective_id", objective}}), "act_EndDate",
                           "required"));

  Reply r = As(fad_member_, "POST", base + "0/activity", {{"objective_id", objective}});
  ASSERT_EQ(r.status, 201) << Describe(r);
  const json activity = r.Json()["activity"];
  EXPECT_EQ(activity["meeting_id"], meeting["id"]);
  EXPECT_EQ(activity["act_FollowUpIndex"], 0);
  EXPECT_EQ(activity["act_Title"], "List workers without passports");
  EXPECT_EQ(activity["act_EndDate"], "2025-07-31");
  EXPECT_EQ(activity["act_StartDate"], "2025-06-10");
  EXPECT_EQ(activity["responsible_agency_id"], fad_);
  const json linked = Read("taskforce-meetings", meeting["id"]);
  EXPECT_EQ(linked["mtg_FollowUps"][0]["activity_id"], activity["id"]);
  EXPECT_EQ(linked["version"], 2);
  // Once linked, not again.
  EXPECT_TRUE(IsError(As(fad_member_, "POST", base + "0/activity", {{"objective_id", objective}}), 409, "conflict",
                      "index", "already_linked"));
  // A client cannot link a follow-up to an activity made from another one.
  json fups = linked["mtg_FollowUps"];
  fups[1]["activity_id"] = activity["id"];
  EXPECT_TRUE(IsFieldError(PatchAs(fad_member_, "taskforce-meetings", meeting["id"], {{"mtg_FollowUps", fups}}),
                           "mtg_FollowUps[1].activity_id", "link"));
  // The plan shows it under its objective.
  const json plan = Plan(chair_, tf);
  EXPECT_FALSE(FindBy(plan["objectives"][0]["activities"], "id", activity["id"]).is_null());
  EXPECT_EQ(plan["meetings"][0]["mtg_FollowUps"][0]["activity_id"], activity["id"]);
}

TEST_F(Issue7Taskforce, RecipientsAnswerForThemselvesAndTheIssuerSeesEachStatus) {
  const Directive d = IssueDirective("2025-06-20");
  // Only the issuing agency adds recipients.
  EXPECT_TRUE(IsError(As(tph_, "POST", Url("directive-recipients"), {{"directive_id", d.id}, {"agency_id", mng_}}), 403,
                      "permission_denied", "directive_id", "issuer_only"));
  // The same agency twice is refused.
  EXPECT_EQ(As(chair_, "POST", Url("directive-recipients"), {{"directive_id", d.id}, {"agency_id", hxy_}}).status, 409);
  // A directive is issued by the caller's own agency.
  EXPECT_TRUE(
      IsError(As(tph_, "POST", Url("directives"),
                 {{"dir_Subject", "x"}, {"dir_Text", "x"}, {"dir_DueDate", "2025-07-01"}, {"issuing_agency_id", ppd_}}),
              403, "permission_denied", "issuing_agency_id", "scope"));

  // TPH acknowledges its own; it cannot touch HXY's; the issuer cannot answer for them.
  Reply ack = PatchAs(tph_, "directive-recipients", d.to_tph, {{"drc_Status", "Acknowledged"}});
  ASSERT_EQ(ack.status, 200) << Describe(ack);
  EXPECT_EQ(ack.Json()["drc_AcknowledgedAt"].get<std::string>().substr(0, 10), kToday);
  EXPECT_TRUE(IsError(PatchAs(tph_, "directive-recipients", d.to_hxy, {{"drc_Status", "Done"}}), 403,
                      "permission_denied", "drc_Status", "recipient_only"));
  EXPECT_TRUE(IsError(PatchAs(chair_, "directive-recipients", d.to_hxy, {{"drc_Status", "Done"}}), 403,
                      "permission_denied", "drc_Status", "recipient_only"));
  EXPECT_EQ(Read("directive-recipients", d.to_hxy)["drc_Status"], "Sent");
  // Progress notes, then done; the status does not go back.
  EXPECT_EQ(PatchAs(tph_, "directive-recipients", d.to_tph,
                    {{"drc_Status", "InProgress"},
                     {"drc_Progress", {{{"prg_Date", kToday}, {"prg_Note", "Screening in three villages"}}}}})
                .status,
            200);
  EXPECT_TRUE(IsFieldError(PatchAs(tph_, "directive-recipients", d.to_tph, {{"drc_Status", "Sent"}}), "drc_Status",
                           "transition"));
  EXPECT_EQ(PatchAs(hxy_s_, "directive-recipients", d.to_hxy, {{"drc_Status", "Done"}}).status, 200);
  EXPECT_FALSE(Read("directive-recipients", d.to_hxy)["drc_DoneAt"].get<std::string>().empty());

  // The issuer's outbox: the status of each recipient.
  Reply out = As(chair_, "GET", "/api/v1/directives/outbox");
  ASSERT_EQ(out.status, 200) << Describe(out);
  ASSERT_EQ(out.Json()["items"].size(), 1u);
  const json recipients = out.Json()["items"][0]["recipients"];
  ASSERT_EQ(recipients.size(), 2u);
  EXPECT_EQ(FindBy(recipients, "id", d.to_tph)["drc_Status"], "InProgress");
  EXPECT_EQ(FindBy(recipients, "id", d.to_hxy)["drc_Status"], "Done");
  EXPECT_EQ(out.Json()["items"][0]["overdue"], false);
  // The recipient's inbox: only its own answer.
  Reply in = As(tph_, "GET", "/api/v1/directives/inbox");
  ASSERT_EQ(in.status, 200) << Describe(in);
  ASSERT_EQ(in.Json()["items"].size(), 1u);
  ASSERT_EQ(in.Json()["items"][0]["recipients"].size(), 1u);
  EXPECT_EQ(in.Json()["items"][0]["recipients"][0]["id"], d.to_tph);
  EXPECT_EQ(As(outsider_, "GET", "/api/v1/directives/inbox").Json()["items"].size(), 0u);
  // Every answer is in the recipient record's history, by its author.
  const json history = History("directive-recipients", d.to_tph);
  EXPECT_EQ(history.size(), 3u);
}

TEST_F(Issue7Taskforce, OverdueItemsReachTheDashboardTasksAndNotifications) {
  const std::string tf = MakeTaskforce();
  const std::string objective = MakeObjective(fad_member_, tf);
  const json activity = CreateAs(fad_member_, "plan-activities", ActivityBody(tf, objective, "2025-06-18"));
  const Directive d = IssueDirective("2025-06-20");
  EXPECT_EQ(PatchAs(hxy_s_, "directive-recipients", d.to_hxy, {{"drc_Status", "Done"}}).status, 200);

  // Not overdue yet.
  Reply dash = As(tph_, "GET", "/api/v1/dashboard/overdue");
  ASSERT_EQ(dash.status, 200) << Describe(dash);
  EXPECT_EQ(dash.Json()["overdue_directives_received"].size(), 0u);
  // The recipient has an open task for it, due at the end of the due date.
  json tasks = As(tph_, "GET", "/api/v1/tasks").Json()["items"];
  json task = FindBy(tasks, "record_id", d.to_tph);
  ASSERT_FALSE(task.is_null()) << tasks.dump();
  EXPECT_EQ(task["kind"], "ActOnDirective");
  EXPECT_EQ(task["due_at"], "2025-06-20T23:59:59.999Z");
  EXPECT_EQ(task["overdue"], false);
  // HXY answered: its task is closed.
  EXPECT_TRUE(FindBy(As(hxy_s_, "GET", "/api/v1/tasks").Json()["items"], "record_id", d.to_hxy).is_null());

  server().clock().Advance(std::chrono::hours(24 * 7));  // 2025-06-22
  SignInAll();
  dash = As(tph_, "GET", "/api/v1/dashboard/overdue");
  ASSERT_EQ(dash.status, 200) << Describe(dash);
  ASSERT_EQ(dash.Json()["overdue_directives_received"].size(), 1u);
  EXPECT_EQ(dash.Json()["overdue_directives_received"][0]["directive"]["id"], d.id);
  EXPECT_EQ(As(hxy_s_, "GET", "/api/v1/dashboard/overdue").Json()["overdue_directives_received"].size(), 0u);
  // The issuer sees its directive overdue, flagged on the late recipient only.
  dash = As(chair_, "GET", "/api/v1/dashboard/overdue");
  ASSERT_EQ(dash.Json()["overdue_directives_issued"].size(), 1u);
  const json recipients = dash.Json()["overdue_directives_issued"][0]["recipients"];
  EXPECT_EQ(FindBy(recipients, "id", d.to_tph)["overdue"], true);
  EXPECT_EQ(FindBy(recipients, "id", d.to_hxy)["overdue"], false);
  // The late activity: on the dashboard of its taskforce's members.
  ASSERT_EQ(dash.Json()["overdue_activities"].size(), 1u);
  EXPECT_EQ(dash.Json()["overdue_activities"][0]["id"], activity["id"]);
  EXPECT_EQ(As(fad_member_, "GET", "/api/v1/dashboard/overdue").Json()["overdue_activities"].size(), 1u);
  EXPECT_EQ(As(outsider_, "GET", "/api/v1/dashboard/overdue").Json()["overdue_activities"].size(), 0u);

  // Tasks: overdue; notifications: TaskDue for the recipient and for the
  // activity's responsible agency.
  task = FindBy(As(tph_, "GET", "/api/v1/tasks?overdue=true").Json()["items"], "record_id", d.to_tph);
  ASSERT_FALSE(task.is_null());
  EXPECT_EQ(task["overdue"], true);
  json notes = As(tph_, "GET", "/api/v1/notifications").Json()["items"];
  json note = FindBy(notes, "record_id", task["id"]);
  ASSERT_FALSE(note.is_null()) << notes.dump();
  EXPECT_EQ(note["kind"], "TaskDue");
  json fad_task =
      FindBy(As(fad_member_, "GET", "/api/v1/tasks?overdue=true").Json()["items"], "record_id", activity["id"]);
  ASSERT_FALSE(fad_task.is_null());
  EXPECT_EQ(fad_task["kind"], "CompleteActivity");
  EXPECT_FALSE(
      FindBy(As(fad_member_, "GET", "/api/v1/notifications").Json()["items"], "record_id", fad_task["id"]).is_null());

  // Done: no longer overdue anywhere, the task closed.
  EXPECT_EQ(PatchAs(tph_, "directive-recipients", d.to_tph, {{"drc_Status", "Done"}}).status, 200);
  EXPECT_EQ(As(tph_, "GET", "/api/v1/dashboard/overdue").Json()["overdue_directives_received"].size(), 0u);
  EXPECT_EQ(As(chair_, "GET", "/api/v1/dashboard/overdue").Json()["overdue_directives_issued"].size(), 0u);
  EXPECT_TRUE(FindBy(As(tph_, "GET", "/api/v1/tasks").Json()["items"], "record_id", d.to_tph).is_null());
  // Moving the activity's end date replaces its task.
  EXPECT_EQ(PatchAs(fad_member_, "plan-activities", activity["id"], {{"act_EndDate", "2025-09-30"}}).status, 200);
  json moved = FindBy(As(fad_member_, "GET", "/api/v1/tasks").Json()["items"], "record_id", activity["id"]);
  ASSERT_FALSE(moved.is_null());
  EXPECT_EQ(moved["due_at"], "2025-09-30T23:59:59.999Z");
  EXPECT_EQ(As(chair_, "GET", "/api/v1/dashboard/overdue").Json()["overdue_activities"].size(), 0u);
}

TEST_F(Issue7Taskforce, NamedQueryIndicatorsEqualTheReportFigures) {
  // Live data: a case of the TPH committee with assistance today, a referral
  // from it to FAD (answer due in 48 hours).
  const World w = MakeWorld();
  CreateAs(stats_, "referrals",
           {{"case_id", w.case_id},
            {"to_agency_id", fad_},
            {"ref_Reason", "Repatriation to Myanmar"},
            {"ref_ServicesRequested", {"Repatriation"}}});
  const std::string tf = MakeTaskforce();
  const std::string objective = MakeObjective(chair_, tf);
  for (const char* q : {"PersonsRepatriatedThisYear", "ReferralsAnsweredWithin48h", "VictimsResolvedInvestigations",
                        "PersonsAssistedByDistrictCommittees"}) {
    CreateAs(chair_, "plan-indicators",
             {{"taskforce_id", tf},
              {"objective_id", objective},
              {"ind_Name", q},
              {"ind_Baseline", 0},
              {"ind_Target", 100},
              {"ind_Source", "Query"},
              {"ind_Query", q},
              {"ind_Location", "LA-BK"}});
  }
  auto indicators = [&](const Session& s) {
    std::map<std::string, json> out;
    const json plan = Plan(s, tf);
    for (const auto& i : plan["objectives"][0]["indicators"]) out[i["ind_Query"]] = i;
    return out;
  };
  auto report = [&](const std::string& name) {
    Reply r = As(stats_, "GET", "/api/v1/reports/" + name + "?location=LA-BK&from=2025-01-01");
    EXPECT_EQ(r.status, 200) << Describe(r);
    return r.Json();
  };
  // Read by a role with identity access: no small-cell suppression.
  server().AddUser("stats_member", "BK-PPD", "tf_all");
  const Session stats_member = server().SignIn("stats_member");
  auto ind = indicators(stats_member);
  ASSERT_EQ(ind.size(), 4u);
  json assistance = report("assistance");
  json flows = report("flows");
  double dmc = 0;
  for (const auto& t : assistance["assisted_by"]["agency_types"]) {
    if (t["type"] == "DistrictManagementCommittee") dmc = t["persons"].get<double>();
  }
  EXPECT_EQ(dmc, 1);  // the World's person, assisted by the TPH committee today
  EXPECT_EQ(ind["PersonsAssistedByDistrictCommittees"]["current_value"], dmc);
  EXPECT_EQ(ind["VictimsResolvedInvestigations"]["current_value"], assistance["resolved_by_police"]["persons"]);
  double repatriated = 0;
  for (const char* s : {"Departed", "Received", "FollowedUp"}) {
    repatriated += flows["repatriations"]["by_state"].value(s, 0.0);
  }
  EXPECT_EQ(ind["PersonsRepatriatedThisYear"]["current_value"], repatriated);
  EXPECT_EQ(flows["referrals"]["total"]["sent"], 1);
  EXPECT_EQ(ind["ReferralsAnsweredWithin48h"]["current_value"], 100.0);  // not overdue yet
  EXPECT_EQ(ind["PersonsAssistedByDistrictCommittees"]["computed"], true);
  EXPECT_EQ(ind["PersonsAssistedByDistrictCommittees"]["period"]["from"], "2025-01-01");
  EXPECT_DOUBLE_EQ(ind["PersonsAssistedByDistrictCommittees"]["progress"].get<double>(), 0.01);

  // Three days later the referral is unanswered past its 48 hours: the
  // indicator follows the live figures without anyone retyping them.
  server().clock().Advance(std::chrono::hours(72));
  SignInAll();
  const Session again = server().SignIn("stats_member");
  ind = indicators(again);
  flows = report("flows");
  EXPECT_EQ(flows["referrals"]["total"]["overdue"], 1);
  EXPECT_EQ(ind["ReferralsAnsweredWithin48h"]["current_value"], 0.0);

  // A taskforce member without identity access gets the same figures with
  // small-cell suppression: a count of 1 is not shown.
  ind = indicators(chair_);
  EXPECT_TRUE(ind["PersonsAssistedByDistrictCommittees"]["current_value"].is_null());
  EXPECT_EQ(ind["PersonsAssistedByDistrictCommittees"]["suppressed"], true);
}

// The central directory of a zip archive: the names of its members.
std::set<std::string> ZipMembers(const std::string& bytes) {
  std::set<std::string> out;
  for (std::size_t at = bytes.find("PK\x01\x02"); at != std::string::npos && at + 46 <= bytes.size();
       at = bytes.find("PK\x01\x02", at + 4)) {
    const auto u16 = [&](std::size_t o) {
      return static_cast<std::size_t>(static_cast<unsigned char>(bytes[at + o])) |
             (static_cast<std::size_t>(static_cast<unsigned char>(bytes[at + o + 1])) << 8);
    };
    const std::size_t name_length = u16(28);
    if (at + 46 + name_length > bytes.size()) break;
    out.insert(bytes.substr(at + 46, name_length));
  }
  return out;
}

TEST_F(Issue7Taskforce, PlanExportsAsXlsxAndAsAPrintablePage) {
  const std::string tf = MakeTaskforce();
  const std::string objective = CreateAs(fad_member_, "plan-objectives",
                                         {{"taskforce_id", tf},
                                          {"obj_Code", "O1"},
                                          {"obj_Title", "Stop <script>fee</script> demands & debt bondage"}})["id"];
  CreateAs(fad_member_, "plan-activities", ActivityBody(tf, objective, "2025-06-01"));
  CreateAs(fad_member_, "taskforce-meetings", {{"taskforce_id", tf}, {"mtg_Date", "2025-06-10"}});

  Reply x = As(fad_member_, "GET", "/api/v1/taskforces/" + tf + "/plan.xlsx");
  ASSERT_EQ(x.status, 200) << Describe(x);
  EXPECT_EQ(x.Header("Content-Type"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  ASSERT_GE(x.body.size(), 4u);
  EXPECT_EQ(x.body.substr(0, 4), std::string("PK\x03\x04", 4));
  const std::set<std::string> members = ZipMembers(x.body);
  for (const char* name : {"xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
                           "xl/worksheets/sheet3.xml", "xl/worksheets/sheet4.xml", "xl/worksheets/sheet5.xml"}) {
    EXPECT_TRUE(members.contains(name)) << name;
  }
  EXPECT_FALSE(members.contains("xl/worksheets/sheet6.xml"));

  Reply p = As(fad_member_, "GET", "/api/v1/taskforces/" + tf + "/plan/print");
  ASSERT_EQ(p.status, 200) << Describe(p);
  EXPECT_EQ(p.Header("Content-Type").rfind("text/html", 0), 0u);
  EXPECT_NE(p.body.find("Bokeo taskforce"), std::string::npos);
  EXPECT_NE(p.body.find("Stop &lt;script&gt;fee&lt;/script&gt; demands &amp; debt bondage"), std::string::npos);
  EXPECT_EQ(p.body.find("<script>"), std::string::npos);
  EXPECT_NE(p.body.find("class=\"Late\""), std::string::npos);
  EXPECT_NE(p.body.find("@media print"), std::string::npos);
  EXPECT_EQ(p.Header("Content-Security-Policy").find("script-src"), std::string::npos);
  // Who may not read the plan may not export it.
  EXPECT_EQ(As(analyst_, "GET", "/api/v1/taskforces/" + tf + "/plan.xlsx").status, 403);
  EXPECT_EQ(As(fad_member_, "GET", "/api/v1/taskforces/0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b/plan.xlsx").status, 404);
}

// `ctims demo`'s taskforce: a plan with every status, linked follow-ups,
// computed indicators and directives with mixed answers; the same ids on
// every run.
TEST_F(Issue7Taskforce, DemoTaskforceIsPlausibleAndDeterministic) {
  app::DemoOptions options;
  options.cipher = &server().cipher();
  auto seeded = app::SeedDemoTaskforce(server().store(), options, app::SystemPrincipal());
  ASSERT_TRUE(seeded.ok()) << seeded.status().ToString();
  EXPECT_GT(seeded->records, 40);
  EXPECT_EQ(app::SeedDemoTaskforce(server().store(), options, app::SystemPrincipal()).status().code(),
            core::StatusCode::kConflict);

  const std::vector<json> taskforces = ListAll("taskforces");
  ASSERT_EQ(taskforces.size(), 1u);
  const json plan = Plan(chair_, taskforces[0]["id"]);
  EXPECT_EQ(plan["taskforce"]["chair_agency"]["code"], "BK-PPD");
  ASSERT_EQ(plan["objectives"].size(), 5u);
  std::set<std::string> problems, statuses, queries;
  std::size_t activities = 0;
  for (const auto& o : plan["objectives"]) {
    for (const auto& p : o.value("obj_Problems", json::array())) problems.insert(p);
    for (const auto& a : o["activities"]) {
      ++activities;
      statuses.insert(a["act_Status"].get<std::string>());
    }
    for (const auto& i : o["indicators"]) {
      if (i["computed"] == true) queries.insert(i["ind_Query"].get<std::string>());
    }
  }
  EXPECT_EQ(problems, (std::set<std::string>{"UnpaidWages", "ContractSold", "FeeDemands", "NoPassport",
                                             "OnlineSexualExploitation", "Surrogacy", "PoorConditions"}));
  EXPECT_EQ(activities, 12u);
  EXPECT_EQ(statuses, (std::set<std::string>{"NotStarted", "OnTrack", "AtRisk", "Done"}));
  EXPECT_EQ(queries.size(), 4u);
  ASSERT_EQ(plan["meetings"].size(), 2u);
  std::size_t linked = 0;
  for (const auto& m : plan["meetings"]) {
    for (const auto& f : m["mtg_FollowUps"]) linked += f.contains("activity_id") ? 1 : 0;
  }
  EXPECT_EQ(linked, 5u);
  // The commission's side instructs the provincial police and the
  // committees; some answered, some are overdue.
  const json inbox = As(tph_, "GET", "/api/v1/directives/inbox").Json()["items"];
  ASSERT_EQ(inbox.size(), 2u);
  EXPECT_EQ(inbox[0]["overdue"], true);
  const json outbox = As(chair_, "GET", "/api/v1/directives/outbox").Json()["items"];
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(outbox[0]["recipients"].size(), 3u);
  std::set<std::string> answers;
  for (const auto& r : ListAll("directive-recipients")) answers.insert(r["drc_Status"].get<std::string>());
  EXPECT_EQ(answers, (std::set<std::string>{"Sent", "Acknowledged", "InProgress", "Done"}));

  // A second database gets the same records under the same ids.
  const auto dir = server().dir() / "second";
  std::filesystem::create_directories(dir);
  auto store = storage::sqlite::OpenSqliteStore({.path = (dir / "second.db").string()});
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Migrate().ok());
  app::RecordService service(**store, domain::CodeLists::Builtin(), server().clock());
  ASSERT_TRUE(app::LoadReferenceData(service, app::SystemPrincipal()).ok());
  ASSERT_TRUE(app::SeedDemoTaskforce(**store, options, app::SystemPrincipal()).ok());
  for (const char* resource : {"taskforces", "plan-activities", "directive-recipients", "taskforce-meetings"}) {
    auto theirs = service.List(*domain::FindResource(resource), {{}, "500", std::nullopt}, app::SystemPrincipal());
    ASSERT_TRUE(theirs.ok());
    std::vector<std::string> a, b;
    for (const auto& r : (*theirs)["items"]) a.push_back(r["id"]);
    for (const auto& r : ListAll(resource)) b.push_back(r["id"]);
    EXPECT_EQ(a, b) << resource;
  }
}

}  // namespace
}  // namespace ctims::api_test
