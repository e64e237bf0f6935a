// Issue 8: cross-script person search over the encrypted name index, its
// scope, filters and errors, the plaintext canary, and duplicate proposals
// with the review queue. Every person is registered through the API.

#include <fstream>
#include <iterator>
#include <map>

#include "app/dedupe.hpp"
#include "app/person_search.hpp"
#include "search/fuzzy.hpp"
#include "test_server.hpp"

namespace ctims::api_test {
namespace {

class Issue8SearchTest : public ApiTest {
 protected:
  // GET /persons/search?<query> as `s` (the tester by default).
  Reply Search(const std::string& query, const Session* s = nullptr) {
    return As(s != nullptr ? *s : session(), "GET", "/api/v1/persons/search?" + query);
  }
  std::vector<std::string> Ids(const Reply& r) {
    std::vector<std::string> ids;
    const json body = r.Json();
    if (!body.is_object() || !body.contains("items")) return ids;
    for (const auto& item : body["items"]) ids.push_back(item["id"].get<std::string>());
    return ids;
  }
  std::string Person(json body) {
    Reply r = Post(Url("persons"), body);
    EXPECT_EQ(r.status, 201) << Describe(r);
    return r.Json().value("id", std::string());
  }
  // The error's field errors as "field:rule".
  static std::vector<std::string> FieldRules(const Reply& r) {
    std::vector<std::string> out;
    const json body = r.Json();
    if (!body.is_object() || !body.contains("error")) return out;
    for (const auto& f : body["error"].value("fields", json::array())) {
      out.push_back(f.value("path", std::string()) + ":" + f.value("rule", std::string()));
    }
    return out;
  }
  // Persons that only look alike at a glance: the right one must still rank first.
  void RegisterDistractors() {
    for (const char* name : {"ສົມສັກ ພົມມະວົງ", "Somchai Srisuk", "张丽", "Maung Htun", "Nguyễn Văn Bình", "Hun Manet",
                             "Somsak Phommavong", "สมศรี ใจดี", "ហ៊ុន ម៉ាណែត"}) {
      Person({{"prs_FirstName", name}});
    }
  }
};

struct Example {
  std::string written;                 // as the first agency registered it
  std::vector<std::string> spellings;  // as another agency searches for it
};

const std::vector<Example>& Examples() {
  static const std::vector<Example> examples = {
      {"ສົມພອນ ພົມມະຈັກ", {"Somphone Phommachack", "Somphon Phommachak"}},
      {"张伟", {"Zhang Wei", "Wei Zhang"}},
      {"မောင်မောင်", {"Maung Maung", "Maungmaung"}},
      {"Nguyễn Văn An", {"Nguyen Van An"}},
      {"สมชาย ใจดี", {"Somchai Jaidee"}},
      {"ហ៊ុន សែន", {"Hun Sen"}},
  };
  return examples;
}

TEST_F(Issue8SearchTest, Issue8_EveryScriptIsFoundFromTheOtherSpellingRankedFirstWithAReason) {
  RegisterDistractors();
  std::map<std::string, std::string> native_ids;
  for (const auto& ex : Examples()) native_ids[ex.written] = Person({{"prs_FirstName", ex.written}});
  for (const auto& ex : Examples()) {
    for (const auto& spelling : ex.spellings) {
      Reply r = Search("q=" + Encode(spelling));
      ASSERT_EQ(r.status, 200) << Describe(r);
      const json items = r.Json()["items"];
      ASSERT_FALSE(items.empty()) << spelling << " found nothing";
      EXPECT_EQ(items[0]["id"], native_ids[ex.written]) << spelling << " should find " << ex.written << ": " << r.body;
      EXPECT_GE(items[0]["score"].get<double>(), 0.8) << r.body;
      EXPECT_FALSE(items[0]["reason"].get<std::string>().empty());
      EXPECT_EQ(items[0]["person"]["prs_FirstName"], ex.written) << "the summary the caller may read";
    }
  }
}

TEST_F(Issue8SearchTest, Issue8_LatinRegistrationsAreFoundFromTheNativeScript) {
  RegisterDistractors();
  // Another agency wrote the Latin spelling, as a Latin name and an alias.
  const std::string somphone =
      Person({{"prs_LatinNames", {"Somphone Phommachack"}}, {"prs_Aliases", {"Phone"}}, {"prs_Sex", "Male"}});
  const std::string zhang = Person({{"prs_FirstName", "Wei"}, {"prs_SecondName", "Zhang"}});
  const std::string hun = Person({{"prs_LatinNames", {"Hun Sen"}}});
  for (const auto& [query, id] :
       std::vector<std::pair<std::string, std::string>>{{"ສົມພອນ ພົມມະຈັກ", somphone}, {"张伟", zhang}, {"ហ៊ុន សែន", hun}}) {
    Reply r = Search("q=" + Encode(query));
    ASSERT_EQ(r.status, 200) << Describe(r);
    ASSERT_FALSE(Ids(r).empty()) << query;
    EXPECT_EQ(Ids(r)[0], id) << query << ": " << r.body;
  }
  // A renamed person is found under the new name only.
  json read = Read("persons", zhang);
  Reply renamed = Patch(Url("persons", zhang),
                        {{"version", read["version"]}, {"prs_FirstName", "Somboun"}, {"prs_SecondName", "Keomany"}});
  ASSERT_EQ(renamed.status, 200) << Describe(renamed);
  const auto old_name = Ids(Search("q=" + Encode("Zhang Wei")));
  EXPECT_EQ(std::find(old_name.begin(), old_name.end(), zhang), old_name.end()) << "found under the old name";
  Reply found = Search("q=" + Encode("Sombounh Keomanee"));
  ASSERT_FALSE(Ids(found).empty()) << found.body;
  EXPECT_EQ(Ids(found)[0], zhang);
}

TEST_F(Issue8SearchTest, Issue8_OnlyPersonsTheCallerMayReach) {
  const std::string open_person = Person({{"prs_FirstName", "ສົມພອນ ພົມມະຈັກ"}});
  const std::string hidden_person = Person({{"prs_FirstName", "ສົມພອນ ພົມມະຈັກ"}, {"prs_Sex", "Female"}});
  const std::string agency = IdByCode("agencies", "org_Code", "BK-DMC-TPH");
  Reply kase = Post(Url("cases"), {{"person_id", hidden_person}, {"owner_agency_id", agency}, {"cas_Protected", true}});
  ASSERT_EQ(kase.status, 201) << Describe(kase);

  server().AddUser("tph_worker", "BK-DMC-TPH", "case_worker");
  server().AddUser("hxy_worker", "BK-DMC-HXY", "case_worker");
  server().AddUser("police", "BK-PPD", "police_investigator");
  server().AddUser("analyst", "BK-PPD", "analyst");
  const Session tph = server().SignIn("tph_worker");
  const Session hxy = server().SignIn("hxy_worker");
  const Session police = server().SignIn("police");
  const Session analyst = server().SignIn("analyst");
  const std::string q = "q=" + Encode("Somphone Phommachack");

  // The owning agency sees both, protected included.
  std::vector<std::string> ids = Ids(Search(q, &tph));
  EXPECT_NE(std::find(ids.begin(), ids.end(), open_person), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), hidden_person), ids.end());
  // Another district's agency: neither.
  Reply other = Search(q, &hxy);
  ASSERT_EQ(other.status, 200) << Describe(other);
  EXPECT_EQ(Ids(other), std::vector<std::string>{});
  // The province's police reach the district's persons, but not the protected case's.
  ids = Ids(Search(q, &police));
  EXPECT_NE(std::find(ids.begin(), ids.end(), open_person), ids.end());
  EXPECT_EQ(std::find(ids.begin(), ids.end(), hidden_person), ids.end());
  // A role without names may not search by name.
  EXPECT_EQ(Search(q, &analyst).status, 403);
}

