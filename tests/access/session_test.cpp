// Sessions, CSRF, throttling and TOTP over real HTTP (issue 3 §2; ASVS 4.0.3
// 2.2.1, 2.8.4, 3.2.1, 3.3.1, 3.3.2, 3.4.1-3.4.3, 4.1.2, 4.2.2, 4.3.1), with
// the fixture's ManualClock for every timeout. Every request comes from
// 127.0.0.1, so the per-IP throttle counts every failure of a test.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "access/access_test_util.hpp"
#include "app/auth_service.hpp"
#include "domain/access.hpp"
#include "http/server.hpp"

namespace ctims::access_test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kNewPassword = "a brand new passphrase for 2025";
constexpr const char* kReason = "Trafficking ring investigation, warrant 2025/117 for Ton Pheung";
constexpr const char* kSomeId = "0197a000-0000-7000-8000-000000000001";

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The attributes of a Set-Cookie value, lower-cased and trimmed.
std::set<std::string> CookieAttributes(const std::string& set_cookie) {
  std::set<std::string> out;
  std::size_t start = set_cookie.find(';');
  while (start != std::string::npos) {
    const std::size_t end = set_cookie.find(';', start + 1);
    std::string attr = set_cookie.substr(start + 1, end == std::string::npos ? std::string::npos : end - start - 1);
    while (!attr.empty() && attr.front() == ' ') attr.erase(attr.begin());
    while (!attr.empty() && attr.back() == ' ') attr.pop_back();
    out.insert(Lower(attr));
    start = end;
  }
  return out;
}

// Fills the "{...}" segments of a route template.
std::string FillPath(const std::string& path, const std::string& value) {
  std::string out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '{') {
      const std::size_t close = path.find('}', i);
      out += value;
      i = close + 1;
    } else {
      out += path[i++];
    }
  }
  return out;
}

bool IsStateChanging(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}
bool HasBody(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>();
    worker_id_ = server_->AddUser("worker", "BK-DMC-TPH", "case_worker");
  }

  Reply SignInReply(const std::string& username, const std::string& password,
                    const std::optional<std::string>& totp = std::nullopt, const httplib::Headers& headers = {}) {
    json body = {{"username", username}, {"password", password}};
    if (totp) body["totp_code"] = *totp;
    return Send(server_->port(), "POST", "/api/v1/session", body.dump(), kJson, headers);
  }

  Reply Me(const Session& s) { return Call(*server_, s, "GET", "/api/v1/session"); }

  // A role with every permission (so that only CSRF can stop a request),
  // and a user of it with TOTP enrolled, signed in.
  Session SignInSuperuser() {
    server_->PutRole(R"({"code": "test_super", "name_lo": "ທົດສອບ", "name_en": "Test: super", "scope": "all",
      "permissions": [{"resource": "*", "actions": ["read", "list", "create", "update", "delete", "history",
                                                  "break_glass"]},
                      {"resource": "users", "actions": ["manage_users"]},
                      {"resource": "roles", "actions": ["manage_roles"]}],
      "read_groups": ["general", "identity", "contact", "health", "narrative", "investigation"],
      "write_groups": ["general", "identity", "contact", "health", "narrative", "investigation"],
      "requires_totp": true})");
    super_id_ = server_->AddUser("super", "BK-PPD", "test_super");
    auto enrolment = server_->auth().EnrolTotpForUser("super");
    EXPECT_TRUE(enrolment.ok()) << enrolment.status().ToString();
    return server_->SignIn("super", TestServer::kPassword, server_->TotpNow(enrolment->secret_base32));
  }

  std::unique_ptr<TestServer> server_;
  std::string worker_id_;
  std::string super_id_;
};

// ---- cookie ---------------------------------------------------------------

TEST_F(SessionTest, CookieIsHttpOnlySameSiteStrictPathApiAndNotSecureWithoutTls) {
  Reply r = SignInReply("worker", TestServer::kPassword);
  ASSERT_EQ(r.status, 201) << Describe(r);
  const std::string set_cookie = r.Header("Set-Cookie");
  ASSERT_EQ(set_cookie.rfind(std::string(http::kSessionCookie) + "=", 0), 0u) << set_cookie;
  const auto attrs = CookieAttributes(set_cookie);
  EXPECT_TRUE(attrs.contains("httponly")) << "ASVS 3.4.2 HttpOnly: " << set_cookie;
  EXPECT_TRUE(attrs.contains("samesite=strict")) << "ASVS 3.4.3 SameSite=Strict: " << set_cookie;
  EXPECT_TRUE(attrs.contains("path=/api")) << "Path=/api: " << set_cookie;
  EXPECT_FALSE(attrs.contains("secure")) << "Secure only with TLS (ServerOptions::secure_cookies): " << set_cookie;
  const std::string token = TestServer::SessionOf(r).cookie.substr(std::string(http::kSessionCookie).size() + 1);
  EXPECT_GE(token.size(), 32u) << "a session token needs >= 128 bits";
  EXPECT_EQ(r.body.find(token), std::string::npos) << "the session token is in the response body";
  EXPECT_EQ(r.Header("Cache-Control"), "no-store");
}

// ---- sign-in failures -----------------------------------------------------

