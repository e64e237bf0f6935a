#include "app/report_service.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/in_memory_records_test_util.hpp"
#include "app/record_service.hpp"
#include "app/record_service_util.hpp"

namespace ctims::app {
namespace {

using nlohmann::json;

class FakeStore final : public Store {
 public:
  class Tx final : public testing::InMemoryRecordOps<StoreTransaction> {
   public:
    Tx(FakeStore& store, bool write) : store_(store), data_(store.data_), write_(write) {}
    core::Status Commit() override {
      store_.data_ = data_;
      return core::Status::Ok();
    }

   protected:
    testing::InMemoryRecords& records() override { return data_; }
    bool writable() const override { return write_; }

   private:
    FakeStore& store_;
    testing::InMemoryRecords data_;
    bool write_;
  };
  core::Result<std::unique_ptr<StoreTransaction>> Begin(TxMode mode) override {
    return std::unique_ptr<StoreTransaction>(std::make_unique<Tx>(*this, mode == TxMode::kWrite));
  }
  core::Result<int> Migrate() override { return 1; }
  core::Result<int> SchemaVersion() override { return 1; }
  int LatestSchemaVersion() const override { return 1; }
  core::Status CheckIntegrity() override { return core::Status::Ok(); }
  std::string BackendName() const override { return "fake"; }

  testing::InMemoryRecords data_;
};

// A small world where every rule of "who counts" has a case:
//   p1 (woman, MM): case opened in the period, owned now by the FAD through a
//      transfer accepted AFTER the period: counts under the district committee;
//   p2 (man, LA): case opened before the period, investigation resolved in it:
//      counts under the police, resolved;
//   p3: case opened on `to`: not counted;
//   p4: case led by an agency outside Bokeo, assisted by the FAD: only in the
//      assisted-by view;
//   p5 (woman, LA): two cases in the period: counted once, under the lead of
//      the latest;
//   p6: case opened long before, nothing in the period: not counted.
class ReportServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string la =
        Put("locations", {{"loc_Code", "LA"}, {"loc_NameLo", "ລາວ"}, {"loc_NameEn", "Laos"}, {"loc_Level", "country"}});
    const std::string bk = Put("locations", {{"loc_Code", "LA-BK"},
                                             {"loc_NameLo", "ບໍ່ແກ້ວ"},
                                             {"loc_NameEn", "Bokeo"},
                                             {"loc_Level", "province"},
                                             {"parent_id", la}});
    const std::string hxy = Put("locations", {{"loc_Code", "LA-BK-01"},
                                              {"loc_NameLo", "ຫ້ວຍຊາຍ"},
                                              {"loc_NameEn", "Houayxay"},
                                              {"loc_Level", "district"},
                                              {"parent_id", bk}});
    dmc_ = Agency("BK-DMC-HXY", "LocalGovernmentOrganisation", "district", hxy);
    fad_ = Agency("BK-FAD", "LocalGovernmentOrganisation", "provincial", bk);
    ppd_ = Agency("BK-PPD", "LawEnforcement", "provincial", bk);
    mps_ = Agency("MPS-ATD", "LawEnforcement", "central", la);

    const std::string p1 = Person("Female", "MM", "2000-05-01");
    const std::string c1 = Case(p1, fad_, "2022-02-01");
    Put("transfers", {{"case_id", c1},
                      {"to_agency_id", fad_},
                      {"from_agency_id", dmc_},
                      {"trf_Reason", "foreign national"},
                      {"trf_Status", "Accepted"},
                      {"trf_AnsweredAt", "2022-10-05T09:00:00.000Z"}});
    Assist(c1, dmc_, "2022-02-01");

    const std::string p2 = Person("Male", "LA", "");
    const std::string c2 = Case(p2, ppd_, "2021-12-01");
    const std::string inv = Put("investigations", {{"inv_Reference", "X-1"},
                                                   {"agency_id", ppd_},
                                                   {"inv_Offences", {"LaoPenalCode215"}},
                                                   {"inv_Status", "Resolved"},
                                                   {"inv_ResolvedOn", "2022-03-01"}});
    Put("investigation-victims", {{"investigation_id", inv}, {"case_id", c2}});

    Case(Person("Female", "TH", "1990-01-01"), dmc_, "2022-09-01");

