// Every class of bad input is answered 400 (or 413/415) in the one error
// shape, with the exact path and rule, and nothing is written.

#include <algorithm>
#include <string>

#include "test_server.hpp"

namespace ctims::api_test {
namespace {

json With(json base, const std::string& key, json value) {
  base[key] = std::move(value);
  return base;
}

std::string Repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

class ValidationTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    agency_ = AgencyId("BK-DMC-TPH");
    person_ = CreateId("persons", PersonBody());
    case_ = CreateId("cases", CaseBody(person_, agency_));
  }

  // POSTs `body`; it must be rejected with exactly {path, rule} and the
  // resource must hold as many records as before.
  void ExpectCreateRejected(const std::string& resource, const json& body, const std::string& path,
                            const std::string& rule) {
    SCOPED_TRACE(resource + " " + body.dump().substr(0, 300));
    const size_t before = Count(resource);
    Reply r = Post(Url(resource), body);
    EXPECT_TRUE(IsFieldError(r, path, rule));
    EXPECT_EQ(Count(resource), before) << "a rejected create wrote a record";
  }

  // Same for a raw body answered with `status`, error `code` and {path, rule}.
  void ExpectRawRejected(const std::string& resource, const std::string& body, const std::string& content_type,
                         int status, const std::string& code, const std::string& path, const std::string& rule) {
    SCOPED_TRACE(resource + " raw body " + body.substr(0, 80));
    const size_t before = Count(resource);
    Reply r = PostRaw(Url(resource), body, content_type);
    EXPECT_TRUE(IsError(r, status, code, path, rule));
    EXPECT_EQ(Count(resource), before) << "a rejected create wrote a record";
  }

  // PATCHes the case (with its current version); it must be rejected with
  // {path, rule} and the case and its history must be unchanged.
  void ExpectCasePatchRejected(json patch, const std::string& path, const std::string& rule) {
    SCOPED_TRACE("PATCH case " + patch.dump());
    const json before = Read("cases", case_);
    const json history = History("cases", case_);
    if (!patch.contains("version")) patch["version"] = before["version"];
    Reply r = Patch(Url("cases", case_), patch);
    EXPECT_TRUE(IsFieldError(r, path, rule));
    EXPECT_EQ(Read("cases", case_), before) << "a rejected update changed the record";
    EXPECT_EQ(History("cases", case_), history) << "a rejected update added history";
  }

  json Case() { return CaseBody(person_, agency_); }

  std::string agency_;
  std::string person_;
  std::string case_;
};

TEST_F(ValidationTest, UnknownFields) {
  ExpectCreateRejected("persons", With(PersonBody(), "bogus", 1), "bogus", "unknown_field");
  ExpectCreateRejected("persons", With(PersonBody(), "prs_firstname", "lower case is another name"), "prs_firstname",
                       "unknown_field");
  json doc = PersonBody();
  doc["prs_IdentityDocuments"][0]["bogus"] = "x";
  ExpectCreateRejected("persons", doc, "prs_IdentityDocuments[0].bogus", "unknown_field");
  json doc2 = PersonBody();
  doc2["prs_IdentityDocuments"][2]["doc_Bogus"] = {{"nested", true}};
  ExpectCreateRejected("persons", doc2, "prs_IdentityDocuments[2].doc_Bogus", "unknown_field");
  json control = Case();
  control["vic_MethodsOfControl"]["Beatings"] = "Yes";
  ExpectCreateRejected("cases", control, "vic_MethodsOfControl.Beatings", "unknown_field");
  ExpectCasePatchRejected({{"cas_Bogus", "x"}}, "cas_Bogus", "unknown_field");
}