TEST_F(SessionTest, UnknownUserWrongPasswordAndDisabledAccountGetTheIdenticalAnswer) {
  server_->AddUser("disabled_user", "BK-DMC-TPH", "case_worker");
  ASSERT_TRUE(server_->auth().DisableUser("disabled_user").ok());
  Reply unknown = SignInReply("nobody_here", "whatever password 123");
  Reply wrong = SignInReply("worker", "whatever password 123");
  Reply disabled = SignInReply("disabled_user", TestServer::kPassword);
  EXPECT_EQ(unknown.status, 401) << Describe(unknown);
  EXPECT_EQ(wrong.status, unknown.status) << "rule generic error: " << Describe(wrong);
  EXPECT_EQ(wrong.body, unknown.body) << "rule generic error: unknown user and wrong password must not differ";
  EXPECT_EQ(disabled.status, unknown.status);
  EXPECT_EQ(disabled.body, unknown.body) << "rule generic error: a disabled account must not be revealed";
  EXPECT_FALSE(unknown.HasHeader("Set-Cookie"));
  EXPECT_FALSE(wrong.HasHeader("Set-Cookie"));
}

TEST_F(SessionTest, FiveFailuresLockTheAccountForFifteenMinutes) {
  const app::AuthOptions defaults;
  ASSERT_EQ(defaults.max_failures, 5);
  ASSERT_EQ(defaults.lockout, 15min);
  // Four failures and a success: the count starts again.
  for (int i = 0; i < 4; ++i) ASSERT_EQ(SignInReply("worker", "wrong password " + std::to_string(i)).status, 401);
  ASSERT_EQ(SignInReply("worker", TestServer::kPassword).status, 201) << "4 failures must not lock";
  for (int i = 0; i < 5; ++i) ASSERT_EQ(SignInReply("worker", "wrong password " + std::to_string(i)).status, 401);
  const Reply generic = SignInReply("nobody_here", "wrong password x");
  Reply locked = SignInReply("worker", TestServer::kPassword);
  EXPECT_EQ(locked.status, 401) << "rule lockout: after 5 failures even the right password fails: " << Describe(locked);
  EXPECT_EQ(locked.body, generic.body) << "rule generic error: the lock must not be revealed";
  server_->clock().Advance(15min - 1s);
  EXPECT_EQ(SignInReply("worker", TestServer::kPassword).status, 401) << "rule lockout: still locked at 14:59";
  server_->clock().Advance(1s);
  Reply after = SignInReply("worker", TestServer::kPassword);
  EXPECT_EQ(after.status, 201) << "rule lockout: the lock ends after 15 minutes: " << Describe(after);
}

TEST_F(SessionTest, PerIpThrottleRefusesEveryoneFromTheAddressAfterIpMaxFailures) {
  const app::AuthOptions defaults;
  const int limit = defaults.ip_max_failures;
  // Failures spread over unknown usernames (no account lock is involved).
  for (int i = 0; i < limit - 1; ++i) {
    ASSERT_EQ(SignInReply("stranger" + std::to_string(i), "wrong password 123").status, 401);
  }
  ASSERT_EQ(SignInReply("worker", TestServer::kPassword).status, 201)
      << "rule ip throttle: " << limit - 1 << " failures must not throttle yet";
  ASSERT_EQ(SignInReply("stranger_last", "wrong password 123").status, 401);
  Reply throttled = SignInReply("worker", TestServer::kPassword);
  EXPECT_EQ(throttled.status, 401) << "rule ip throttle: after " << limit
                                   << " failures from 127.0.0.1 (a success does not reset the count) every sign-in "
                                      "from it fails: "
                                   << Describe(throttled);
  server_->AddUser("other_worker", "BK-DMC-TPH", "case_worker");
  EXPECT_EQ(SignInReply("other_worker", TestServer::kPassword).status, 401) << "rule ip throttle: any account";
  server_->clock().Advance(defaults.lockout);
  Reply after = SignInReply("worker", TestServer::kPassword);
  EXPECT_EQ(after.status, 201) << "rule ip throttle: ends after the lockout: " << Describe(after);
}

// ---- timeouts ---------------------------------------------------------------

TEST_F(SessionTest, IdleSessionEndsAfterThirtyMinutes) {
  const Session s = server_->SignIn("worker");
  server_->clock().Advance(29min);
  ASSERT_EQ(Me(s).status, 200) << "29 idle minutes";
  server_->clock().Advance(29min);
  ASSERT_EQ(Me(s).status, 200) << "activity keeps the session alive (58 minutes old, 29 idle)";
  server_->clock().Advance(30min);
  Reply r = Me(s);
  EXPECT_EQ(r.status, 401) << "rule idle timeout (ASVS 3.3.2): 30 idle minutes end the session: " << Describe(r);
  EXPECT_EQ(ErrorCode(r), "unauthenticated");
  server_->clock().Advance(-30min);
  EXPECT_EQ(Me(s).status, 401) << "an expired session is gone for good, not only hidden";
}

TEST_F(SessionTest, SessionEndsTwelveHoursAfterSignInWhateverTheActivity) {
  const Session s = server_->SignIn("worker");
  auto elapsed = 0min;
  while (elapsed + 25min < 12h) {
    server_->clock().Advance(25min);
    elapsed += 25min;
    ASSERT_EQ(Me(s).status, 200) << "active session at " << elapsed.count() << " minutes";
  }
  server_->clock().Advance(12h - elapsed);
  Reply r = Me(s);
  EXPECT_EQ(r.status, 401) << "rule absolute timeout (ASVS 3.3.2): 12 hours after sign-in: " << Describe(r);
}

// ---- sign-out and session ids ------------------------------------------------

TEST_F(SessionTest, SignOutInvalidatesTheSessionAtOnce) {
  const Session s = server_->SignIn("worker");
  const Session other = server_->SignIn("worker");
  ASSERT_EQ(Me(s).status, 200);
  Reply out = Call(*server_, s, "DELETE", "/api/v1/session");
  ASSERT_EQ(out.status, 204) << Describe(out);
  EXPECT_TRUE(CookieAttributes(out.Header("Set-Cookie")).contains("max-age=0"))
      << "sign-out clears the cookie: " << out.Header("Set-Cookie");
  Reply me = Me(s);
  EXPECT_EQ(me.status, 401) << "rule sign-out (ASVS 3.3.1): the old cookie must be dead: " << Describe(me);
  EXPECT_EQ(Call(*server_, s, "GET", Url("cases")).status, 401);
  EXPECT_EQ(Call(*server_, s, "POST", Url("persons"), json{{"prs_FirstName", "x"}}).status, 401);
  EXPECT_EQ(Me(other).status, 200) << "signing out ends this session only";
}

