// Issue 8 §4: "A reviewer merges (with full history, nothing lost) or marks
// 'not the same'; a merge can be undone." Merge and undo through the API on
// a real database: what moves, what stays findable, what undo puts back, and
// the refusals.

#include <algorithm>
#include <atomic>
#include <thread>
#include <tuple>

#include "test_server.hpp"

namespace ctims::api_test {
namespace {

class Issue8MergeTest : public ApiTest {
 protected:
  std::string Person(const json& body) {
    Reply r = Post(Url("persons"), body);
    EXPECT_EQ(r.status, 201) << Describe(r);
    last_ = r.Json();
    return last_.value("id", std::string());
  }
  // Two registrations of one man, Lao script then Latin: the second proposes
  // the first; returns the pair id and sets kept_ (Lao) and other_ (Latin).
  std::string RegisterPair() {
    // Reviewers (persons:merge) merge; the fixture's tester registers.
    reviewer_id_ = server().AddUser("tph_supervisor", "BK-DMC-TPH", "supervisor");
    reviewer_ = server().SignIn("tph_supervisor");
    kept_ = Person({{"prs_FirstName", "ສົມພອນ"},
                    {"prs_SecondName", "ພົມມະຈັກ"},
                    {"prs_Sex", "Male"},
                    {"prs_Birthdate", "1998-03-01"}});
    other_ = Person({{"prs_LatinNames", {"Somphon Phommachak"}}, {"prs_Sex", "Male"}, {"prs_Birthdate", "1998-03-01"}});
    const json proposals = last_.value("possible_duplicates", json::array());
    EXPECT_EQ(proposals.size(), 1u) << last_.dump();
    return proposals.empty() ? "" : proposals[0].value("pair_id", std::string());
  }
  // A third registration of the man ("Somphone Phommachack"); returns its id.
  std::string RegisterThird() {
    return Person({{"prs_LatinNames", {"Somphone Phommachack"}}, {"prs_Sex", "Male"}, {"prs_Birthdate", "1998-03-01"}});
  }
  // The pair the last registration proposed with `person_id` ("" if none).
  std::string PairWith(const std::string& person_id) const {
    for (const auto& p : last_.value("possible_duplicates", json::array())) {
      if (p.value("id", "") == person_id) return p.value("pair_id", "");
    }
    return "";
  }
  std::vector<std::string> SearchIds(const std::string& q) {
    Reply r = Get("/api/v1/persons/search?q=" + Encode(q));
    EXPECT_EQ(r.status, 200) << Describe(r);
    std::vector<std::string> ids;
    for (const auto& item : r.Json().value("items", json::array())) ids.push_back(item["id"]);
    return ids;
  }
  static bool Has(const std::vector<std::string>& ids, const std::string& id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  }
  static std::vector<std::string> FieldRules(const Reply& r) {
    std::vector<std::string> out;
    const json body = r.Json();
    if (!body.is_object() || !body.contains("error")) return out;
    for (const auto& f : body["error"].value("fields", json::array())) {
      out.push_back(f.value("path", std::string()) + ":" + f.value("rule", std::string()));
    }
    return out;
  }
  std::string Merge(const std::string& pair_id, const std::string& keep) {
    Reply r = Review("/api/v1/person-duplicates/" + pair_id + "/merge", {{"keep", keep}});
    EXPECT_EQ(r.status, 200) << Describe(r);
    return r.Json().value("id", std::string());
  }
  std::string PersonOf(const std::string& case_id) { return Read("cases", case_id).value("person_id", std::string()); }

  // The fixture's reviewer, for tests that do not RegisterPair().
  void SignInReviewer() {
    reviewer_id_ = server().AddUser("tph_supervisor", "BK-DMC-TPH", "supervisor");
    reviewer_ = server().SignIn("tph_supervisor");
  }
  // A person no other resembles (`n` picks one of four): nothing proposed.
  std::string Unrelated(int n) {
    static const char* const kNames[] = {"Bounmy Keomany", "Chanthaly Sihavong", "Douangdeuane Xaysana",
                                         "Vilayphone Inthavong"};
    static const char* const kBorn[] = {"1961-01-11", "1975-06-21", "1988-09-03", "2003-12-30"};
    const std::string id = Person(
        {{"prs_LatinNames", {kNames[n]}}, {"prs_Sex", n % 2 == 0 ? "Male" : "Female"}, {"prs_Birthdate", kBorn[n]}});
    EXPECT_TRUE(last_.value("possible_duplicates", json::array()).empty()) << last_.dump();
    return id;
  }
  // Enters the open pair (p, q) in the queue directly (as a batch run
  // would); returns its id.
  std::string QueuePair(const std::string& p, const std::string& q) {
    app::DuplicatePair pair;
    pair.id = core::NewId();
    pair.person_a = std::min(p, q);
    pair.person_b = std::max(p, q);
    pair.score = 0.912;
    pair.explanation = R"({"name":0.9})";
    pair.source = "batch";
    pair.created_at = "2026-01-01T00:00:00.000Z";
    auto tx = server().store().Begin(app::TxMode::kWrite);
    EXPECT_TRUE(tx.ok());
    if (!tx.ok()) return "";
    auto inserted = (*tx)->InsertDuplicatePair(pair);
    EXPECT_TRUE(inserted.ok() && *inserted);
    EXPECT_TRUE((*tx)->Commit().ok());
    return pair.id;
  }
  // The pair as the queue of `status` shows it: {status, person_a, person_b,
  // proposed persons, ids of the persons shown, version, source,
  // settled_into (null unless settled)}, or null when absent.
  json Queued(const std::string& status, const std::string& pair_id) {
    for (const auto& item : ListAll("person-duplicates", "status=" + status)) {
      if (item["id"] != pair_id) continue;
      json shown = json::array();
      for (const auto& p : item["persons"]) shown.push_back(p["id"]);
      return {{"status", item["status"]},
              {"person_a", item["person_a"]},
              {"person_b", item["person_b"]},
              {"proposed", item["proposed_persons"]},
              {"shown", shown},
              {"version", item["version"]},
              {"source", item["source"]},
              {"settled_into", item.value("settled_into", json())}};
    }
    return nullptr;
  }