TEST_F(ValidationTest, WrongTypes) {
  ExpectCreateRejected("persons", With(PersonBody(), "prs_FirstName", 42), "prs_FirstName", "type");
  ExpectCreateRejected("persons", With(PersonBody(), "prs_Citizenship", "NA"), "prs_Citizenship", "type");
  ExpectCreateRejected("persons", With(PersonBody(), "prs_NumberOfChildren", "3"), "prs_NumberOfChildren", "type");
  ExpectCreateRejected("persons", With(PersonBody(), "prs_NumberOfChildren", 2.5), "prs_NumberOfChildren", "type");
  ExpectCreateRejected("persons", With(PersonBody(), "prs_Deceased", "false"), "prs_Deceased", "type");
  ExpectCreateRejected("persons", With(PersonBody(), "prs_Birthdate", 20010314), "prs_Birthdate", "type");
  ExpectCreateRejected("persons", With(PersonBody(), "prs_IdentityDocuments", json::object()), "prs_IdentityDocuments",
                       "type");
  ExpectCreateRejected("persons", With(PersonBody(), "prs_IdentityDocuments", {1}), "prs_IdentityDocuments[0]", "type");
  ExpectCreateRejected("persons", With(PersonBody(), "prs_LatinNames", {"Manivone", 7}), "prs_LatinNames[1]", "type");
  ExpectCreateRejected("cases", With(Case(), "person_id", 5), "person_id", "type");
  ExpectCreateRejected("cases", With(Case(), "vic_MethodsOfControl", "Yes"), "vic_MethodsOfControl", "type");
  ExpectCasePatchRejected({{"vic_AgeWhenTrafficked", "22"}}, "vic_AgeWhenTrafficked", "type");
}

TEST_F(ValidationTest, CodesNotInTheirList) {
  ExpectCreateRejected("persons", With(PersonBody(), "prs_Sex", "F"), "prs_Sex", "codelist");
  ExpectCreateRejected("persons", With(PersonBody(), "prs_Citizenship", {"NA", "ZZ"}), "prs_Citizenship[1]",
                       "codelist");
  ExpectCreateRejected("persons", With(PersonBody(), "prs_Citizenship", {"na"}), "prs_Citizenship[0]", "codelist");
  ExpectCreateRejected("persons", With(PersonBody(), "prs_Languages", {"lo", "lao"}), "prs_Languages[1]", "codelist");
  json doc = PersonBody();
  doc["prs_IdentityDocuments"][1]["doc_Status"] = "Stolen";
  ExpectCreateRejected("persons", doc, "prs_IdentityDocuments[1].doc_Status", "codelist");
  ExpectCreateRejected("cases", With(Case(), "cas_Status", "Open"), "cas_Status", "managed");
  ExpectCreateRejected("claims",
                       {{"case_id", case_},
                        {"clm_Kind", "CovidFee"},
                        {"clm_Direction", "DemandedFromWorker"},
                        {"clm_Status", "Demanded"}},
                       "clm_Kind", "codelist");
  ExpectCasePatchRejected({{"vic_MethodsOfControl", {{"DebtBondage", "Maybe"}}}}, "vic_MethodsOfControl.DebtBondage",
                          "codelist");
}

TEST_F(ValidationTest, ImpossibleDates) {
  ExpectCreateRejected("persons", With(PersonBody(), "prs_Birthdate", "2023-02-29"), "prs_Birthdate", "date");
  ExpectCreateRejected("persons", With(PersonBody(), "prs_Birthdate", "2022-13-01"), "prs_Birthdate", "date");
  ExpectCreateRejected("persons", With(PersonBody(), "prs_Birthdate", "2022-04-31"), "prs_Birthdate", "date");
  ExpectCreateRejected("persons", With(PersonBody(), "prs_Birthdate", "1900-02-29"), "prs_Birthdate", "date");
  ExpectCreateRejected("persons", With(PersonBody(), "prs_Birthdate", "2001-3-14"), "prs_Birthdate", "date");
  ExpectCreateRejected("persons", With(PersonBody(), "prs_Birthdate", "14/03/2001"), "prs_Birthdate", "date");
  ExpectCreateRejected("persons", With(PersonBody(), "prs_Birthdate", "2001-03-14T00:00:00Z"), "prs_Birthdate", "date");
  json doc = PersonBody();
  doc["prs_IdentityDocuments"][0]["doc_ExpiryDate"] = "2027-00-10";
  ExpectCreateRejected("persons", doc, "prs_IdentityDocuments[0].doc_ExpiryDate", "date");
  ExpectCasePatchRejected({{"cas_OpenedOn", "2023-02-29"}}, "cas_OpenedOn", "date");
  // A real leap day is fine.
  EXPECT_EQ(Post("/api/v1/persons", With(PersonBody(), "prs_Birthdate", "2004-02-29")).status, 201);
}

