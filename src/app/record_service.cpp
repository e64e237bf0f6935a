#include "app/record_service.hpp"

#include <nlohmann/json.hpp>

#include <charconv>

#include "core/id.hpp"
#include "domain/diff.hpp"
#include "domain/validation.hpp"

namespace ctims::app {
namespace {

using core::FieldError;
using core::Result;
using core::Status;
using nlohmann::json;

// Splits a validated record into storage columns and the JSON body.
StoredRecord ToStored(const domain::ResourceSpec& spec, const TableDef& table, const json& record) {
  StoredRecord out;
  json body = json::object();
  for (const auto& [key, value] : record.items()) {
    const auto* field = spec.FindField(key);
    if (field == nullptr || !field->column) body[key] = value;
  }
  out.columns.reserve(table.columns.size());
  for (const auto& column : table.columns) {
    auto it = record.find(column);
    if (it != record.end() && it->is_string()) {
      out.columns.emplace_back(it->get<std::string>());
    } else {
      out.columns.emplace_back(std::nullopt);
    }
  }
  out.body = body.dump();
  return out;
}

// The record's fields only (no metadata): the form that is validated and
// diffed.
Result<json> Fields(const TableDef& table, const StoredRecord& stored) {
  json record = json::parse(stored.body, nullptr, /*allow_exceptions=*/false);
  if (!record.is_object()) return Status::Internal("stored record body is not a JSON object");
  for (size_t i = 0; i < table.columns.size() && i < stored.columns.size(); ++i) {
    if (stored.columns[i]) record[table.columns[i]] = *stored.columns[i];
  }
  return record;
}

json WithMeta(json record, const StoredRecord& stored) {
  record["id"] = stored.id;
  record["version"] = stored.version;
  record["created_at"] = stored.created_at;
  record["updated_at"] = stored.updated_at;
  return record;
}

Status RejectMetaFields(const json& body, bool allow_version) {
  std::vector<FieldError> errors;
  for (const char* meta : domain::kMetaFields) {
    if (allow_version && std::string_view(meta) == "version") continue;
    if (body.contains(meta)) errors.push_back({meta, "read_only", std::string(meta) + " is set by the server"});
  }
  if (!errors.empty()) return Status::InvalidArgument("read-only fields in request", std::move(errors));
  return Status::Ok();
}

// Every reference in `record` must name an existing record of its resource.
// Only references whose value changed from `before` are checked.
Status CheckReferences(const domain::ResourceSpec& spec, const json& record, const json& before, StoreTransaction& tx) {
  std::vector<FieldError> errors;
  for (const auto& field : spec.fields) {
    if (field.type != domain::FieldType::kRef) continue;
    auto it = record.find(field.name);
    if (it == record.end() || !it->is_string()) continue;
    if (before.is_object() && before.value(field.name, json()) == *it) continue;
    const auto* target = domain::FindResource(field.ref);
    if (target == nullptr) return Status::Internal("reference to unknown resource " + field.ref);
    auto exists = tx.Exists(TableFor(*target), it->get<std::string>());
    if (!exists.ok()) return exists.status();
    if (!*exists) errors.push_back({field.name, "reference", "no " + target->title + " with this id"});
  }
  if (!errors.empty()) return Status::InvalidArgument("references to missing records", std::move(errors));
  return Status::Ok();
}

Status ValidateRecord(const domain::ResourceSpec& spec, const json& record, const domain::CodeLists& codelists,
                      const domain::CheckContext& context) {
  auto errors = domain::Validate(spec, record, codelists, context);
  if (errors.empty()) return Status::Ok();
  std::string message = "the record breaks " + std::to_string(errors.size()) + " rule(s)";
  return Status::InvalidArgument(std::move(message), std::move(errors));
}

Result<std::int64_t> ExpectedVersion(const json& patch, std::optional<std::int64_t> header_version) {
  std::optional<std::int64_t> body_version;
  if (patch.is_object() && patch.contains("version")) {
    const auto& v = patch["version"];
    if (!v.is_number_integer() || v.get<std::int64_t>() < 1) {
      return Status::InvalidArgument("version must be a positive integer", {{"version", "type", "positive integer"}});
    }
    body_version = v.get<std::int64_t>();
  }
  if (header_version && body_version && *header_version != *body_version) {
    return Status::InvalidArgument("If-Match and body version differ", {{"version", "mismatch", "If-Match differs"}});
  }
  if (header_version) return *header_version;
  if (body_version) return *body_version;
  return Status::InvalidArgument("the current version is required (If-Match header or \"version\")",
                                 {{"version", "required", "send the version you read"}});
}

bool ParseSize(const std::string& text, std::size_t& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

TableDef TableFor(const domain::ResourceSpec& spec) {
  return {spec.table, spec.ColumnNames()};
}

RecordService::RecordService(Store& store, const domain::CodeLists& codelists, const core::Clock& clock)
    : store_(store), codelists_(codelists), clock_(clock) {}

domain::CheckContext RecordService::Context() const {
  return {core::FormatDate(clock_.Now())};
}

Result<json> RecordService::Create(const domain::ResourceSpec& spec, const json& body, const Actor& actor) {
  if (!body.is_object()) return Status::InvalidArgument("expected a JSON object", {{"", "type", "object"}});
  CTIMS_RETURN_IF_ERROR(RejectMetaFields(body, /*allow_version=*/false));
  json record = body;
  const auto context = Context();
  domain::ApplyDefaults(spec, record, context);
  // Validated with its nulls, so that an unknown field is reported even when
  // its value is null; nulls are dropped before storing.
  CTIMS_RETURN_IF_ERROR(ValidateRecord(spec, record, codelists_, context));
  domain::DropNulls(record);

  const TableDef table = TableFor(spec);
  StoredRecord stored = ToStored(spec, table, record);
  stored.id = core::NewId(clock_);
  stored.version = 1;
  stored.created_at = stored.updated_at = core::FormatTimestamp(clock_.Now());

  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kWrite));
  CTIMS_RETURN_IF_ERROR(CheckReferences(spec, record, json(), *tx));
  CTIMS_RETURN_IF_ERROR(tx->Insert(table, stored));
  CTIMS_RETURN_IF_ERROR(tx->AppendHistory(
      {0, spec.name, stored.id, 1, "create", actor.id, stored.created_at, domain::Diff(json(), record).dump()}));
  CTIMS_RETURN_IF_ERROR(tx->Commit());
  return WithMeta(std::move(record), stored);
}

Result<std::optional<StoredRecord>> RecordService::ReadOne(const TableDef& table, const std::string& id) {
  if (!core::IsCanonicalId(id)) return std::optional<StoredRecord>();
  // One statement: no snapshot needed, and the pooled connection goes back
  // before the response is built.
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kReadOne));
  return tx->Get(table, id);
}

