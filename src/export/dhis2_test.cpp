#include "export/dhis2.hpp"

#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "export/report_export.hpp"

namespace ctims::exports {
namespace {

using nlohmann::json;

json Report(const std::string& from, const std::string& to) {
  json r = json::parse(R"({
    "report": "assistance",
    "location": {"code": "LA-BK"},
    "lead_agency": {
      "total": {"persons": 40, "women": 12, "nationalities": 3, "resolved": 9},
      "agency_types": [{"type": "DistrictManagementCommittee", "persons": 31, "women": 9, "nationalities": 3}],
      "agencies": [{"code": "BK-PPD", "persons": 9, "women": null, "nationalities": 2, "resolved": 9}]
    },
    "resolved_by_police": {"persons": 9, "women": null, "nationalities": 2},
    "breakdowns": {"nationality": [{"key": "LA", "persons": 30}]}
  })");
  r["period"] = {{"from", from.empty() ? json(nullptr) : json(from)}, {"to", to}};
  return r;
}

Dhis2Mapping Mapping(const std::string& extra = "") {
  auto m = ParseDhis2Mapping(R"({
    "dataSet": "dsAssist001",
    "orgUnits": {"LA-BK": "ouBokeo<&\"1"},
    "dataValues": [
      {"cell": "lead_agency.total.persons", "dataElement": "deAssisted1", "categoryOptionCombo": "cocTotal001",
       "adxDataElement": "ASSISTED", "adxDisaggregations": {"SEX": "T"}},
      {"cell": "lead_agency.total.women", "dataElement": "deAssisted1", "categoryOptionCombo": "cocFemale01",
       "adxDataElement": "ASSISTED", "adxDisaggregations": {"SEX": "F"}},
      {"cell": "lead_agency.agencies.BK-PPD.women", "dataElement": "dePpdWomen1"},
      {"cell": "lead_agency.agencies.BK-XYZ.persons", "dataElement": "deXyz000001"})" +
                             extra + R"(
    ]})");
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return *m;
}

TEST(Dhis2Test, DataValueSetsFromTheMappingAndNothingDroppedSilently) {
  auto out = WriteDhis2(Mapping(), Report("2022-01-01", "2023-01-01"), "dhis2");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  json body = json::parse(out->body);
  EXPECT_EQ(body.at("period"), "2022");
  EXPECT_EQ(body.at("orgUnit"), "ouBokeo<&\"1");
  EXPECT_EQ(body.at("dataSet"), "dsAssist001");
  ASSERT_EQ(body.at("dataValues").size(), 2u);
  EXPECT_EQ(body["dataValues"][0]["dataElement"], "deAssisted1");
  EXPECT_EQ(body["dataValues"][0]["categoryOptionCombo"], "cocTotal001");
  EXPECT_EQ(body["dataValues"][0]["value"], "40");
  EXPECT_EQ(body["dataValues"][1]["value"], "12");
  EXPECT_EQ(out->values, 2);
  // The suppressed police women cell is not sent, and said so; so are the
  // entry for an agency not in the report and every unmapped count.
  EXPECT_EQ(out->suppressed, std::vector<std::string>{"lead_agency.agencies.BK-PPD.women"});
  EXPECT_EQ(out->unmatched, std::vector<std::string>{"lead_agency.agencies.BK-XYZ.persons"});
  EXPECT_NE(std::find(out->unmapped.begin(), out->unmapped.end(), "breakdowns.nationality.LA.persons"),
            out->unmapped.end());
  EXPECT_NE(std::find(out->unmapped.begin(), out->unmapped.end(), "resolved_by_police.persons"), out->unmapped.end());
  EXPECT_EQ(std::find(out->unmapped.begin(), out->unmapped.end(), "lead_agency.total.persons"), out->unmapped.end());
}