  // POST as the reviewer.
  Reply Review(const std::string& path, const json& body) { return As(reviewer_, "POST", path, body); }

  json last_;
  Session reviewer_;
  std::string reviewer_id_;
  std::string kept_;
  std::string other_;
};

TEST_F(Issue8MergeTest, Issue8_MergeMovesCasesKeepsBothSpellingsAndUndoRestoresExactly) {
  const std::string pair_id = RegisterPair();
  ASSERT_FALSE(pair_id.empty());
  const std::string agency = AgencyId("BK-DMC-TPH");
  const std::string kept_case = CreateId("cases", CaseBody(kept_, agency));
  const std::string moved_case = CreateId("cases", CaseBody(other_, agency));
  const std::string person_url = Url("persons", other_);

  Reply merged = Review("/api/v1/person-duplicates/" + pair_id + "/merge", {{"keep", kept_}});
  ASSERT_EQ(merged.status, 200) << Describe(merged);
  const json m = merged.Json();
  EXPECT_EQ(m["kept_id"], kept_);
  EXPECT_EQ(m["merged_id"], other_);
  EXPECT_EQ(m["duplicate_id"], pair_id);
  EXPECT_EQ(m["merged_by"], reviewer_id_);
  ASSERT_EQ(m["moved"].size(), 1u) << m.dump();
  EXPECT_EQ(m["moved"][0], json({{"table", "cases"}, {"id", moved_case}, {"field", "person_id"}, {"from", other_}}));
  const std::string merge_id = m["id"];

  // The case moved, and its history says so.
  EXPECT_EQ(PersonOf(moved_case), kept_);
  EXPECT_EQ(PersonOf(kept_case), kept_);
  const json history = History("cases", moved_case);
  ASSERT_EQ(history.size(), 2u) << history.dump();
  EXPECT_EQ(history[1]["action"], "merge_person");
  EXPECT_NE(history[1]["changes"].dump().find(kept_), std::string::npos) << history.dump();

  // The merged person stays readable, names and all, pointing at the kept one.
  const json gone = Read("persons", other_);
  EXPECT_EQ(gone["merged_into"], kept_);
  EXPECT_EQ(gone["merged_by"], reviewer_id_);
  EXPECT_EQ(gone["prs_LatinNames"], json({"Somphon Phommachak"}));
  const json kept = Read("persons", kept_);
  EXPECT_FALSE(kept.contains("merged_into"));
  EXPECT_EQ(kept["prs_FirstName"], "ສົມພອນ") << "the kept person's fields are not overwritten";
  EXPECT_FALSE(kept.contains("prs_LatinNames"));
  EXPECT_EQ(History("persons", other_).back()["action"], "merged");

  // Lists and search leave it out; both spellings find the kept person.
  std::vector<std::string> listed;
  for (const auto& p : ListAll("persons")) listed.push_back(p["id"]);
  EXPECT_TRUE(Has(listed, kept_));
  EXPECT_FALSE(Has(listed, other_));
  EXPECT_EQ(ListAll("persons", "merged_into=" + kept_).size(), 1u);
  for (const char* q : {"Somphon Phommachak", "ສົມພອນ ພົມມະຈັກ", "Somphone Phommachack"}) {
    const auto ids = SearchIds(q);
    EXPECT_TRUE(Has(ids, kept_)) << q;
    EXPECT_FALSE(Has(ids, other_)) << q;
  }
  // Read-only until undone; the pair is decided; the merge is listed.
  Reply edit = Patch(person_url, {{"version", gone["version"]}, {"prs_Sex", "Female"}});
  EXPECT_EQ(edit.status, 409) << Describe(edit);
  EXPECT_EQ(FieldRules(edit), std::vector<std::string>{"merged_into:merged"});
  const json pairs = Get("/api/v1/person-duplicates?status=merged").Json()["items"];
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0]["id"], pair_id);
  const json listed_merges = Get("/api/v1/person-merges?person=" + other_).Json();
  ASSERT_EQ(listed_merges["items"].size(), 1u) << listed_merges.dump();
  EXPECT_EQ(listed_merges["items"][0]["id"], merge_id);
  EXPECT_EQ(Get("/api/v1/person-merges?person=nope").status, 400);

  // A case registered for the kept person after the merge stays with it on undo.
  const std::string later_case = CreateId("cases", CaseBody(kept_, agency));
  Reply undone = Review("/api/v1/person-merges/" + merge_id + "/undo", json::object());
  ASSERT_EQ(undone.status, 200) << Describe(undone);
  EXPECT_EQ(undone.Json()["undone"], true);
  EXPECT_EQ(undone.Json()["undone_by"], reviewer_id_);
  EXPECT_EQ(PersonOf(moved_case), other_);
  EXPECT_EQ(PersonOf(kept_case), kept_);
  EXPECT_EQ(PersonOf(later_case), kept_);
  EXPECT_EQ(History("cases", moved_case).back()["action"], "unmerge_person");
  const json back = Read("persons", other_);
  EXPECT_FALSE(back.contains("merged_into")) << back.dump();
  EXPECT_FALSE(back.contains("merged_at"));
  const auto latin = SearchIds("Somphon Phommachak");
  EXPECT_TRUE(Has(latin, other_)) << "its own names find it again";
  EXPECT_EQ(Get("/api/v1/person-duplicates?status=open").Json()["items"][0]["id"], pair_id);

