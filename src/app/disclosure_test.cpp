#include "app/disclosure.hpp"

#include <gtest/gtest.h>

#include <random>

namespace ctims::app {
namespace {

// A two-way table rows x cols with row, column and grand totals.
struct Grid {
  CellTable table;
  std::vector<std::vector<std::size_t>> cell;
  std::vector<std::size_t> row_total, col_total;
  std::size_t total = 0;
};

Grid MakeGrid(const std::vector<std::vector<std::int64_t>>& values) {
  Grid g;
  const std::size_t rows = values.size();
  const std::size_t cols = values[0].size();
  g.cell.assign(rows, std::vector<std::size_t>(cols));
  std::vector<std::int64_t> rs(rows), cs(cols);
  std::int64_t all = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      g.cell[r][c] = g.table.Add(values[r][c]);
      rs[r] += values[r][c];
      cs[c] += values[r][c];
      all += values[r][c];
    }
  }
  for (std::size_t r = 0; r < rows; ++r) g.row_total.push_back(g.table.Add(rs[r]));
  for (std::size_t c = 0; c < cols; ++c) g.col_total.push_back(g.table.Add(cs[c]));
  g.total = g.table.Add(all);
  for (std::size_t r = 0; r < rows; ++r) g.table.Relate(g.row_total[r], g.cell[r]);
  for (std::size_t c = 0; c < cols; ++c) {
    std::vector<std::size_t> parts;
    for (std::size_t r = 0; r < rows; ++r) parts.push_back(g.cell[r][c]);
    g.table.Relate(g.col_total[c], parts);
  }
  g.table.Relate(g.total, g.row_total);
  g.table.Relate(g.total, g.col_total);
  return g;
}

TEST(DisclosureTest, PrimarySuppressionHidesSmallNonZeroCellsOnly) {
  CellTable t;
  t.Add(0);
  t.Add(1);
  t.Add(4);
  t.Add(5);
  t.Add(100);
  SuppressSmallCells(t, 5);
  EXPECT_EQ(t.suppressed, (std::vector<bool>{false, true, true, false, false}));
}

TEST(DisclosureTest, KOfOneOrLessSuppressesNothing) {
  Grid g = MakeGrid({{1, 2}, {3, 4}});
  SuppressSmallCells(g.table, 1);
  for (bool s : g.table.suppressed) EXPECT_FALSE(s);
}

TEST(DisclosureTest, ALoneSmallCellInARowGetsAPartner) {
  // Row 0 has one small cell: without a second suppression it is the row
  // total minus the rest.
  Grid g = MakeGrid({{3, 40, 50}, {20, 30, 60}});
  SuppressSmallCells(g.table, 5);
  EXPECT_TRUE(g.table.suppressed[g.cell[0][0]]);
  int in_row = 0;
  for (std::size_t c = 0; c < 3; ++c) in_row += g.table.suppressed[g.cell[0][c]] ? 1 : 0;
  EXPECT_GE(in_row, 2);
  EXPECT_TRUE(RecoverableCells(g.table).empty());
  // The partner is the smallest positive cell of the row.
  EXPECT_TRUE(g.table.suppressed[g.cell[0][1]]);
}

TEST(DisclosureTest, RowWhoseOtherCellsAreZeroSuppressesItsTotal) {
  Grid g = MakeGrid({{2, 0, 0}, {20, 30, 60}});
  SuppressSmallCells(g.table, 5);
  EXPECT_TRUE(g.table.suppressed[g.cell[0][0]]);
  EXPECT_TRUE(g.table.suppressed[g.row_total[0]]);
  EXPECT_TRUE(RecoverableCells(g.table).empty());
}

TEST(DisclosureTest, WithoutSecondarySuppressionDifferencingRecoversTheCell) {
  // The attack the secondary suppression defends against, shown to work on
  // a table with primary suppression only.
  Grid g = MakeGrid({{3, 40, 50}, {20, 30, 60}});
  for (std::size_t i = 0; i < g.table.values.size(); ++i) {
    g.table.suppressed[i] = g.table.values[i] >= 1 && g.table.values[i] < 5;
  }
  const auto recovered = RecoverableCells(g.table);
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0], g.cell[0][0]);
}

TEST(DisclosureTest, RandomTablesNeverLeakASuppressedCell) {
  std::mt19937 rng(20220901);
  std::uniform_int_distribution<int> small(0, 12);
  for (int round = 0; round < 300; ++round) {
    const std::size_t rows = 2 + rng() % 5;
    const std::size_t cols = 2 + rng() % 5;
    std::vector<std::vector<std::int64_t>> v(rows, std::vector<std::int64_t>(cols));
    for (auto& row : v) {
      for (auto& x : row) x = small(rng) < 4 ? small(rng) % 5 : small(rng) * 3;
    }
    Grid g = MakeGrid(v);
    SuppressSmallCells(g.table, 5);
    for (std::size_t i = 0; i < g.table.values.size(); ++i) {
      if (g.table.values[i] >= 1 && g.table.values[i] < 5) {
        EXPECT_TRUE(g.table.suppressed[i]);
      }
    }
    EXPECT_TRUE(RecoverableCells(g.table).empty()) << "round " << round;
  }
}

}  // namespace
}  // namespace ctims::app