TEST_F(SessionTest, EverySignInGetsANewSessionIdEvenWhenACookieIsPresented) {
  const Session first = server_->SignIn("worker");
  const Session second = server_->SignIn("worker");
  EXPECT_NE(first.cookie, second.cookie) << "rule new session id (ASVS 3.2.1)";
  EXPECT_NE(first.csrf, second.csrf) << "a new CSRF token per session";
  // Session fixation: a sign-in carrying an existing cookie still gets a new one.
  Reply r = SignInReply("worker", TestServer::kPassword, std::nullopt, {{"Cookie", first.cookie}});
  ASSERT_EQ(r.status, 201) << Describe(r);
  const Session third = TestServer::SessionOf(r);
  EXPECT_NE(third.cookie, first.cookie) << "rule new session id: the presented cookie was adopted";
  EXPECT_EQ(Me(third).status, 200);
}

// ---- CSRF -------------------------------------------------------------------

// Everything a state-changing route needs to succeed for a superuser, so that
// a refusal is CSRF's doing and "nothing written" means something.
class CsrfTest : public SessionTest {
 protected:
  void SetUp() override {
    SessionTest::SetUp();
    session_ = SignInSuperuser();
    tph_ = SystemIdByCode(*server_, "agencies", "org_Code", "BK-DMC-TPH");
    const app::Principal tph_user = ActingAs(worker_id_, tph_);
    person_ = CreateAs(*server_, tph_user, "persons", {{"prs_FirstName", "ບຸນມີ"}});
    case_ = CreateAs(*server_, tph_user, "cases", {{"person_id", person_}, {"owner_agency_id", tph_}});
    protected_case_ = CreateAs(*server_, tph_user, "cases",
                               {{"person_id", person_}, {"owner_agency_id", tph_}, {"cas_Protected", true}});
    ppd_ = SystemIdByCode(*server_, "agencies", "org_Code", "BK-PPD");
    for (const auto& spec : domain::Resources()) {
      const app::Principal creator = spec.name == "transfers" ? ActingAs(super_id_, ppd_) : tph_user;
      update_target_[spec.name] = CreateAs(*server_, creator, spec.name, CreateBody(spec.name));
      delete_target_[spec.name] = CreateAs(*server_, creator, spec.name, CreateBody(spec.name));
    }
  }