    const std::string c4 = Case(Person("Male", "CN", "1995-01-01"), mps_, "2022-02-01");
    Assist(c4, fad_, "2022-02-03");

    const std::string p5 = Person("Female", "LA", "2005-01-01");
    Assist(Case(p5, dmc_, "2022-01-05"), dmc_, "2022-01-05");
    Assist(Case(p5, fad_, "2022-03-01"), fad_, "2022-03-02");

    Case(Person("Male", "LA", "1980-01-01"), dmc_, "2021-06-01");
  }

  std::string Put(const char* resource, json record) {
    const auto& spec = *domain::FindResource(resource);
    const std::string id = "0190a1b2-c3d4-7e5f-8a6b-" + std::to_string(100000000000 + ++next_);
    const TableDef table = TableFor(spec);
    auto stored = detail::ToStored(spec, table, record, id, nullptr);
    EXPECT_TRUE(stored.ok());
    stored->version = 1;
    stored->created_at = stored->updated_at = "2022-01-01T00:00:00.000Z";
    stored->access.agency = record.value("owner_agency_id", "");
    auto tx = store_.Begin(TxMode::kWrite);
    EXPECT_TRUE((*tx)->Insert(table, *stored).ok());
    EXPECT_TRUE((*tx)->Commit().ok());
    return id;
  }
  std::string Agency(const char* code, const char* type, const char* level, const std::string& location) {
    return Put("agencies", {{"org_Code", code},
                            {"org_NameLo", "ກົມ"},
                            {"org_NameEn", code},
                            {"org_Type", type},
                            {"org_Level", level},
                            {"location_id", location}});
  }
  std::string Person(const char* sex, const char* country, const std::string& born) {
    json p = {{"prs_FirstName", "x"}, {"prs_Sex", sex}, {"prs_Citizenship", {country}}};
    if (born.empty()) {
      p["prs_EstimatedAge"] = 30;
      p["prs_AgeEstimatedOn"] = "2022-01-10";
    } else {
      p["prs_Birthdate"] = born;
    }
    return Put("persons", p);
  }
  std::string Case(const std::string& person, const std::string& agency, const char* opened) {
    return Put("cases", {{"person_id", person},
                         {"owner_agency_id", agency},
                         {"cas_OpenedOn", opened},
                         {"vic_TypeOfExploitation", {"ForcedLabour"}}});
  }
  void Assist(const std::string& case_id, const std::string& agency, const char* date) {
    Put("assistance", {{"case_id", case_id}, {"agency_id", agency}, {"ast_Date", date}, {"ast_ServiceType", "Food"}});
  }

  static const json& Row(const json& rows, const char* key, const std::string& value) {
    for (const auto& r : rows) {
      if (r.value(key, "") == value) return r;
    }
    static const json kNone = json::object();
    ADD_FAILURE() << "no row " << value;
    return kNone;
  }

  static Principal As(const char* role) {
    Principal p;
    p.user_id = "u1";
    p.role = *domain::FindBuiltinRole(role);
    return p;
  }

  core::Result<json> Assistance(const Principal& who, ReportRequest request = {}) {
    if (request.params.empty()) request.params = {{"location", "LA-BK"}, {"from", "2022-01-01"}, {"to", "2022-09-01"}};
    return reports_.Assistance(request, who);
  }

  FakeStore store_;
  core::ManualClock clock_{core::TimePoint{std::chrono::milliseconds(1672531200000)}};  // 2023-01-01
  ReportService reports_{store_, clock_};
  std::string dmc_, fad_, ppd_, mps_;
  int next_ = 0;
};

