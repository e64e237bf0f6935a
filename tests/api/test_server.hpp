#pragma once

// Fixture of the api suite: a real ctims HTTP server running in-process on a
// real database, seeded with the Lao reference data, and helpers to talk to it
// over real HTTP.
//
// The database is a SQLite file in a fresh temporary directory, or, when the
// environment has CTIMS_TEST_BACKEND=postgresql (ctest registers every api
// and access test a second time so, prefixed "pg."), a fresh schema of the
// test cluster that tests/CMakeLists.txt starts (issue 9).

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "app/audit_log.hpp"
#include "app/auth_service.hpp"
#include "app/export_service.hpp"
#include "app/field_cipher.hpp"
#include "app/record_service.hpp"
#include "app/reference_data.hpp"
#include "app/report_service.hpp"
#include "app/taskforce_policy.hpp"
#include "app/taskforce_service.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/id.hpp"
#include "core/keyring.hpp"
#include "core/totp.hpp"
#include "domain/codelists.hpp"
#include "export/plan_export.hpp"
#include "export/report_export.hpp"
#include "http/server.hpp"
#include "storage/postgres/postgres_store.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "storage_test_backend.hpp"

namespace ctims::api_test {

using nlohmann::json;

// "Now" for every test: 2025-06-15 09:30 UTC. Dates after kToday are in the
// future for the not_future rules.
inline core::TimePoint TestNow() {
  using namespace std::chrono;
  return sys_days{year{2025} / June / 15} + hours{9} + minutes{30};
}
inline constexpr const char* kToday = "2025-06-15";
inline constexpr const char* kTomorrow = "2025-06-16";
inline constexpr const char* kJson = "application/json";

// One HTTP answer, copied out of httplib.
struct Reply {
  int status = -1;
  std::string body;
  httplib::Headers headers;

  json Json() const { return json::parse(body, nullptr, /*allow_exceptions=*/false); }
  bool HasHeader(const std::string& name) const { return headers.find(name) != headers.end(); }
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Printed by gtest on failure, so a failed assertion shows the answer.
inline void PrintTo(const Reply& r, std::ostream* os) {
  *os << r.status << " " << r.body.substr(0, 2000);
}

inline std::string Describe(const Reply& r) {
  return std::to_string(r.status) + " " + r.body.substr(0, 2000);
}

// Percent-encodes a query parameter value.
inline std::string Encode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
  return out;
}

// A signed-in session: the cookie to send and the CSRF token to echo.
struct Session {
  std::string cookie;  // "ctims_session=..."
  std::string csrf;

  // The headers that authenticate a request of this session.
  httplib::Headers Headers(httplib::Headers more = {}) const {
    if (!cookie.empty()) more.emplace("Cookie", cookie);
    if (!csrf.empty() && more.find("X-CSRF-Token") == more.end()) more.emplace("X-CSRF-Token", csrf);
    return more;
  }
};

// A raw request over a fresh connection. status -1 on a transport error.
inline Reply Send(int port, const std::string& method, const std::string& path, const std::string& body = "",
                  const std::string& content_type = "", const httplib::Headers& headers = {}) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(5, 0);
  cli.set_read_timeout(30, 0);
  cli.set_write_timeout(30, 0);
  httplib::Request req;
  req.method = method;
  req.path = path;
  req.headers = headers;
  req.body = body;
  if (!content_type.empty()) req.set_header("Content-Type", content_type);
  auto res = cli.send(req);
  if (!res) return Reply{-1, "transport error: " + httplib::to_string(res.error()), {}};
  return Reply{res->status, res->body, res->headers};
}

// The server and everything under it. Throws std::runtime_error when any
// step of the start-up fails (gtest reports it as a failure of SetUp).
class TestServer {
 public:
  // issue 5 exports: config/dhis2-mapping.example.json, parsed.
  static exports::Dhis2Mapping ExampleDhis2Mapping() {
    std::ifstream in(std::string(CTIMS_SOURCE_DIR) + "/config/dhis2-mapping.example.json");
    std::ostringstream text;
    text << in.rdbuf();
    auto m = exports::ParseDhis2Mapping(text.str());
    if (!m.ok()) throw std::runtime_error("dhis2 mapping: " + m.status().ToString());
    return std::move(*m);
  }