TEST_F(ValidationTest, OverLongStrings) {
  // Lengths count code points: 200 Lao letters (600 bytes) fit, 201 do not.
  EXPECT_EQ(Post("/api/v1/persons", SmallPerson(Repeat("ກ", 200))).status, 201);
  ExpectCreateRejected("persons", SmallPerson(Repeat("ກ", 201)), "prs_FirstName", "max_length");
  ExpectCreateRejected("persons", With(PersonBody(), "prs_LatinNames", {"Manivone", Repeat("a", 201)}),
                       "prs_LatinNames[1]", "max_length");
  json doc = PersonBody();
  doc["prs_IdentityDocuments"][0]["doc_Number"] = Repeat("9", 65);
  ExpectCreateRejected("persons", doc, "prs_IdentityDocuments[0].doc_Number", "max_length");
  ExpectCreateRejected("agencies",
                       {{"org_Code", Repeat("A", 33)},
                        {"org_NameLo", "ທົດລອງ"},
                        {"org_NameEn", "Test"},
                        {"org_Type", "NGO"},
                        {"org_Level", "district"}},
                       "org_Code", "max_length");
  ExpectCasePatchRejected({{"cas_Summary", Repeat("x", 20001)}}, "cas_Summary", "max_length");
}

TEST_F(ValidationTest, NumbersOutOfRange) {
  json age = PersonBody();
  age["prs_AgeEstimatedOn"] = "2025-06-01";
  ExpectCreateRejected("persons", With(age, "prs_EstimatedAge", -1), "prs_EstimatedAge", "min");
  ExpectCreateRejected("persons", With(age, "prs_EstimatedAge", 121), "prs_EstimatedAge", "max");
  EXPECT_EQ(Post("/api/v1/persons", With(age, "prs_EstimatedAge", 120)).status, 201);
  ExpectCreateRejected("persons", With(PersonBody(), "prs_NumberOfChildren", 31), "prs_NumberOfChildren", "max");
  ExpectCreateRejected("trafficking-events", {{"case_id", case_}, {"hte_Type", "Transit"}, {"hte_Latitude", 90.5}},
                       "hte_Latitude", "max");
  ExpectCreateRejected("trafficking-events", {{"case_id", case_}, {"hte_Type", "Transit"}, {"hte_Longitude", -180.01}},
                       "hte_Longitude", "min");
  ExpectCreateRejected("employment-episodes", {{"case_id", case_}, {"emp_DaysPerWeek", 8}}, "emp_DaysPerWeek", "max");
  ExpectCreateRejected("employment-episodes",
                       {{"case_id", case_}, {"emp_PromisedWage", {{"amount", -1}, {"currency", "THB"}}}},
                       "emp_PromisedWage.amount", "min");
  ExpectCreateRejected("claims",
                       {{"case_id", case_},
                        {"clm_Kind", "Quarantine"},
                        {"clm_Direction", "DemandedFromWorker"},
                        {"clm_Status", "Demanded"},
                        {"clm_Amount", -0.5},
                        {"clm_Currency", "THB"}},
                       "clm_Amount", "min");
  ExpectCasePatchRejected({{"vic_AgeWhenTrafficked", 121}}, "vic_AgeWhenTrafficked", "max");
}

