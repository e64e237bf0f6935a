#pragma once

// Internal to the app layer's use cases (record_service.cpp,
// person_search_service.cpp, person_merge_service.cpp, report_service.cpp,
// report_facts.cpp): the small helpers
// they share, so that each rule (a body's members, a page's limit and
// cursor, a stale version, a person's cases, a review pair's status change,
// an audit event) is written once. Not part of the app layer's public
// contract. Stateless; thread-safe as far as the StoreTransaction passed in
// is used by one thread.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "app/audit_log.hpp"
#include "app/principal.hpp"
#include "app/record_service.hpp"
#include "app/record_store.hpp"
#include "core/status.hpp"
#include "domain/schema.hpp"

namespace ctims::app {
// A pair of the duplicate review queue with the live end of each of its
// persons (RecordService::ReadLivePair): `a` is person_a itself unless
// person_a was merged, then the person it was merged into; likewise `b`.
struct RecordService::ReviewPair {
  DuplicatePair pair;
  StoredRecord a;  // person_a's live end
  StoredRecord b;  // person_b's live end
  // Both sides were merged into one person: nothing is left to decide.
  bool Settled() const { return a.id == b.id; }
  // A side was merged: the live ends are not the persons the pair was
  // proposed for (the queue shows the pair on its live ends).
  bool Repointed() const { return a.id != pair.person_a || b.id != pair.person_b; }
};
}  // namespace ctims::app

namespace ctims::app::detail {

// The specs of the two resources the person use cases work on (never null:
// both are part of the built-in schema).
const domain::ResourceSpec& PersonsSpec();
const domain::ResourceSpec& CasesSpec();

// OK when `body` is a JSON object whose members are all in `allowed`;
// kInvalidArgument naming the first other member (rule "unknown_field"), or
// the body (rule "type") when it is not an object.
core::Status CheckBodyMembers(const nlohmann::json& body, std::initializer_list<std::string_view> allowed);

// A list's "limit" (1..kMaxPageSize) and "cursor" (a record id) parameters:
// sets `limit` / `after`, or appends the field error (rules "range",
// "format") to `errors`.
void ParseLimit(const std::string& value, std::size_t& limit, std::vector<core::FieldError>& errors);
void ParseCursor(const std::string& value, std::string& after, std::vector<core::FieldError>& errors);

// kConflict "stale version" on field "version" (rule "stale"): `what` ("the
// record", "the pair", ...) is at version `current`.
core::Status StaleVersion(std::string_view what, std::int64_t current);

// Every record of `spec` whose `column` is `value`, whoever reaches it
// (protected ones included), in id order: what points at a person follows
// the person whatever agency holds it.
core::Result<std::vector<StoredRecord>> RecordsWhere(StoreTransaction& tx, const domain::ResourceSpec& spec,
                                                     const std::string& column, const std::string& value);
// Visits every record of `table` in id order, read `page_size` at a time,
// protected ones included and whoever holds them: for aggregates that count
// every case and let nothing identifying leave (the report facts, the
// reports). `now` (core::FormatTimestamp) goes to the access filter. Stops
// at the first error of `visit` or of the store and returns it.
core::Status ForEachRecord(StoreTransaction& tx, const TableDef& table, std::size_t page_size,
                           const std::function<core::Status(const StoredRecord&)>& visit, const std::string& now = "");
// The cases of person `person_id` (RecordsWhere on cases.person_id).
core::Result<std::vector<StoredRecord>> CasesOfPerson(StoreTransaction& tx, const std::string& person_id);

// Moves review pair `pair` (as read in `tx`) to `status`: a new version,
// reviewer and time set (cleared when the pair goes back to "open"), and a
// history entry `action` by `user_id` at `now`. kConflict when the pair
// changed since it was read. Returns the pair as stored.
core::Result<DuplicatePair> SetPairStatus(StoreTransaction& tx, const DuplicatePair& pair, const std::string& status,
                                          std::string_view action, const std::string& user_id, const std::string& now);

// The audit event of `caller` doing `action` on `resource` (ids only).
AuditEvent EventFor(const Principal& caller, std::string_view action, const std::string& resource,
                    std::vector<std::string> ids, std::string_view outcome);

}  // namespace ctims::app::detail
