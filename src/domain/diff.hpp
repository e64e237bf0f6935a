#pragma once

#include <nlohmann/json_fwd.hpp>

namespace ctims::domain {

// Field-level difference between two versions of a record, for the record
// history. Returns a JSON array of {"path", "from", "to"} (from/to null when
// the field was absent), ordered by path. Nested objects are descended into
// ("vic_MethodsOfControl.DebtBondage"); arrays are compared whole, since their
// items have no identity. `before` is null for a create, `after` for a delete.
nlohmann::json Diff(const nlohmann::json& before, const nlohmann::json& after);

}  // namespace ctims::domain