TEST_F(ValidationTest, Patterns) {
  const json agency = {{"org_Code", "BK-TEST"},
                       {"org_NameLo", "ອົງການທົດລອງ"},
                       {"org_NameEn", "Test agency"},
                       {"org_Type", "NGO"},
                       {"org_Level", "district"}};
  ExpectCreateRejected("agencies", With(agency, "org_Phone", "12ab"), "org_Phone", "pattern");
  ExpectCreateRejected("agencies", With(agency, "org_Phone", "+856 20 555"), "org_Phone", "pattern");
  ExpectCreateRejected("agencies", With(agency, "org_Email", "no-at-sign"), "org_Email", "pattern");
  ExpectCreateRejected("agencies", With(agency, "org_Code", "bk-test"), "org_Code", "pattern");
  ExpectCreateRejected("persons", With(PersonBody(), "prs_MobilePhone", "02055512345"), "prs_MobilePhone", "pattern");
  EXPECT_EQ(Post("/api/v1/agencies", With(agency, "org_Phone", "+85684211234")).status, 201);
  // The code is now taken: 409 with the unique rule, nothing written.
  const size_t before = Count("agencies");
  EXPECT_TRUE(IsError(Post("/api/v1/agencies", agency), 409, "already_exists", "org_Code", "unique"));
  EXPECT_EQ(Count("agencies"), before);
  // Renaming another agency to the taken code: 409, nothing changes.
  const std::string other = AgencyId("BK-DMC-HXY");
  const json other_before = Read("agencies", other);
  EXPECT_TRUE(IsError(Patch(Url("agencies", other), {{"version", 1}, {"org_Code", "BK-TEST"}}), 409, "already_exists",
                      "org_Code", "unique"));
  EXPECT_EQ(Read("agencies", other), other_before);
  EXPECT_EQ(History("agencies", other).size(), 1u);
}

TEST_F(ValidationTest, MissingRequiredFields) {
  json no_person = Case();
  no_person.erase("person_id");
  ExpectCreateRejected("cases", no_person, "person_id", "required");
  ExpectCreateRejected("cases", With(Case(), "owner_agency_id", nullptr), "owner_agency_id", "required");
  json doc = PersonBody();
  doc["prs_IdentityDocuments"][0].erase("doc_Status");
  ExpectCreateRejected("persons", doc, "prs_IdentityDocuments[0].doc_Status", "required");
  ExpectCreateRejected("employment-episodes", {{"case_id", case_}, {"emp_PaidWage", {{"amount", 100}}}},
                       "emp_PaidWage.currency", "required");
  ExpectCreateRejected("assistance", {{"case_id", case_}, {"agency_id", agency_}, {"ast_ServiceType", "Legal"}},
                       "ast_Date", "required");
  // A person needs some name.
  ExpectCreateRejected("persons", {{"prs_Sex", "Female"}}, "prs_FirstName", "one_of_required");
  // Removing a required field by patch.
  ExpectCasePatchRejected({{"owner_agency_id", nullptr}}, "owner_agency_id", "required");
}

TEST_F(ValidationTest, ReferencesToMissingRecords) {
  const std::string absent = "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b";
  ExpectCreateRejected("cases", With(Case(), "person_id", absent), "person_id", "reference");
  ExpectCreateRejected("cases", With(Case(), "owner_agency_id", person_), "owner_agency_id", "reference");
  ExpectCreateRejected("cases", With(Case(), "recruitment_location_id", absent), "recruitment_location_id",
                       "reference");
  ExpectCreateRejected("claims",
                       {{"case_id", absent},
                        {"clm_Kind", "CovidTest"},
                        {"clm_Direction", "DemandedFromWorker"},
                        {"clm_Status", "Demanded"}},
                       "case_id", "reference");
  ExpectCreateRejected(
      "employment-episodes",
      {{"case_id", case_}, {"previous_episode_id", absent}, {"emp_TransferType", "SoldDuringContract"}},
      "previous_episode_id", "reference");
  ExpectCreateRejected("cases", With(Case(), "person_id", "not-a-uuid"), "person_id", "id_format");
  ExpectCasePatchRejected({{"person_id", absent}}, "person_id", "reference");
}

