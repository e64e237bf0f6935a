#include "domain/diff.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ctims::domain {
namespace {

using nlohmann::json;

TEST(DiffTest, CreateListsEveryField) {
  json d = Diff(json(), json{{"b", 1}, {"a", "x"}});
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0], (json{{"path", "a"}, {"from", nullptr}, {"to", "x"}}));
  EXPECT_EQ(d[1]["path"], "b");
}

TEST(DiffTest, DescendsIntoObjectsButNotArrays) {
  json before = {{"m", {{"DebtBondage", "No"}, {"Threats", "Yes"}}}, {"list", {1, 2}}};
  json after = {{"m", {{"DebtBondage", "Yes"}, {"Threats", "Yes"}}}, {"list", {1, 3}}};
  json d = Diff(before, after);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0], (json{{"path", "list"}, {"from", {1, 2}}, {"to", {1, 3}}}));
  EXPECT_EQ(d[1], (json{{"path", "m.DebtBondage"}, {"from", "No"}, {"to", "Yes"}}));
}

TEST(DiffTest, DeleteAndNoChange) {
  json rec = {{"a", 1}, {"o", {{"x", true}}}};
  EXPECT_TRUE(Diff(rec, rec).empty());
  json d = Diff(rec, json());
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[1], (json{{"path", "o.x"}, {"from", true}, {"to", nullptr}}));
}

}  // namespace
}  // namespace ctims::domain