  // `trusted_proxies`: ServerOptions::trusted_proxies (X-Forwarded-For).
  explicit TestServer(core::TimePoint now = TestNow(), std::vector<std::string> trusted_proxies = {}) : clock_(now) {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("ctims-api-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);

    if (testing_backends::UsePostgres()) {
      pg_schema_ = testing_backends::PostgresSchema(dir_);
      testing_backends::PostgresCreateSchema(pg_schema_);
      auto store = storage::postgres::OpenPostgresStore(
          {.conninfo = testing_backends::PostgresConninfo(), .schema = pg_schema_, .pool_size = 4});
      if (!store.ok()) throw std::runtime_error("open store: " + store.status().ToString());
      store_ = std::move(store).value();
    } else {
      auto store = storage::sqlite::OpenSqliteStore({.path = (dir_ / "api.db").string()});
      if (!store.ok()) throw std::runtime_error("open store: " + store.status().ToString());
      store_ = std::move(store).value();
    }
    auto migrated = store_->Migrate();
    if (!migrated.ok()) throw std::runtime_error("migrate: " + migrated.status().ToString());

    // As `ctims serve` runs: fields sealed with a key file outside the
    // database, every request audited.
    key_file_ = (dir_ / "ctims.key").string();
    if (auto s = core::InitKeyFile(key_file_); !s.ok()) throw std::runtime_error("keys: " + s.ToString());
    auto ring = core::LoadKeyFile(key_file_);
    if (!ring.ok()) throw std::runtime_error("keys: " + ring.status().ToString());
    ring_ = std::make_unique<core::KeyRing>(std::move(*ring));
    cipher_ = std::make_unique<app::FieldCipher>(*ring_);
    audit_ = std::make_unique<app::AuditLog>(*store_, clock_);
    app::RecordServiceOptions record_options;
    record_options.audit = audit_.get();
    record_options.cipher = cipher_.get();
    policy_ = std::make_unique<app::TaskforcePolicy>(clock_);  // issue 7
    record_options.policy = policy_.get();
    service_ = std::make_unique<app::RecordService>(*store_, domain::CodeLists::Builtin(), clock_, record_options);
    auto seeded = app::LoadReferenceData(*service_, app::SystemPrincipal());
    if (!seeded.ok()) throw std::runtime_error("seed: " + seeded.status().ToString());
    identity_ = app::AsIdentityStore(*store_);
    if (identity_ == nullptr) throw std::runtime_error("no identity store");
    app::AuthOptions auth_options;
    auth_options.keyring = ring_.get();
    auth_ = std::make_unique<app::AuthService>(*identity_, clock_, auth_options);
    if (auto s = auth_->EnsureBuiltinRoles(); !s.ok()) throw std::runtime_error("roles: " + s.ToString());
    // The suite's own role: every record action on every resource, every
    // field group, scope "all" — the API behaviour under test is not access
    // control (tests/access has that).
    PutRole(R"({"code": "test_all", "name_lo": "ທົດສອບ", "name_en": "Test: everything", "scope": "all",
      "permissions": [{"resource": "*", "actions": ["read", "list", "create", "update", "delete", "history"]}],
      "read_groups": ["general", "identity", "contact", "health", "narrative", "investigation"],
      "write_groups": ["general", "identity", "contact", "health", "narrative", "investigation"]})");

    http::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 32;
    options.audit = audit_.get();
    options.trusted_proxies = std::move(trusted_proxies);
    app::ReportServiceOptions report_options;
    report_options.audit = audit_.get();
    report_options.cipher = cipher_.get();
    reports_ = std::make_unique<app::ReportService>(*store_, clock_, report_options);
    options.reports = reports_.get();
    taskforce_ = std::make_unique<app::TaskforceService>(*service_, reports_.get(), clock_);  // issue 7
    options.taskforce = taskforce_.get();
    options.plan_xlsx = [](const json& plan) { return exports::PlanXlsx(plan); };
    options.plan_html = [](const json& plan) { return exports::PlanHtml(plan); };
    // issue 5 exports: the shipped example DHIS2 mapping.
    exporter_ = std::make_unique<exports::ReportExporter>(ExampleDhis2Mapping());
    exports_ = std::make_unique<app::ExportService>(*reports_, *exporter_, audit_.get(), service_.get());
    options.exports = exports_.get();
    server_ = std::make_unique<http::HttpServer>(*service_, *auth_, *store_, options);
    if (auto s = server_->Bind(); !s.ok()) throw std::runtime_error("bind: " + s.ToString());
    thread_ = std::thread([this] { server_->Run(); });
    // Stop() only takes effect once the accept loop runs: wait for it.
    bool up = false;
    for (int i = 0; i < 500 && !up; ++i) {
      up = Send(port(), "GET", "/api/v1/health").status == 200;
      if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!up) {
      Shutdown();
      throw std::runtime_error("the server did not answer /api/v1/health");
    }
    tester_id_ = AddUser("tester", "BK-DMC-TPH", "test_all");
    session_ = SignIn("tester");
  }

