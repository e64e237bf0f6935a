#include "app/field_cipher.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace ctims::app {
namespace {

using core::Result;
using core::Status;
using nlohmann::json;

enum class Op { kSeal, kOpen, kReseal };

// Where one value lives: the associated data of its seal, and a label for
// error messages (table and field or path: schema names, never data).
struct Slot {
  std::string_view table;
  std::string_view column;
  std::string_view row;
  std::string_view label;
};

Status CannotOpen(const Slot& slot, const Status& why) {
  // OpenField's messages name the shape or the key version, never the value.
  return Status::Internal("sealed field " + std::string(slot.label) + " cannot be opened: " + why.message());
}

Result<std::string> SealJson(const core::KeyRing& ring, const Slot& slot, const json& value) {
  std::string plaintext;
  try {
    plaintext = value.dump();
  } catch (const json::exception&) {  // invalid UTF-8: validation lets none through
    return Status::Internal("field " + std::string(slot.label) + " holds text that is not UTF-8");
  }
  return core::SealField(ring, slot.table, slot.column, slot.row, plaintext);
}

Result<json> OpenJson(const core::KeyRing& ring, const Slot& slot, std::string_view sealed) {
  auto plaintext = core::OpenField(ring, slot.table, slot.column, slot.row, sealed);
  if (!plaintext.ok()) return CannotOpen(slot, plaintext.status());
  json value = json::parse(*plaintext, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return Status::Internal("sealed field " + std::string(slot.label) + " does not hold JSON");
  return value;
}

bool IsSealedString(const json& value) {
  return value.is_string() && core::IsSealed(value.get_ref<const std::string&>());
}

// Applies `op` to one value in place. `null_is_absent`: a null stays null (a
// history change's from/to). Sets `changed` when the value was rewritten.
Status Apply(const core::KeyRing& ring, Op op, const Slot& slot, json& value, bool null_is_absent, ResealCounts* counts,
             bool& changed) {
  if (null_is_absent && value.is_null()) return Status::Ok();
  switch (op) {
    case Op::kSeal: {
      CTIMS_ASSIGN_OR_RETURN(std::string sealed, SealJson(ring, slot, value));
      value = std::move(sealed);
      changed = true;
      return Status::Ok();
    }
    case Op::kOpen: {
      if (!IsSealedString(value)) return Status::Internal("unsealed value in sealed field " + std::string(slot.label));
      CTIMS_ASSIGN_OR_RETURN(json opened, OpenJson(ring, slot, value.get_ref<const std::string&>()));
      value = std::move(opened);
      changed = true;
      return Status::Ok();
    }
    case Op::kReseal: {
      if (!IsSealedString(value)) {
        // Written before encryption at rest: seal it now.
        CTIMS_ASSIGN_OR_RETURN(std::string sealed, SealJson(ring, slot, value));
        value = std::move(sealed);
        ++counts->sealed_plaintext;
        changed = true;
        return Status::Ok();
      }
      const std::string& text = value.get_ref<const std::string&>();
      if (core::SealedVersion(text) == ring.current_version()) {
        // Not opened: a value under the current version that does not open
        // gains nothing from rotation, and OpenBody reports it when read.
        ++counts->current;
        return Status::Ok();
      }
      CTIMS_ASSIGN_OR_RETURN(json opened, OpenJson(ring, slot, text));
      CTIMS_ASSIGN_OR_RETURN(std::string sealed, SealJson(ring, slot, opened));
      value = std::move(sealed);
      ++counts->resealed;
      changed = true;
      return Status::Ok();
    }
  }
  return Status::Internal("unknown cipher operation");
}

Result<bool> ApplyBody(const core::KeyRing& ring, Op op, const domain::ResourceSpec& spec, std::string_view record_id,
                       json& body, ResealCounts* counts) {
  if (!body.is_object()) return Status::Internal("record body of " + spec.table + " is not a JSON object");
  bool changed = false;
  for (auto& [key, value] : body.items()) {
    if (!FieldCipher::IsSealedField(spec, key)) continue;
    const std::string label = spec.table + "." + key;
    CTIMS_RETURN_IF_ERROR(
        Apply(ring, op, {spec.table, key, record_id, label}, value, /*null_is_absent=*/false, counts, changed));
  }
  return changed;
}

Result<bool> ApplyChanges(const core::KeyRing& ring, Op op, const domain::ResourceSpec& spec,
                          std::string_view record_id, std::int64_t version, json& changes, ResealCounts* counts) {
  if (!changes.is_array()) return Status::Internal("history changes of " + spec.table + " are not a JSON array");
  const std::string row = std::string(record_id) + "@" + std::to_string(version);
  bool changed = false;
  for (auto& change : changes) {
    auto path_it = change.is_object() ? change.find("path") : change.end();
    if (!change.is_object() || path_it == change.end() || !path_it->is_string()) {
      return Status::Internal("history changes of " + spec.table + " are malformed");
    }
    const std::string path = path_it->get<std::string>();
    const std::string_view field = std::string_view(path).substr(0, path.find('.'));
    if (!FieldCipher::IsSealedField(spec, field)) continue;
    for (const char* side : {"from", "to"}) {
      auto it = change.find(side);
      if (it == change.end()) continue;  // domain::Diff always writes both; absent means absent
      const std::string column = path + ":" + side;
      const std::string label = spec.table + "." + path + " (history)";
      CTIMS_RETURN_IF_ERROR(
          Apply(ring, op, {spec.table, column, row, label}, *it, /*null_is_absent=*/true, counts, changed));
    }
  }
  return changed;
}

}  // namespace

bool FieldCipher::IsSealedField(const domain::ResourceSpec& spec, std::string_view field) {
  const domain::FieldSpec* f = spec.FindField(field);
  return f != nullptr && f->group != domain::FieldGroup::kGeneral;
}

Status FieldCipher::SealBody(const domain::ResourceSpec& spec, std::string_view record_id, json& body) const {
  return ApplyBody(ring_, Op::kSeal, spec, record_id, body, nullptr).status();
}

Status FieldCipher::OpenBody(const domain::ResourceSpec& spec, std::string_view record_id, json& body) const {
  return ApplyBody(ring_, Op::kOpen, spec, record_id, body, nullptr).status();
}

Result<json> FieldCipher::OpenMember(const domain::ResourceSpec& spec, std::string_view record_id,
                                     std::string_view field, const json& value) const {
  const std::string label = spec.table + "." + std::string(field);
  if (!IsSealedString(value)) return Status::Internal("unsealed value in sealed field " + label);
  return OpenJson(ring_, {spec.table, field, record_id, label}, value.get_ref<const std::string&>());
}

Status FieldCipher::SealChanges(const domain::ResourceSpec& spec, std::string_view record_id, std::int64_t version,
                                json& changes) const {
  return ApplyChanges(ring_, Op::kSeal, spec, record_id, version, changes, nullptr).status();
}

Status FieldCipher::OpenChanges(const domain::ResourceSpec& spec, std::string_view record_id, std::int64_t version,
                                json& changes) const {
  return ApplyChanges(ring_, Op::kOpen, spec, record_id, version, changes, nullptr).status();
}

Result<bool> FieldCipher::ResealBody(const domain::ResourceSpec& spec, std::string_view record_id, json& body,
                                     ResealCounts& counts) const {
  return ApplyBody(ring_, Op::kReseal, spec, record_id, body, &counts);
}

Result<bool> FieldCipher::ResealChanges(const domain::ResourceSpec& spec, std::string_view record_id,
                                        std::int64_t version, json& changes, ResealCounts& counts) const {
  return ApplyChanges(ring_, Op::kReseal, spec, record_id, version, changes, &counts);
}

}  // namespace ctims::app