Result<RecordService::RecordText> RecordService::GetText(const domain::ResourceSpec& spec, const std::string& id) {
  const TableDef table = TableFor(spec);
  CTIMS_ASSIGN_OR_RETURN(auto stored, ReadOne(table, id));
  if (!stored) return Status::NotFound("no " + spec.title + " with this id");
  const std::string& body = stored->body;
  if (body.size() < 2 || body.front() != '{' || body.back() != '}') {
    return Status::Internal("stored record body is not a JSON object");
  }
  std::string out;
  out.reserve(body.size() + 160 + 48 * table.columns.size());
  out += "{\"id\":\"";
  out += stored->id;  // canonical UUID: nothing to escape
  out += "\",\"version\":";
  out += std::to_string(stored->version);
  out += ",\"created_at\":\"";
  out += stored->created_at;  // our own timestamp format: nothing to escape
  out += "\",\"updated_at\":\"";
  out += stored->updated_at;
  out += '"';
  for (std::size_t i = 0; i < table.columns.size() && i < stored->columns.size(); ++i) {
    if (!stored->columns[i]) continue;
    out += ",\"";
    out += table.columns[i];  // field names from the spec: nothing to escape
    out += "\":";
    out += json(*stored->columns[i]).dump();
  }
  if (body.size() > 2) {
    out += ',';
    out.append(body, 1, body.size() - 1);  // members and the closing brace
  } else {
    out += '}';
  }
  return RecordText{std::move(out), stored->version};
}

