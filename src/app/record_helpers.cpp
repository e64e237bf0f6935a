#include "app/record_helpers.hpp"

#include <utility>

#include "app/record_service_util.hpp"
#include "core/id.hpp"

namespace ctims::app::detail {

using core::FieldError;
using core::Result;
using core::Status;
using nlohmann::json;

const domain::ResourceSpec& PersonsSpec() {
  static const domain::ResourceSpec* spec = domain::FindResource("persons");
  return *spec;
}

const domain::ResourceSpec& CasesSpec() {
  static const domain::ResourceSpec* spec = domain::FindResource("cases");
  return *spec;
}

Status CheckBodyMembers(const json& body, std::initializer_list<std::string_view> allowed) {
  if (!body.is_object()) return Status::InvalidArgument("expected a JSON object", {{"", "type", "object"}});
  for (const auto& [k, v] : body.items()) {
    bool ok = false;
    for (auto a : allowed) ok = ok || k == a;
    if (!ok) return Status::InvalidArgument("unknown field", {{k, "unknown_field", "not a field"}});
  }
  return Status::Ok();
}

void ParseLimit(const std::string& value, std::size_t& limit, std::vector<FieldError>& errors) {
  std::size_t n = 0;
  if (!ParseSize(value, n) || n < 1 || n > kMaxPageSize) {
    errors.push_back({"limit", "range", "limit must be an integer from 1 to " + std::to_string(kMaxPageSize)});
  } else {
    limit = n;
  }
}

void ParseCursor(const std::string& value, std::string& after, std::vector<FieldError>& errors) {
  if (!core::IsCanonicalId(value)) {
    errors.push_back({"cursor", "format", "not a cursor returned by this list"});
  } else {
    after = value;
  }
}

Status StaleVersion(std::string_view what, std::int64_t current) {
  return Status::Conflict("stale version: " + std::string(what) + " is at version " + std::to_string(current),
                          {{"version", "stale", "current version is " + std::to_string(current)}});
}

Result<std::vector<StoredRecord>> RecordsWhere(StoreTransaction& tx, const domain::ResourceSpec& spec,
                                               const std::string& column, const std::string& value) {
  ListQuery q;
  q.filters.push_back({Filter::Kind::kColumn, column, value});
  q.limit = kMaxPageSize;
  q.access = AccessFilter{};
  q.access->include_protected = true;
  const TableDef table = TableFor(spec);
  std::vector<StoredRecord> out;
  for (;;) {
    CTIMS_ASSIGN_OR_RETURN(auto page, tx.List(table, q));
    const std::size_t n = page.size();
    for (auto& r : page) out.push_back(std::move(r));
    if (n < q.limit) break;
    q.after_id = out.back().id;
  }
  return out;
}

Status ForEachRecord(StoreTransaction& tx, const TableDef& table, std::size_t page_size,
                     const std::function<Status(const StoredRecord&)>& visit, const std::string& now) {
  ListQuery q;
  q.limit = page_size;
  if (table.personal) {
    AccessFilter f;
    f.kind = AccessFilter::Kind::kAll;
    f.include_protected = true;
    f.now = now;
    q.access = f;
  }
  while (true) {
    CTIMS_ASSIGN_OR_RETURN(auto page, tx.List(table, q));
    for (const auto& r : page) CTIMS_RETURN_IF_ERROR(visit(r));
    if (page.size() < page_size) return Status::Ok();
    q.after_id = page.back().id;
  }
}

Result<std::vector<StoredRecord>> CasesOfPerson(StoreTransaction& tx, const std::string& person_id) {
  return RecordsWhere(tx, CasesSpec(), "person_id", person_id);
}

Result<DuplicatePair> SetPairStatus(StoreTransaction& tx, const DuplicatePair& pair, const std::string& status,
                                    std::string_view action, const std::string& user_id, const std::string& now) {
  DuplicatePair updated = pair;
  updated.version = pair.version + 1;
  updated.status = status;
  const bool reviewed = status != "open";
  updated.reviewed_by = reviewed ? user_id : "";
  updated.reviewed_at = reviewed ? now : "";
  CTIMS_RETURN_IF_ERROR(tx.UpdateDuplicatePair(updated, pair.version));
  json changes = json::array({{{"path", "status"}, {"from", pair.status}, {"to", status}}});
  CTIMS_RETURN_IF_ERROR(tx.AppendHistory(
      {0, "person-duplicates", pair.id, updated.version, std::string(action), user_id, now, changes.dump(), {}}));
  return updated;
}

AuditEvent EventFor(const Principal& caller, std::string_view action, const std::string& resource,
                    std::vector<std::string> ids, std::string_view outcome) {
  AuditEvent e;
  e.user_id = caller.user_id;
  e.role = caller.role.code;
  e.agency_id = caller.agency_id;
  e.client_ip = caller.client_ip;
  e.action = std::string(action);
  e.resource = resource;
  e.record_ids = std::move(ids);
  e.outcome = std::string(outcome);
  return e;
}

}  // namespace ctims::app::detail