TEST_F(Issue8SearchTest, Issue8_FiltersNarrowTheCandidates) {
  const std::string a = Person({{"prs_FirstName", "Somchai Jaidee"},
                                {"prs_Sex", "Male"},
                                {"prs_Birthdate", "1990-04-02"},
                                {"prs_Citizenship", {"TH"}}});
  const std::string b = Person({{"prs_FirstName", "สมชาย ใจดี"},
                                {"prs_Sex", "Male"},
                                {"prs_EstimatedAge", 25},
                                {"prs_AgeEstimatedOn", "2024-01-10"},
                                {"prs_Citizenship", {"LA"}}});
  const std::string c = Person({{"prs_FirstName", "Somchay Chaidee"}, {"prs_Sex", "Female"}});
  const std::string q = "q=" + Encode("Somchai Jaidee");
  auto sorted = [&](const std::string& query) {
    std::vector<std::string> ids = Ids(Search(query));
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  auto expect = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(sorted(q), expect({a, b, c}));
  EXPECT_EQ(sorted(q + "&sex=Male"), expect({a, b}));
  EXPECT_EQ(sorted(q + "&sex=Female"), expect({c}));
  EXPECT_EQ(sorted(q + "&citizenship=LA"), expect({b}));
  EXPECT_EQ(sorted(q + "&birth_year=1990"), expect({a}));
  // b's estimated age gives 1999 (one more year of tolerance for estimates).
  EXPECT_EQ(sorted(q + "&birth_year=1997&birth_year_tolerance=1"), expect({b}));
  EXPECT_EQ(sorted(q + "&birth_year=1995&birth_year_tolerance=5"), expect({a, b}));
  EXPECT_EQ(Ids(Search(q + "&limit=1")).size(), 1u);
}

TEST_F(Issue8SearchTest, Issue8_BadParametersAre400NamingTheFieldAndRule) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "q:required"},
      {"q=", "q:length"},
      {"q=" + Encode("!!! ???"), "q:no_letters"},
      {"q=" + std::string(201, 'a'), "q:length"},
      {"q=An&limit=0", "limit:range"},
      {"q=An&limit=51", "limit:range"},
      {"q=An&limit=ten", "limit:range"},
      {"q=An&sex=Robot", "sex:codelist"},
      {"q=An&citizenship=ZZ", "citizenship:codelist"},
      {"q=An&birth_year=1800", "birth_year:range"},
      {"q=An&birth_year=19x0", "birth_year:range"},
      {"q=An&birth_year_tolerance=2", "birth_year_tolerance:required_with"},
      {"q=An&birth_year=1990&birth_year_tolerance=-1", "birth_year_tolerance:range"},
      {"q=An&name=x", "name:unknown_parameter"},
  };
  for (const auto& [query, rule] : cases) {
    Reply r = Search(query);
    EXPECT_EQ(r.status, 400) << query << ": " << Describe(r);
    const auto rules = FieldRules(r);
    EXPECT_NE(std::find(rules.begin(), rules.end(), rule), rules.end()) << query << ": " << r.body;
  }
}

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST_F(Issue8SearchTest, Issue8_TheIndexLeavesNoPlaintextNameOrKeyInTheDatabaseFiles) {
  // A made-up surname per run so that nothing else in the files can match.
  std::string marker = "Vorth";
  for (char c : core::NewId().substr(24, 8)) marker += static_cast<char>('a' + (c % 26));
  const std::string latin = "Somphone " + marker;
  const std::string lao = "ສົມພອນ ພົມມະຈັກ";
  const std::string id = Person({{"prs_FirstName", lao}, {"prs_LatinNames", {latin}}, {"prs_Aliases", {marker}}});
  Reply found = Search("q=" + Encode("Somphon " + marker));
  ASSERT_EQ(found.status, 200) << Describe(found);
  ASSERT_FALSE(Ids(found).empty());
  EXPECT_EQ(Ids(found)[0], id);

  std::vector<std::string> needles = {marker, lao, latin};
  std::string lower_marker = marker;
  for (char& c : lower_marker) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  needles.push_back(lower_marker);
  for (const std::string& form : {latin, lao}) {
    for (const auto& key : search::FuzzyKeys(form)) {
      if (key.size() >= 6) needles.push_back(key);  // shorter keys occur by chance in any file
    }
  }
  std::vector<std::filesystem::path> roots = {server().dir()};
  if (server().postgres()) {
    ASSERT_EQ(testing_backends::PostgresExecOn(testing_backends::PostgresConninfo(), "CHECKPOINT"), "");
    roots.push_back(testing_backends::PostgresDataDir().parent_path());
  }
  std::size_t scanned = 0;
  for (const auto& root : roots) {
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      const std::string content = Slurp(it->path());
      scanned += content.size();
      for (const auto& needle : needles) {
        EXPECT_EQ(content.find(needle), std::string::npos) << needle << " lies in clear in " << it->path();
      }
    }
  }
  EXPECT_GT(scanned, 10000u) << "the scan read no data";
  // The index holds rows for this person (so the scan looked at an index that exists).
  auto tx = server().store().Begin(app::TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  auto counts = (*tx)->CountPersonNameTokens({app::NameKeyToken(server().cipher().ring(), "sompon")}, 10);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)[0], 1);
}