Result<json> RecordService::Get(const domain::ResourceSpec& spec, const std::string& id) {
  const TableDef table = TableFor(spec);
  CTIMS_ASSIGN_OR_RETURN(auto stored, ReadOne(table, id));
  if (!stored) return Status::NotFound("no " + spec.title + " with this id");
  CTIMS_ASSIGN_OR_RETURN(json record, Fields(table, *stored));
  return WithMeta(std::move(record), *stored);
}

Result<json> RecordService::Update(const domain::ResourceSpec& spec, const std::string& id, const json& patch,
                                   std::optional<std::int64_t> header_version, const Actor& actor) {
  if (!patch.is_object()) return Status::InvalidArgument("expected a JSON object", {{"", "type", "object"}});
  if (!core::IsCanonicalId(id)) return Status::NotFound("no " + spec.title + " with this id");
  CTIMS_RETURN_IF_ERROR(RejectMetaFields(patch, /*allow_version=*/true));
  CTIMS_ASSIGN_OR_RETURN(std::int64_t expected, ExpectedVersion(patch, header_version));
  json changes = patch;
  changes.erase("version");

  const TableDef table = TableFor(spec);
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kWrite));
  CTIMS_ASSIGN_OR_RETURN(auto current, tx->Get(table, id));
  if (!current) return Status::NotFound("no " + spec.title + " with this id");
  if (current->version != expected) {
    return Status::Conflict("stale version: the record is at version " + std::to_string(current->version),
                            {{"version", "stale", "current version is " + std::to_string(current->version)}});
  }
  CTIMS_ASSIGN_OR_RETURN(json before, Fields(table, *current));
  json after = before;
  domain::MergePatch(after, changes);
  const auto context = Context();
  CTIMS_RETURN_IF_ERROR(ValidateRecord(spec, after, codelists_, context));
  domain::DropNulls(after);
  json diff = domain::Diff(before, after);
  if (diff.empty()) return WithMeta(std::move(after), *current);
  CTIMS_RETURN_IF_ERROR(CheckReferences(spec, after, before, *tx));

  StoredRecord stored = ToStored(spec, table, after);
  stored.id = current->id;
  stored.version = current->version + 1;
  stored.created_at = current->created_at;
  stored.updated_at = core::FormatTimestamp(clock_.Now());
  CTIMS_RETURN_IF_ERROR(tx->Update(table, stored, expected));
  CTIMS_RETURN_IF_ERROR(
      tx->AppendHistory({0, spec.name, stored.id, stored.version, "update", actor.id, stored.updated_at, diff.dump()}));
  CTIMS_RETURN_IF_ERROR(tx->Commit());
  return WithMeta(std::move(after), stored);
}

Status RecordService::Delete(const domain::ResourceSpec& spec, const std::string& id,
                             std::optional<std::int64_t> expected_version, const Actor& actor) {
  if (!core::IsCanonicalId(id)) return Status::NotFound("no " + spec.title + " with this id");
  if (!expected_version) {
    return Status::InvalidArgument("the current version is required (If-Match header or ?version=)",
                                   {{"version", "required", "send the version you read"}});
  }
  const TableDef table = TableFor(spec);
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kWrite));
  CTIMS_ASSIGN_OR_RETURN(auto current, tx->Get(table, id));
  if (!current) return Status::NotFound("no " + spec.title + " with this id");
  if (current->version != *expected_version) {
    return Status::Conflict("stale version: the record is at version " + std::to_string(current->version),
                            {{"version", "stale", "current version is " + std::to_string(current->version)}});
  }
  CTIMS_ASSIGN_OR_RETURN(json before, Fields(table, *current));
  CTIMS_RETURN_IF_ERROR(tx->Delete(table, id, *expected_version));
  CTIMS_RETURN_IF_ERROR(tx->AppendHistory({0, spec.name, id, current->version + 1, "delete", actor.id,
                                           core::FormatTimestamp(clock_.Now()), domain::Diff(before, json()).dump()}));
  return tx->Commit();
}