  // Signs "tester" in again (after the test moved the clock past a timeout).
  void RefreshSession() { session_ = SignIn("tester"); }
  const std::string& tester_id() const { return tester_id_; }

  // The password of every user the fixture makes (hashed once per process).
  static constexpr const char* kPassword = "correct horse battery staple";

  // Inserts a user directly through the identity store (the operator path,
  // without hashing the password again). Returns its id.
  std::string AddUser(const std::string& username, const std::string& agency_code, const std::string& role) {
    static const std::string hash = [] {
      auto h = core::HashPassword(kPassword);
      if (!h.ok()) throw std::runtime_error("hash: " + h.status().ToString());
      return *h;
    }();
    auto agencies = service_->List(*domain::FindResource("agencies"),
                                   {{{"org_Code", agency_code}}, std::nullopt, std::nullopt}, app::SystemPrincipal());
    if (!agencies.ok() || (*agencies)["items"].size() != 1) throw std::runtime_error("no agency " + agency_code);
    app::UserRecord user;
    user.id = core::NewId(clock_);
    user.username = username;
    user.display_name = username;
    user.agency_id = (*agencies)["items"][0]["id"].get<std::string>();
    user.role_code = role;
    user.password_hash = hash;
    user.created_at = user.updated_at = core::FormatTimestamp(clock_.Now());
    auto tx = identity_->BeginIdentity(app::TxMode::kWrite);
    if (!tx.ok()) throw std::runtime_error("begin: " + tx.status().ToString());
    if (auto s = (*tx)->InsertUser(user); !s.ok()) throw std::runtime_error("insert user: " + s.ToString());
    if (auto s = (*tx)->Commit(); !s.ok()) throw std::runtime_error("commit: " + s.ToString());
    return user.id;
  }

  // Installs a role from its JSON text (operator path).
  void PutRole(const std::string& role_json) {
    auto role = domain::ParseRoleText(role_json);
    if (!role.ok()) throw std::runtime_error("role: " + role.status().ToString());
    auto tx = identity_->BeginIdentity(app::TxMode::kWrite);
    if (!tx.ok()) throw std::runtime_error("begin: " + tx.status().ToString());
    if (auto s = (*tx)->UpsertRole({role->code, domain::RoleToText(*role), false}); !s.ok()) {
      throw std::runtime_error("role: " + s.ToString());
    }
    if (auto s = (*tx)->Commit(); !s.ok()) throw std::runtime_error("commit: " + s.ToString());
  }

  // Signs in over HTTP (with `totp_code` when not empty); throws when refused.
  Session SignIn(const std::string& username, const std::string& password = kPassword,
                 const std::string& totp_code = "") {
    json body = {{"username", username}, {"password", password}};
    if (!totp_code.empty()) body["totp_code"] = totp_code;
    Reply r = Send(port(), "POST", "/api/v1/session", body.dump(), kJson);
    if (r.status != 201) throw std::runtime_error("sign in " + username + ": " + Describe(r));
    return SessionOf(r);
  }

