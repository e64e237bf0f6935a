#include "app/record_service_util.hpp"

#include <nlohmann/json.hpp>

#include <charconv>

#include "app/field_cipher.hpp"
#include "domain/validation.hpp"

namespace ctims::app::detail {

using core::FieldError;
using core::Result;
using core::Status;
using nlohmann::json;

// Splits a validated record into storage columns and the JSON body, sealing
// the body's protected fields (bound to the row `id`) when a cipher is set.
Result<StoredRecord> ToStored(const domain::ResourceSpec& spec, const TableDef& table, const json& record,
                              const std::string& id, const FieldCipher* cipher) {
  StoredRecord out;
  out.id = id;
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
  if (cipher != nullptr) CTIMS_RETURN_IF_ERROR(cipher->SealBody(spec, id, body));
  out.body = body.dump();
  return out;
}

// The history form of a diff: protected values sealed to their entry.
Result<std::string> ChangesText(const domain::ResourceSpec& spec, const std::string& id, std::int64_t version,
                                json diff, const FieldCipher* cipher) {
  if (cipher != nullptr) CTIMS_RETURN_IF_ERROR(cipher->SealChanges(spec, id, version, diff));
  return diff.dump();
}

// The record's fields only (no metadata): the form that is validated and
// diffed.
Result<json> Fields(const domain::ResourceSpec& spec, const TableDef& table, const StoredRecord& stored,
                    const FieldCipher* cipher) {
  json record = json::parse(stored.body, nullptr, /*allow_exceptions=*/false);
  if (!record.is_object()) return Status::Internal("stored record body is not a JSON object");
  if (cipher != nullptr) CTIMS_RETURN_IF_ERROR(cipher->OpenBody(spec, stored.id, record));
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

Status Denied(const domain::ResourceSpec& spec, std::string_view action) {
  return Status::PermissionDenied("your role may not " + std::string(action) + " " + spec.name);
}

// The role must allow (resource, action) and the session be complete.
Status CheckAction(const Principal& caller, const domain::ResourceSpec& spec, std::string_view action) {
  CTIMS_RETURN_IF_ERROR(RequireFullSession(caller));
  if (!caller.Allows(spec.name, action)) return Denied(spec, action);
  return Status::Ok();
}

Status NotFoundIn(const domain::ResourceSpec& spec) {
  return Status::NotFound("no " + spec.title + " with this id");
}

// The group of the top-level field a member name or change path starts with
// (kGeneral for metadata and unknown names).
domain::FieldGroup GroupOf(const domain::ResourceSpec& spec, std::string_view path) {
  const auto dot = path.find('.');
  const auto* field = spec.FindField(dot == std::string_view::npos ? path : path.substr(0, dot));
  return field == nullptr ? domain::FieldGroup::kGeneral : field->group;
}

// True when the role reads every field group the resource has.
bool ReadsEveryGroup(const domain::ResourceSpec& spec, const domain::Role& role) {
  for (const auto& f : spec.fields) {
    if (!role.CanRead(f.group)) return false;
  }
  return true;
}

// Drops the members the role may not read.
void StripUnreadable(const domain::ResourceSpec& spec, const domain::Role& role, json& record) {
  for (auto it = record.begin(); it != record.end();) {
    if (role.CanRead(GroupOf(spec, it.key()))) {
      ++it;
    } else {
      it = record.erase(it);
    }
  }
}

// Refuses a body or patch naming a field the role may not write. Unknown
// names are left to validation.
Status CheckWritable(const domain::ResourceSpec& spec, const domain::Role& role, const json& members) {
  std::vector<FieldError> errors;
  for (const auto& [key, value] : members.items()) {
    const auto* field = spec.FindField(key);
    if (field == nullptr || role.CanWrite(field->group)) continue;
    errors.push_back({key, "field_group",
                      std::string("your role may not write ") + domain::FieldGroupName(field->group) + " fields"});
  }
  if (!errors.empty()) return Status::PermissionDenied("fields outside your role's field groups", std::move(errors));
  return Status::Ok();
}

// Refuses members only the workflow sets (FieldSpec::managed).
Status RejectManaged(const domain::ResourceSpec& spec, const json& members) {
  std::vector<FieldError> errors;
  for (const auto& [key, value] : members.items()) {
    const auto* field = spec.FindField(key);
    if (field == nullptr || !field->managed) continue;
    errors.push_back(
        {key, "managed", key + " is set by the workflow: POST /api/v1/" + spec.name + "/{id}/transitions/{action}"});
  }
  if (!errors.empty()) return Status::InvalidArgument("fields set only by the workflow", std::move(errors));
  return Status::Ok();
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

std::size_t ColumnIndex(const TableDef& table, std::string_view column) {
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    if (table.columns[i] == column) return i;
  }
  return table.columns.size();
}

std::optional<std::string> ColumnValue(const TableDef& table, const StoredRecord& record, std::string_view column) {
  const std::size_t i = ColumnIndex(table, column);
  if (i >= record.columns.size()) return std::nullopt;
  return record.columns[i];
}

// Length in code points of valid UTF-8 (the validator has checked encoding
// of JSON strings already).
std::size_t CodePoints(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool HasControl(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

}  // namespace ctims::app::detail
