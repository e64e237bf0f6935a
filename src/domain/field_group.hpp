#pragma once

// The two small enums shared by the schema (which field belongs to which
// group) and the access rules (which groups a role reaches). Kept apart from
// access.hpp so that schema.hpp stays light.

namespace ctims::domain {

// Groups of fields a role may read or write. kGeneral holds everything not
// tagged with another group (codes, dates, statuses, reference data).
enum class FieldGroup { kGeneral, kIdentity, kContact, kHealth, kNarrative, kInvestigation };

// Whose records a role reaches: records the user owns, records of the user's
// agency, of the agency's jurisdiction (a location subtree), or all records.
// Ordered from narrowest to widest.
enum class Scope { kOwn, kAgency, kJurisdiction, kAll };

}  // namespace ctims::domain