TEST_F(ValidationTest, MalformedJson) {
  for (const std::string body : {"{", "{\"prs_FirstName\": }", "{'prs_FirstName': 'x'}", "", "{} trailing",
                                 "{\"prs_FirstName\": \"\xff\xfe\"}", "{\"a\":1,}", "nul", "\"unterminated"}) {
    ExpectRawRejected("persons", body, kJson, 400, "invalid_json", "", "json");
  }
  const json before = Read("cases", case_);
  Reply r = PatchRaw(Url("cases", case_), "{\"version\": 1,");
  EXPECT_TRUE(IsError(r, 400, "invalid_json", "", "json"));
  EXPECT_EQ(Read("cases", case_), before);
}

TEST_F(ValidationTest, BodyMustBeAnObject) {
  for (const std::string body : {"[]", "[{\"prs_FirstName\":\"x\"}]", "42", "\"ມະນີ\"", "null", "true"}) {
    ExpectRawRejected("persons", body, kJson, 400, "invalid_argument", "", "type");
  }
  const json before = Read("cases", case_);
  EXPECT_TRUE(IsFieldError(PatchRaw(Url("cases", case_), "[1]"), "", "type"));
  EXPECT_EQ(Read("cases", case_), before);
}

TEST_F(ValidationTest, DeeplyNestedJson) {
  ExpectRawRejected("persons", std::string(100, '[') + std::string(100, ']'), kJson, 400, "invalid_json", "",
                    "max_depth");
  ExpectRawRejected("persons", std::string(100000, '['), kJson, 400, "invalid_json", "", "max_depth");
  std::string nested = "{\"prs_FirstName\":\"x\",\"prs_Aliases\":";
  for (int i = 0; i < 40; ++i) nested += "{\"a\":";
  nested += "1";
  for (int i = 0; i < 40; ++i) nested += "}";
  nested += "}";
  ExpectRawRejected("persons", nested, kJson, 400, "invalid_json", "", "max_depth");
  // Brackets inside strings do not count.
  ExpectCreateRejected("persons", SmallPerson(std::string(201, '[')), "prs_FirstName", "max_length");
  EXPECT_EQ(Post("/api/v1/persons", SmallPerson(std::string(100, '{'))).status, 201);
}

TEST_F(ValidationTest, WrongContentType) {
  const std::string body = SmallPerson("ນາງ ດາວ").dump();
  for (const std::string type : {"text/plain", "application/x-www-form-urlencoded", "application/xml", "text/json",
                                 "application/merge-patch+json"}) {
    ExpectRawRejected("persons", body, type, 415, "unsupported_media_type", "Content-Type", "media_type");
  }
  const json before = Read("cases", case_);
  Reply r = PatchRaw(Url("cases", case_), json{{"version", 1}, {"cas_Summary", "x"}}.dump(), "text/plain");
  EXPECT_TRUE(IsError(r, 415, "unsupported_media_type", "Content-Type", "media_type"));
  EXPECT_EQ(Read("cases", case_), before);
  // Parameters after the media type are fine.
  EXPECT_EQ(PostRaw("/api/v1/persons", body, "application/json; charset=utf-8").status, 201);
}

// Media types that only look like JSON are refused with 415 like any other,
// and the type is compared case-insensitively (RFC 9110 section 8.3.1).
TEST_F(ValidationTest, ContentTypeIsMatchedExactly) {
  const std::string body = SmallPerson("ນາງ ດາວ").dump();
  for (const std::string type :
       {"application/jsonx", "application/json-seq", "multipart/form-data", "multipart/form-data; boundary=xyz"}) {
    ExpectRawRejected("persons", body, type, 415, "unsupported_media_type", "Content-Type", "media_type");
  }
  for (const std::string type : {"Application/JSON", "APPLICATION/JSON; charset=UTF-8"}) {
    Reply r = PostRaw("/api/v1/persons", body, type);
    EXPECT_EQ(r.status, 201) << type << ": " << Describe(r);
  }
}

