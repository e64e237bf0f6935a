#include "export/htcds_export.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ctims::exports {
namespace {

using nlohmann::json;

const json kPersons = json::parse(R"([
  {"id": "p1", "version": 3, "prs_FirstName": "Somchanh", "prs_SecondName": "Phommachanh",
   "prs_Birthdate": "2001-04-05", "prs_Citizenship": ["LA"], "prs_Sex": "Female", "internal_note": "x"}
])");
const json kCases = json::parse(R"([
  {"id": "c1", "person_id": "p1", "owner_agency_id": "a1", "cas_Status": "Open",
   "vic_TypeOfExploitation": ["ForcedLabour", "SexualExploitation"],
   "vic_MethodsOfControl": {"DebtBondage": "Yes"}, "cas_Summary": "narrative"}
])");

TEST(HtcdsExportTest, JsonKeepsOnlyHtcdsFieldsAndTheLinkingIds) {
  const json j = HtcdsJson(kPersons, kCases);
  EXPECT_EQ(j["standard"], "HTCDS");
  ASSERT_EQ(j["persons"].size(), 1u);
  EXPECT_EQ(j["persons"][0]["id"], "p1");
  EXPECT_EQ(j["persons"][0]["prs_FirstName"], "Somchanh");
  EXPECT_EQ(j["persons"][0]["prs_Citizenship"], json::array({"LA"}));
  EXPECT_FALSE(j["persons"][0].contains("version"));
  EXPECT_FALSE(j["persons"][0].contains("internal_note"));
  EXPECT_EQ(j["cases"][0]["person_id"], "p1");
  EXPECT_EQ(j["cases"][0]["cas_CaseOwner"], "a1");
  EXPECT_EQ(j["cases"][0]["vic_MethodsOfControl"]["DebtBondage"], "Yes");
  EXPECT_FALSE(j["cases"][0].contains("cas_Summary"));  // not an HTCDS field
}

TEST(HtcdsExportTest, SheetsFollowTheTemplateColumnOrder) {
  const auto tables = HtcdsTables(kPersons, kCases);
  ASSERT_EQ(tables.size(), 3u);
  EXPECT_EQ(tables[0].name, "Person");
  ASSERT_EQ(tables[0].header.size(), 26u);  // record_id + 25 prs_ fields
  EXPECT_EQ(tables[0].header[1], "prs_Salutation");
  EXPECT_EQ(tables[0].header[2], "prs_FirstName");
  EXPECT_EQ(tables[0].header.back(), "prs_MailingLatitude");
  EXPECT_EQ(std::get<std::string>(tables[0].rows[0][2]), "Somchanh");
  EXPECT_EQ(tables[1].name, "Person - Victim Context");
  EXPECT_EQ(tables[1].header[2], "vic_AgreementToManagePersonalData");
  EXPECT_EQ(tables[1].header.size(), 18u);
  const auto& victim = tables[1].rows[0];
  const auto type_at = static_cast<std::size_t>(
      std::find(tables[1].header.begin(), tables[1].header.end(), "vic_TypeOfExploitation") - tables[1].header.begin());
  EXPECT_EQ(std::get<std::string>(victim[type_at]), "ForcedLabour;SexualExploitation");
  EXPECT_EQ(tables[2].header, (std::vector<std::string>{"record_id", "person_id", "cas_Status",
                                                        "cas_ReasonForCaseClosure", "cas_CaseOwner"}));
  EXPECT_TRUE(WriteXlsx(tables).ok());
}

TEST(HtcdsExportTest, ArchiveIsEncryptedAndOpensOnlyWithThePassword) {
  const std::string body = HtcdsJson(kPersons, kCases).dump();
  auto xlsx = WriteXlsx(HtcdsTables(kPersons, kCases));
  ASSERT_TRUE(xlsx.ok());
  const std::string password = "correct horse battery";
  auto zip = WriteEncryptedZip({{"htcds-cases.json", body}, {"htcds-cases.xlsx", *xlsx}}, password);
  ASSERT_TRUE(zip.ok()) << zip.status().ToString();
  EXPECT_EQ(zip->substr(0, 2), "PK");
  for (const char* secret : {"Somchanh", "Phommachanh", "2001-04-05", "prs_FirstName"}) {
    EXPECT_EQ(zip->find(secret), std::string::npos) << secret << " is in the archive in clear";
  }
  auto files = ReadEncryptedZip(*zip, password);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].name, "htcds-cases.json");
  EXPECT_EQ((*files)[0].bytes, body);
  EXPECT_EQ((*files)[1].bytes, *xlsx);

  auto wrong = ReadEncryptedZip(*zip, "correct horse batterx");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().field_errors().at(0).rule, "incorrect");
}

TEST(HtcdsExportTest, ShortPasswordsAreRefusedNamingTheFieldAndRule) {
  auto short_pw = WriteEncryptedZip({{"a.json", "{}"}}, "elevenchars");
  ASSERT_EQ(short_pw.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(short_pw.status().field_errors().at(0).path, "password");
  EXPECT_EQ(short_pw.status().field_errors().at(0).rule, "min_length");
  // Characters, not bytes: eleven Lao letters (33 bytes) are still too short.
  const std::string lao11 = "ກຂຄງຈສຊຍດຕຖ";
  EXPECT_FALSE(WriteEncryptedZip({{"a.json", "{}"}}, lao11).ok());
  EXPECT_TRUE(WriteEncryptedZip({{"a.json", "{}"}}, lao11 + "ທ").ok());
}

}  // namespace
}  // namespace ctims::exports
