#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/record_store.hpp"
#include "core/clock.hpp"
#include "core/status.hpp"
#include "domain/codelists.hpp"
#include "domain/schema.hpp"

namespace ctims::app {

// Who is acting. Until access control lands every caller is the local
// operator; the id is recorded in the history of every write.
struct Actor {
  std::string id = "local";
};

struct ListRequest {
  std::vector<std::pair<std::string, std::string>> filters;  // query parameters other than limit/cursor
  std::optional<std::string> limit;                          // as given by the client
  std::optional<std::string> cursor;
};

// Maximum and default page sizes for lists.
inline constexpr std::size_t kMaxPageSize = 500;
inline constexpr std::size_t kDefaultPageSize = 50;

// The case-registry use cases: create, read, update, delete, list and history
// of every resource in domain::Resources(). Each write is one transaction
// that also records the field-level diff in the history, so a write is
// all-or-nothing. Records are JSON objects with the resource's fields plus
// "id", "version", "created_at" and "updated_at".
//
// Errors: kInvalidArgument with field errors for bad input (nothing written);
// kNotFound for unknown ids; kConflict for a stale version or a delete of a
// record others refer to; kAlreadyExists for a taken unique code;
// kUnavailable when the database is busy. Thread-safe; holds references to
// `store`, `codelists` and `clock`, which must outlive it.
class RecordService {
 public:
  RecordService(Store& store, const domain::CodeLists& codelists, const core::Clock& clock);

  core::Result<nlohmann::json> Create(const domain::ResourceSpec& spec, const nlohmann::json& body, const Actor& actor);
  core::Result<nlohmann::json> Get(const domain::ResourceSpec& spec, const std::string& id);
  // The same record as Get(), already serialised: the stored body with the
  // metadata and column fields spliced in, without parsing it (the read
  // path of the API). Members are not in alphabetical order.
  struct RecordText {
    std::string json;
    std::int64_t version = 0;
  };
  core::Result<RecordText> GetText(const domain::ResourceSpec& spec, const std::string& id);
  // `patch` is an RFC 7386 merge patch. The expected version comes from
  // `expected_version` (If-Match) or the patch's "version" member; one is
  // required. An update that changes nothing returns the record unchanged.
  core::Result<nlohmann::json> Update(const domain::ResourceSpec& spec, const std::string& id,
                                      const nlohmann::json& patch, std::optional<std::int64_t> expected_version,
                                      const Actor& actor);
  core::Status Delete(const domain::ResourceSpec& spec, const std::string& id,
                      std::optional<std::int64_t> expected_version, const Actor& actor);
  // {"items": [...], "next_cursor": "<id>" | null}
  core::Result<nlohmann::json> List(const domain::ResourceSpec& spec, const ListRequest& request);
  // {"items": [{"version","action","actor","at","changes"}...]}, oldest first.
  core::Result<nlohmann::json> History(const domain::ResourceSpec& spec, const std::string& id);

  const domain::CodeLists& codelists() const { return codelists_; }

 private:
  domain::CheckContext Context() const;
  core::Result<std::optional<StoredRecord>> ReadOne(const TableDef& table, const std::string& id);

  Store& store_;
  const domain::CodeLists& codelists_;
  const core::Clock& clock_;
};

// The storage layout of a resource (its table and column fields).
TableDef TableFor(const domain::ResourceSpec& spec);

}  // namespace ctims::app
