#pragma once

// The demo's Bokeo taskforce (issue 7 §5): the taskforce the 2022 police
// report calls for, with its members, a plan of action addressing the
// problems of DESIGN.md §1 (unpaid wages, contracts sold to other
// companies, fee demands for Covid tests, quarantine and work permits,
// workers without passports, online sexual exploitation, surrogacy),
// indicators computed from the demo caseload by the named queries, two
// meetings with decisions and follow-ups, and directives from the
// commission's side (the Ministry of Public Security, the commission's
// secretariat) and the provincial police with mixed answers, some overdue.
//
// Written like the demo caseload (app/demo_caseload.hpp): straight through
// the storage interface in one transaction, each record validated and given
// its "create" history entry, open activities and unanswered directives
// their tasks; deterministic (ids from the records' dates and a generator
// seeded by DemoOptions::seed, timestamps from the records' dates). The
// plan runs from September 2022 to September 2023 and is seen as of the
// demo's reference date (2023-01-31): done, on-track, at-risk and late
// activities side by side.
//
// Needs the reference data (the Bokeo agencies); kConflict when the
// taskforce exists already.

#include <cstdint>

#include "app/demo_caseload.hpp"
#include "app/principal.hpp"
#include "app/record_store.hpp"
#include "core/status.hpp"

namespace ctims::app {

struct DemoTaskforceResult {
  std::int64_t records = 0;  // records written (tasks not counted)
  std::int64_t tasks = 0;
};

core::Result<DemoTaskforceResult> SeedDemoTaskforce(Store& store, const DemoOptions& options, const Principal& caller);

}  // namespace ctims::app