  // The session a successful sign-in reply carries (cookie and CSRF token).
  static Session SessionOf(const Reply& sign_in) {
    Session session;
    const std::string set_cookie = sign_in.Header("Set-Cookie");
    session.cookie = set_cookie.substr(0, set_cookie.find(';'));
    const json body = sign_in.Json();
    if (body.is_object() && body.contains("csrf_token") && body["csrf_token"].is_string()) {
      session.csrf = body["csrf_token"].get<std::string>();
    }
    return session;
  }

  // The current TOTP code (by the fixture's clock) for a base32 secret as
  // returned by enrolment; "" when the secret is not base32.
  std::string TotpNow(const std::string& secret_base32) const {
    auto secret = core::Base32Decode(secret_base32);
    if (!secret.ok()) return "";
    const auto unix_seconds = std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
    return core::TotpCode(*secret, unix_seconds);
  }

  ~TestServer() { Shutdown(); }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int port() const { return server_->port(); }
  core::ManualClock& clock() { return clock_; }
  app::Store& store() { return *store_; }
  app::RecordService& service() { return *service_; }
  app::AuthService& auth() { return *auth_; }
  const app::FieldCipher& cipher() const { return *cipher_; }
  app::AuditLog& audit() { return *audit_; }
  const std::filesystem::path& dir() const { return dir_; }
  const std::string& key_file() const { return key_file_; }
  // True when the store is PostgreSQL (tests of SQLite file internals skip).
  bool postgres() const { return !pg_schema_.empty(); }
  // The session of "tester" (role test_all) that the ApiTest helpers use.
  const Session& session() const { return session_; }

 private:
  void Shutdown() {
    if (thread_.joinable()) {
      server_->Stop();
      thread_.join();
    }
    server_.reset();
    taskforce_.reset();
    exports_.reset();
    exporter_.reset();
    reports_.reset();
    auth_.reset();
    service_.reset();
    audit_.reset();
    store_.reset();
    if (!pg_schema_.empty()) testing_backends::PostgresDropSchema(pg_schema_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::filesystem::path dir_;
  std::string pg_schema_;  // PostgreSQL: the test's schema; SQLite: empty
  core::ManualClock clock_;
  std::unique_ptr<app::Store> store_;
  std::string key_file_;
  std::unique_ptr<core::KeyRing> ring_;
  std::unique_ptr<app::FieldCipher> cipher_;
  std::unique_ptr<app::AuditLog> audit_;
  std::unique_ptr<app::RecordService> service_;
  app::IdentityStore* identity_ = nullptr;
  std::unique_ptr<app::AuthService> auth_;
  std::unique_ptr<app::ReportService> reports_;
  std::unique_ptr<app::TaskforcePolicy> policy_;      // issue 7
  std::unique_ptr<app::TaskforceService> taskforce_;  // issue 7
  std::unique_ptr<exports::ReportExporter> exporter_;
  std::unique_ptr<app::ExportService> exports_;
  std::unique_ptr<http::HttpServer> server_;
  Session session_;
  std::string tester_id_;
  std::thread thread_;
};

// Ids of one record of every resource, linked together like a real case.
struct World {
  std::string location;      // LA-BK-01 (seeded)
  std::string agency;        // BK-DMC-TPH (seeded)
  std::string organisation;  // an employer in Thailand
  std::string person;
  std::string case_id;
  std::string event;
  std::string episode;
  std::string episode2;  // contract expired and sold on: previous_episode_id = episode
  std::string claim;
  std::string immigration;
  std::string assistance;
  std::string consent;

  // Resource name -> id of its record.
  std::vector<std::pair<std::string, std::string>> ByResource() const {
    return {{"locations", location},
            {"agencies", agency},
            {"organisations", organisation},
            {"persons", person},
            {"cases", case_id},
            {"trafficking-events", event},
            {"employment-episodes", episode},
            {"claims", claim},
            {"immigration-statuses", immigration},
            {"assistance", assistance},
            {"consents", consent}};
  }
};

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = std::make_unique<TestServer>(); }
  void TearDown() override { server_.reset(); }