  json CreateBody(const std::string& resource) {
    const std::string n = std::to_string(counter_++);
    if (resource == "locations") {
      return {
          {"loc_Code", "CSRF-" + n}, {"loc_NameLo", "ບ້ານ"}, {"loc_NameEn", "Village " + n}, {"loc_Level", "village"}};
    }
    if (resource == "agencies") {
      return {{"org_Code", "CSRF-" + n},
              {"org_NameLo", "ອົງການ"},
              {"org_NameEn", "Agency " + n},
              {"org_Type", "NGO"},
              {"org_Level", "district"}};
    }
    if (resource == "organisations") return {{"org_Name", "Company " + n}, {"org_Category", "Employer"}};
    if (resource == "persons") return {{"prs_FirstName", "ຄົນ " + n}};
    if (resource == "cases") return {{"person_id", person_}, {"owner_agency_id", tph_}};
    if (resource == "trafficking-events") return {{"case_id", case_}, {"hte_Type", "Transit"}};
    if (resource == "employment-episodes") return {{"case_id", case_}, {"emp_JobTitle", "Picker " + n}};
    if (resource == "claims") {
      return {{"case_id", case_},
              {"clm_Kind", "CovidTest"},
              {"clm_Direction", "DemandedFromWorker"},
              {"clm_Status", "Demanded"}};
    }
    if (resource == "immigration-statuses") return {{"case_id", case_}, {"imm_BorderCrossing", "PassportNotStamped"}};
    if (resource == "assistance") {
      return {{"case_id", case_}, {"agency_id", tph_}, {"ast_Date", api_test::kToday}, {"ast_ServiceType", "Shelter"}};
    }
    if (resource == "consents") return {{"case_id", case_}, {"cns_Purpose", "Services"}, {"cns_Status", "Given"}};
    // issue 7: a taskforce chaired by PPD (the agency of the superuser who sends
    // the control requests), its plan, directives and recipients.
    if (resource == "taskforces") {
      return {{"tfc_Code", "CSRF-" + n},
              {"tfc_NameLo", "ຄະນະ"},
              {"tfc_NameEn", "Taskforce " + n},
              {"chair_agency_id", ppd_}};
    }
    const app::Principal setup = ActingAs(worker_id_, tph_);
    if (resource == "taskforce-members" || resource == "taskforce-meetings" || resource == "plan-objectives" ||
        resource == "plan-activities" || resource == "plan-indicators") {
      if (taskforce_.empty()) taskforce_ = CreateAs(*server_, setup, "taskforces", CreateBody("taskforces"));
      if (resource == "taskforce-members") return {{"taskforce_id", taskforce_}, {"agency_id", ppd_}};
      if (resource == "taskforce-meetings") return {{"taskforce_id", taskforce_}, {"mtg_Date", api_test::kToday}};
      if (resource == "plan-objectives")
        return {{"taskforce_id", taskforce_}, {"obj_Code", "O" + n}, {"obj_Title", "x"}};
      if (objective_.empty()) objective_ = CreateAs(*server_, setup, "plan-objectives", CreateBody("plan-objectives"));
      if (resource == "plan-indicators") {
        return {{"taskforce_id", taskforce_}, {"objective_id", objective_}, {"ind_Name", "x"}, {"ind_Target", 1}};
      }
      return {{"taskforce_id", taskforce_},    {"objective_id", objective_},        {"act_Title", "x"},
              {"responsible_agency_id", tph_}, {"act_StartDate", api_test::kToday}, {"act_EndDate", api_test::kToday}};
    }
    if (resource == "directives")
      return {
          {"dir_Subject", "x " + n}, {"dir_Text", "x"}, {"dir_DueDate", api_test::kToday}, {"issuing_agency_id", ppd_}};
    if (resource == "directive-recipients") {
      return {{"directive_id", CreateAs(*server_, setup, "directives", CreateBody("directives"))}, {"agency_id", ppd_}};
    }
    // The referral mechanism (issue 4). One pending referral per case and
    // receiving agency, one pending transfer per case: each body gets its own.
    const app::Principal tph_user = ActingAs(worker_id_, tph_);
    if (resource == "screenings") {
      return {{"case_id", case_}, {"scr_Indicators", {{{"ind_Code", "DeceivedAboutJob"}, {"ind_Answer", "Yes"}}}}};
    }
    if (resource == "referrals") {
      static const char* kAgencies[] = {"BK-FAD", "BK-LWU-SHELTER", "BK-DMC-HXY", "MPS-ATD", "NCATIP-SEC"};
      const std::string to = SystemIdByCode(*server_, "agencies", "org_Code", kAgencies[referrals_++ % 5]);
      return {{"case_id", ReferrableCase(tph_user)},
              {"to_agency_id", to},
              {"ref_Reason", "Repatriation to Myanmar"},
              {"ref_ServicesRequested", {"Repatriation"}}};
    }
    if (resource == "transfers") {
      // Only the owning agency transfers: the cases belong to the
      // superuser's agency (the set-up creates these as it too).
      const std::string to = SystemIdByCode(*server_, "agencies", "org_Code", "BK-FAD");
      const app::Principal ppd_user = ActingAs(super_id_, ppd_);
      const std::string c = CreateAs(*server_, ppd_user, "cases", {{"person_id", person_}, {"owner_agency_id", ppd_}});
      CreateAs(*server_, ppd_user, "consents", {{"case_id", c}, {"cns_Purpose", "Referral"}, {"cns_Status", "Given"}});
      return {{"case_id", c}, {"to_agency_id", to}, {"trf_Reason", "Foreign national: FAD takes the case " + n}};
    }
    if (resource == "repatriations") {
      return {{"case_id", case_}, {"rep_Direction", "Outbound"}, {"rep_DestinationCountry", "MM"}};
    }
    if (resource == "investigations") return {{"inv_Reference", "INV-" + n}, {"inv_Offences", {"LaoPenalCode215"}}};
    if (resource == "investigation-victims") {
      const std::string inv = CreateAs(*server_, tph_user, "investigations",
                                       {{"inv_Reference", "INV-V" + n}, {"inv_Offences", {"LaoPenalCode215"}}});
      return {{"investigation_id", inv}, {"case_id", case_}};
    }
    ADD_FAILURE() << "no create body for " << resource << ": add one to the CSRF test";
    return json::object();
  }

  // A case of the Ton Pheung committee with consent to referral.
  std::string ReferrableCase(const app::Principal& owner) {
    if (referrable_case_.empty()) {
      referrable_case_ = CreateAs(*server_, owner, "cases", {{"person_id", person_}, {"owner_agency_id", tph_}});
      CreateAs(*server_, owner, "consents",
               {{"case_id", referrable_case_}, {"cns_Purpose", "Referral"}, {"cns_Status", "Given"}});
    }
    return referrable_case_;
  }

  json Patch(const std::string& resource) {
    const std::string n = std::to_string(counter_++);
    if (resource == "locations") return {{"loc_NameEn", "Renamed " + n}};
    if (resource == "agencies") return {{"org_NameEn", "Renamed " + n}};
    if (resource == "organisations") return {{"org_Name", "Renamed " + n}};
    if (resource == "persons") return {{"prs_NumberOfChildren", counter_ % 30}};
    if (resource == "cases") return {{"vic_AgeWhenTrafficked", counter_ % 100}};
    if (resource == "trafficking-events") return {{"hte_City", "City " + n}};
    if (resource == "employment-episodes") return {{"emp_JobTitle", "Job " + n}};
    if (resource == "claims") return {{"clm_Amount", counter_}, {"clm_Currency", "THB"}};
    if (resource == "immigration-statuses") return {{"imm_CrossingPoint", "Crossing " + n}};
    if (resource == "assistance") return {{"ast_CostAmount", counter_}, {"ast_CostCurrency", "LAK"}};
    if (resource == "consents") return {{"cns_Method", counter_ % 2 == 0 ? "Written" : "Verbal"}};
    if (resource == "screenings") return {{"scr_Notes", "Note " + n}};
    if (resource == "referrals") return {{"ref_Urgency", counter_ % 2 == 0 ? "Urgent" : "Routine"}};
    if (resource == "transfers") return {{"trf_Reason", "Reason " + n}};
    if (resource == "repatriations") return {{"rep_Escort", "Escort " + n}};
    if (resource == "investigations") return {{"inv_Summary", "Summary " + n}};
    if (resource == "investigation-victims") return {{"ivv_Notes", "Notes " + n}};
    return json::object();
  }

  struct Request {
    std::string method, path;
    std::optional<json> body;
    bool control = false;  // with the right token it must succeed (2xx)
  };

