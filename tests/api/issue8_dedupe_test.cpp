// Issue 8 §4: `ctims dedupe` decides with Fellegi-Sunter weights estimated by
// EM from the database's own compared pairs, and explains each pair with the
// fitted weights. The pairs under test are registered through the API; the
// population the model is fitted on (made-up persons of the generated
// multi-script corpus, each registered twice: native script and Latin
// spelling) is written straight into the store, as `ctims demo` does.

#include <cmath>
#include <string>
#include <vector>

#include "app/dedupe.hpp"
#include "app/record_service.hpp"
#include "app/record_service_util.hpp"
#include "core/id.hpp"
#include "search/name_corpus.hpp"
#include "search/person_match.hpp"
#include "test_server.hpp"

namespace ctims::api_test {
namespace {

class Issue8DedupeTest : public ApiTest {
 protected:
  std::string Person(json body) {
    Reply r = Post(Url("persons"), body);
    EXPECT_EQ(r.status, 201) << Describe(r);
    return r.Json().value("id", std::string());
  }
  // Registers `body` under a name no one else has, then renames it to
  // `name`: a rename proposes nothing, so the pair is the batch's to find.
  std::string PersonRenamed(json body, const std::string& name) {
    const std::string id = Person(body);
    Reply renamed = Patch(Url("persons", id), {{"version", 1}, {"prs_FirstName", name}});
    EXPECT_EQ(renamed.status, 200) << Describe(renamed);
    return id;
  }

  // 2 x 240 made-up persons: each in its native script and in a Latin
  // spelling, with the same sex, birth date (estimated on some records),
  // citizenship; some fields left out.
  void WritePopulation() {
    const auto& spec = *domain::FindResource("persons");
    const app::TableDef table = app::TableFor(spec);
    const char* countries[] = {"LA", "TH", "MM", "KH", "CN", "VN"};
    std::vector<app::StoredRecord> records;
    for (const auto& p : search::GenerateNameCorpus(40, 1, 5)) {
      for (int r = 0; r < 2; ++r) {
        json person = r == 0 ? json{{"prs_FirstName", p.native}} : json{{"prs_LatinNames", {p.latin}}};
        if ((p.id + static_cast<std::size_t>(r)) % 7 != 0) person["prs_Sex"] = p.id % 2 == 0 ? "Female" : "Male";
        const int year = 1970 + static_cast<int>(p.id * 7 % 40);
        if (r == 1 && p.id % 4 == 0) {
          person["prs_EstimatedAge"] = 2024 - year;
          person["prs_AgeEstimatedOn"] = "2024-06-01";
        } else {
          person["prs_Birthdate"] =
              std::to_string(year) + "-0" + std::to_string(1 + p.id % 9) + "-1" + std::to_string(p.id % 10);
        }
        if (p.id % 5 != 0) person["prs_Citizenship"] = {countries[static_cast<std::size_t>(p.script)]};
        auto stored = app::detail::ToStored(spec, table, person, core::NewId(), &server().cipher());
        ASSERT_TRUE(stored.ok()) << stored.status().ToString();
        stored->version = 1;
        stored->created_at = stored->updated_at = core::FormatTimestamp(server().clock().Now());
        records.push_back(std::move(*stored));
      }
    }
    auto tx = server().store().Begin(app::TxMode::kWrite);
    ASSERT_TRUE(tx.ok());
    const core::Status written = (*tx)->InsertMany(table, records);
    ASSERT_TRUE(written.ok()) << written.ToString();
    ASSERT_TRUE((*tx)->Commit().ok());
  }

  // The queue's row for persons x and y.
  std::optional<app::DuplicatePair> PairOf(const std::string& x, const std::string& y) {
    auto tx = server().store().Begin(app::TxMode::kRead);
    EXPECT_TRUE(tx.ok());
    std::string after;
    for (;;) {
      auto page = (*tx)->ListDuplicatePairs("", after, 500);
      EXPECT_TRUE(page.ok());
      if (!page.ok() || page->empty()) return std::nullopt;
      for (const auto& p : *page) {
        if (p.person_a == std::min(x, y) && p.person_b == std::max(x, y)) return p;
      }
      after = page->back().id;
    }
  }
};

TEST_F(Issue8DedupeTest, Issue8_DedupeDecidesWithFittedWeightsAndExplainsThem) {
  WritePopulation();
  // One person registered twice by two agencies: the same name, sex, birth
  // date, citizenship and passport number.
  const json everything = {
      {"prs_Sex", "Male"},
      {"prs_Birthdate", "1991-02-03"},
      {"prs_Citizenship", {"MM"}},
      {"prs_IdentityDocuments",
       {{{"doc_Type", "Passport"}, {"doc_Number", "MC1234567"}, {"doc_Status", "WithheldByEmployer"}}}}};
  json first = everything;
  first["prs_FirstName"] = "Thura Aung";
  const std::string all_a = Person(first);
  json second = everything;
  second["prs_FirstName"] = "Zeya Htet";
  const std::string all_b = PersonRenamed(second, "Thura Aung");
  // Two records with the same name and nothing else.
  const std::string name_a = Person({{"prs_FirstName", "Somchai Jaidee"}});
  const std::string name_b = PersonRenamed({{"prs_FirstName", "Nguyen Thi Lan"}}, "Somchai Jaidee");

  app::DedupeOptions options;
  options.threshold = 0.0;  // every compared pair enters the queue, to compare their scores
  auto report = app::RunDedupe(server().store(), server().cipher(), server().clock(), options, app::SystemPrincipal());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->fitted) << report->fit_problem;
  EXPECT_GT(report->em_iterations, 0);
  EXPECT_EQ(report->proposed, report->compared);
  // The fitted parameters are this population's, not the defaults.
  EXPECT_NE(report->params.m, search::PersonMatchModel::DefaultParams().m);

