// Issue 3 §6 through the API: every request that touches personal data or
// security leaves one audit event naming who, from where, what and the
// outcome; the chain verifies; nothing personal is in it.

#include "app/audit_log.hpp"
#include "test_server.hpp"

namespace ctims::api_test {
namespace {

std::vector<app::AuditRow> AuditRows(app::Store& store) {
  auto tx = store.Begin(app::TxMode::kRead);
  if (!tx.ok()) return {};
  auto rows = (*tx)->ReadAudit(0, 1000000);
  return rows.ok() ? *rows : std::vector<app::AuditRow>{};
}

// The events appended since `before` rows.
std::vector<app::AuditRow> Since(app::Store& store, std::size_t before) {
  auto rows = AuditRows(store);
  return std::vector<app::AuditRow>(rows.begin() + static_cast<std::ptrdiff_t>(std::min(before, rows.size())),
                                    rows.end());
}

TEST_F(ApiTest, Issue3_EveryPersonalDataRequestIsAudited) {
  app::Store& store = server().store();
  const World w = MakeWorld();

  std::size_t n = AuditRows(store).size();
  const std::string person = CreateId("persons", SmallPerson("ນາງ ຄຳ"));
  auto events = Since(store, n);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "create");
  EXPECT_EQ(events[0].resource, "persons");
  EXPECT_EQ(events[0].record_ids, json::array({person}).dump());
  EXPECT_EQ(events[0].outcome, "ok");
  EXPECT_EQ(events[0].user_id, server().tester_id());
  EXPECT_EQ(events[0].role, "test_all");
  EXPECT_EQ(events[0].client_ip, "127.0.0.1");
  EXPECT_FALSE(events[0].agency_id.empty());

  n = AuditRows(store).size();
  Read("persons", person);
  events = Since(store, n);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "read");
  EXPECT_EQ(events[0].record_ids, json::array({person}).dump());

  n = AuditRows(store).size();
  ASSERT_EQ(Get(Url("persons") + "?limit=500").status, 200);
  events = Since(store, n);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "list");
  EXPECT_NE(events[0].record_ids.find(person), std::string::npos) << "a list names the records it showed";

  n = AuditRows(store).size();
  History("persons", person);
  ASSERT_EQ(Since(store, n).size(), 1u);
  EXPECT_EQ(Since(store, n)[0].action, "history");

  // A refused write is audited with its outcome; a read of reference data
  // is not (it is nobody's personal data).
  n = AuditRows(store).size();
  EXPECT_EQ(Post(Url("persons"), {{"prs_Sex", "Nonsense"}}).status, 400);
  ASSERT_EQ(Get(Url("locations") + "?limit=5").status, 200);
  events = Since(store, n);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "create");
  EXPECT_EQ(events[0].outcome, "invalid");

  // Reading a missing (or out-of-scope) record is audited as such.
  n = AuditRows(store).size();
  EXPECT_EQ(Get(Url("cases", "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b")).status, 404);
  events = Since(store, n);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].outcome, "not_found");

  // Sign-in, failed sign-in (no username stored), CSRF refusal, sign-out.
  n = AuditRows(store).size();
  EXPECT_EQ(Send(port(), "POST", "/api/v1/session",
                 json{{"username", "nobody-here"}, {"password", "wrong password, long enough"}}.dump(), kJson)
                .status,
            401);
  const Session other = server().SignIn("tester");
  EXPECT_EQ(Send(port(), "POST", Url("persons"), SmallPerson("x").dump(), kJson, {{"Cookie", other.cookie}}).status,
            403);
  EXPECT_EQ(Send(port(), "DELETE", "/api/v1/session", "", "", other.Headers()).status, 204);
  events = Since(store, n);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].action, "sign_in");
  EXPECT_EQ(events[0].outcome, "unknown_user");
  EXPECT_EQ(events[0].user_id, "");
  EXPECT_EQ(events[1].action, "sign_in");
  EXPECT_EQ(events[1].outcome, "success");
  EXPECT_EQ(events[1].user_id, server().tester_id());
  EXPECT_EQ(events[2].action, "denied");
  EXPECT_EQ(events[2].outcome, "csrf");
  EXPECT_EQ(events[3].action, "sign_out");
  for (const auto& e : AuditRows(store)) {
    EXPECT_EQ(e.record_ids.find("nobody-here"), std::string::npos);
    EXPECT_NE(e.user_id, "nobody-here");
  }

  // The whole log chains.
  auto verified = app::VerifyAudit(store, std::nullopt);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_TRUE(verified->ok) << verified->reason;
  EXPECT_EQ(static_cast<std::size_t>(verified->count), AuditRows(store).size());
}

}  // namespace
}  // namespace ctims::api_test
