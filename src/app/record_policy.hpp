#pragma once

// A resource-specific write rule that the generic record service cannot know
// (issue 7): who may change a taskforce's plan, which agency answers a
// directive. RecordService consults the policy on every create, update and
// delete of every resource, inside the write's own transaction, so a write
// the policy refuses changes nothing and a side effect (a task) commits with
// the record or not at all.

#include <nlohmann/json_fwd.hpp>

#include <string>

#include "app/principal.hpp"
#include "app/record_store.hpp"
#include "core/status.hpp"
#include "domain/schema.hpp"

namespace ctims::app {

class RecordWritePolicy {
 public:
  virtual ~RecordWritePolicy() = default;

  // Before the write, after validation of the merged record. `before` is
  // null on create; `after` is nullptr on delete. The policy may fill fields
  // the server manages in *after (they are validated again on create).
  // An error refuses the write: kPermissionDenied (who), kInvalidArgument
  // (what, with field errors) or kConflict.
  virtual core::Status BeforeWrite(StoreTransaction& tx, const domain::ResourceSpec& spec, const std::string& id,
                                   const nlohmann::json& before, nlohmann::json* after, const Principal& caller) = 0;
  // After the record (and its history) is written, in the same transaction:
  // side effects such as tasks. `after` is null on delete.
  virtual core::Status AfterWrite(StoreTransaction& tx, const domain::ResourceSpec& spec, const std::string& id,
                                  const nlohmann::json& before, const nlohmann::json& after,
                                  const Principal& caller) = 0;
};

}  // namespace ctims::app