TEST_F(ReportServiceTest, LeadAgencyViewCountsEachPersonOnceUnderTheLeadAtTheEndOfThePeriod) {
  auto r = Assistance(As("supervisor"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const json& lead = (*r)["lead_agency"];
  EXPECT_EQ(lead["total"]["persons"], 3);  // p1, p2, p5
  EXPECT_EQ(lead["total"]["women"], 2);
  EXPECT_EQ(lead["total"]["nationalities"], 2);                          // MM, LA
  EXPECT_EQ(Row(lead["agencies"], "code", "BK-DMC-HXY")["persons"], 1);  // p1: transferred only after the period
  EXPECT_EQ(Row(lead["agencies"], "code", "BK-FAD")["persons"], 1);      // p5's latest case
  EXPECT_EQ(Row(lead["agencies"], "code", "BK-PPD")["persons"], 1);
  EXPECT_EQ(Row(lead["agencies"], "code", "BK-PPD")["resolved"], 1);
  EXPECT_EQ(Row(lead["agency_types"], "type", "DistrictManagementCommittee")["persons"], 1);
  EXPECT_EQ(Row(lead["agency_types"], "type", "LocalGovernmentOrganisation")["persons"], 1);
  for (const auto& a : lead["agencies"]) EXPECT_NE(a["code"], "MPS-ATD");
  EXPECT_EQ((*r)["resolved_by_police"]["persons"], 1);
  EXPECT_EQ(Row((*r)["breakdowns"]["age_band"], "key", "21--23")["persons"], 1);  // p1 at opening
  EXPECT_EQ(Row((*r)["breakdowns"]["age_band"], "key", "30--38")["persons"], 1);  // p2, estimated
  EXPECT_EQ(Row((*r)["breakdowns"]["age_band"], "key", "9--17")["persons"], 1);   // p5, 17 at opening
  EXPECT_EQ(Row((*r)["monthly"]["items"], "month", "before")["new_persons"], 1);  // p2
  EXPECT_EQ((*r)["disclosure_control"]["applied"], false);
}

TEST_F(ReportServiceTest, AssistedByViewCountsEveryAssistingAgencyInTheLocation) {
  auto r = Assistance(As("supervisor"));
  ASSERT_TRUE(r.ok());
  const json& ab = (*r)["assisted_by"];
  EXPECT_EQ(Row(ab["agencies"], "code", "BK-FAD")["persons"], 2);      // p4 (led outside Bokeo) and p5
  EXPECT_EQ(Row(ab["agencies"], "code", "BK-DMC-HXY")["persons"], 2);  // p1 and p5
  EXPECT_EQ(ab["total"]["persons"], 3);                                // p1, p4, p5 once each
}

TEST_F(ReportServiceTest, SinceTheBeginningCountsTheOlderCaseWithItsActivity) {
  auto r = Assistance(As("supervisor"), {{{"location", "LA-BK"}, {"to", "2022-09-01"}}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["lead_agency"]["total"]["persons"], 4);  // p6 too; p3 (opened on `to`) still not
  EXPECT_TRUE((*r)["period"]["from"].is_null());
}

TEST_F(ReportServiceTest, RolesWithoutIdentityAccessGetSmallCellsSuppressed) {
  auto r = Assistance(As("analyst"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["disclosure_control"]["applied"], true);
  EXPECT_EQ((*r)["disclosure_control"]["min_cell"], 5);
  const json& total = (*r)["lead_agency"]["total"];
  EXPECT_TRUE(total["persons"].is_null());
  EXPECT_TRUE(total["nationalities"].is_null());
  EXPECT_EQ(total["suppressed"], json({"persons", "women", "resolved", "nationalities"}));
  EXPECT_EQ(Row((*r)["lead_agency"]["agencies"], "code", "BK-FAD")["persons"], nullptr);
}

TEST_F(ReportServiceTest, RefusesBadParametersAndRolesWithoutThePermission) {
  EXPECT_EQ(Assistance(As("case_worker")).status().code(), core::StatusCode::kPermissionDenied);
  auto bad = Assistance(As("analyst"), {{{"location", "LA-XX"}}});
  ASSERT_EQ(bad.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().field_errors()[0].rule, "unknown");
  bad = Assistance(As("analyst"), {{{"location", "LA-BK"}, {"to", "2022-9-1"}}});
  ASSERT_EQ(bad.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().field_errors()[0].path, "to");
  bad = Assistance(As("analyst"), {{{"location", "LA-BK"}, {"location", "LA"}}});
  ASSERT_EQ(bad.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().field_errors()[0].rule, "duplicate");
}

TEST_F(ReportServiceTest, TextFormatsCarryTheFigures) {
  auto r = Assistance(As("supervisor"));
  ASSERT_TRUE(r.ok());
  const std::string table = FormatAssistanceReport(*r);
  EXPECT_NE(table.find("District Management Committees"), std::string::npos) << table;
}

}  // namespace
}  // namespace ctims::app
