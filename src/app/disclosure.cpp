#include "app/disclosure.hpp"

#include <algorithm>
#include <limits>

namespace ctims::app {
namespace {

// The member to suppress next in `rel`, which has exactly one suppressed
// member: the smallest positive part, else the total, else a zero part.
std::size_t NextToSuppress(const CellTable& table, const CellRelation& rel) {
  std::size_t best = std::numeric_limits<std::size_t>::max();
  std::int64_t best_value = std::numeric_limits<std::int64_t>::max();
  for (std::size_t p : rel.parts) {
    if (table.suppressed[p] || table.values[p] <= 0) continue;
    if (table.values[p] < best_value || (table.values[p] == best_value && p < best)) {
      best = p;
      best_value = table.values[p];
    }
  }
  if (best != std::numeric_limits<std::size_t>::max()) return best;
  if (!table.suppressed[rel.total]) return rel.total;
  for (std::size_t p : rel.parts) {
    if (!table.suppressed[p]) return p;
  }
  return std::numeric_limits<std::size_t>::max();  // every member suppressed already
}

}  // namespace

void SuppressSmallCells(CellTable& table, std::int64_t k) {
  table.suppressed.assign(table.values.size(), false);
  if (k <= 1) return;
  for (std::size_t i = 0; i < table.values.size(); ++i) {
    table.suppressed[i] = table.values[i] >= 1 && table.values[i] < k;
  }
  bool changed = true;
  while (changed) {
    changed = false;
    for (const CellRelation& rel : table.relations) {
      int count = table.suppressed[rel.total] ? 1 : 0;
      for (std::size_t p : rel.parts) count += table.suppressed[p] ? 1 : 0;
      if (count != 1) continue;
      const std::size_t next = NextToSuppress(table, rel);
      if (next == std::numeric_limits<std::size_t>::max()) continue;  // a relation of one member
      table.suppressed[next] = true;
      changed = true;
    }
  }
}

std::vector<std::size_t> RecoverableCells(const CellTable& table) {
  std::vector<bool> known(table.values.size());
  for (std::size_t i = 0; i < known.size(); ++i) known[i] = !table.suppressed[i];
  std::vector<std::size_t> recovered;
  bool changed = true;
  while (changed) {
    changed = false;
    for (const CellRelation& rel : table.relations) {
      int unknown = known[rel.total] ? 0 : 1;
      std::size_t which = rel.total;
      for (std::size_t p : rel.parts) {
        if (!known[p]) {
          ++unknown;
          which = p;
        }
      }
      if (unknown != 1) continue;
      known[which] = true;  // total - sum(parts), or the sum of the parts
      recovered.push_back(which);
      changed = true;
    }
  }
  std::sort(recovered.begin(), recovered.end());
  return recovered;
}

}  // namespace ctims::app