TEST_F(Issue8SearchTest, Issue8_SearchesAreAuditedWithoutTheQuery) {
  const std::string id = Person({{"prs_FirstName", "Nguyễn Văn An"}});
  ASSERT_EQ(Search("q=" + Encode("Nguyen Van An")).status, 200);
  auto tx = server().store().Begin(app::TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  auto rows = (*tx)->ReadAudit(0, 100000);
  ASSERT_TRUE(rows.ok());
  bool audited = false;
  for (const auto& row : *rows) {
    if (row.action == "search") audited = audited || row.record_ids.find(id) != std::string::npos;
    for (const std::string* f : {&row.action, &row.resource, &row.record_ids, &row.outcome}) {
      EXPECT_EQ(f->find("guyen"), std::string::npos) << "audit row " << row.seq << " holds the query";
    }
  }
  EXPECT_TRUE(audited) << "no search event naming the result";
}

TEST_F(Issue8SearchTest, Issue8_RegistrationProposesDuplicatesAndAReviewerDecides) {
  RegisterDistractors();
  const std::string first = Person(
      {{"prs_FirstName", "ສົມພອນ"}, {"prs_SecondName", "ພົມມະຈັກ"}, {"prs_Sex", "Male"}, {"prs_Birthdate", "1998-03-01"}});
  Reply second =
      Post(Url("persons"),
           {{"prs_LatinNames", {"Somphon Phommachak"}}, {"prs_Sex", "Male"}, {"prs_Birthdate", "1998-03-01"}});
  ASSERT_EQ(second.status, 201) << Describe(second);
  const json proposals = second.Json()["possible_duplicates"];
  ASSERT_EQ(proposals.size(), 1u) << second.body;
  EXPECT_EQ(proposals[0]["id"], first);
  EXPECT_FALSE(proposals[0]["reason"].get<std::string>().empty());
  const std::string pair_id = proposals[0]["pair_id"];
  const std::string second_id = second.Json()["id"];

  // The queue shows it, with both persons and the reason; a case worker sees it too.
  // (The distractors may hold more pairs: ສົມສັກ ພົມມະວົງ is Somsak
  // Phommavong, ហ៊ុន ម៉ាណែត is Hun Manet.)
  auto pair_in = [&](const Reply& r) {
    for (const auto& i : r.Json().value("items", json::array())) {
      if (i["id"] == pair_id) return i;
    }
    return json();
  };
  Reply queue = Get("/api/v1/person-duplicates");
  ASSERT_EQ(queue.status, 200) << Describe(queue);
  const std::size_t open_pairs = queue.Json()["items"].size();
  EXPECT_GE(open_pairs, 1u) << queue.body;
  const json item = pair_in(queue);
  ASSERT_TRUE(item.is_object()) << queue.body;
  EXPECT_EQ(item["id"], pair_id);
  EXPECT_EQ(item["status"], "open");
  EXPECT_EQ(item["source"], "registration");
  EXPECT_EQ(item["explanation"]["sex"], "agree");
  EXPECT_EQ(item["explanation"]["birth_year"], "same_date");
  EXPECT_EQ(item["persons"].size(), 2u);
  server().AddUser("tph_worker", "BK-DMC-TPH", "case_worker");
  const std::string supervisor_id = server().AddUser("tph_supervisor", "BK-DMC-TPH", "supervisor");
  server().AddUser("hxy_supervisor", "BK-DMC-HXY", "supervisor");
  const Session worker = server().SignIn("tph_worker");
  const Session supervisor = server().SignIn("tph_supervisor");
  const Session outsider = server().SignIn("hxy_supervisor");
  EXPECT_TRUE(pair_in(As(worker, "GET", "/api/v1/person-duplicates")).is_object());
  EXPECT_EQ(As(outsider, "GET", "/api/v1/person-duplicates").Json()["items"].size(), 0u);

  // Case workers see proposals; supervisors decide.
  const std::string review = "/api/v1/person-duplicates/" + pair_id + "/not_same";
  EXPECT_EQ(As(worker, "POST", review, {{"version", 1}}).status, 403);
  EXPECT_EQ(As(outsider, "POST", review, {{"version", 1}}).status, 404);
  EXPECT_EQ(As(supervisor, "POST", review, {{"version", 7}}).status, 409);
  EXPECT_EQ(As(supervisor, "POST", "/api/v1/person-duplicates/" + pair_id + "/explode", {{"version", 1}}).status, 400);
  Reply decided = As(supervisor, "POST", review, {{"version", 1}});
  ASSERT_EQ(decided.status, 200) << Describe(decided);
  EXPECT_EQ(decided.Json()["status"], "not_same");
  EXPECT_EQ(decided.Json()["reviewed_by"], supervisor_id);
  EXPECT_TRUE(pair_in(Get("/api/v1/person-duplicates")).is_null());
  EXPECT_EQ(Get("/api/v1/person-duplicates").Json()["items"].size(), open_pairs - 1);
  EXPECT_TRUE(pair_in(Get("/api/v1/person-duplicates?status=not_same")).is_object());
  EXPECT_EQ(Get("/api/v1/person-duplicates?status=maybe").status, 400);
  Reply reopened = As(supervisor, "POST", "/api/v1/person-duplicates/" + pair_id + "/reopen", {{"version", 2}});
  ASSERT_EQ(reopened.status, 200) << Describe(reopened);
  EXPECT_EQ(reopened.Json()["status"], "open");

  // Every decision is in the pair's history and the audit log.
  auto tx = server().store().Begin(app::TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  auto history = (*tx)->History("person-duplicates", pair_id);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].action, "not_same");
  EXPECT_EQ((*history)[1].action, "reopen");
  (*tx).reset();

  // Registering the same person again proposes it, but the queue keeps one row per pair.
  Reply third = Post(Url("persons"), {{"prs_FirstName", "Somphone Phommachack"}, {"prs_Sex", "Male"}});
  ASSERT_EQ(third.status, 201);
  EXPECT_EQ(third.Json()["possible_duplicates"].size(), 2u) << third.body;
  (void)second_id;
}