  // Twice is refused, naming the rule.
  Reply again = Review("/api/v1/person-merges/" + merge_id + "/undo", json::object());
  EXPECT_EQ(again.status, 409) << Describe(again);
  EXPECT_EQ(FieldRules(again), std::vector<std::string>{"undone_at:undone"});

  // Audited with ids only.
  auto tx = server().store().Begin(app::TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  auto rows = (*tx)->ReadAudit(0, 100000);
  ASSERT_TRUE(rows.ok());
  int merges = 0;
  int undos = 0;
  for (const auto& row : *rows) {
    if (row.resource != "person-merges" || row.outcome != "ok") continue;
    EXPECT_NE(row.record_ids.find(merge_id), std::string::npos);
    EXPECT_EQ(row.record_ids.find("Somphon"), std::string::npos);
    merges += row.action == "merge" ? 1 : 0;
    undos += row.action == "undo_merge" ? 1 : 0;
  }
  EXPECT_EQ(merges, 1);
  EXPECT_EQ(undos, 1);
}

TEST_F(Issue8MergeTest, Issue8_UndoIsRefusedWhenAMovedCaseWasMovedAgain) {
  const std::string pair_id = RegisterPair();
  ASSERT_FALSE(pair_id.empty());
  const std::string agency = AgencyId("BK-DMC-TPH");
  const std::string moved_case = CreateId("cases", CaseBody(other_, agency));
  const std::string merge_id = Merge(pair_id, kept_);
  const std::string third = Person({{"prs_FirstName", "Maung Maung"}});
  const json c = Read("cases", moved_case);
  Reply repoint = Patch(Url("cases", moved_case), {{"version", c["version"]}, {"person_id", third}});
  ASSERT_EQ(repoint.status, 200) << Describe(repoint);

  Reply undo = Review("/api/v1/person-merges/" + merge_id + "/undo", json::object());
  EXPECT_EQ(undo.status, 409) << Describe(undo);
  EXPECT_EQ(FieldRules(undo), std::vector<std::string>{"moved[0]:moved"});
  // Nothing changed.
  EXPECT_EQ(PersonOf(moved_case), third);
  EXPECT_EQ(Read("persons", other_)["merged_into"], kept_);
  EXPECT_EQ(Get("/api/v1/person-merges?person=" + other_).Json()["items"][0]["undone"], false);
}

TEST_F(Issue8MergeTest, Issue8_MergeNeedsThePermissionAndAPersonOfThePair) {
  const std::string pair_id = RegisterPair();
  ASSERT_FALSE(pair_id.empty());
  server().AddUser("tph_worker", "BK-DMC-TPH", "case_worker");
  server().AddUser("hxy_supervisor", "BK-DMC-HXY", "supervisor");
  const Session worker = server().SignIn("tph_worker");
  const Session outsider = server().SignIn("hxy_supervisor");
  const std::string url = "/api/v1/person-duplicates/" + pair_id + "/merge";
  EXPECT_EQ(As(worker, "POST", url, {{"keep", kept_}}).status, 403);
  EXPECT_EQ(As(outsider, "POST", url, {{"keep", kept_}}).status, 404) << "neither person in its reach";
  EXPECT_EQ(Post(url, {{"keep", kept_}}).status, 403) << "the fixture's role may not merge";
  Reply missing = Review(url, json::object());
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(FieldRules(missing), std::vector<std::string>{"keep:required"});
  const std::string stranger = Person({{"prs_FirstName", "Hun Sen"}});
  Reply foreign = Review(url, {{"keep", stranger}});
  EXPECT_EQ(foreign.status, 400);
  EXPECT_EQ(FieldRules(foreign), std::vector<std::string>{"keep:pair_member"});
  EXPECT_EQ(Review(url, {{"keep", kept_}, {"colour", "red"}}).status, 400);
  EXPECT_EQ(Review(url, {{"keep", kept_}, {"version", 9}}).status, 409);

  const std::string merge_id = Merge(pair_id, kept_);
  EXPECT_EQ(As(worker, "POST", "/api/v1/person-merges/" + merge_id + "/undo", json::object()).status, 403);
  EXPECT_EQ(Review("/api/v1/person-merges/00000000-0000-7000-8000-000000000000/undo", json::object()).status, 404);
  Reply twice = Review(url, {{"keep", kept_}});
  EXPECT_EQ(twice.status, 409);
}

// Gap 1: what hangs off the merged person's cases (referrals, their tasks and
// notifications) stays with those cases, and the receiving agency's share
// follows the person and comes back on undo.
TEST_F(Issue8MergeTest, Issue8_ReferralSharesTasksAndNotificationsFollowTheMergeAndComeBack) {
  const std::string pair_id = RegisterPair();
  ASSERT_FALSE(pair_id.empty());
  const std::string agency = AgencyId("BK-DMC-TPH");
  const std::string shelter_agency = AgencyId("BK-LWU-SHELTER");
  server().AddUser("shelter_worker", "BK-LWU-SHELTER", "case_worker");
  server().AddUser("tph_worker", "BK-DMC-TPH", "case_worker");
  const Session shelter = server().SignIn("shelter_worker");
  const Session worker = server().SignIn("tph_worker");
  const std::string moved_case = CreateId("cases", CaseBody(other_, agency));
  CreateId("consents", {{"case_id", moved_case}, {"cns_Purpose", "Referral"}, {"cns_Status", "Given"}});
  const std::string referral = CreateId("referrals", {{"case_id", moved_case},
                                                      {"to_agency_id", shelter_agency},
                                                      {"ref_Reason", "Shelter and counselling."},
                                                      {"ref_ServicesRequested", {"Shelter"}}});
  Reply accepted = Step(shelter, "referrals", referral, "accept", 1);
  ASSERT_EQ(accepted.status, 200) << Describe(accepted);
  auto answered = [&] {
    int n = 0;
    for (const auto& item : As(worker, "GET", "/api/v1/notifications").Json().value("items", json::array())) {
      n += item.value("kind", "") == "ReferralAnswered" && item.value("record_id", "") == referral ? 1 : 0;
    }
    return n;
  };
  ASSERT_EQ(answered(), 1);
  EXPECT_EQ(As(shelter, "GET", Url("persons", other_)).status, 200) << "reached through the share";
  EXPECT_EQ(As(shelter, "GET", Url("persons", kept_)).status, 404);

  Reply merged = Review("/api/v1/person-duplicates/" + pair_id + "/merge", {{"keep", kept_}});
  ASSERT_EQ(merged.status, 200) << Describe(merged);
  const json merge = merged.Json();
  std::vector<std::string> tables;
  for (const auto& m : merge["moved"]) tables.push_back(m["table"]);
  EXPECT_EQ(tables, (std::vector<std::string>{"cases", "case_shares"})) << merge.dump();
  EXPECT_EQ(As(shelter, "GET", Url("persons", kept_)).status, 200) << "the share followed the person";
  Reply shelter_case = As(shelter, "GET", Url("cases", moved_case));
  ASSERT_EQ(shelter_case.status, 200) << Describe(shelter_case);
  EXPECT_EQ(shelter_case.Json()["person_id"], kept_);
  EXPECT_EQ(Read("referrals", referral)["case_id"], moved_case);
  EXPECT_EQ(answered(), 1) << "the notification stays, about the same referral";

  Reply undone = Review("/api/v1/person-merges/" + merge["id"].get<std::string>() + "/undo", json::object());
  ASSERT_EQ(undone.status, 200) << Describe(undone);
  EXPECT_EQ(As(shelter, "GET", Url("persons", other_)).status, 200);
  EXPECT_EQ(As(shelter, "GET", Url("persons", kept_)).status, 404) << "the share went back";
  EXPECT_EQ(PersonOf(moved_case), other_);
  EXPECT_EQ(answered(), 1);
}

// Gap 2: a new link to a merged person is refused, naming the field and the
// person to use instead; links that do not change are not re-checked.
TEST_F(Issue8MergeTest, Issue8_ALinkToAMergedPersonIsRefusedWithRuleMerged) {
  const std::string pair_id = RegisterPair();
  ASSERT_FALSE(pair_id.empty());
  const std::string agency = AgencyId("BK-DMC-TPH");
  const std::string kept_case = CreateId("cases", CaseBody(kept_, agency));
  Merge(pair_id, kept_);

  Reply created = Post(Url("cases"), CaseBody(other_, agency));
  EXPECT_EQ(created.status, 409) << Describe(created);
  EXPECT_EQ(FieldRules(created), std::vector<std::string>{"person_id:merged"});
  EXPECT_NE(created.Json()["error"]["fields"][0].value("message", "").find(kept_), std::string::npos)
      << "names the person to use: " << Describe(created);
  const json c = Read("cases", kept_case);
  Reply repoint = Patch(Url("cases", kept_case), {{"version", c["version"]}, {"person_id", other_}});
  EXPECT_EQ(repoint.status, 409) << Describe(repoint);
  EXPECT_EQ(FieldRules(repoint), std::vector<std::string>{"person_id:merged"});
  EXPECT_EQ(PersonOf(kept_case), kept_);
  Reply other_edit = Patch(Url("cases", kept_case), {{"version", c["version"]}, {"cas_Summary", "Updated."}});
  EXPECT_EQ(other_edit.status, 200) << Describe(other_edit);
  EXPECT_EQ(Post(Url("cases"), CaseBody(kept_, agency)).status, 201);
}

// Gap 3: A merged into B, then B into C. Everything leads to C at once (no
// reindex); undo runs back along the chain, refused out of order.
TEST_F(Issue8MergeTest, Issue8_ChainedMergesLeadToTheLastPersonAndUndoInOrder) {
  const std::string ab = RegisterPair();
  ASSERT_FALSE(ab.empty());
  const std::string a = kept_;   // Lao script
  const std::string b = other_;  // "Somphon Phommachak"
  const std::string c = RegisterThird();
  const std::string bc = PairWith(b);
  ASSERT_FALSE(bc.empty()) << last_.dump();
  const std::string agency = AgencyId("BK-DMC-TPH");
  const std::string case_a = CreateId("cases", CaseBody(a, agency));
  const std::string case_b = CreateId("cases", CaseBody(b, agency));

  const std::string m1 = Merge(ab, b);  // A into B
  const std::string m2 = Merge(bc, c);  // B (and so A) into C
  ASSERT_FALSE(m1.empty());
  ASSERT_FALSE(m2.empty());
  EXPECT_EQ(Read("persons", a)["merged_into"], c) << "GET leads to the last person";
  EXPECT_EQ(Read("persons", b)["merged_into"], c);
  EXPECT_EQ(ListAll("persons", "merged_into=" + c).size(), 2u);
  EXPECT_EQ(PersonOf(case_a), c);
  EXPECT_EQ(PersonOf(case_b), c);
  json m2_moved;
  const json merges_of_c = Get("/api/v1/person-merges?person=" + c).Json();
  for (const auto& m : merges_of_c["items"]) {
    if (m["id"] == m2) m2_moved = m["moved"];
  }
  EXPECT_NE(m2_moved.dump().find(json({{"table", "persons"}, {"id", a}, {"field", "merged_into"}, {"from", b}}).dump()),
            std::string::npos)
      << "the merge records that A followed B: " << m2_moved.dump();
  EXPECT_EQ(History("persons", a).back()["action"], "merge_person");
  for (const char* q : {"ສົມພອນ ພົມມະຈັກ", "Somphon Phommachak"}) {
    const auto ids = SearchIds(q);
    EXPECT_TRUE(Has(ids, c)) << q << ": the names of A and B find C without a reindex";
    EXPECT_FALSE(Has(ids, a)) << q;
    EXPECT_FALSE(Has(ids, b)) << q;
  }

  // A→B cannot be undone while B→C stands.
  Reply early = Review("/api/v1/person-merges/" + m1 + "/undo", json::object());
  EXPECT_EQ(early.status, 409) << Describe(early);
  EXPECT_EQ(FieldRules(early), std::vector<std::string>{"kept_id:merged_later"});
  EXPECT_EQ(Read("persons", a)["merged_into"], c) << "nothing changed";

  // Undoing B→C leaves A→B standing.
  Reply undo_bc = Review("/api/v1/person-merges/" + m2 + "/undo", json::object());
  ASSERT_EQ(undo_bc.status, 200) << Describe(undo_bc);
  EXPECT_EQ(Read("persons", a)["merged_into"], b);
  EXPECT_FALSE(Read("persons", b).contains("merged_into"));
  EXPECT_EQ(PersonOf(case_a), b);
  EXPECT_EQ(PersonOf(case_b), b);
  const auto lao = SearchIds("ສົມພອນ ພົມມະຈັກ");
  EXPECT_TRUE(Has(lao, b)) << "A's names find B again";
  EXPECT_FALSE(Has(lao, a));
  EXPECT_TRUE(Has(SearchIds("Somphone Phommachack"), c));

  // Then A→B.
  Reply undo_ab = Review("/api/v1/person-merges/" + m1 + "/undo", json::object());
  ASSERT_EQ(undo_ab.status, 200) << Describe(undo_ab);
  EXPECT_FALSE(Read("persons", a).contains("merged_into"));
  EXPECT_EQ(PersonOf(case_a), a);
  EXPECT_EQ(PersonOf(case_b), b);
  EXPECT_TRUE(Has(SearchIds("ສົມພອນ ພົມມະຈັກ"), a));
}

// Gap 4: the queue follows merges. A, X and C are one man in three
// spellings, with pairs (A, X), (X, C) and (A, C). After X is merged into A,
// (X, C) stands for (A, C), which is stored: the queue lists and decides
// (A, C) only. Merged, (X, C) has nothing left to decide and is listed as
// settled; undoing the merges gives every pair its own persons back, since
// no pair was rewritten.
TEST_F(Issue8MergeTest, Issue8_TheQueueFollowsMergesAndTheirUndo) {
  const std::string ax = RegisterPair();
  ASSERT_FALSE(ax.empty());
  const std::string a = kept_;   // Lao script
  const std::string x = other_;  // "Somphon Phommachak"
  const std::string c = RegisterThird();
  const std::string xc = PairWith(x);
  const std::string ac = PairWith(a);
  ASSERT_FALSE(xc.empty()) << last_.dump();
  ASSERT_FALSE(ac.empty()) << last_.dump();
  auto queued = [&](const std::string& status, const std::string& pair_id) { return Queued(status, pair_id); };
  auto shown = [](const std::string& p, const std::string& q) { return json::array({p, q}); };
  ASSERT_EQ(queued("open", xc)["proposed"], shown(x, c));
  ASSERT_EQ(queued("open", xc)["shown"], shown(x, c));

  // X into A: (X, C) now stands for (A, C), which is stored and open itself:
  // the queue lists (A, C) once, as itself, and refuses to decide it
  // through (X, C).
  const std::string m_xa = Merge(ax, a);
  ASSERT_FALSE(m_xa.empty());
  EXPECT_EQ(queued("open", xc), nullptr) << "a re-pointed pair is hidden behind the pair of its live ends";
  EXPECT_EQ(queued("open", ac)["shown"], shown(a, c));
  EXPECT_EQ(queued("open", ax), nullptr) << "the merged pair left the open list";
  EXPECT_EQ(queued("merged", ax)["shown"], shown(a, x)) << "a decided pair shows whom it decided on";
  const std::string xc_url = "/api/v1/person-duplicates/" + xc + "/";
  for (const char* action : {"merge", "not_same"}) {
    Reply hidden = Review(xc_url + action, action == std::string("merge") ? json{{"keep", a}} : json{{"version", 1}});
    EXPECT_EQ(hidden.status, 409) << action << ": " << Describe(hidden);
    EXPECT_EQ(FieldRules(hidden), std::vector<std::string>{"status:superseded"}) << action;
    EXPECT_NE(hidden.Json()["error"]["fields"][0].value("message", "").find(ac), std::string::npos)
        << "names the pair to review instead: " << Describe(hidden);
  }

  // C goes into A through (A, C); `keep` must be a person of the pair.
  const std::string ac_url = "/api/v1/person-duplicates/" + ac + "/";
  Reply foreign = Review(ac_url + "merge", {{"keep", Person({{"prs_FirstName", "Hun Sen"}})}});
  EXPECT_EQ(foreign.status, 400) << Describe(foreign);
  EXPECT_EQ(FieldRules(foreign), std::vector<std::string>{"keep:pair_member"});
  Reply through = Review(ac_url + "merge", {{"keep", a}});
  ASSERT_EQ(through.status, 200) << Describe(through);
  EXPECT_EQ(through.Json()["kept_id"], a);
  EXPECT_EQ(through.Json()["merged_id"], c);
  EXPECT_EQ(through.Json()["duplicate_id"], ac);
  const std::string m_ca = through.Json()["id"];
  EXPECT_EQ(Read("persons", c)["merged_into"], a);
  EXPECT_EQ(Read("persons", x)["merged_into"], a) << "X was merged into A, not into C";
  EXPECT_EQ(queued("merged", ac)["status"], "merged");

  // (X, C) now names one person twice: settled, not offered, and refused.
  EXPECT_EQ(queued("open", xc), nullptr) << "a self-pair is not offered";
  const json settled = queued("settled", xc);
  ASSERT_TRUE(settled.is_object());
  EXPECT_EQ(settled["status"], "settled");
  EXPECT_EQ(settled["settled_into"], a);
  EXPECT_EQ(settled["shown"], shown(a, a));
  EXPECT_EQ(settled["proposed"], shown(x, c));
  EXPECT_EQ(queued("settled", ac), nullptr) << "a decided pair is not settled";
  Reply merge_settled = Review(xc_url + "merge", {{"keep", a}});
  EXPECT_EQ(merge_settled.status, 409) << Describe(merge_settled);
  EXPECT_EQ(FieldRules(merge_settled), std::vector<std::string>{"status:settled"});
  EXPECT_NE(merge_settled.Json()["error"]["fields"][0].value("message", "").find(a), std::string::npos)
      << "names the person both became: " << Describe(merge_settled);
  Reply not_same_settled = Review(xc_url + "not_same", {{"version", 1}});
  EXPECT_EQ(not_same_settled.status, 409) << Describe(not_same_settled);
  EXPECT_EQ(FieldRules(not_same_settled), std::vector<std::string>{"status:settled"});

  // Undo C into A: (A, C) is open again, (X, C) hidden behind it again.
  Reply undo_ca = Review("/api/v1/person-merges/" + m_ca + "/undo", json::object());
  ASSERT_EQ(undo_ca.status, 200) << Describe(undo_ca);
  EXPECT_EQ(queued("settled", xc), nullptr);
  EXPECT_EQ(queued("open", ac)["shown"], shown(a, c));
  EXPECT_EQ(queued("open", xc), nullptr);

  // Undo X into A: every pair names its own persons again.
  Reply undo_xa = Review("/api/v1/person-merges/" + m_xa + "/undo", json::object());
  ASSERT_EQ(undo_xa.status, 200) << Describe(undo_xa);
  for (const auto& [pair_id, p, q] : {std::tuple{ax, a, x}, std::tuple{xc, x, c}, std::tuple{ac, a, c}}) {
    const json item = queued("open", pair_id);
    ASSERT_TRUE(item.is_object()) << pair_id;
    EXPECT_EQ(item["shown"], shown(p, q)) << pair_id;
    EXPECT_EQ(item["proposed"], shown(p, q)) << pair_id;
  }

  // A "not the same" decision whose persons are later merged into one
  // cannot be reopened: there would be nothing to decide. (C into X, then
  // X into A: C follows X.)
  Reply not_same = Review(ac_url + "not_same", {{"version", 3}});  // merged, then reopened by the undo
  ASSERT_EQ(not_same.status, 200) << Describe(not_same);
  ASSERT_FALSE(Merge(xc, x).empty());
  ASSERT_FALSE(Merge(ax, a).empty());
  Reply reopen = Review(ac_url + "reopen", {{"version", not_same.Json()["version"]}});
  EXPECT_EQ(reopen.status, 409) << Describe(reopen);
  EXPECT_EQ(FieldRules(reopen), std::vector<std::string>{"status:settled"});
  EXPECT_EQ(queued("not_same", ac)["shown"], shown(a, c)) << "a decided pair shows whom it decided on";
}

// A merges into B while (A, X) is open and (B, X) was never proposed: the
// queue shows (A, X) as (B, X). "Not the same" is then a judgement on B and
// X, so it is recorded on a pair (B, X) of its own and (A, X) stays open:
// undoing the merge gives (A, X) back undecided.
TEST_F(Issue8MergeTest, Issue8_NotSameOnARepointedPairIsRecordedOnItsLiveEnds) {
  SignInReviewer();
  const std::string a = Unrelated(0);
  const std::string b = Unrelated(1);
  const std::string x = Unrelated(2);
  const std::string ab = QueuePair(a, b);
  const std::string ax = QueuePair(a, x);
  const std::string m_ab = Merge(ab, b);
  ASSERT_FALSE(m_ab.empty());
  auto shown = [](const std::string& p, const std::string& q) { return json::array({p, q}); };
  const json repointed = Queued("open", ax);
  ASSERT_TRUE(repointed.is_object()) << "no pair is stored on (B, X): (A, X) stands for it";
  EXPECT_EQ(repointed["shown"], shown(b, x));
  EXPECT_EQ(repointed["proposed"], shown(std::min(a, x), std::max(a, x)));

  const std::string url = "/api/v1/person-duplicates/" + ax + "/not_same";
  Reply decided = Review(url, {{"version", 1}});
  ASSERT_EQ(decided.status, 200) << Describe(decided);
  const json bx = decided.Json();
  EXPECT_NE(bx["id"], ax) << "the decision is on the pair of the live ends";
  EXPECT_EQ(bx["person_a"], std::min(b, x));
  EXPECT_EQ(bx["person_b"], std::max(b, x));
  EXPECT_EQ(bx["status"], "not_same");
  EXPECT_EQ(bx["source"], "review");
  EXPECT_EQ(bx["reviewed_by"], reviewer_id_);
  EXPECT_DOUBLE_EQ(bx["score"].get<double>(), 0.912) << "copied from the pair reviewed";
  EXPECT_EQ(bx["explanation"], json({{"name", 0.9}}));
  const std::string bx_id = bx["id"];
  EXPECT_EQ(Queued("not_same", bx_id)["shown"], shown(std::min(b, x), std::max(b, x)));
  EXPECT_EQ(Queued("not_same", ax), nullptr) << "(A, X) was not judged";
  EXPECT_EQ(Queued("open", ax), nullptr) << "hidden behind (B, X) while A stays merged";

  // Hidden, (A, X) cannot be decided again.
  Reply again = Review(url, {{"version", 1}});
  EXPECT_EQ(again.status, 409) << Describe(again);
  EXPECT_EQ(FieldRules(again), std::vector<std::string>{"status:superseded"});
  EXPECT_NE(again.Json()["error"]["fields"][0].value("message", "").find(bx_id), std::string::npos)
      << "names the pair to review instead: " << Describe(again);

  // Undone, (A, X) is open as itself; the decision on B and X stays.
  Reply undo = Review("/api/v1/person-merges/" + m_ab + "/undo", json::object());
  ASSERT_EQ(undo.status, 200) << Describe(undo);
  const json back = Queued("open", ax);
  ASSERT_TRUE(back.is_object()) << "(A, X) is open again";
  EXPECT_EQ(back["shown"], shown(std::min(a, x), std::max(a, x)));
  EXPECT_EQ(back["version"], 1) << "never decided";
  EXPECT_EQ(Queued("not_same", bx_id)["status"], "not_same");
  Reply own = Review(url, {{"version", 1}});
  ASSERT_EQ(own.status, 200) << Describe(own);
  EXPECT_EQ(own.Json()["id"], ax) << "a pair on its own persons is decided itself";
}

// A and A2 both merge into B while (A, X) and (A2, X) are open and (B, X) was
// never proposed: both stand for (B, X), and the queue lists the one of
// lower id only. Merged through it, the merge is recorded on a pair (B, X) of
// its own (as "not the same" is), so undo reopens the pair that was decided.
TEST_F(Issue8MergeTest, Issue8_PairsRepointedOntoOnePairAreListedOnceAndMergedOnItsLiveEnds) {
  SignInReviewer();
  const std::string a = Unrelated(0);
  const std::string b = Unrelated(1);
  const std::string x = Unrelated(2);
  const std::string a2 = Unrelated(3);
  const std::string ab = QueuePair(a, b);
  const std::string a2b = QueuePair(a2, b);
  const std::string ax = QueuePair(a, x);
  const std::string a2x = QueuePair(a2, x);
  const std::string m_ab = Merge(ab, b);
  const std::string m_a2b = Merge(a2b, b);
  ASSERT_FALSE(m_ab.empty());
  ASSERT_FALSE(m_a2b.empty());
  const std::string first = std::min(ax, a2x);
  const std::string second = std::max(ax, a2x);
  auto shown = [](const std::string& p, const std::string& q) { return json::array({p, q}); };
  ASSERT_TRUE(Queued("open", first).is_object());
  EXPECT_EQ(Queued("open", first)["shown"], shown(b, x));
  EXPECT_EQ(Queued("open", second), nullptr) << "listed once, as the pair of lower id";
  Reply hidden = Review("/api/v1/person-duplicates/" + second + "/merge", {{"keep", x}});
  EXPECT_EQ(hidden.status, 409) << Describe(hidden);
  EXPECT_EQ(FieldRules(hidden), std::vector<std::string>{"status:superseded"});
  EXPECT_NE(hidden.Json()["error"]["fields"][0].value("message", "").find(first), std::string::npos)
      << Describe(hidden);

  // B into X through the pair listed: the merge is recorded on (B, X).
  Reply merged = Review("/api/v1/person-duplicates/" + first + "/merge", {{"keep", x}});
  ASSERT_EQ(merged.status, 200) << Describe(merged);
  EXPECT_EQ(merged.Json()["kept_id"], x);
  EXPECT_EQ(merged.Json()["merged_id"], b);
  const std::string bx = merged.Json()["duplicate_id"];
  EXPECT_NE(bx, first);
  EXPECT_NE(bx, second);
  const json bx_merged = Queued("merged", bx);
  ASSERT_TRUE(bx_merged.is_object());
  EXPECT_EQ(bx_merged["shown"], shown(std::min(b, x), std::max(b, x)));
  EXPECT_EQ(bx_merged["source"], "review");
  EXPECT_EQ(Queued("merged", first), nullptr) << "A and X were not judged";
  EXPECT_EQ(Read("persons", a)["merged_into"], x) << "A follows B";
  EXPECT_EQ(Queued("settled", first)["shown"], shown(x, x));
  EXPECT_EQ(Queued("settled", second)["shown"], shown(x, x));

  // Undo B into X: (B, X) is open, and stands for both re-pointed pairs.
  Reply undo_bx = Review("/api/v1/person-merges/" + merged.Json()["id"].get<std::string>() + "/undo", json::object());
  ASSERT_EQ(undo_bx.status, 200) << Describe(undo_bx);
  EXPECT_EQ(Queued("open", bx)["shown"], shown(std::min(b, x), std::max(b, x)));
  EXPECT_EQ(Queued("open", first), nullptr);
  EXPECT_EQ(Queued("open", second), nullptr);

  // Undo both merges into B: each pair names its own persons, open.
  for (const std::string& m : {m_a2b, m_ab}) {
    Reply undo = Review("/api/v1/person-merges/" + m + "/undo", json::object());
    ASSERT_EQ(undo.status, 200) << Describe(undo);
  }
  EXPECT_EQ(Queued("open", ax)["shown"], shown(std::min(a, x), std::max(a, x)));
  EXPECT_EQ(Queued("open", a2x)["shown"], shown(std::min(a2, x), std::max(a2, x)));
  EXPECT_EQ(Queued("open", ax)["version"], 1);
}

// The live end must be in the caller's reach: a pair whose merged side now
// stands for a person the caller cannot see stays hidden, as a pair with an
// unreachable person always was.
TEST_F(Issue8MergeTest, Issue8_APairFollowsAMergeOnlyToAPersonInReach) {
  // Houay Xay registers two spellings of one man: a pair of its own.
  server().AddUser("hxy_supervisor", "BK-DMC-HXY", "supervisor");
  const Session hxy = server().SignIn("hxy_supervisor");
  const json person = {{"prs_Sex", "Male"}, {"prs_Birthdate", "1998-03-01"}};
  json p_body = person;
  p_body["prs_LatinNames"] = {"Somphon Phommachak"};
  const std::string p = CreateAs(hxy, "persons", p_body)["id"];
  json q_body = person;
  q_body["prs_LatinNames"] = {"Somphone Phommachack"};
  const json q = CreateAs(hxy, "persons", q_body);
  ASSERT_EQ(q["possible_duplicates"].size(), 1u) << q.dump();
  const std::string pq = q["possible_duplicates"][0].value("pair_id", "");
  ASSERT_FALSE(pq.empty()) << q.dump();
  auto listed = [&](const Session& s) {
    std::vector<std::string> ids;
    for (const auto& item :
         As(s, "GET", "/api/v1/person-duplicates?status=open").Json().value("items", json::array())) {
      ids.push_back(item["id"]);
    }
    return ids;
  };
  ASSERT_TRUE(Has(listed(hxy), pq));

  // A national reviewer registers the man at Thaphabath and merges Houay
  // Xay's P into that record, which Houay Xay does not reach.
  server().PutRole(R"({"code": "test_national_reviewer", "name_lo": "ທົດສອບ", "name_en": "Test: national reviewer",
    "scope": "all", "permissions": [{"resource": "persons", "actions": ["read", "list", "create", "merge"]}],
    "read_groups": ["general", "identity"], "write_groups": ["general", "identity"]})");
  server().AddUser("national", "BK-DMC-TPH", "test_national_reviewer");
  const Session national = server().SignIn("national");
  json n_body = person;
  n_body["prs_FirstName"] = "ສົມພອນ";
  n_body["prs_SecondName"] = "ພົມມະຈັກ";
  const json n = CreateAs(national, "persons", n_body);
  last_ = n;
  const std::string np = PairWith(p);
  ASSERT_FALSE(np.empty()) << n.dump();
  const std::string nq = PairWith(q["id"]);
  ASSERT_FALSE(nq.empty()) << n.dump();
  Reply merged = As(national, "POST", "/api/v1/person-duplicates/" + np + "/merge", {{"keep", n["id"]}});
  ASSERT_EQ(merged.status, 200) << Describe(merged);
  ASSERT_EQ(As(hxy, "GET", Url("persons", n["id"])).status, 404) << "the live end is out of Houay Xay's reach";