// The 1 MiB limit also holds when the body comes in chunks (no
// Content-Length), so a client cannot make the server buffer any amount.
TEST_F(ValidationTest, ChunkedBodyOverOneMebibyte) {
  const size_t before = Count("persons");
  const std::string big = "{\"prs_FirstName\":\"" + std::string(3 << 20, 'a') + "\"}";
  httplib::Client cli("127.0.0.1", port());
  cli.set_read_timeout(30, 0);
  cli.set_write_timeout(30, 0);
  auto res = cli.Post(
      "/api/v1/persons",
      [&big](size_t offset, httplib::DataSink& sink) {
        if (offset < big.size()) {
          const size_t n = std::min<size_t>(64 * 1024, big.size() - offset);
          return sink.write(big.data() + offset, n);
        }
        sink.done();
        return true;
      },
      kJson);
  Reply r;
  if (res) r = Reply{res->status, res->body, res->headers};
  // The server may also cut the connection once the limit is passed.
  if (res) {
    EXPECT_TRUE(IsError(r, 413, "payload_too_large", "", "max_bytes"));
  }
  EXPECT_EQ(Count("persons"), before);
}

TEST_F(ValidationTest, BodyOverOneMebibyte) {
  const size_t before = Count("persons");
  std::string big = "{\"prs_FirstName\":\"" + std::string((1 << 20), 'a') + "\"}";
  Reply r = PostRaw("/api/v1/persons", big);
  EXPECT_TRUE(IsError(r, 413, "payload_too_large", "", "max_bytes"));
  EXPECT_EQ(r.Header("Content-Type").rfind("application/json", 0), 0u);
  EXPECT_EQ(Count("persons"), before);

  const json case_before = Read("cases", case_);
  Reply p = PatchRaw(Url("cases", case_), "{\"version\":1,\"cas_Summary\":\"" + std::string(1 << 20, 'b') + "\"}");
  EXPECT_TRUE(IsError(p, 413, "payload_too_large", "", "max_bytes"));
  EXPECT_EQ(Read("cases", case_), case_before);

  // Exactly 1 MiB is accepted by the transport and judged by the rules.
  std::string exact = "{\"prs_FirstName\":\"\"}";
  exact.insert(18, std::string((1 << 20) - exact.size(), 'c'));
  ASSERT_EQ(exact.size(), size_t{1} << 20);
  ExpectRawRejected("persons", exact, kJson, 400, "invalid_argument", "prs_FirstName", "max_length");
}

TEST_F(ValidationTest, ReadOnlyFields) {
  for (const char* meta : {"id", "version", "created_at", "updated_at"}) {
    ExpectCreateRejected("persons", With(PersonBody(), meta, meta == std::string("version") ? json(1) : json("x")),
                         meta, "read_only");
  }
  ExpectCreateRejected("persons", With(PersonBody(), "id", "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"), "id", "read_only");
  ExpectCasePatchRejected({{"id", "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"}}, "id", "read_only");
  ExpectCasePatchRejected({{"created_at", "2020-01-01T00:00:00.000Z"}}, "created_at", "read_only");
  ExpectCasePatchRejected({{"updated_at", "2020-01-01T00:00:00.000Z"}}, "updated_at", "read_only");
}

