// Optimistic concurrency (versions, If-Match, 409) and the field-level
// history of every write.

#include <latch>
#include <mutex>
#include <thread>

#include "test_server.hpp"

namespace ctims::api_test {
namespace {

TEST_F(ApiTest, PatchWithCurrentVersionBumpsIt) {
  const json created = Create("persons", PersonBody());
  const std::string id = created["id"];
  const std::string url = Url("persons", id);

  server().clock().Advance(std::chrono::seconds(5));
  Reply ok = Patch(url, {{"version", 1}, {"prs_SecondName", "ພົມມະຈັນ"}, {"prs_Aliases", nullptr}});
  ASSERT_EQ(ok.status, 200) << Describe(ok);
  json v2 = ok.Json();
  EXPECT_EQ(v2["version"], 2);
  EXPECT_EQ(ok.Header("ETag"), "\"2\"");
  EXPECT_EQ(v2["prs_SecondName"], "ພົມມະຈັນ");
  EXPECT_FALSE(v2.contains("prs_Aliases")) << "null in a merge patch removes the field";
  EXPECT_EQ(v2["prs_FirstName"], created["prs_FirstName"]) << "fields not in the patch stay";
  EXPECT_EQ(v2["created_at"], created["created_at"]);
  EXPECT_EQ(v2["updated_at"], "2025-06-15T09:30:05.000Z");
  EXPECT_EQ(Read("persons", id), v2);

  // Stale version: 409, record unchanged.
  Reply stale = Patch(url, {{"version", 1}, {"prs_SecondName", "other"}});
  EXPECT_TRUE(IsError(stale, 409, "conflict", "version", "stale"));
  EXPECT_EQ(Read("persons", id), v2);
  // A version from the future is stale too.
  EXPECT_EQ(Patch(url, {{"version", 7}, {"prs_SecondName", "other"}}).status, 409);

  // No version at all: 400 required.
  Reply missing = Patch(url, {{"prs_SecondName", "other"}});
  EXPECT_TRUE(IsFieldError(missing, "version", "required"));
  EXPECT_EQ(Read("persons", id), v2);
  // Bad versions.
  EXPECT_TRUE(IsFieldError(Patch(url, {{"version", "2"}, {"prs_SecondName", "o"}}), "version", "type"));
  EXPECT_TRUE(IsFieldError(Patch(url, {{"version", 0}, {"prs_SecondName", "o"}}), "version", "type"));
  EXPECT_TRUE(IsFieldError(Patch(url, {{"version", 2.0}, {"prs_SecondName", "o"}}), "version", "type"));

  // If-Match carries the version instead of the body.
  Reply if_match = Patch(url, {{"prs_MaritalStatus", "Married"}}, {{"If-Match", "\"2\""}});
  ASSERT_EQ(if_match.status, 200) << Describe(if_match);
  EXPECT_EQ(if_match.Json()["version"], 3);
  EXPECT_EQ(if_match.Header("ETag"), "\"3\"");
  // The ETag of a read is usable as If-Match.
  const std::string etag = Get(url).Header("ETag");
  EXPECT_EQ(etag, "\"3\"");
  Reply with_etag = Patch(url, {{"prs_MaritalStatus", "Divorced"}}, {{"If-Match", etag}});
  EXPECT_EQ(with_etag.status, 200) << Describe(with_etag);
  EXPECT_EQ(with_etag.Json()["version"], 4);
  // Stale If-Match.
  Reply stale_header = Patch(url, {{"prs_MaritalStatus", "Single"}}, {{"If-Match", "\"3\""}});
  EXPECT_TRUE(IsError(stale_header, 409, "conflict", "version", "stale"));
  // If-Match and body disagree, or If-Match is not a version.
  EXPECT_TRUE(IsFieldError(Patch(url, {{"version", 3}, {"prs_MaritalStatus", "Single"}}, {{"If-Match", "\"4\""}}),
                           "version", "mismatch"));
  EXPECT_TRUE(
      IsFieldError(Patch(url, {{"prs_MaritalStatus", "Single"}}, {{"If-Match", "W/\"4\""}}), "If-Match", "format"));
  EXPECT_TRUE(IsFieldError(Patch(url, {{"prs_MaritalStatus", "Single"}}, {{"If-Match", "*"}}), "If-Match", "format"));
  EXPECT_EQ(Read("persons", id)["version"], 4);
  EXPECT_EQ(Read("persons", id)["prs_MaritalStatus"], "Divorced");
  EXPECT_EQ(History("persons", id).size(), 4u);
}

TEST_F(ApiTest, DeleteNeedsTheCurrentVersion) {
  const std::string id = CreateId("persons", SmallPerson("ທ້າວ ສົມສັກ"));
  const std::string url = Url("persons", id);
  ASSERT_EQ(Patch(url, {{"version", 1}, {"prs_Sex", "Male"}}).status, 200);

  EXPECT_TRUE(IsFieldError(Delete(url), "version", "required"));
  EXPECT_TRUE(IsError(Delete(url + "?version=1"), 409, "conflict", "version", "stale"));
  EXPECT_TRUE(IsError(Delete(url, {{"If-Match", "\"1\""}}), 409, "conflict", "version", "stale"));
  EXPECT_TRUE(IsFieldError(Delete(url + "?version=abc"), "version", "format"));
  EXPECT_EQ(Read("persons", id)["version"], 2);
  EXPECT_EQ(History("persons", id).size(), 2u);

  Reply gone = Delete(url, {{"If-Match", "\"2\""}});
  EXPECT_EQ(gone.status, 204) << Describe(gone);
  EXPECT_TRUE(gone.body.empty());
  Reply read = Get(url);
  EXPECT_EQ(read.status, 404);
  EXPECT_EQ(read.Json()["error"]["code"], "not_found");
  EXPECT_EQ(Count("persons"), 0u);
  // Deleting again: 404.
  EXPECT_EQ(Delete(url + "?version=2").status, 404);

  const std::string other = CreateId("persons", SmallPerson("ນາງ ແສງ"));
  EXPECT_EQ(Delete(Url("persons", other) + "?version=1").status, 204);
}

TEST_F(ApiTest, DeletingAPersonWithACaseConflicts) {
  const World w = MakeWorld();
  const json person = Read("persons", w.person);
  const json history = History("persons", w.person);
  Reply r = Delete(Url("persons", w.person) + "?version=1");
  EXPECT_EQ(r.status, 409) << Describe(r);
  EXPECT_TRUE(HasErrorShape(r));
  EXPECT_EQ(r.Json()["error"]["code"], "conflict");
  EXPECT_EQ(Read("persons", w.person), person);
  EXPECT_EQ(History("persons", w.person), history);
  EXPECT_EQ(Count("persons"), 1u);

  // Same for a case with child records, and for a referenced episode.
  EXPECT_EQ(Delete(Url("cases", w.case_id) + "?version=1").status, 409);
  EXPECT_EQ(Delete(Url("employment-episodes", w.episode) + "?version=1").status, 409);
  EXPECT_EQ(Read("cases", w.case_id)["version"], 1);
  EXPECT_EQ(Count("employment-episodes"), 2u);
  // Seeded reference data in use cannot go either.
  EXPECT_EQ(Delete(Url("agencies", w.agency) + "?version=1").status, 409);
}

// References kept in a record's body (not in an indexed column) protect
// their target just the same: deleting it would leave the reference
// dangling, so the delete is refused with 409 and nothing changes.
TEST_F(ApiTest, DeletingARecordReferencedFromABodyFieldConflicts) {
  const World w = MakeWorld();

  // An organisation named only as a claim's claimant_id.
  const std::string broker = CreateId("organisations", {{"org_Name", "ນາຍໜ້າ"}, {"org_Category", "RecruitmentAgency"}});
  Create("claims", {{"case_id", w.case_id},
                    {"claimant_id", broker},
                    {"clm_Kind", "RecruitmentFee"},
                    {"clm_Direction", "DemandedFromWorker"},
                    {"clm_Status", "Outstanding"}});
  Reply org = Delete(Url("organisations", broker) + "?version=1");
  EXPECT_EQ(org.status, 409) << "claims.claimant_id would dangle: " << Describe(org);
  EXPECT_EQ(Get(Url("organisations", broker)).status, 200);

  // An employment episode named only as a claim's employment_episode_id.
  Create("claims", {{"case_id", w.case_id},
                    {"employment_episode_id", w.episode2},
                    {"clm_Kind", "Quarantine"},
                    {"clm_Direction", "DemandedFromWorker"},
                    {"clm_Status", "Demanded"}});
  Reply episode = Delete(Url("employment-episodes", w.episode2) + "?version=1");
  EXPECT_EQ(episode.status, 409) << "claims.employment_episode_id would dangle: " << Describe(episode);
  EXPECT_EQ(Get(Url("employment-episodes", w.episode2)).status, 200);

  // A location named only as a trafficking event's location_id.
  const std::string village = CreateId("locations", {{"loc_Code", "LA-BK-01-900"},
                                                     {"loc_NameLo", "ບ້ານ ທົດລອງ"},
                                                     {"loc_NameEn", "Test village"},
                                                     {"loc_Level", "village"}});
  Create("trafficking-events", {{"case_id", w.case_id}, {"hte_Type", "Transit"}, {"location_id", village}});
  Reply loc = Delete(Url("locations", village) + "?version=1");
  EXPECT_EQ(loc.status, 409) << "trafficking_events.location_id would dangle: " << Describe(loc);
  EXPECT_EQ(Get(Url("locations", village)).status, 200);
}

TEST_F(ApiTest, ConcurrentPatchesOfOneRecordExactlyOneWins) {
  const std::string id = CreateId("persons", SmallPerson("ນາງ ພອນ"));
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::mutex mutex;
  std::vector<int> statuses;
  std::vector<std::string> winners;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      const std::string name = "writer " + std::to_string(i);
      const std::string body = json{{"version", 1}, {"prs_SecondName", name}}.dump();
      httplib::Client cli("127.0.0.1", port());
      cli.set_read_timeout(30, 0);
      start.arrive_and_wait();
      auto res = cli.Patch(Url("persons", id), session().Headers(), body, kJson);
      const std::lock_guard lock(mutex);
      statuses.push_back(res ? res->status : -1);
      if (res && res->status == 200) winners.push_back(name);
      if (res && res->status == 409) {
        json e = json::parse(res->body, nullptr, false);
        EXPECT_EQ(e["error"]["code"], "conflict") << res->body;
      }
    });
  }
  for (auto& t : threads) t.join();
  int ok = 0;
  int conflict = 0;
  for (int s : statuses) {
    if (s == 200) ++ok;
    if (s == 409) ++conflict;
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(conflict, kThreads - 1);
  ASSERT_EQ(winners.size(), 1u);
  json record = Read("persons", id);
  EXPECT_EQ(record["version"], 2);
  EXPECT_EQ(record["prs_SecondName"], winners[0]);
  EXPECT_EQ(History("persons", id).size(), 2u);
}

