#include "export/table_writer.hpp"

#include <gtest/gtest.h>

namespace ctims::exports {
namespace {

TEST(NeutralizeFormulaTest, PrefixesEveryFormulaStart) {
  for (std::string s : {"=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"}) {
    EXPECT_EQ(NeutralizeFormula(s), "'" + s) << s;
  }
  EXPECT_EQ(NeutralizeFormula("Bokeo"), "Bokeo");
  EXPECT_EQ(NeutralizeFormula(""), "");
  EXPECT_EQ(NeutralizeFormula("a=b"), "a=b");
}

TEST(WriteCsvTest, QuotesEscapesAndNeutralisesTextButNotNumbers) {
  Table t{"t", {"name", "count"}, {}};
  t.rows.push_back({std::string("=HYPERLINK(\"x\")"), -99.0});
  t.rows.push_back({std::string("ບໍ່ແກ້ວ, \"Bokeo\""), 1255.0});
  t.rows.push_back({std::monostate{}, 0.5});
  EXPECT_EQ(WriteCsv(t),
            "\"name\",\"count\"\r\n"
            "\"'=HYPERLINK(\"\"x\"\")\",\"-99\"\r\n"
            "\"ບໍ່ແກ້ວ, \"\"Bokeo\"\"\",\"1255\"\r\n"
            "\"\",\"0.5\"\r\n");
  EXPECT_EQ(WriteCsv(t, true).substr(0, 3), "\xEF\xBB\xBF");
}

TEST(WriteXlsxTest, WritesAZipWorkbookWithTheSheets) {
  Table a{"Assistance", {"district", "persons"}, {{std::string("Houayxay"), 12.0}}};
  Table b{"Flows", {"from"}, {{std::string("-cmd")}}};
  auto bytes = WriteXlsx({a, b});
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  ASSERT_GT(bytes->size(), 1000u);
  EXPECT_EQ(bytes->substr(0, 4), std::string("PK\x03\x04", 4));  // a zip container
  EXPECT_NE(bytes->find("xl/worksheets/sheet2.xml"), std::string::npos);
}

TEST(WriteXlsxTest, RefusesBadAndRepeatedSheetNames) {
  Table bad{"a/b", {"x"}, {}};
  auto r = WriteXlsx({bad});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
  Table one{"same", {}, {}};
  auto twice = WriteXlsx({one, one});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().code(), core::StatusCode::kInvalidArgument);
}

TEST(WriteXlsxTest, RefusesACellOverTheFormatLimit) {
  Table t{"big", {"x"}, {{std::string(40000, 'a')}}};
  auto r = WriteXlsx({t});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ctims::exports