  int port() const { return server_->port(); }
  TestServer& server() { return *server_; }

  // ---- as another signed-in user -----------------------------------------
  // `s` is a session from server().SignIn(...): its cookie and CSRF token.
  Reply As(const Session& s, const std::string& method, const std::string& path, const json& body = nullptr) {
    if (body.is_null()) return Send(port(), method, path, "", "", s.Headers());
    return Send(port(), method, path, body.dump(), kJson, s.Headers());
  }
  // A workflow step (issue 4): POST /<resource>/<id>/transitions/<action>
  // with {"version": version, ...payload}.
  Reply Step(const Session& s, const std::string& resource, const std::string& id, const std::string& action,
             std::int64_t version, json payload = json::object()) {
    payload["version"] = version;
    return As(s, "POST", Url(resource, id) + "/transitions/" + action, payload);
  }
  // Creates as `s`; fails the test unless 201 (and then returns a
  // placeholder with a well-formed id, so the test goes on to its asserts).
  json CreateAs(const Session& s, const std::string& resource, const json& body) {
    Reply r = As(s, "POST", Url(resource), body);
    EXPECT_EQ(r.status, 201) << "create " << resource << ": " << Describe(r);
    json out = r.Json();
    if (r.status != 201 || !out.is_object() || !out.contains("id")) {
      ADD_FAILURE() << "create " << resource << " failed";
      return json::object({{"id", "00000000-0000-7000-8000-000000000000"}, {"version", 0}});
    }
    return out;
  }

  // ---- raw HTTP ---------------------------------------------------------
  // These send the session of the fixture's user ("tester", role test_all).
  const Session& session() const { return server_->session(); }
  void RefreshSession() { server_->RefreshSession(); }
  Reply Get(const std::string& path, const httplib::Headers& headers = {}) {
    return Send(port(), "GET", path, "", "", session().Headers(headers));
  }
  Reply Post(const std::string& path, const json& body, const httplib::Headers& headers = {}) {
    return Send(port(), "POST", path, body.dump(), kJson, session().Headers(headers));
  }
  Reply PostRaw(const std::string& path, const std::string& body, const std::string& content_type = kJson) {
    return Send(port(), "POST", path, body, content_type, session().Headers());
  }
  Reply Patch(const std::string& path, const json& body, const httplib::Headers& headers = {}) {
    return Send(port(), "PATCH", path, body.dump(), kJson, session().Headers(headers));
  }
  Reply PatchRaw(const std::string& path, const std::string& body, const std::string& content_type = kJson) {
    return Send(port(), "PATCH", path, body, content_type, session().Headers());
  }
  Reply Delete(const std::string& path, const httplib::Headers& headers = {}) {
    return Send(port(), "DELETE", path, "", "", session().Headers(headers));
  }

  static std::string Url(const std::string& resource, const std::string& id = "") {
    return "/api/v1/" + resource + (id.empty() ? "" : "/" + id);
  }

  // ---- records ----------------------------------------------------------
  // POSTs `body` and returns the created record; fails the test otherwise.
  json Create(const std::string& resource, const json& body) {
    Reply r = Post(Url(resource), body);
    EXPECT_EQ(r.status, 201) << resource << ": " << Describe(r);
    json out = r.Json();
    if (r.status != 201 || !out.is_object() || !out.contains("id")) {
      ADD_FAILURE() << "create " << resource << " failed: " << Describe(r);
      return json::object({{"id", "00000000-0000-7000-8000-000000000000"}, {"version", 0}});
    }
    return out;
  }
  std::string CreateId(const std::string& resource, const json& body) {
    return Create(resource, body)["id"].get<std::string>();
  }

  json Read(const std::string& resource, const std::string& id) {
    Reply r = Get(Url(resource, id));
    EXPECT_EQ(r.status, 200) << Describe(r);
    return r.Json();
  }