TEST_F(ApiTest, HistoryRecordsEveryWriteWithFieldChanges) {
  const std::string person = CreateId("persons", SmallPerson("ນາງ ຈັນ"));
  const std::string agency = AgencyId("BK-DMC-TPH");
  const json body = CaseBody(person, agency);
  const json created = Create("cases", body);
  const std::string id = created["id"];
  const std::string url = Url("cases", id);

  server().clock().Advance(std::chrono::minutes(1));
  ASSERT_EQ(
      Patch(url, {{"version", 1}, {"cas_Summary", "Updated narrative."}, {"vic_AgeWhenTrafficked", nullptr}}).status,
      200);
  server().clock().Advance(std::chrono::minutes(1));
  ASSERT_EQ(
      Patch(url, {{"version", 2}, {"vic_MethodsOfControl", {{"DebtBondage", "Yes"}, {"PhysicalAbuse", "Yes"}}}}).status,
      200);

  // An update that changes nothing: 200, same version, no history entry.
  const json v3 = Read("cases", id);
  EXPECT_EQ(v3["version"], 3);
  Reply same =
      Patch(url, {{"version", 3}, {"cas_Summary", "Updated narrative."}, {"cas_OpenedOn", v3["cas_OpenedOn"]}});
  ASSERT_EQ(same.status, 200) << Describe(same);
  EXPECT_EQ(same.Json()["version"], 3);
  EXPECT_EQ(same.Json(), v3);
  Reply empty = Patch(url, {{"version", 3}});
  ASSERT_EQ(empty.status, 200) << Describe(empty);
  EXPECT_EQ(empty.Json()["version"], 3);
  EXPECT_EQ(Read("cases", id), v3);
  EXPECT_EQ(History("cases", id).size(), 3u);

  server().clock().Advance(std::chrono::minutes(1));
  ASSERT_EQ(Delete(url + "?version=3").status, 204);
  EXPECT_EQ(Get(url).status, 404);

  // History outlives the record.
  Reply r = Get(url + "/history");
  ASSERT_EQ(r.status, 200) << Describe(r);
  const json items = r.Json()["items"];
  ASSERT_EQ(items.size(), 4u) << items.dump(1);
  const char* actions[] = {"create", "update", "update", "delete"};
  const char* times[] = {"2025-06-15T09:30:00.000Z", "2025-06-15T09:31:00.000Z", "2025-06-15T09:32:00.000Z",
                         "2025-06-15T09:33:00.000Z"};
  for (size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(items[i]["action"], actions[i]);
    EXPECT_EQ(items[i]["version"], static_cast<int>(i) + 1);
    EXPECT_EQ(items[i]["actor"], server().tester_id());
    EXPECT_EQ(items[i]["at"], times[i]);
    ASSERT_TRUE(items[i]["changes"].is_array());
    EXPECT_FALSE(items[i]["changes"].empty());
    for (const auto& c : items[i]["changes"]) {
      EXPECT_TRUE(c.contains("path") && c["path"].is_string()) << c.dump();
      EXPECT_TRUE(c.contains("from")) << c.dump();
      EXPECT_TRUE(c.contains("to")) << c.dump();
    }
  }
  auto change = [](const json& entry, const std::string& path) -> json {
    for (const auto& c : entry["changes"]) {
      if (c["path"] == path) return c;
    }
    return nullptr;
  };
  // create: every field from null.
  EXPECT_EQ(change(items[0], "person_id"), json({{"path", "person_id"}, {"from", nullptr}, {"to", person}}));
  EXPECT_EQ(change(items[0], "cas_Status"), json({{"path", "cas_Status"}, {"from", nullptr}, {"to", "Active"}}));
  // update 1: exactly the two fields.
  EXPECT_EQ(items[1]["changes"].size(), 2u) << items[1].dump();
  EXPECT_EQ(change(items[1], "cas_Summary"),
            json({{"path", "cas_Summary"}, {"from", body["cas_Summary"]}, {"to", "Updated narrative."}}));
  EXPECT_EQ(change(items[1], "vic_AgeWhenTrafficked"),
            json({{"path", "vic_AgeWhenTrafficked"}, {"from", 22}, {"to", nullptr}}));
  // update 2: nested paths.
  EXPECT_EQ(items[2]["changes"].size(), 2u) << items[2].dump();
  EXPECT_EQ(change(items[2], "vic_MethodsOfControl.DebtBondage"),
            json({{"path", "vic_MethodsOfControl.DebtBondage"}, {"from", "No"}, {"to", "Yes"}}));
  EXPECT_EQ(change(items[2], "vic_MethodsOfControl.PhysicalAbuse"),
            json({{"path", "vic_MethodsOfControl.PhysicalAbuse"}, {"from", nullptr}, {"to", "Yes"}}));
  // delete: every field to null.
  EXPECT_EQ(change(items[3], "owner_agency_id"),
            json({{"path", "owner_agency_id"}, {"from", agency}, {"to", nullptr}}));

  // A failed write adds nothing; an unknown record has no history.
  EXPECT_EQ(Get(Url("cases", "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b") + "/history").status, 404);
  // Seeded records carry the seeding actor.
  json seeded = History("agencies", agency);
  ASSERT_EQ(seeded.size(), 1u);
  EXPECT_EQ(seeded[0]["actor"], "system");
  EXPECT_EQ(seeded[0]["action"], "create");
}

}  // namespace
}  // namespace ctims::api_test
