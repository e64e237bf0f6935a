#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

#include "core/status.hpp"
#include "domain/codelists.hpp"
#include "domain/schema.hpp"

namespace ctims::domain {

// Checks a complete record (defaults applied, a patch merged, metadata fields
// removed) against `spec`: unknown fields, JSON types, code lists, lengths,
// ranges, dates, patterns, required fields and the resource's cross-field
// rules. Returns every broken rule, in field order; empty when valid.
// References are only checked for shape here; whether the referenced record
// exists is the app layer's job (it needs storage). Pure and thread-safe.
std::vector<core::FieldError> Validate(const ResourceSpec& spec, const nlohmann::json& record,
                                       const CodeLists& codelists, const CheckContext& context);

// Sets fields that have a default and are absent (e.g. cas_Status=Active,
// cas_OpenedOn=today) on a record being created.
void ApplyDefaults(const ResourceSpec& spec, nlohmann::json& record, const CheckContext& context);

// Removes members whose value is null, at every level of nesting, so that a
// stored record never holds nulls ("absent" is the one way to say "unknown").
void DropNulls(nlohmann::json& value);

// Applies an RFC 7386 JSON merge patch to `target` (null deletes a member).
void MergePatch(nlohmann::json& target, const nlohmann::json& patch);

}  // namespace ctims::domain