  // A request of `route` that the superuser's session may make.
  Request For(const http::Route& route) {
    Request r{route.method, FillPath(route.path, kSomeId), std::nullopt, false};
    if (HasBody(route.method)) r.body = json::object();
    const std::string& op = route.operation;
    if (!route.resource.empty()) {
      const std::string& res = route.resource;
      if (op == "create") {
        r.body = CreateBody(res);
        r.control = true;
      } else if (op == "update") {
        const std::string& id = update_target_.at(res);
        r.path = Url(res, id);
        json patch = Patch(res);
        patch["version"] = SystemView(*server_, res, id)["version"];
        r.body = patch;
        r.control = true;
      } else if (op == "delete") {
        const std::string& id = delete_target_.at(res);
        r.path = Url(res, id) + "?version=" + SystemView(*server_, res, id)["version"].dump();
        r.control = true;
      }
      return r;
    }
    if (op == "password") {
      r.body = json{{"current_password", TestServer::kPassword}, {"new_password", kNewPassword}};
      r.control = true;
    } else if (op == "totp_confirm") {
      r.body = json{{"code", "123456"}};
    } else if (op == "user_create") {
      r.body = json{{"username", "newbie"},
                    {"display_name", "New worker"},
                    {"agency", "BK-DMC-TPH"},
                    {"role", "case_worker"},
                    {"password", kNewPassword}};
      r.control = true;
    } else if (op == "user_update") {
      r.path = "/api/v1/users/" + worker_id_;
      r.body = json{{"display_name", "Renamed worker"}};
      r.control = true;
    } else if (op == "role_put") {
      r.path = "/api/v1/roles/test_custom";
      r.body = json::parse(R"({"code": "test_custom", "name_lo": "ທົດສອບ", "name_en": "Custom", "scope": "agency",
        "permissions": [{"resource": "persons", "actions": ["read"]}],
        "read_groups": ["general"], "write_groups": ["general"]})");
      r.control = true;
    } else if (op == "break_glass") {
      r.path = Url("cases", protected_case_) + "/break-glass";
      r.body = json{{"reason", kReason}};
      r.control = true;
    } else if (op == "sign_out") {
      r.control = true;
    }
    return r;
  }

  // Everything a state-changing request could have written.
  json Snapshot() {
    json out = json::object();
    for (const auto& spec : domain::Resources()) {
      out[spec.name] = SystemVersions(*server_, spec.name);
    }
    auto users = server_->auth().ListUsers();
    EXPECT_TRUE(users.ok());
    for (const auto& u : *users) {
      out["users"][u.id] = {u.version, u.display_name, u.role_code, u.agency_id, u.disabled, u.totp_enrolled};
    }
    auto roles = server_->auth().ListRoles();
    EXPECT_TRUE(roles.ok());
    for (const auto& role : *roles) out["roles"][role.code] = domain::RoleToText(role);
    auto grants = server_->service().Grants(protected_case_, ActingAs(worker_id_, tph_));
    EXPECT_TRUE(grants.ok()) << grants.status().ToString();
    out["grants"] = grants.ok() ? *grants : json();
    out["session_alive"] = Me(session_).status == 200;
    return out;
  }

  Session session_;
  std::string tph_, ppd_, person_, case_, protected_case_;
  std::string taskforce_, objective_;  // issue 7
  std::map<std::string, std::string> update_target_, delete_target_;
  int counter_ = 1;
  int referrals_ = 0;
  std::string referrable_case_;
};

TEST_F(CsrfTest, EveryStateChangingRouteRefusesAMissingOrWrongTokenAndWritesNothing) {
  std::vector<http::Route> routes;
  for (const auto& route : http::ApiRoutes()) {
    if (route.authenticated && IsStateChanging(route.method)) routes.push_back(route);
  }
  // Sign-out last: its control ends the session.
  std::stable_partition(routes.begin(), routes.end(), [](const http::Route& r) { return r.operation != "sign_out"; });
  ASSERT_FALSE(routes.empty());
  const Session other = server_->SignIn("worker");  // a valid token of another session
  int checked = 0;
  for (const auto& route : routes) {
    const Request req = For(route);
    const std::string what = "rule csrf (ASVS 4.2.2): " + route.method + " " + route.path;
    const json before = Snapshot();
    Session no_token = session_;
    no_token.csrf.clear();
    const std::string body = req.body ? req.body->dump() : "";
    const std::string type = req.body ? kJson : "";
    const std::vector<std::pair<std::string, httplib::Headers>> attempts = {
        {"without X-CSRF-Token", no_token.Headers()},
        {"with an empty X-CSRF-Token", no_token.Headers({{http::kCsrfHeader, ""}})},
        {"with a wrong X-CSRF-Token", no_token.Headers({{http::kCsrfHeader, "wrong-token"}})},
        {"with another session's X-CSRF-Token", no_token.Headers({{http::kCsrfHeader, other.csrf}})},
    };
    for (const auto& [how, headers] : attempts) {
      Reply r = Send(server_->port(), req.method, req.path, body, type, headers);
      EXPECT_EQ(r.status, 403) << what << " " << how << ": " << Describe(r);
      EXPECT_EQ(ErrorCode(r), "csrf") << what << " " << how << ": " << Describe(r);
    }
    EXPECT_EQ(Snapshot(), before) << what << ": a refused request wrote something";
    if (req.control) {
      // The same request with the right token goes through: the refusal was
      // CSRF's, and the body was one that would have written.
      Reply ok = Send(server_->port(), req.method, req.path, body, type, session_.Headers());
      EXPECT_TRUE(ok.status >= 200 && ok.status < 300)
          << what << ": control request with the right token: " << Describe(ok);
    }
    ++checked;
  }
  std::cout << "csrf: " << checked << " state-changing routes checked\n";
}