TEST(Dhis2Test, AdxIsWellFormedXmlWithTheDisaggregations) {
  auto out = WriteDhis2(Mapping(), Report("2022-07-01", "2022-10-01"), "adx");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  xmlDocPtr doc =
      xmlReadMemory(out->body.data(), static_cast<int>(out->body.size()), "adx.xml", nullptr, XML_PARSE_NONET);
  ASSERT_NE(doc, nullptr) << out->body;
  xmlNodePtr root = xmlDocGetRootElement(doc);
  EXPECT_STREQ(reinterpret_cast<const char*>(root->name), "adx");
  ASSERT_NE(root->ns, nullptr);
  EXPECT_STREQ(reinterpret_cast<const char*>(root->ns->href), "urn:ihe:qrph:adx:2015");
  xmlNodePtr group = xmlFirstElementChild(root);
  ASSERT_NE(group, nullptr);
  auto attr = [](xmlNodePtr n, const char* name) {
    xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name));
    std::string s = v ? reinterpret_cast<const char*>(v) : "";
    xmlFree(v);
    return s;
  };
  EXPECT_EQ(attr(group, "period"), "2022-07-01/P3M");
  EXPECT_EQ(attr(group, "orgUnit"), "ouBokeo<&\"1");  // escaped in the text, the same after parsing
  int values = 0;
  for (xmlNodePtr v = xmlFirstElementChild(group); v != nullptr; v = xmlNextElementSibling(v)) {
    ++values;
    EXPECT_EQ(attr(v, "dataElement"), "ASSISTED");
    const std::string expected = attr(v, "SEX") == "T" ? "40" : attr(v, "SEX") == "F" ? "12" : "?";
    EXPECT_EQ(attr(v, "value"), expected);
  }
  EXPECT_EQ(values, 2);
  xmlFreeDoc(doc);
}

TEST(Dhis2Test, PeriodAndOrgUnitMustComeFromTheMapping) {
  // Since the beginning to 1 September: not one DHIS2 period.
  auto open = WriteDhis2(Mapping(), Report("", "2022-09-01"), "dhis2");
  ASSERT_EQ(open.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(open.status().field_errors().at(0).rule, "dhis2_period");
  // A fixed period in the mapping makes it one.
  Dhis2Mapping fixed = Mapping();
  fixed.period = "202208";
  auto month = WriteDhis2(fixed, Report("", "2022-09-01"), "dhis2");
  ASSERT_TRUE(month.ok());
  EXPECT_EQ(json::parse(month->body).at("period"), "202208");
  // A location without orgUnit.
  json elsewhere = Report("2022-08-01", "2022-09-01");
  elsewhere["location"]["code"] = "LA-VT";
  auto no_ou = WriteDhis2(Mapping(), elsewhere, "adx");
  ASSERT_EQ(no_ou.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(no_ou.status().field_errors().at(0).path, "location");
}

TEST(Dhis2Test, BadMappingsAreRefusedNamingTheEntry) {
  auto m = ParseDhis2Mapping(R"({"orgUnits": {"LA-BK": "x"}, "period": "2022W1",
    "dataValues": [{"cell": "lead_agency.total.persons"}, {"cell": "a", "dataElement": "b",
                    "adxDisaggregations": {"1bad": "x"}}]})");
  ASSERT_EQ(m.status().code(), core::StatusCode::kInvalidArgument);
  std::set<std::string> paths;
  for (const auto& f : m.status().field_errors()) paths.insert(f.path + ":" + f.rule);
  EXPECT_TRUE(paths.count("period:format"));
  EXPECT_TRUE(paths.count("dataValues/0/dataElement:required"));
  EXPECT_TRUE(paths.count("dataValues/1/adxDisaggregations:format"));
  EXPECT_EQ(ParseDhis2Mapping("not json").status().code(), core::StatusCode::kInvalidArgument);
}

TEST(Dhis2Test, TheShippedExampleMappingParses) {
  std::ifstream in(CTIMS_SOURCE_DIR "/config/dhis2-mapping.example.json");
  ASSERT_TRUE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  auto m = ParseDhis2Mapping(text.str());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->org_units.at("LA-BK"), "BokeoProv01");
}

}  // namespace
}  // namespace ctims::exports