  // Every record of `resource` matching `query` ("a=b&c=d"), following
  // cursors.
  std::vector<json> ListAll(const std::string& resource, const std::string& query = "") {
    std::vector<json> out;
    std::string cursor;
    for (int page = 0; page < 1000; ++page) {
      std::string path = Url(resource) + "?limit=500";
      if (!query.empty()) path += "&" + query;
      if (!cursor.empty()) path += "&cursor=" + cursor;
      Reply r = Get(path);
      EXPECT_EQ(r.status, 200) << path << ": " << Describe(r);
      json j = r.Json();
      if (r.status != 200 || !j.is_object()) return out;
      for (auto& item : j["items"]) out.push_back(item);
      if (j["next_cursor"].is_null()) return out;
      cursor = j["next_cursor"].get<std::string>();
    }
    ADD_FAILURE() << "list of " << resource << " never ended";
    return out;
  }
  size_t Count(const std::string& resource, const std::string& query = "") { return ListAll(resource, query).size(); }

  // The history entries of a record ([] when it has none).
  json History(const std::string& resource, const std::string& id) {
    Reply r = Get(Url(resource, id) + "/history");
    if (r.status == 404) return json::array();
    EXPECT_EQ(r.status, 200) << Describe(r);
    json j = r.Json();
    return j.is_object() ? j["items"] : json::array();
  }

  // The id of the seeded agency with org_Code `code`, found through the API.
  std::string AgencyId(const std::string& code) { return IdByCode("agencies", "org_Code", code); }
  std::string LocationId(const std::string& code) { return IdByCode("locations", "loc_Code", code); }

  std::string IdByCode(const std::string& resource, const std::string& field, const std::string& code) {
    Reply r = Get(Url(resource) + "?" + field + "=" + Encode(code));
    EXPECT_EQ(r.status, 200) << Describe(r);
    json j = r.Json();
    if (!j.is_object() || j["items"].size() != 1) {
      ADD_FAILURE() << "expected exactly one " << resource << " with " << field << "=" << code << ": " << Describe(r);
      return "";
    }
    return j["items"][0]["id"].get<std::string>();
  }

  // ---- sample bodies ----------------------------------------------------
  static json PersonBody() {
    return {
        {"prs_FirstName", "ມະນີວອນ"},
        {"prs_SecondName", "ສີສຸວັນ"},
        {"prs_LatinNames", {"Manivone Sisouvanh", "Manivon Sisouvan", "MANIVONE SISOUVANH"}},
        {"prs_Aliases", {"Noy", "ນ້ອຍ"}},
        {"prs_Sex", "Female"},
        {"prs_Gender", "Feminine"},
        {"prs_Birthdate", "2001-03-14"},
        {"prs_Citizenship", {"LA", "NA"}},
        {"prs_PrimaryLanguage", "lo"},
        {"prs_Languages", {"lo", "th", "en"}},
        {"prs_MaritalStatus", "Single"},
        {"prs_NumberOfChildren", 0},
        {"prs_HighestLevelOfEducation", nullptr},
        {"prs_IdentityDocuments",
         {{{"doc_Type", "Passport"},
           {"doc_Number", "P1234567"},
           {"doc_IssuingCountry", "LA"},
           {"doc_Status", "WithheldByEmployer"},
           {"doc_ExpiryDate", "2027-01-31"}},
          {{"doc_Type", "NationalIdCard"}, {"doc_Number", "01-234567"}, {"doc_Status", "HeldByPerson"}},
          {{"doc_Type", "BorderPass"}, {"doc_IssuingCountry", "LA"}, {"doc_Status", "Lost"}}}},
        {"prs_MobilePhone", "+8562055512345"},
        {"prs_MailingCountry", "LA"},
        {"prs_MailingState", "ບໍ່ແກ້ວ"},
        {"prs_MailingCity", "ຕົ້ນເຜິ້ງ"},
        {"prs_Deceased", false},
    };
  }
  // A minimal valid person.
  static json SmallPerson(const std::string& name) { return {{"prs_FirstName", name}}; }

