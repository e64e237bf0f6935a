#pragma once

// Internal to RecordService (record_service.cpp, record_service_workflow.cpp):
// the record codec (stored form <-> JSON), authorisation and field-group
// helpers. Not part of the app layer's public contract.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "app/principal.hpp"
#include "app/record_service.hpp"
#include "app/record_store.hpp"
#include "core/status.hpp"
#include "domain/codelists.hpp"
#include "domain/schema.hpp"

namespace ctims::app {
class FieldCipher;

// The caller's resolved scope for one request.
struct RecordService::Reach {
  const Principal* caller = nullptr;
  std::string path;  // the caller's agency's location path ("" when it has none)
  std::string now;
  AccessFilter filter;
};
}  // namespace ctims::app

namespace ctims::app::detail {

using core::FieldError;
using core::Result;
using core::Status;
using nlohmann::json;

Result<StoredRecord> ToStored(const domain::ResourceSpec& spec, const TableDef& table, const json& record,
                              const std::string& id, const FieldCipher* cipher);
Result<std::string> ChangesText(const domain::ResourceSpec& spec, const std::string& id, std::int64_t version,
                                json diff, const FieldCipher* cipher);
Result<json> Fields(const domain::ResourceSpec& spec, const TableDef& table, const StoredRecord& stored,
                    const FieldCipher* cipher);
json WithMeta(json record, const StoredRecord& stored);
Status RejectMetaFields(const json& body, bool allow_version);
Status ValidateRecord(const domain::ResourceSpec& spec, const json& record, const domain::CodeLists& codelists,
                      const domain::CheckContext& context);
Result<std::int64_t> ExpectedVersion(const json& patch, std::optional<std::int64_t> header_version);
bool ParseSize(const std::string& text, std::size_t& out);
Status Denied(const domain::ResourceSpec& spec, std::string_view action);
Status CheckAction(const Principal& caller, const domain::ResourceSpec& spec, std::string_view action);
Status NotFoundIn(const domain::ResourceSpec& spec);
domain::FieldGroup GroupOf(const domain::ResourceSpec& spec, std::string_view path);
bool ReadsEveryGroup(const domain::ResourceSpec& spec, const domain::Role& role);
void StripUnreadable(const domain::ResourceSpec& spec, const domain::Role& role, json& record);
Status CheckWritable(const domain::ResourceSpec& spec, const domain::Role& role, const json& members);
Status RejectManaged(const domain::ResourceSpec& spec, const json& members);
bool StartsWith(std::string_view s, std::string_view prefix);
std::size_t ColumnIndex(const TableDef& table, std::string_view column);
std::optional<std::string> ColumnValue(const TableDef& table, const StoredRecord& record, std::string_view column);
std::size_t CodePoints(std::string_view s);
bool HasControl(std::string_view s);

}  // namespace ctims::app::detail