TEST_F(CsrfTest, SafeMethodsWorkWithoutTheToken) {
  Session no_token = session_;
  no_token.csrf.clear();
  EXPECT_EQ(Me(no_token).status, 200) << "GET /session needs no CSRF token";
  EXPECT_EQ(Call(*server_, no_token, "GET", Url("cases")).status, 200);
  EXPECT_EQ(Call(*server_, no_token, "GET", Url("cases", case_)).status, 200);
  EXPECT_EQ(Call(*server_, no_token, "GET", Url("cases", case_) + "/history").status, 200);
  EXPECT_EQ(Call(*server_, no_token, "GET", "/api/v1/users").status, 200);
}

// ---- no cookie -------------------------------------------------------------

TEST_F(SessionTest, EveryAuthenticatedRouteAnswers401WithoutAValidCookie) {
  int checked = 0;
  for (const auto& route : http::ApiRoutes()) {
    const std::string path = FillPath(route.path, kSomeId);
    const std::string body = HasBody(route.method) ? "{}" : "";
    const std::string type = HasBody(route.method) ? kJson : "";
    if (!route.authenticated) {
      if (route.method == "GET") {
        Reply r = Send(server_->port(), route.method, path);
        EXPECT_NE(r.status, 401) << "public route " << route.method << " " << route.path << ": " << Describe(r);
      }
      continue;
    }
    const std::vector<std::pair<std::string, httplib::Headers>> attempts = {
        {"without a cookie", {}},
        {"without a cookie but with a CSRF header", {{http::kCsrfHeader, "x"}}},
        {"with an unknown session cookie", {{"Cookie", std::string(http::kSessionCookie) + "=bogus-token"}}},
        {"with an empty session cookie", {{"Cookie", std::string(http::kSessionCookie) + "="}}},
    };
    for (const auto& [how, headers] : attempts) {
      Reply r = Send(server_->port(), route.method, path, body, type, headers);
      EXPECT_EQ(r.status, 401) << "rule authentication: " << route.method << " " << route.path << " " << how << ": "
                               << Describe(r);
      EXPECT_EQ(ErrorCode(r), "unauthenticated") << route.method << " " << route.path << " " << how;
    }
    ++checked;
  }
  EXPECT_GT(checked, 60);
  std::cout << "no cookie: " << checked << " authenticated routes checked\n";
}

// ---- TOTP ---------------------------------------------------------------------

TEST_F(SessionTest, TotpEnrolmentThenSignInNeedsACodeThatWorksOnce) {
  Session s = server_->SignIn("worker");
  const Session older = server_->SignIn("worker");
  Reply begin = Call(*server_, s, "POST", "/api/v1/session/totp", json::object());
  ASSERT_EQ(begin.status, 201) << Describe(begin);
  const std::string secret = begin.Json().value("secret", "");
  ASSERT_FALSE(secret.empty()) << Describe(begin);
  EXPECT_NE(begin.Json().value("otpauth_uri", "").find("otpauth://totp/"), std::string::npos);

  Reply bad = Call(*server_, s, "POST", "/api/v1/session/totp/confirm", json{{"code", "000000"}});
  if (server_->TotpNow(secret) != "000000") {
    EXPECT_EQ(bad.status, 400) << "a wrong confirmation code: " << Describe(bad);
    EXPECT_TRUE(HasFieldRule(bad, "totp_code", "invalid")) << Describe(bad);
  }
  const std::string confirm_code = server_->TotpNow(secret);
  Reply confirm = Call(*server_, s, "POST", "/api/v1/session/totp/confirm", json{{"code", confirm_code}});
  ASSERT_EQ(confirm.status, 204) << Describe(confirm);
  EXPECT_EQ(Me(s).status, 200) << "the enrolling session stays";
  EXPECT_EQ(Me(older).status, 401) << "enrolment signs out every other session of the user";

  Reply missing = SignInReply("worker", TestServer::kPassword);
  EXPECT_EQ(missing.status, 401) << "rule totp: an enrolled user needs a code: " << Describe(missing);
  EXPECT_TRUE(HasFieldRule(missing, "totp_code", "required")) << Describe(missing);
  EXPECT_FALSE(missing.HasHeader("Set-Cookie"));

  Reply replayed_confirm = SignInReply("worker", TestServer::kPassword, confirm_code);
  EXPECT_EQ(replayed_confirm.status, 401)
      << "rule totp replay (ASVS 2.8.4): the code used to confirm: " << Describe(replayed_confirm);
  EXPECT_TRUE(HasFieldRule(replayed_confirm, "totp_code", "invalid")) << Describe(replayed_confirm);

  server_->clock().Advance(30s);
  const std::string code = server_->TotpNow(secret);
  Reply wrong = SignInReply("worker", TestServer::kPassword, code == "123456" ? "654321" : "123456");
  EXPECT_EQ(wrong.status, 401) << "a wrong code: " << Describe(wrong);
  Reply ok = SignInReply("worker", TestServer::kPassword, code);
  ASSERT_EQ(ok.status, 201) << "the current code: " << Describe(ok);
  EXPECT_TRUE(ok.Json().value("second_factor_required", false));
  const Session with_code = TestServer::SessionOf(ok);
  EXPECT_TRUE(Me(with_code).Json().value("second_factor_done", false)) << Describe(Me(with_code));

  Reply again = SignInReply("worker", TestServer::kPassword, code);
  EXPECT_EQ(again.status, 401) << "rule totp replay (ASVS 2.8.4): the same code twice in its step: " << Describe(again);
  EXPECT_TRUE(HasFieldRule(again, "totp_code", "invalid")) << Describe(again);
  server_->clock().Advance(30s);
  Reply next_step = SignInReply("worker", TestServer::kPassword, code);
  EXPECT_EQ(next_step.status, 401) << "rule totp replay: still inside its drift window, the used code stays refused: "
                                   << Describe(next_step);
  Reply fresh = SignInReply("worker", TestServer::kPassword, server_->TotpNow(secret));
  EXPECT_EQ(fresh.status, 201) << "the next step's code: " << Describe(fresh);
}

