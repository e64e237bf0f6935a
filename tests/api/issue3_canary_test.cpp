// Issue 3 §7 canary test: marked strings written through the API never
// appear as plaintext in the database file, its WAL, the server's log, the
// audit log, or temporary files; they come back intact through the API.

#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "test_server.hpp"

namespace ctims::api_test {
namespace {

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Adds to found[needle] every file under `dir` (recursively) whose contents
// contain `needle`; reads each file once.
void FilesContaining(const std::filesystem::path& dir, const std::vector<std::string>& needles,
                     std::map<std::string, std::vector<std::string>>& found) {
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string content = Slurp(it->path());
    for (const auto& needle : needles) {
      if (content.find(needle) != std::string::npos) found[needle].push_back(it->path().string());
    }
  }
}

TEST_F(ApiTest, Issue3_CanaryStringsNeverLieInPlaintext) {
  // One random marker per run, so that nothing left over from another run
  // (or another test) can match.
  const std::string marker = "CANARY" + core::NewId().substr(24);
  auto canary = [&](const char* what) { return marker + "-" + what; };
  const auto tmp_before = std::filesystem::file_time_type::clock::now();

  ::testing::internal::CaptureStderr();
  const World w = MakeWorld();
  json person = Create(
      "persons",
      {{"prs_FirstName", canary("given")},
       {"prs_SecondName", canary("family")},
       {"prs_LatinNames", {canary("latin")}},
       {"prs_Aliases", {canary("alias")}},
       {"prs_Email", canary("mail") + "@example.la"},
       {"prs_MailingStreet", canary("street")},
       {"prs_IdentityDocuments",
        {{{"doc_Type", "Passport"}, {"doc_Number", canary("passport")}, {"doc_Status", "WithheldByEmployer"}}}}});
  const std::string person_id = person["id"];
  json kase = Create("cases", {{"person_id", person_id},
                               {"owner_agency_id", w.agency},
                               {"cas_Summary", canary("summary")},
                               {"vic_PlaceOfRecruitment", canary("place")}});
  Create("assistance", {{"case_id", kase["id"]},
                        {"agency_id", w.agency},
                        {"ast_Date", kToday},
                        {"ast_ServiceType", "Shelter"},
                        {"ast_Notes", canary("notes")}});
  // An update and a delete put the old and new values into the history.
  Reply renamed = Patch(Url("persons", person_id), {{"version", 1}, {"prs_FirstName", canary("renamed")}});
  ASSERT_EQ(renamed.status, 200) << Describe(renamed);
  const std::string doomed = CreateId("persons", {{"prs_FirstName", canary("doomed")}});
  ASSERT_EQ(Delete(Url("persons", doomed) + "?version=1").status, 204);
  // Refused input and a failed sign-in must not echo the value into logs.
  Reply bad = Post(Url("persons"), {{"prs_FirstName", canary("refused")}, {"prs_Email", canary("not-an-email")}});
  EXPECT_EQ(bad.status, 400);
  Reply sign_in = Send(port(), "POST", "/api/v1/session",
                       json{{"username", canary("user")}, {"password", canary("password")}}.dump(), kJson);
  EXPECT_EQ(sign_in.status, 401);

  // Round trip: the API gives the plaintext back to whoever may read it.
  json read = Read("persons", person_id);
  EXPECT_EQ(read["prs_FirstName"], canary("renamed"));
  EXPECT_EQ(read["prs_IdentityDocuments"][0]["doc_Number"], canary("passport"));
  EXPECT_EQ(Read("cases", kase["id"])["cas_Summary"], canary("summary"));
  json history = History("persons", person_id);
  ASSERT_EQ(history.size(), 2u);
  bool saw_old_name = false;
  for (const auto& c : history[1]["changes"]) saw_old_name = saw_old_name || c["from"] == canary("given");
  EXPECT_TRUE(saw_old_name) << history.dump();
  const std::string log = ::testing::internal::GetCapturedStderr();

  // The database file, its WAL and shared memory, the key file: nothing. On
  // PostgreSQL: every file of the test cluster (tables, indexes, WAL, the
  // server's log), once a checkpoint has written the shared buffers out.
  const std::filesystem::path dir = server().dir();
  std::vector<std::filesystem::path> scanned = {dir};
  if (server().postgres()) {
    ASSERT_EQ(testing_backends::PostgresExecOn(testing_backends::PostgresConninfo(), "CHECKPOINT"), "");
    const std::filesystem::path data = testing_backends::PostgresDataDir();
    ASSERT_TRUE(std::filesystem::exists(data / "PG_VERSION")) << data << " is not the test cluster's data directory";
    scanned.push_back(data.parent_path());
  } else {
    ASSERT_TRUE(std::filesystem::exists(dir / "api.db-wal")) << "expected the writes to sit in the WAL";
  }
  std::vector<std::string> needles = {marker, "enc:v1:"};
  for (const char* what : {"given", "family", "latin", "alias", "mail", "street", "passport", "summary", "place",
                           "notes", "renamed", "doomed"}) {
    needles.push_back(canary(what));
  }
  std::map<std::string, std::vector<std::string>> found;  // needle -> files
  for (const auto& root : scanned) FilesContaining(root, needles, found);
  for (std::size_t i = 2; i < needles.size(); ++i) {
    EXPECT_EQ(found[needles[i]], std::vector<std::string>{}) << needles[i] << " lies in plaintext in these files";
  }
  EXPECT_EQ(found[marker], std::vector<std::string>{}) << "the marker itself appears in a file";
  // The sealed form is there instead (so the scan above looked at real data).
  EXPECT_FALSE(found["enc:v1:"].empty()) << "no sealed value found: the scan did not see the data";
  EXPECT_EQ(log.find(marker), std::string::npos) << "the server log holds a canary:\n" << log;

  // Temporary files written during the test.
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(std::filesystem::temp_directory_path(), ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->last_write_time(ec) < tmp_before) continue;
    EXPECT_EQ(Slurp(it->path()).find(marker), std::string::npos) << it->path() << " holds a canary";
  }

  // The audit log holds ids and codes, never the values.
  auto tx = server().store().Begin(app::TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  auto rows = (*tx)->ReadAudit(0, 100000);
  ASSERT_TRUE(rows.ok());
  EXPECT_GT(rows->size(), 5u);
  for (const auto& row : *rows) {
    for (const std::string* f : {&row.user_id, &row.role, &row.agency_id, &row.client_ip, &row.action, &row.resource,
                                 &row.record_ids, &row.outcome}) {
      EXPECT_EQ(f->find(marker), std::string::npos) << "audit row " << row.seq << " holds a canary";
    }
  }
}

}  // namespace
}  // namespace ctims::api_test