Result<json> RecordService::List(const domain::ResourceSpec& spec, const ListRequest& request) {
  ListQuery query;
  std::vector<FieldError> errors;
  query.limit = kDefaultPageSize;
  if (request.limit) {
    std::size_t n = 0;
    if (!ParseSize(*request.limit, n) || n < 1 || n > kMaxPageSize) {
      errors.push_back({"limit", "range", "limit must be an integer from 1 to " + std::to_string(kMaxPageSize)});
    } else {
      query.limit = n;
    }
  }
  if (request.cursor) {
    if (!core::IsCanonicalId(*request.cursor)) {
      errors.push_back({"cursor", "format", "not a cursor returned by this list"});
    } else {
      query.after_id = *request.cursor;
    }
  }
  for (const auto& [name, value] : request.filters) {
    const auto* field = spec.FindField(name);
    if (field == nullptr || !field->filterable) {
      errors.push_back({name, "unknown_filter", "cannot filter " + spec.name + " by " + name});
      continue;
    }
    Filter filter;
    filter.field = name;
    filter.value = value;
    if (field->column) {
      filter.kind = Filter::Kind::kColumn;
    } else if (field->type == domain::FieldType::kCodeSet) {
      filter.kind = Filter::Kind::kBodyContains;
    } else {
      filter.kind = Filter::Kind::kBody;
    }
    if (field->type == domain::FieldType::kCode || field->type == domain::FieldType::kCodeSet) {
      const auto* list = codelists_.Find(field->codelist);
      if (list == nullptr || !list->Contains(value)) {
        errors.push_back({name, "codelist", "not a code of list " + field->codelist});
        continue;
      }
    } else if (field->type == domain::FieldType::kRef && !core::IsCanonicalId(value)) {
      errors.push_back({name, "id_format", "not a record id"});
      continue;
    } else if (field->type == domain::FieldType::kDate && !core::IsValidDate(value)) {
      errors.push_back({name, "date", "not a real calendar date in the form YYYY-MM-DD"});
      continue;
    }
    query.filters.push_back(std::move(filter));
  }
  if (!errors.empty()) return Status::InvalidArgument("bad list parameters", std::move(errors));

  const TableDef table = TableFor(spec);
  const std::size_t page = query.limit;
  query.limit = page + 1;  // one more tells whether a next page exists
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kReadOne));
  CTIMS_ASSIGN_OR_RETURN(auto rows, tx->List(table, query));
  tx.reset();
  json out = {{"items", json::array()}, {"next_cursor", nullptr}};
  for (std::size_t i = 0; i < rows.size() && i < page; ++i) {
    CTIMS_ASSIGN_OR_RETURN(json record, Fields(table, rows[i]));
    out["items"].push_back(WithMeta(std::move(record), rows[i]));
  }
  if (rows.size() > page) out["next_cursor"] = rows[page - 1].id;
  return out;
}

Result<json> RecordService::History(const domain::ResourceSpec& spec, const std::string& id) {
  if (!core::IsCanonicalId(id)) return Status::NotFound("no " + spec.title + " with this id");
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kReadOne));
  CTIMS_ASSIGN_OR_RETURN(auto entries, tx->History(spec.name, id));
  tx.reset();
  if (entries.empty()) return Status::NotFound("no " + spec.title + " with this id");
  json items = json::array();
  for (const auto& e : entries) {
    json changes = json::parse(e.changes, nullptr, /*allow_exceptions=*/false);
    if (changes.is_discarded()) return Status::Internal("stored history is not JSON");
    items.push_back({{"version", e.version},
                     {"action", e.action},
                     {"actor", e.actor},
                     {"at", e.at},
                     {"changes", std::move(changes)}});
  }
  return json{{"items", std::move(items)}};
}

}  // namespace ctims::app