  const auto everything_pair = PairOf(all_a, all_b);
  const auto name_pair = PairOf(name_a, name_b);
  ASSERT_TRUE(everything_pair.has_value());
  ASSERT_TRUE(name_pair.has_value());
  // Outranks: a higher weight (the score, a probability to 0.001, may
  // round both to 1).
  EXPECT_GE(everything_pair->score, name_pair->score);
  EXPECT_GT(json::parse(everything_pair->explanation)["weight"].get<double>(),
            json::parse(name_pair->explanation)["weight"].get<double>() + 5);
  EXPECT_GE(everything_pair->score, 0.99);
  EXPECT_LE(everything_pair->score, 1.0);

  // Each field's level and its fitted weight log2(m/u), the pair's weight,
  // the prior and the model.
  const auto& fields = search::PersonMatchModel::Fields();
  auto check = [&](const app::DuplicatePair& pair, const std::vector<std::string>& levels) {
    const json e = json::parse(pair.explanation);
    EXPECT_EQ(e["model"], "fs-em-v1");
    EXPECT_NEAR(e["prior"].get<double>(), report->params.prior, 1e-6);
    double total = 0;
    for (std::size_t f = 0; f < fields.size(); ++f) {
      const json& field = e[fields[f].name];
      EXPECT_EQ(field["level"], levels[f]) << fields[f].name;
      double weight = 0;
      for (std::size_t l = 0; l < fields[f].levels.size(); ++l) {
        if (fields[f].levels[l] == levels[f]) weight = std::log2(report->params.m[f][l] / report->params.u[f][l]);
      }
      EXPECT_NEAR(field["weight"].get<double>(), weight, 0.001) << fields[f].name;
      total += weight;
    }
    EXPECT_NEAR(e["weight"].get<double>(), total, 0.005);
    EXPECT_EQ(pair.explanation.find("Thura"), std::string::npos) << "no name in the explanation";
    EXPECT_EQ(pair.explanation.find("Somchai"), std::string::npos) << "no name in the explanation";
  };
  check(*everything_pair, {"same", "same_date", "same", "shared", "shared"});
  check(*name_pair, {"same", "missing", "missing", "missing", "missing"});

  // The queue shows the explanation as an object.
  const json items = Get("/api/v1/person-duplicates").Json()["items"];
  ASSERT_FALSE(items.empty());
  EXPECT_EQ(items[0]["explanation"]["model"], "fs-em-v1");

  // A probability above 1 is no threshold.
  options.threshold = 1.5;
  EXPECT_EQ(app::RunDedupe(server().store(), server().cipher(), server().clock(), options, app::SystemPrincipal())
                .status()
                .code(),
            core::StatusCode::kInvalidArgument);
}

// Without --threshold a fitted model proposes the pairs with a posterior of
// at least 0.1: the planted pair is proposed with its posterior probability
// as score, and a second run adds nothing.
TEST_F(Issue8DedupeTest, Issue8_DedupeProposesAtTheReviewProbability) {
  WritePopulation();
  const std::string a = Person({{"prs_FirstName", "Thura Aung"}, {"prs_Sex", "Male"}, {"prs_Birthdate", "1991-02-03"}});
  const std::string b = PersonRenamed(
      {{"prs_FirstName", "Zeya Htet"}, {"prs_Sex", "Male"}, {"prs_Birthdate", "1991-02-03"}}, "Thura Aung");
  app::DedupeOptions options;
  auto report = app::RunDedupe(server().store(), server().cipher(), server().clock(), options, app::SystemPrincipal());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->fitted) << report->fit_problem;
  ASSERT_TRUE(report->min_probability.has_value());
  EXPECT_EQ(*report->min_probability, app::kReviewProbability);
  EXPECT_GT(report->proposed, 200);  // most of the 240 planted pairs
  EXPECT_LT(report->proposed, report->compared);
  const auto pair = PairOf(a, b);
  ASSERT_TRUE(pair.has_value());
  EXPECT_GE(pair->score, app::kReviewProbability - 0.0005);
  EXPECT_LE(pair->score, 1.0);
  report = app::RunDedupe(server().store(), server().cipher(), server().clock(), options, app::SystemPrincipal());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->inserted, 0);
}

}  // namespace
}  // namespace ctims::api_test