  json CaseBody(const std::string& person_id, const std::string& agency_id) {
    return {
        {"person_id", person_id},
        {"owner_agency_id", agency_id},
        {"cas_OpenedOn", "2025-06-01"},
        {"vic_AgeWhenTrafficked", 22},
        {"vic_MethodOfRecruitment", {"ThroughOnlineSocialNetworks"}},
        {"vic_TypeOfExploitation", {"ForcedLabour"}},
        {"vic_ForcedLabourIndustry", {"C_Manufacturing"}},
        {"vic_MethodsOfControl", {{"DebtBondage", "No"}, {"WithholdsDocuments", "Yes"}, {"Threats", "Unknown"}}},
        {"vic_Vulnerabilities", {"Poverty", "Migration"}},
        {"vic_ExploitationStartDate", "2023-01-10"},
        {"vic_ExploitationEndDate", "2025-05-20"},
        {"cas_Summary", "ຖືກຊັກຊວນຜ່ານ Facebook.\nRecruited on Facebook; passport held by the factory.\tThai: ค่าจ้าง"},
    };
  }

  // Creates one record of every resource, linked into one case.
  World MakeWorld() {
    World w;
    w.location = LocationId("LA-BK-01");
    w.agency = AgencyId("BK-DMC-TPH");
    w.organisation = CreateId("organisations", {{"org_Name", "ບໍລິສັດ ຕົວຢ່າງ"},
                                                {"org_NameLatin", "Sample Garment Co., Ltd."},
                                                {"org_Category", "Employer"},
                                                {"org_Type", "CorporateBusiness"},
                                                {"org_ShippingCountry", "TH"},
                                                {"org_ShippingCity", "Samut Prakan"},
                                                {"org_Phone", "+66812345678"}});
    w.person = CreateId("persons", PersonBody());
    w.case_id = CreateId("cases", CaseBody(w.person, w.agency));
    w.event = CreateId("trafficking-events", {{"case_id", w.case_id},
                                              {"hte_Type", "Recruitment"},
                                              {"hte_Date", "2023-01-02"},
                                              {"hte_Country", "LA"},
                                              {"location_id", w.location},
                                              {"hte_Latitude", 20.27},
                                              {"hte_Longitude", 100.41},
                                              {"hte_Description", "Met the broker at the market."}});
    w.episode = CreateId("employment-episodes",
                         {{"case_id", w.case_id},
                          {"employer_id", w.organisation},
                          {"emp_JobTitle", "Sewing machine operator"},
                          {"emp_Industry", {"C_Manufacturing"}},
                          {"emp_ContractStart", "2023-01-10"},
                          {"emp_ContractEnd", "2024-01-09"},
                          {"emp_PromisedWage", {{"amount", 9000}, {"currency", "THB"}, {"period", "Month"}}},
                          {"emp_PaidWage", {{"amount", 2500.5}, {"currency", "THB"}, {"period", "Month"}}},
                          {"emp_HoursPerDay", 12.5},
                          {"emp_DaysPerWeek", 7}});
    w.episode2 = CreateId("employment-episodes", {{"case_id", w.case_id},
                                                  {"previous_episode_id", w.episode},
                                                  {"emp_TransferType", "ContractExpiredSold"},
                                                  {"emp_ContractStart", "2024-01-10"}});
    w.claim = CreateId("claims", {{"case_id", w.case_id},
                                  {"employment_episode_id", w.episode},
                                  {"claimant_id", w.organisation},
                                  {"clm_Kind", "CovidTest"},
                                  {"clm_Direction", "DemandedFromWorker"},
                                  {"clm_Amount", 3000},
                                  {"clm_Currency", "THB"},
                                  {"clm_Status", "Demanded"},
                                  {"clm_Date", "2023-01-12"}});
    w.immigration = CreateId("immigration-statuses", {{"case_id", w.case_id},
                                                      {"imm_BorderCrossing", "PassportNotStamped"},
                                                      {"imm_CrossingPoint", "Huay Xai - Chiang Khong"},
                                                      {"imm_EntryDate", "2023-01-05"},
                                                      {"imm_DocumentStatus", "DocumentsWithheld"},
                                                      {"imm_MigrantType", "Labour"},
                                                      {"imm_WishToReturn", "Yes"},
                                                      {"imm_ReturnCountry", "LA"},
                                                      {"imm_ReturnPlace", "ຕົ້ນເຜິ້ງ"},
                                                      {"imm_ReturnWhen", "2025-07-01"}});
    w.assistance = CreateId("assistance", {{"case_id", w.case_id},
                                           {"agency_id", w.agency},
                                           {"ast_Date", kToday},
                                           {"ast_ServiceType", "Shelter"},
                                           {"spl_Type", "SocialCare"},
                                           {"ast_CostAmount", 150000},
                                           {"ast_CostCurrency", "LAK"}});
    w.consent = CreateId(
        "consents",
        {{"case_id", w.case_id}, {"cns_Purpose", "Referral"}, {"cns_Status", "Given"}, {"cns_Method", "Thumbprint"}});
    return w;
  }