TEST_F(SessionTest, AdministratorWithoutTotpGetsAnEnrolmentOnlySession) {
  server_->AddUser("admin", "BK-PPD", "administrator");
  Reply sign_in = SignInReply("admin", TestServer::kPassword);
  ASSERT_EQ(sign_in.status, 201) << Describe(sign_in);
  EXPECT_TRUE(sign_in.Json().value("totp_enrolment_required", false)) << Describe(sign_in);
  const Session s = TestServer::SessionOf(sign_in);
  const std::set<std::string> enrolment_routes = {"GET /api/v1/session", "DELETE /api/v1/session",
                                                  "POST /api/v1/session/totp", "POST /api/v1/session/totp/confirm"};
  const std::string agency = SystemIdByCode(*server_, "agencies", "org_Code", "BK-PPD");
  int checked = 0;
  for (const auto& route : http::ApiRoutes()) {
    if (!route.authenticated || enrolment_routes.contains(route.method + " " + route.path)) continue;
    // Bodies that would be valid, so that only the missing second factor
    // can refuse them.
    std::string path = FillPath(route.path, route.operation == "role_put" ? "test_custom" : agency);
    std::optional<json> body;
    if (HasBody(route.method)) body = json::object();
    if (route.operation == "password") {
      body = json{{"current_password", TestServer::kPassword}, {"new_password", kNewPassword}};
    } else if (route.operation == "user_create") {
      body = json{{"username", "newbie"},
                  {"display_name", "New"},
                  {"agency", "BK-PPD"},
                  {"role", "case_worker"},
                  {"password", kNewPassword}};
    } else if (route.operation == "user_update") {
      path = "/api/v1/users/" + worker_id_;
      body = json{{"display_name", "Renamed"}};
    } else if (route.operation == "role_put") {
      body = json::parse(R"({"code": "test_custom", "name_lo": "ທົດສອບ", "name_en": "Custom", "scope": "agency",
        "permissions": [{"resource": "persons", "actions": ["read"]}], "read_groups": ["general"],
        "write_groups": ["general"]})");
    } else if (route.operation == "break_glass") {
      body = json{{"reason", kReason}};
    } else if (route.operation == "create" && route.resource == "locations") {
      body = json{{"loc_Code", "T-1"}, {"loc_NameLo", "ບ້ານ"}, {"loc_NameEn", "T"}, {"loc_Level", "village"}};
    } else if (route.operation == "update") {
      body = json{{"version", 1}};
    }
    if (route.operation == "delete") path += "?version=1";
    Reply r = Call(*server_, s, route.method, path, body);
    EXPECT_EQ(r.status, 403) << "rule requires_totp (ASVS 4.3.1): an administrator without TOTP may only enrol: "
                             << route.method << " " << route.path << ": " << Describe(r);
    EXPECT_NE(ErrorCode(r), "csrf") << route.method << " " << route.path;
    EXPECT_TRUE(HasFieldRule(r, "totp", "enrolment_required"))
        << route.method << " " << route.path << ": the refusal should say why: " << Describe(r);
    ++checked;
  }
  EXPECT_GT(checked, 60);
  EXPECT_EQ(Me(s).status, 200) << "GET /session works in an enrolment-only session";

  Reply begin = Call(*server_, s, "POST", "/api/v1/session/totp", json::object());
  ASSERT_EQ(begin.status, 201) << Describe(begin);
  const std::string secret = begin.Json().value("secret", "");
  Reply confirm = Call(*server_, s, "POST", "/api/v1/session/totp/confirm", json{{"code", server_->TotpNow(secret)}});
  ASSERT_EQ(confirm.status, 204) << Describe(confirm);
  Reply users = Call(*server_, s, "GET", "/api/v1/users");
  EXPECT_EQ(users.status, 200) << "after enrolment the session is complete: " << Describe(users);
  server_->clock().Advance(30s);
  EXPECT_EQ(SignInReply("admin", TestServer::kPassword).status, 401) << "from now on sign-in needs the code";
  EXPECT_EQ(SignInReply("admin", TestServer::kPassword, server_->TotpNow(secret)).status, 201);
}

// ---- self changes ----------------------------------------------------------------

TEST_F(SessionTest, NobodyChangesTheirOwnRoleAgencyOrDisabledFlag) {
  const std::string admin_id = server_->AddUser("admin", "BK-PPD", "administrator");
  auto enrolment = server_->auth().EnrolTotpForUser("admin");
  ASSERT_TRUE(enrolment.ok());
  const Session admin = server_->SignIn("admin", TestServer::kPassword, server_->TotpNow(enrolment->secret_base32));
  const auto before = server_->auth().FindUser("admin");
  ASSERT_TRUE(before.ok());
  const std::string self = "/api/v1/users/" + admin_id;
  for (const auto& [field, change] : std::vector<std::pair<std::string, json>>{
           {"role", {{"role", "case_worker"}}},
           {"agency", {{"agency", "BK-DMC-TPH"}}},
           {"disabled", {{"disabled", true}}},
           {"totp", {{"reset_totp", true}}},
       }) {
    Reply r = Call(*server_, admin, "PATCH", self, change);
    EXPECT_EQ(r.status, 403) << "rule self_change (ASVS 4.1.2): PATCH own user " << change.dump() << ": "
                             << Describe(r);
    EXPECT_TRUE(HasFieldRule(r, field, "self_change")) << change.dump() << ": " << Describe(r);
  }
  const auto after = server_->auth().FindUser("admin");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->version, before->version) << "a refused self change wrote";
  EXPECT_EQ(after->role_code, "administrator");
  EXPECT_EQ(after->agency_id, before->agency_id);
  EXPECT_FALSE(after->disabled);
  EXPECT_EQ(Me(admin).status, 200) << "the refused change must not end the session";

  // Control: the administrator may change someone else's role.
  Reply other = Call(*server_, admin, "PATCH", "/api/v1/users/" + worker_id_, json{{"role", "supervisor"}});
  EXPECT_EQ(other.status, 200) << Describe(other);

  // A non-administrator cannot touch users at all, itself included.
  server_->clock().Advance(1s);
  const Session worker = server_->SignIn("worker");
  Reply own = Call(*server_, worker, "PATCH", "/api/v1/users/" + worker_id_, json{{"role", "administrator"}});
  EXPECT_EQ(own.status, 403) << "rule manage_users: " << Describe(own);
  auto worker_after = server_->auth().FindUser("worker");
  ASSERT_TRUE(worker_after.ok());
  EXPECT_EQ(worker_after->role_code, "supervisor");
}

