#pragma once

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "domain/field_group.hpp"

namespace ctims::domain {

// The kinds of value a field can hold. Every one has a fixed JSON shape:
// strings for kString/kText/kCode/kDate/kRef, arrays of strings for kCodeSet
// and kStringList, numbers, booleans, objects and arrays of objects.
enum class FieldType {
  kString,   // one line of text, max_length code points
  kText,     // free text (narratives, notes)
  kCode,     // one code from `codelist`
  kCodeSet,  // distinct codes from `codelist`
  kInteger,
  kNumber,
  kDate,  // "YYYY-MM-DD", a real calendar date
  kBoolean,
  kRef,         // id of a record of resource `ref`
  kStringList,  // list of one-line strings
  kObject,      // nested object with `fields`
  kObjectList,  // list of nested objects with `fields`
};

const char* FieldTypeName(FieldType type);

// One field of a resource: its name (HTCDS 2.0 where HTCDS has one), type and
// rules. Built with the factory functions below and the chained modifiers.
struct FieldSpec {
  std::string name;
  FieldType type = FieldType::kString;
  std::string description;
  bool required = false;
  std::string codelist;       // kCode, kCodeSet
  std::string ref;            // kRef: target resource name
  size_t max_length = 0;      // kString, kText, kStringList items (code points)
  size_t max_items = 0;       // kCodeSet, kStringList, kObjectList
  std::optional<double> min;  // kInteger, kNumber
  std::optional<double> max;
  std::string pattern;            // kString: ECMAScript regex for the whole value
  std::string default_value;      // kCode, kDate ("today"): filled in on create
  bool column = false;            // stored as its own indexed column
  bool unique = false;            // column value unique in the resource
  bool filterable = false;        // usable as `?name=value` on list
  std::vector<FieldSpec> fields;  // kObject, kObjectList
  // Who may read and write it (issue 3 §3). Every field outside kGeneral is
  // also sealed at rest (issue 3 §7): identifying, contact, health, narrative
  // and investigation data never lies in the database file as plaintext.
  // Nested fields take the group of their top-level field.
  FieldGroup group = FieldGroup::kGeneral;
  // Set only by the server's workflow (issue 4): a state field, a decision,
  // who answered and when. A client naming it in a create or update is
  // refused (rule "managed"); it changes through a transition.
  bool managed = false;

  FieldSpec Required() && {
    required = true;
    return std::move(*this);
  }
  FieldSpec Column() && {
    column = true;
    filterable = true;
    return std::move(*this);
  }
  FieldSpec Unique() && {
    unique = true;
    column = true;
    filterable = true;
    return std::move(*this);
  }
  FieldSpec Filterable() && {
    filterable = true;
    return std::move(*this);
  }
  FieldSpec Default(std::string v) && {
    default_value = std::move(v);
    return std::move(*this);
  }
  FieldSpec Pattern(std::string p) && {
    pattern = std::move(p);
    return std::move(*this);
  }
  FieldSpec Range(double lo, double hi) && {
    min = lo;
    max = hi;
    return std::move(*this);
  }
  FieldSpec Group(FieldGroup g) && {
    group = g;
    return std::move(*this);
  }
  FieldSpec Managed() && {
    managed = true;
    return std::move(*this);
  }
  FieldSpec Describe(std::string d) && {
    description = std::move(d);
    return std::move(*this);
  }
};

FieldSpec String(std::string name, size_t max_length = 200);
FieldSpec Text(std::string name, size_t max_length = 20000);
FieldSpec Code(std::string name, std::string codelist);
FieldSpec CodeSet(std::string name, std::string codelist, size_t max_items = 64);
FieldSpec Integer(std::string name, double min, double max);
FieldSpec Number(std::string name, double min, double max);
FieldSpec Date(std::string name);
FieldSpec Boolean(std::string name);
// A reference to a record of `resource`; always stored as a column.
FieldSpec Ref(std::string name, std::string resource);
FieldSpec StringList(std::string name, size_t max_length = 200, size_t max_items = 32);
FieldSpec Object(std::string name, std::vector<FieldSpec> fields);
FieldSpec ObjectList(std::string name, std::vector<FieldSpec> fields, size_t max_items = 32);

// Cross-field rules: given the complete record (after defaults and a patch are
// applied), append one FieldError per broken rule.
struct CheckContext {
  std::string today;  // "YYYY-MM-DD" in UTC, for rules like "not in the future"
};
using RecordCheck = std::function<void(const nlohmann::json& record, const CheckContext& context,
                                       std::vector<core::FieldError>& errors)>;

// A resource served under /api/v1/<name> and stored in table <table>.
struct ResourceSpec {
  std::string name;         // URL segment: "trafficking-events"
  std::string table;        // storage table: "trafficking_events"
  std::string title;        // "Trafficking event"
  std::string description;  // for the OpenAPI document
  std::vector<FieldSpec> fields;
  RecordCheck check;  // may be empty
  // Personal data: records about a person, reached only within the caller's
  // scope (issue 3 §3). Reference data (locations, agencies, organisations)
  // is readable by every role that holds the permission.
  bool personal = false;
  // For personal resources hanging off a case: the field naming the case
  // ("case_id"); they take their owner, agency and protection from it.
  std::string case_field;

  const FieldSpec* FindField(std::string_view field_name) const;
  // Names of fields stored as columns, in declaration order.
  std::vector<std::string> ColumnNames() const;
  // True when some field is outside FieldGroup::kGeneral (sealed at rest).
  bool HasSealedFields() const;
};

// Every resource of the case registry, in dependency order (a resource only
// refers to resources listed before it, or to itself). Built once; immutable
// and safe to read from any thread.
const std::vector<ResourceSpec>& Resources();

// The resource served under `name`, or nullptr.
const ResourceSpec* FindResource(std::string_view name);

// Fields every record carries that clients cannot set.
inline constexpr const char* kMetaFields[] = {"id", "version", "created_at", "updated_at"};

}  // namespace ctims::domain