  // ---- error shape --------------------------------------------------------
  // True (with a gtest failure otherwise) when `r` has the one error shape:
  // {"error":{"code":string,"message":string,"fields":[{"path","rule",...}]}}.
  static ::testing::AssertionResult HasErrorShape(const Reply& r) {
    json j = r.Json();
    if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) {
      return ::testing::AssertionFailure() << "no error object: " << Describe(r);
    }
    const json& e = j["error"];
    if (!e.contains("code") || !e["code"].is_string() || e["code"].get<std::string>().empty()) {
      return ::testing::AssertionFailure() << "error.code missing: " << Describe(r);
    }
    if (!e.contains("message") || !e["message"].is_string()) {
      return ::testing::AssertionFailure() << "error.message missing: " << Describe(r);
    }
    if (!e.contains("fields") || !e["fields"].is_array()) {
      return ::testing::AssertionFailure() << "error.fields missing: " << Describe(r);
    }
    for (const auto& f : e["fields"]) {
      if (!f.is_object() || !f.contains("path") || !f["path"].is_string() || !f.contains("rule") ||
          !f["rule"].is_string()) {
        return ::testing::AssertionFailure() << "bad field error " << f.dump() << " in " << Describe(r);
      }
    }
    return ::testing::AssertionSuccess();
  }

  // `r` is an error with HTTP `status`, error code `code` and, in its fields,
  // exactly the one entry {path, rule}.
  static ::testing::AssertionResult IsError(const Reply& r, int status, const std::string& code,
                                            const std::string& path, const std::string& rule) {
    if (r.status != status) return ::testing::AssertionFailure() << "want " << status << ", got " << Describe(r);
    auto shape = HasErrorShape(r);
    if (!shape) return shape;
    const json e = r.Json()["error"];
    if (e["code"] != code) return ::testing::AssertionFailure() << "want code " << code << ", got " << Describe(r);
    if (e["fields"].size() != 1 || e["fields"][0]["path"] != path || e["fields"][0]["rule"] != rule) {
      return ::testing::AssertionFailure() << "want exactly one field error {path: \"" << path << "\", rule: \"" << rule
                                           << "\"}, got " << Describe(r);
    }
    return ::testing::AssertionSuccess();
  }
  // 400 invalid_argument with one field error.
  static ::testing::AssertionResult IsFieldError(const Reply& r, const std::string& path, const std::string& rule) {
    return IsError(r, 400, "invalid_argument", path, rule);
  }
  // `r` has an error field {path, rule} among others.
  static ::testing::AssertionResult HasFieldError(const Reply& r, const std::string& path, const std::string& rule) {
    auto shape = HasErrorShape(r);
    if (!shape) return shape;
    const json body = r.Json();
    for (const auto& f : body["error"]["fields"]) {
      if (f["path"] == path && f["rule"] == rule) return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "no field error {" << path << ", " << rule << "} in " << Describe(r);
  }

  std::unique_ptr<TestServer> server_;
};

}  // namespace ctims::api_test