TEST_F(Issue8SearchTest, Issue8_BatchDedupeFillsTheQueueOnce) {
  Person({{"prs_FirstName", "Somchai Srisuk"}});
  Person({{"prs_FirstName", "Nguyễn Văn Bình"}});
  // A rename proposes nothing (only registration and referral do): the batch
  // finds that pair.
  Person({{"prs_FirstName", "Maung Maung"}, {"prs_Sex", "Male"}});
  const std::string b = Person({{"prs_FirstName", "Kyaw Zaw"}, {"prs_Sex", "Male"}});
  EXPECT_EQ(Get("/api/v1/person-duplicates").Json()["items"].size(), 0u);
  Reply renamed = Patch(Url("persons", b), {{"version", 1}, {"prs_FirstName", "မောင်မောင်"}});
  ASSERT_EQ(renamed.status, 200) << Describe(renamed);
  EXPECT_EQ(Get("/api/v1/person-duplicates").Json()["items"].size(), 0u);

  app::DedupeOptions options;
  options.audit = &server().audit();
  auto report = app::RunDedupe(server().store(), server().cipher(), server().clock(), options, app::SystemPrincipal());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->persons, 4);
  EXPECT_EQ(report->proposed, 1);
  EXPECT_EQ(report->inserted, 1);
  const json items = Get("/api/v1/person-duplicates").Json()["items"];
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["source"], "batch");
  // Running it again adds nothing.
  report = app::RunDedupe(server().store(), server().cipher(), server().clock(), options, app::SystemPrincipal());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->inserted, 0);
  EXPECT_EQ(Get("/api/v1/person-duplicates").Json()["items"].size(), 1u);
}

}  // namespace
}  // namespace ctims::api_test
