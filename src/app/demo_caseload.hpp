#pragma once

// The demo caseload (issue 5 §4): a synthetic, clearly fictional caseload for
// Bokeo, written straight through the storage interface in batched
// transactions (`ctims demo`, `make demo`, benchmarks).
//
// Every record is what RecordService would have stored: validated against
// its resource, protected fields sealed with the FieldCipher, the access tag
// of its case, and a "create" history entry (actor "system", sealed the same
// way). One audit event records the generation, not one per record.
//
// Deterministic: the same seed and size give the same database (ids are
// UUIDv7-shaped, their time from the record's date and their random part
// from the seeded generator; timestamps come from the records' dates, never
// the clock).
//
// The default size (kDefaultDemoPersons) is calibrated so that the
// assistance report for LA-BK with to=2022-09-01 reproduces the Bokeo
// police's 2022 figures in the lead-agency view: 1,255 persons, 493 women;
// District Management Committees 869 persons of 13 nationalities; the
// provincial Foreign Affairs Department 138 of 8; the provincial Police
// Department 248 persons whose trafficking was resolved, of 8. Other sizes
// scale the same groups proportionally (the exact figures hold only for
// the default).
//
// Needs the reference data (app/reference_data.hpp) and a database without
// cases (kConflict otherwise: ids of a second run would clash).

#include <cstdint>
#include <functional>
#include <string>

#include "app/principal.hpp"
#include "app/record_store.hpp"
#include "core/status.hpp"

namespace ctims::app {

class AuditLog;
class FieldCipher;

inline constexpr std::int64_t kDefaultDemoPersons = 1600;

struct DemoOptions {
  std::int64_t persons = kDefaultDemoPersons;
  std::uint64_t seed = 1;
  std::size_t batch_records = 5000;     // records per write transaction
  bool validate = true;                 // validate every record against its resource
  const FieldCipher* cipher = nullptr;  // nullptr: stored in clear (development databases only)
  AuditLog* audit = nullptr;
  // Called after each committed batch with the persons written so far.
  std::function<void(std::int64_t)> progress;
};

struct DemoResult {
  std::int64_t persons = 0;
  std::int64_t records = 0;  // every record written, persons included
  std::int64_t organisations = 0;
};

core::Result<DemoResult> GenerateDemoCaseload(Store& store, const DemoOptions& options, const Principal& caller);

}  // namespace ctims::app
