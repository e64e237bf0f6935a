// Round trips, lists, routing and code lists of the JSON API, over real HTTP
// against an in-process server on a real SQLite file.

#include <algorithm>
#include <set>

#include "test_server.hpp"

namespace ctims::api_test {
namespace {

// Every non-null member of `sent` is in `got` with exactly the same JSON
// value (strings byte for byte).
void ExpectFieldsEqual(const json& sent, const json& got, const std::string& what) {
  ASSERT_TRUE(got.is_object()) << what << ": " << got.dump();
  for (const auto& [key, value] : sent.items()) {
    if (value.is_null()) {
      EXPECT_FALSE(got.contains(key)) << what << ": null " << key << " should be absent";
      continue;
    }
    ASSERT_TRUE(got.contains(key)) << what << ": missing " << key << " in " << got.dump();
    EXPECT_EQ(got[key], value) << what << ": field " << key;
    if (value.is_string()) {
      EXPECT_EQ(got[key].get<std::string>(), value.get<std::string>()) << what << "." << key;
    }
  }
}

void ExpectMeta(const json& record, std::int64_t version) {
  ASSERT_TRUE(record.is_object());
  EXPECT_TRUE(record["id"].is_string());
  EXPECT_EQ(record["version"], version);
  EXPECT_TRUE(record["created_at"].is_string());
  EXPECT_TRUE(record["updated_at"].is_string());
}

TEST_F(ApiTest, HealthReportsSchemaVersion) {
  Reply r = Get("/api/v1/health");
  ASSERT_EQ(r.status, 200) << Describe(r);
  EXPECT_EQ(r.Header("Content-Type").rfind("application/json", 0), 0u) << r.Header("Content-Type");
  json j = r.Json();
  EXPECT_EQ(j["status"], "ok");
  EXPECT_GE(j["schema_version"].get<int>(), 1);
  EXPECT_EQ(j["schema_version"], j["schema_version_expected"]);
  EXPECT_EQ(j["storage"], server().postgres() ? "postgresql" : "sqlite");
  EXPECT_TRUE(j["version"].is_string());
}

TEST_F(ApiTest, PersonAndCaseRoundTripByteForByte) {
  // The seeded agency, found through the API.
  Reply agencies = Get("/api/v1/agencies?org_Code=BK-DMC-TPH");
  ASSERT_EQ(agencies.status, 200) << Describe(agencies);
  json page = agencies.Json();
  ASSERT_EQ(page["items"].size(), 1u) << agencies.body;
  EXPECT_EQ(page["items"][0]["org_Code"], "BK-DMC-TPH");
  EXPECT_TRUE(page["next_cursor"].is_null());
  const std::string agency = page["items"][0]["id"];

  // Person: Lao script, Latin spellings, aliases, NA (Namibia), documents.
  const json person_body = PersonBody();
  Reply created = Post("/api/v1/persons", person_body);
  ASSERT_EQ(created.status, 201) << Describe(created);
  json person = created.Json();
  ExpectMeta(person, 1);
  const std::string person_id = person["id"];
  EXPECT_EQ(created.Header("Location"), "/api/v1/persons/" + person_id);
  EXPECT_EQ(created.Header("ETag"), "\"1\"");
  EXPECT_EQ(person["created_at"], "2025-06-15T09:30:00.000Z");
  ExpectFieldsEqual(person_body, person, "create response");

  Reply read = Get(created.Header("Location"));
  ASSERT_EQ(read.status, 200) << Describe(read);
  EXPECT_EQ(read.Header("ETag"), "\"1\"");
  json person_read = read.Json();
  ExpectFieldsEqual(person_body, person_read, "person read back");
  EXPECT_EQ(person_read, person) << "GET differs from the POST answer";
  EXPECT_EQ(person_read["prs_Citizenship"], json({"LA", "NA"})) << "NA (Namibia) must stay the string NA";
  EXPECT_EQ(person_read["prs_IdentityDocuments"][1]["doc_Status"], "HeldByPerson");
  EXPECT_FALSE(person_read.contains("prs_HighestLevelOfEducation")) << "null means absent";

  // Case owned by the seeded agency; defaults filled in.
  const json case_body = CaseBody(person_id, agency);
  Reply case_created = Post("/api/v1/cases", case_body);
  ASSERT_EQ(case_created.status, 201) << Describe(case_created);
  json kase = case_created.Json();
  ExpectMeta(kase, 1);
  const std::string case_id = kase["id"];
  EXPECT_EQ(case_created.Header("Location"), "/api/v1/cases/" + case_id);
  EXPECT_EQ(case_created.Header("ETag"), "\"1\"");
  EXPECT_EQ(kase["cas_Status"], "Active") << "default status";
  json case_read = Read("cases", case_id);
  ExpectFieldsEqual(case_body, case_read, "case read back");
  EXPECT_EQ(case_read, kase);

  // cas_OpenedOn defaults to today by the injected clock.
  json minimal_case = Create("cases", {{"person_id", person_id}, {"owner_agency_id", agency}});
  EXPECT_EQ(minimal_case["cas_OpenedOn"], kToday);
  EXPECT_EQ(minimal_case["cas_Status"], "Active");
}

TEST_F(ApiTest, ListFiltersFindTheRightRecords) {
  const World w = MakeWorld();
  // Noise: another person (not Namibian) with a case at another agency.
  // (Statuses change only through the workflow: issue 4's tests close cases.)
  const std::string other_person = CreateId("persons", {{"prs_FirstName", "ບຸນມີ"}, {"prs_Citizenship", {"LA"}}});
  const std::string other_agency = AgencyId("BK-DMC-HXY");
  const std::string other_case = CreateId(
      "cases", {{"person_id", other_person}, {"owner_agency_id", other_agency}, {"cas_OpenedOn", "2025-01-01"}});

  auto ids = [](const std::vector<json>& items) {
    std::vector<std::string> out;
    for (const auto& i : items) out.push_back(i["id"]);
    return out;
  };
  EXPECT_EQ(ids(ListAll("cases", "person_id=" + w.person)), std::vector<std::string>{w.case_id});
  EXPECT_EQ(ids(ListAll("persons", "prs_Citizenship=NA")), std::vector<std::string>{w.person});
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(sorted(ids(ListAll("cases", "cas_Status=Active"))), sorted({w.case_id, other_case}));
  EXPECT_EQ(ListAll("cases", "cas_Status=Closed").size(), 0u);
  EXPECT_EQ(ids(ListAll("cases", "owner_agency_id=" + w.agency)), std::vector<std::string>{w.case_id});
  EXPECT_EQ(ids(ListAll("cases", "cas_Status=Active&person_id=" + other_person)), std::vector<std::string>{other_case});
  EXPECT_EQ(ids(ListAll("cases", "cas_Status=FollowUp&person_id=" + other_person)), std::vector<std::string>{});
  EXPECT_EQ(ListAll("persons", "prs_Citizenship=LA").size(), 2u);
  EXPECT_EQ(ListAll("persons", "prs_Sex=Female").size(), 1u);
  EXPECT_EQ(ids(ListAll("claims", "clm_Kind=CovidTest")), std::vector<std::string>{w.claim});
  EXPECT_EQ(ListAll("employment-episodes", "case_id=" + w.case_id).size(), 2u);
  EXPECT_EQ(ids(ListAll("assistance", std::string("ast_Date=") + kToday)), std::vector<std::string>{w.assistance});
  EXPECT_EQ(ListAll("agencies", "org_Level=district").size(), 5u) << "Bokeo's five district committees";
  EXPECT_EQ(ListAll("locations", "loc_Level=district&parent_id=" + LocationId("LA-BK")).size(), 5u);
}

TEST_F(ApiTest, EveryChildResourceIsCreatedAndReadBack) {
  const World w = MakeWorld();

  json event = Read("trafficking-events", w.event);
  EXPECT_EQ(event["case_id"], w.case_id);
  EXPECT_EQ(event["hte_Type"], "Recruitment");
  EXPECT_EQ(event["hte_Latitude"], 20.27);
  EXPECT_EQ(event["location_id"], w.location);

  json first = Read("employment-episodes", w.episode);
  EXPECT_EQ(first["employer_id"], w.organisation);
  EXPECT_EQ(first["emp_PromisedWage"], json({{"amount", 9000}, {"currency", "THB"}, {"period", "Month"}}));
  EXPECT_EQ(first["emp_PaidWage"]["amount"], 2500.5);
  EXPECT_EQ(first["emp_HoursPerDay"], 12.5);
  EXPECT_FALSE(first.contains("previous_episode_id"));

  json second = Read("employment-episodes", w.episode2);
  EXPECT_EQ(second["previous_episode_id"], w.episode);
  EXPECT_EQ(second["emp_TransferType"], "ContractExpiredSold");
  EXPECT_EQ(second["case_id"], w.case_id);

  // A transfer without the episode it continues breaks a rule.
  Reply orphan =
      Post("/api/v1/employment-episodes", {{"case_id", w.case_id}, {"emp_TransferType", "ContractExpiredSold"}});
  EXPECT_TRUE(IsFieldError(orphan, "previous_episode_id", "required_with"));

  json covid = Read("claims", w.claim);
  EXPECT_EQ(covid["clm_Kind"], "CovidTest");
  EXPECT_EQ(covid["clm_Amount"], 3000);
  EXPECT_EQ(covid["employment_episode_id"], w.episode);
  const json quarantine_body = {{"case_id", w.case_id},
                                {"employment_episode_id", w.episode2},
                                {"claimant_id", w.organisation},
                                {"clm_Kind", "Quarantine"},
                                {"clm_Direction", "DemandedFromWorker"},
                                {"clm_Amount", 14000},
                                {"clm_Currency", "THB"},
                                {"clm_Status", "Disputed"},
                                {"clm_Notes", "14 days in the company dormitory, deducted from wages."}};
  json quarantine = Create("claims", quarantine_body);
  ExpectFieldsEqual(quarantine_body, Read("claims", quarantine["id"]), "quarantine claim");
  EXPECT_EQ(ListAll("claims", "case_id=" + w.case_id).size(), 2u);

  json imm = Read("immigration-statuses", w.immigration);
  EXPECT_EQ(imm["imm_BorderCrossing"], "PassportNotStamped");
  EXPECT_EQ(imm["imm_ReturnPlace"], "ຕົ້ນເຜິ້ງ");

  json ast = Read("assistance", w.assistance);
  EXPECT_EQ(ast["agency_id"], w.agency);
  EXPECT_EQ(ast["ast_Date"], kToday);
  EXPECT_EQ(ast["ast_CostAmount"], 150000);

  json org = Read("organisations", w.organisation);
  EXPECT_EQ(org["org_NameLatin"], "Sample Garment Co., Ltd.");
}

TEST_F(ApiTest, PaginationIsStableWithoutDuplicatesOrGaps) {
  ASSERT_EQ(Count("persons"), 0u);
  std::vector<std::string> created;
  for (int i = 0; i < 120; ++i) {
    // Move time on now and then so ids span several milliseconds.
    if (i % 7 == 0) server().clock().Advance(std::chrono::milliseconds(3));
    created.push_back(CreateId("persons", SmallPerson("ຄົນທີ " + std::to_string(i))));
  }

  for (int limit : {1, 7, 50, 119, 120, 500}) {
    std::vector<std::string> seen;
    std::string cursor;
    int pages = 0;
    for (;;) {
      std::string path = "/api/v1/persons?limit=" + std::to_string(limit);
      if (!cursor.empty()) path += "&cursor=" + cursor;
      Reply r = Get(path);
      ASSERT_EQ(r.status, 200) << Describe(r);
      json j = r.Json();
      ++pages;
      ASSERT_LE(j["items"].size(), static_cast<size_t>(limit));
      for (const auto& item : j["items"]) seen.push_back(item["id"]);
      if (j["next_cursor"].is_null()) break;
      EXPECT_EQ(j["items"].size(), static_cast<size_t>(limit)) << "only the last page may be short";
      cursor = j["next_cursor"];
      ASSERT_LT(pages, 200);
    }
    EXPECT_EQ(seen, created) << "limit " << limit << ": every record once, in creation order";
    EXPECT_EQ(pages, (120 + limit - 1) / limit) << "limit " << limit;
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size());
  }
  // Default page size is 50.
  json first = Get("/api/v1/persons").Json();
  EXPECT_EQ(first["items"].size(), 50u);
  EXPECT_EQ(first["next_cursor"], created[49]);
  // The same page twice is the same page.
  EXPECT_EQ(Get("/api/v1/persons?limit=10&cursor=" + created[9]).body,
            Get("/api/v1/persons?limit=10&cursor=" + created[9]).body);
}

TEST_F(ApiTest, UnknownIdsAnswer404) {
  const World w = MakeWorld();
  const std::string absent = "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b";
  for (const auto& [resource, id] : w.ByResource()) {
    SCOPED_TRACE(resource);
    Reply r = Get(Url(resource, absent));
    EXPECT_EQ(r.status, 404) << Describe(r);
    EXPECT_TRUE(HasErrorShape(r));
    EXPECT_EQ(r.Json()["error"]["code"], "not_found");
    EXPECT_EQ(r.Json()["error"]["fields"], json::array());

    Reply h = Get(Url(resource, absent) + "/history");
    EXPECT_EQ(h.status, 404) << Describe(h);
    EXPECT_EQ(h.Json()["error"]["code"], "not_found");

    Reply p = Patch(Url(resource, absent), {{"version", 1}});
    EXPECT_EQ(p.status, 404) << Describe(p);
    EXPECT_EQ(p.Json()["error"]["code"], "not_found");

    Reply d = Delete(Url(resource, absent) + "?version=1");
    EXPECT_EQ(d.status, 404) << Describe(d);
    EXPECT_EQ(d.Json()["error"]["code"], "not_found");

    // Garbage ids: hex-looking but not a uuid, and not hex at all.
    for (const std::string garbage : {"abc-123", "deadbeef", "----", "not-an-id", "ZZZ", "1%27%20OR%201=1"}) {
      Reply g = Get(Url(resource, garbage));
      EXPECT_EQ(g.status, 404) << garbage << ": " << Describe(g);
      EXPECT_TRUE(HasErrorShape(g)) << garbage;
    }
    // The real record is still there.
    EXPECT_EQ(Get(Url(resource, id)).status, 200);
  }
  // A real id under another resource is unknown there.
  EXPECT_EQ(Get(Url("cases", w.person)).status, 404);
  EXPECT_EQ(Get(Url("cases", w.person) + "/history").status, 404);
  EXPECT_EQ(Patch(Url("claims", w.case_id), {{"version", 1}}).status, 404);
  EXPECT_EQ(Delete(Url("claims", w.case_id) + "?version=1").status, 404);
  EXPECT_EQ(Read("cases", w.case_id)["version"], 1);
}

TEST_F(ApiTest, UnknownRoutesAndWrongMethods) {
  for (const std::string path : {"/api/v1/nope", "/api/v2/persons", "/", "/api/v1/persons/x/y/z", "/api/v1/"}) {
    Reply r = Get(path);
    EXPECT_EQ(r.status, 404) << path << ": " << Describe(r);
    EXPECT_TRUE(HasErrorShape(r)) << path;
    EXPECT_EQ(r.Json()["error"]["code"], "route_not_found") << path;
  }
  Reply post_unknown = Post("/api/v1/victims", {{"a", 1}});
  EXPECT_EQ(post_unknown.status, 404);
  EXPECT_EQ(post_unknown.Json()["error"]["code"], "route_not_found");

  const size_t persons = Count("persons");
  Reply put = Send(port(), "PUT", "/api/v1/persons", SmallPerson("x").dump(), kJson);
  EXPECT_EQ(put.status, 405) << Describe(put);
  EXPECT_TRUE(HasErrorShape(put));
  EXPECT_EQ(put.Json()["error"]["code"], "method_not_allowed");
  EXPECT_EQ(put.Header("Allow"), "GET, POST");
  EXPECT_EQ(Count("persons"), persons) << "a 405 writes nothing";

  Reply del_collection = Delete("/api/v1/cases");
  EXPECT_EQ(del_collection.status, 405);
  EXPECT_EQ(del_collection.Header("Allow"), "GET, POST");

  const std::string id = CreateId("persons", SmallPerson("y"));
  Reply post_item = Post(Url("persons", id), {{"prs_FirstName", "z"}});
  EXPECT_EQ(post_item.status, 405) << Describe(post_item);
  EXPECT_EQ(post_item.Header("Allow"), "DELETE, GET, PATCH");
  EXPECT_EQ(post_item.Json()["error"]["code"], "method_not_allowed");

  Reply put_item = Send(port(), "PUT", Url("persons", id), SmallPerson("q").dump(), kJson);
  EXPECT_EQ(put_item.status, 405);
  EXPECT_EQ(put_item.Header("Allow"), "DELETE, GET, PATCH");
  EXPECT_EQ(Read("persons", id)["prs_FirstName"], "y");

  Reply post_health = Post("/api/v1/health", json::object());
  EXPECT_EQ(post_health.status, 405);
  EXPECT_EQ(post_health.Header("Allow"), "GET");

  Reply history_delete = Delete(Url("persons", id) + "/history");
  EXPECT_EQ(history_delete.status, 405);
  EXPECT_EQ(history_delete.Header("Allow"), "GET");
}

TEST_F(ApiTest, CodeLists) {
  Reply index = Get("/api/v1/codelists");
  ASSERT_EQ(index.status, 200) << Describe(index);
  std::set<std::string> names;
  const json index_json = index.Json();
  for (const auto& item : index_json["items"]) names.insert(item["name"]);
  for (const char* n : {"country", "language", "case_status", "claim_kind", "employment_transfer_type"}) {
    EXPECT_TRUE(names.contains(n)) << n;
  }

  Reply country = Get("/api/v1/codelists/country");
  ASSERT_EQ(country.status, 200) << Describe(country);
  json list = country.Json();
  EXPECT_EQ(list["name"], "country");
  ASSERT_GT(list["items"].size(), 200u);
  bool namibia = false;
  for (const auto& item : list["items"]) {
    ASSERT_TRUE(item["code"].is_string()) << item.dump();
    ASSERT_TRUE(item["labels"].is_object()) << item.dump();
    EXPECT_TRUE(item["labels"].contains("lo") && item["labels"]["lo"].is_string() &&
                !item["labels"]["lo"].get<std::string>().empty())
        << item.dump();
    EXPECT_TRUE(item["labels"].contains("en") && item["labels"]["en"].is_string() &&
                !item["labels"]["en"].get<std::string>().empty())
        << item.dump();
    if (item["code"] == "NA") {
      namibia = true;
      EXPECT_EQ(item["labels"]["en"], "Namibia");
    }
  }
  EXPECT_TRUE(namibia) << "NA must be a country code (Namibia), not a missing value";

  // Every list has lo + en labels on every item.
  for (const auto& name : names) {
    json l = Get("/api/v1/codelists/" + name).Json();
    for (const auto& item : l["items"]) {
      EXPECT_TRUE(item["labels"].contains("lo") && item["labels"].contains("en")) << name << ": " << item.dump();
    }
  }

  Reply unknown = Get("/api/v1/codelists/no_such_list");
  EXPECT_EQ(unknown.status, 404) << Describe(unknown);
  EXPECT_TRUE(HasErrorShape(unknown));
  EXPECT_EQ(unknown.Json()["error"]["code"], "not_found");
}

TEST_F(ApiTest, SecurityHeadersOnEveryResponse) {
  std::vector<std::pair<std::string, Reply>> replies;
  replies.emplace_back("health", Get("/api/v1/health"));
  replies.emplace_back("openapi", Get("/api/v1/openapi.json"));
  replies.emplace_back("codelist", Get("/api/v1/codelists/country"));
  Reply created = Post("/api/v1/persons", SmallPerson("ນາງ ແກ້ວ"));
  const std::string id = created.Json().value("id", "");
  replies.emplace_back("201", created);
  replies.emplace_back("list", Get("/api/v1/persons"));
  replies.emplace_back("read", Get(Url("persons", id)));
  replies.emplace_back("patch", Patch(Url("persons", id), {{"version", 1}, {"prs_SecondName", "ສີ"}}));
  replies.emplace_back("409", Patch(Url("persons", id), {{"version", 1}, {"prs_SecondName", "ສາ"}}));
  replies.emplace_back("history", Get(Url("persons", id) + "/history"));
  replies.emplace_back("400", Post("/api/v1/persons", {{"bogus", 1}}));
  replies.emplace_back("400 json", PostRaw("/api/v1/persons", "{"));
  replies.emplace_back("404", Get("/api/v1/nope"));
  replies.emplace_back("404 record", Get(Url("persons", "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b")));
  replies.emplace_back("405", Send(port(), "PUT", "/api/v1/persons", "{}", kJson));
  replies.emplace_back("415", PostRaw("/api/v1/persons", "{}", "text/plain"));
  replies.emplace_back("413", PostRaw("/api/v1/persons", std::string((1 << 20) + 100, ' ')));
  replies.emplace_back("204", Delete(Url("persons", id) + "?version=2"));
  for (const auto& [what, r] : replies) {
    SCOPED_TRACE(what);
    EXPECT_NE(r.status, -1) << r.body;
    EXPECT_EQ(r.Header("Cache-Control"), "no-store") << Describe(r);
    EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");
    EXPECT_TRUE(r.HasHeader("Content-Security-Policy"));
    EXPECT_NE(r.Header("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  }
  EXPECT_EQ(replies.back().second.status, 204);
}

}  // namespace
}  // namespace ctims::api_test