  // Houay Xay no longer sees nor decides (P, Q); for the national reviewer
  // it stands for (N, Q), which is proposed too and listed in its place.
  // Undone, it is Houay Xay's pair again.
  EXPECT_FALSE(Has(listed(hxy), pq));
  EXPECT_FALSE(Has(listed(hxy), nq));
  EXPECT_EQ(As(hxy, "POST", "/api/v1/person-duplicates/" + pq + "/not_same", {{"version", 1}}).status, 404);
  EXPECT_TRUE(Has(listed(national), nq));
  EXPECT_FALSE(Has(listed(national), pq));
  Reply undo =
      As(national, "POST", "/api/v1/person-merges/" + merged.Json()["id"].get<std::string>() + "/undo", json::object());
  ASSERT_EQ(undo.status, 200) << Describe(undo);
  EXPECT_TRUE(Has(listed(hxy), pq));
}

TEST_F(Issue8MergeTest, Issue8_ConcurrentMergesOfOnePairLeaveOneMerge) {
  const std::string pair_id = RegisterPair();
  ASSERT_FALSE(pair_id.empty());
  const std::string url = "/api/v1/person-duplicates/" + pair_id + "/merge";
  std::atomic<int> ok{0};
  std::atomic<int> conflict{0};
  std::vector<std::thread> threads;
  for (const std::string& keep : {kept_, other_}) {
    threads.emplace_back([&, keep] {
      Reply r = Review(url, {{"keep", keep}});
      if (r.status == 200) ++ok;
      if (r.status == 409) ++conflict;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(conflict.load(), 1);
  EXPECT_EQ(Get("/api/v1/person-merges").Json()["items"].size(), 1u);
}

}  // namespace
}  // namespace ctims::api_test