TEST_F(ValidationTest, CrossFieldRules) {
  // Status, closure and the trafficking decision change only through the
  // workflow (issue 4); their rules are checked there and in domain tests.
  const std::pair<const char*, json> managed[] = {{"cas_Status", "Closed"},
                                                  {"cas_ClosedOn", "2025-06-10"},
                                                  {"cas_ClosureReason", "ReturnedHome"},
                                                  {"vic_TraffickingStatus", "PossibleVictimOfTrafficking"},
                                                  {"vic_TraffickingStatusDecisionMakingOrg", "Police"}};
  for (const auto& [field, value] : managed) {
    SCOPED_TRACE(field);
    ExpectCreateRejected("cases", With(Case(), field, value), field, "managed");
    ExpectCasePatchRejected({{field, value}}, field, "managed");
    ExpectCasePatchRejected({{field, nullptr}}, field, "managed");
  }
  ExpectCreateRejected("cases", With(Case(), "cas_OpenedOn", kTomorrow), "cas_OpenedOn", "not_future");
  ExpectCreateRejected("cases", With(Case(), "vic_ExploitationEndDate", "2022-12-31"), "vic_ExploitationEndDate",
                       "date_order");
  ExpectCreateRejected("cases", With(Case(), "vic_TypeOfSexExploitation", json::array({"Pornography"})),
                       "vic_TypeOfSexExploitation", "required_with");

  ExpectCreateRejected("persons", With(PersonBody(), "prs_Birthdate", kTomorrow), "prs_Birthdate", "not_future");
  EXPECT_EQ(Post("/api/v1/persons", With(PersonBody(), "prs_Birthdate", kToday)).status, 201) << "born today";
  ExpectCreateRejected("persons", With(PersonBody(), "prs_EstimatedAge", 30), "prs_AgeEstimatedOn", "required_with");
  ExpectCreateRejected("persons", With(PersonBody(), "prs_Citizenship", {"XX", "LA"}), "prs_Citizenship", "exclusive");
  ExpectCreateRejected(
      "assistance", {{"case_id", case_}, {"agency_id", agency_}, {"ast_Date", kTomorrow}, {"ast_ServiceType", "Food"}},
      "ast_Date", "not_future");
  ExpectCreateRejected("claims",
                       {{"case_id", case_},
                        {"clm_Kind", "CovidTest"},
                        {"clm_Direction", "DemandedFromWorker"},
                        {"clm_Status", "Demanded"},
                        {"clm_Amount", 3000}},
                       "clm_Currency", "required_with");

  // The same rules guard updates: the merged record is checked.
  ExpectCasePatchRejected({{"vic_ExploitationStartDate", "2030-01-01"}, {"vic_ExploitationEndDate", "2029-01-01"}},
                          "vic_ExploitationEndDate", "date_order");
  ExpectCasePatchRejected({{"cas_OpenedOn", kTomorrow}}, "cas_OpenedOn", "not_future");

  // When the clock moves on, tomorrow is no longer the future.
  server().clock().Advance(std::chrono::hours(24));
  RefreshSession();  // a day later the fixture's session has long expired
  EXPECT_EQ(Post("/api/v1/persons", With(PersonBody(), "prs_Birthdate", kTomorrow)).status, 201);
}

TEST_F(ValidationTest, BadListParameters) {
  const size_t persons = Count("persons");
  struct Case {
    std::string query;
    std::string path;
    std::string rule;
  };
  const Case cases[] = {
      {"persons?limit=0", "limit", "range"},
      {"persons?limit=abc", "limit", "range"},
      {"persons?limit=-1", "limit", "range"},
      {"persons?limit=501", "limit", "range"},
      {"persons?limit=1.5", "limit", "range"},
      {"persons?limit=", "limit", "range"},
      {"persons?cursor=xyz", "cursor", "format"},
      {"persons?cursor=", "cursor", "format"},
      {"persons?bogus=1", "bogus", "unknown_filter"},
      {"persons?prs_FirstName=x", "prs_FirstName", "unknown_filter"},
      {"persons?id=x", "id", "unknown_filter"},
      {"persons?limit=5&limit=6", "limit", "duplicate"},
      {"persons?prs_Sex=Female&prs_Sex=Male", "prs_Sex", "duplicate"},
      {"persons?prs_Citizenship=ZZ", "prs_Citizenship", "codelist"},
      {"cases?person_id=xyz", "person_id", "id_format"},
      {"cases?cas_Status=Open", "cas_Status", "codelist"},
      {"assistance?ast_Date=2023-02-29", "ast_Date", "date"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.query);
    EXPECT_TRUE(IsFieldError(Get("/api/v1/" + c.query), c.path, c.rule));
  }
  EXPECT_EQ(Count("persons"), persons);
  // Several problems at once are all reported.
  Reply many = Get("/api/v1/persons?limit=0&cursor=xyz&bogus=1");
  EXPECT_EQ(many.status, 400);
  EXPECT_TRUE(HasFieldError(many, "limit", "range"));
  EXPECT_TRUE(HasFieldError(many, "cursor", "format"));
  EXPECT_TRUE(HasFieldError(many, "bogus", "unknown_filter"));
}

}  // namespace
}  // namespace ctims::api_test