TEST_F(SessionTest, ChangingTheOwnPasswordEndsEveryOtherSession) {
  Session s = server_->SignIn("worker");
  const Session other = server_->SignIn("worker");
  Reply wrong = Call(*server_, s, "PUT", "/api/v1/session/password",
                     json{{"current_password", "not my password at all"}, {"new_password", kNewPassword}});
  EXPECT_EQ(wrong.status, 403) << Describe(wrong);
  EXPECT_TRUE(HasFieldRule(wrong, "current_password", "invalid")) << Describe(wrong);
  Reply r = Call(*server_, s, "PUT", "/api/v1/session/password",
                 json{{"current_password", TestServer::kPassword}, {"new_password", kNewPassword}});
  ASSERT_EQ(r.status, 204) << Describe(r);
  EXPECT_EQ(Me(s).status, 200) << "this session stays";
  EXPECT_EQ(Me(other).status, 401) << "rule password change ends other sessions";
  EXPECT_EQ(SignInReply("worker", TestServer::kPassword).status, 401) << "the old password is dead";
  EXPECT_EQ(SignInReply("worker", kNewPassword).status, 201);
}

TEST_F(SessionTest, AnAdministratorsChangeToAUserEndsThatUsersSessionsAtOnce) {
  server_->AddUser("admin", "BK-PPD", "administrator");
  auto enrolment = server_->auth().EnrolTotpForUser("admin");
  ASSERT_TRUE(enrolment.ok());
  const Session admin = server_->SignIn("admin", TestServer::kPassword, server_->TotpNow(enrolment->secret_base32));
  // auth_service.hpp: "Setting the password, disabling, changing role or
  // agency, or resetting TOTP signs the user out everywhere."
  const std::vector<std::pair<std::string, json>> changes = {
      {"password reset", {{"password", kNewPassword}}},
      {"role change", {{"role", "supervisor"}}},
      {"agency change", {{"agency", "BK-DMC-HXY"}}},
      {"disable", {{"disabled", true}}},
  };
  for (const auto& [name, change] : changes) {
    const std::string password = name == "password reset" ? TestServer::kPassword : kNewPassword;
    const Session victim = server_->SignIn("worker", password);
    ASSERT_EQ(Me(victim).status, 200);
    Reply r = Call(*server_, admin, "PATCH", "/api/v1/users/" + worker_id_, change);
    ASSERT_EQ(r.status, 200) << name << ": " << Describe(r);
    EXPECT_EQ(Me(victim).status, 401) << "rule " << name << " ends the user's sessions (ASVS 3.3.1): the session "
                                      << "opened before the " << name << " still works";
  }
}

// ---- roles ----------------------------------------------------------------

// The roles list says which roles are built in (read-only: a PUT of one
// answers 409) and which are custom, so a client never offers an edit that
// must fail; a custom role can be replaced and stays custom.
TEST_F(SessionTest, RolesListMarksBuiltInRolesAndBuiltInRolesCannotBeReplaced) {
  Session super = SignInSuperuser();
  Reply list = Call(*server_, super, "GET", "/api/v1/roles");
  ASSERT_EQ(list.status, 200) << list.body;
  std::map<std::string, bool> builtin;
  const json roles = json::parse(list.body);
  for (const auto& r : roles["items"]) builtin[r["code"].get<std::string>()] = r["builtin"].get<bool>();
  EXPECT_TRUE(builtin.at("case_worker"));
  EXPECT_TRUE(builtin.at("administrator"));
  EXPECT_FALSE(builtin.at("test_super"));

  json custom = json::parse(R"({"code": "shelter_volunteer", "name_lo": "ອາສາສະໝັກ", "name_en": "Shelter volunteer",
    "scope": "own", "permissions": [{"resource": "cases", "actions": ["read", "list"]}],
    "read_groups": ["general"], "write_groups": ["general"]})");
  Reply put = Call(*server_, super, "PUT", "/api/v1/roles/shelter_volunteer", custom);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_FALSE(json::parse(put.body)["builtin"].get<bool>());
  custom["name_en"] = "Shelter volunteer (renamed)";
  put = Call(*server_, super, "PUT", "/api/v1/roles/shelter_volunteer", custom);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(json::parse(put.body)["name_en"], "Shelter volunteer (renamed)");

  json worker = custom;
  worker["code"] = "case_worker";
  Reply refused = Call(*server_, super, "PUT", "/api/v1/roles/case_worker", worker);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(json::parse(refused.body)["error"]["fields"][0]["rule"], "builtin") << refused.body;
}

}  // namespace
}  // namespace ctims::access_test
