#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

#include "domain/codelists.hpp"
#include "domain/schema.hpp"
#include "http/server.hpp"

namespace ctims::http {

// The OpenAPI 3.0 document for `routes`, with a component schema per
// resource generated from its field specs (types, lengths, ranges, code
// lists as enums) and the shared error shape.
nlohmann::json OpenApiDocument(const std::vector<Route>& routes, const domain::CodeLists& codelists,
                               const std::string& version);

}  // namespace ctims::http
