#include "core/status.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ctims::core {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument("odd", {{"x", "even", "must be even"}});
  return x / 2;
}

Result<int> Quarter(int x) {
  CTIMS_ASSIGN_OR_RETURN(int h, Half(x));
  CTIMS_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(StatusTest, CarriesFieldErrors) {
  Status s = Status::InvalidArgument("bad", {{"prs_Gender", "codelist", "not in list"}});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  ASSERT_EQ(s.field_errors().size(), 1u);
  EXPECT_EQ(s.field_errors()[0].rule, "codelist");
  EXPECT_EQ(s.ToString(), "invalid_argument: bad [prs_Gender: codelist]");
}

TEST(ResultTest, PropagatesErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);  // 6 -> 3 -> odd
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field_errors()[0].path, "x");
  EXPECT_TRUE(Quarter(4).status().ok());
}

}  // namespace
}  // namespace ctims::core
