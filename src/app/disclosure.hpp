#pragma once

// Disclosure control for aggregate tables (issue 5 §3): small-cell
// suppression with secondary suppression, so that a published table and its
// published totals cannot be differenced back into a suppressed cell.
//
// A table is a flat list of counts (cells) plus the additive relations
// between them: each relation says "cell `total` is the sum of cells
// `parts`" (a row total, a column total, the grand total, a group of
// agencies). A cell can be in any number of relations, as a part or a total,
// so nested and multi-way tables are one CellTable.
//
// SuppressSmallCells:
//   1. primary: every cell with 1 <= n < k is suppressed (0 is never a
//      primary suppression: "nobody" discloses nobody);
//   2. secondary: while some relation has exactly one suppressed member
//      (that member would be its total minus the published rest), one more
//      member of that relation is suppressed: the smallest positive part,
//      else the total, else a zero part. Repeats until no relation has
//      exactly one suppressed member, so no single relation, nor a chain of
//      them solved one unknown at a time, gives a suppressed value back.
// Counts that are not additive (distinct nationalities, persons who can be in
// several rows) get primary suppression only; they are not in relations.
//
// Pure: no I/O, deterministic (ties broken by cell index).

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ctims::app {

struct CellRelation {
  std::size_t total = 0;
  std::vector<std::size_t> parts;
};

struct CellTable {
  std::vector<std::int64_t> values;
  std::vector<bool> suppressed;  // parallel to values, filled by SuppressSmallCells
  std::vector<CellRelation> relations;

  // Adds a cell and returns its index.
  std::size_t Add(std::int64_t value) {
    values.push_back(value);
    suppressed.push_back(false);
    return values.size() - 1;
  }
  // Declares values[total] == sum of values[parts].
  void Relate(std::size_t total, std::vector<std::size_t> parts) { relations.push_back({total, std::move(parts)}); }
};

// Suppresses cells of `table` in place as described above. k <= 1 turns
// suppression off (nothing is suppressed).
void SuppressSmallCells(CellTable& table, std::int64_t k);

// What an attacker can recover: repeatedly solves every relation with
// exactly one unknown member from the published ones. Returns the indices of
// suppressed cells whose value it recovers (empty when the table is safe).
// Used by tests; also a cheap self-check.
std::vector<std::size_t> RecoverableCells(const CellTable& table);

}  // namespace ctims::app
