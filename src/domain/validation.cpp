#include "domain/validation.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <regex>
#include <unordered_set>

#include "core/clock.hpp"
#include "core/id.hpp"

namespace ctims::domain {
namespace {

using core::FieldError;
using nlohmann::json;

// Number of Unicode code points in valid UTF-8 (the JSON parser has already
// rejected invalid UTF-8).
size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool HasControlChars(const std::string& s, bool allow_newlines) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) {
      if (allow_newlines && (c == '\n' || c == '\r' || c == '\t')) continue;
      return true;
    }
  }
  return false;
}

bool IsBlank(const std::string& s) {
  for (unsigned char c : s) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
  }
  return true;
}

void CollectPatterns(const std::vector<FieldSpec>& fields, std::map<std::string, std::regex>& out) {
  for (const auto& f : fields) {
    if (!f.pattern.empty() && !out.contains(f.pattern)) out.emplace(f.pattern, std::regex(f.pattern));
    CollectPatterns(f.fields, out);
  }
}

// Compiled once: std::regex construction is slow, matching a const regex is
// thread-safe.
const std::regex& PatternFor(const std::string& pattern) {
  static const std::map<std::string, std::regex> kPatterns = [] {
    std::map<std::string, std::regex> out;
    for (const auto& r : Resources()) CollectPatterns(r.fields, out);
    return out;
  }();
  return kPatterns.at(pattern);
}

class Validator {
 public:
  Validator(const CodeLists& codelists, std::vector<FieldError>& errors) : codelists_(codelists), errors_(errors) {}

  void Fields(const std::vector<FieldSpec>& fields, const json& obj, const std::string& prefix) {
    for (const auto& [key, value] : obj.items()) {
      bool known = false;
      for (const auto& f : fields) known = known || f.name == key;
      if (!known) Add(prefix + key, "unknown_field", "no field named " + key);
    }
    for (const auto& f : fields) {
      const std::string path = prefix + f.name;
      auto it = obj.find(f.name);
      if (it == obj.end() || it->is_null()) {
        if (f.required) Add(path, "required", f.name + " is required");
        continue;
      }
      Value(f, *it, path);
    }
  }

 private:
  void Add(std::string path, std::string rule, std::string message) {
    errors_.push_back({std::move(path), std::move(rule), std::move(message)});
  }

  void OneString(const FieldSpec& f, const json& v, const std::string& path, bool multiline) {
    if (!v.is_string()) return Add(path, "type", "expected a string");
    const auto& s = v.get_ref<const std::string&>();
    if (IsBlank(s)) return Add(path, "not_empty", "must not be empty; use null to clear");
    if (f.max_length > 0 && CodePoints(s) > f.max_length) {
      return Add(path, "max_length", "longer than " + std::to_string(f.max_length) + " characters");
    }
    if (HasControlChars(s, multiline)) return Add(path, "control_characters", "contains control characters");
    if (!f.pattern.empty() && !std::regex_match(s, PatternFor(f.pattern))) {
      Add(path, "pattern", "does not match " + f.pattern);
    }
  }

  void OneCode(const FieldSpec& f, const json& v, const std::string& path) {
    if (!v.is_string()) return Add(path, "type", "expected a code (string)");
    const CodeList* list = codelists_.Find(f.codelist);
    if (list == nullptr || !list->Contains(v.get_ref<const std::string&>())) {
      Add(path, "codelist", "not a code of list " + f.codelist);
    }
  }

  void Value(const FieldSpec& f, const json& v, const std::string& path) {
    switch (f.type) {
      case FieldType::kString: return OneString(f, v, path, false);
      case FieldType::kText: return OneString(f, v, path, true);
      case FieldType::kCode: return OneCode(f, v, path);
      case FieldType::kCodeSet: {
        if (!v.is_array()) return Add(path, "type", "expected an array of codes");
        if (f.max_items > 0 && v.size() > f.max_items) return Add(path, "max_items", "too many items");
        std::unordered_set<std::string> seen;
        for (size_t i = 0; i < v.size(); ++i) {
          const std::string ipath = path + "[" + std::to_string(i) + "]";
          OneCode(f, v[i], ipath);
          if (v[i].is_string() && !seen.insert(v[i].get<std::string>()).second) {
            Add(ipath, "duplicate", "code listed twice");
          }
        }
        return;
      }
      case FieldType::kInteger:
        if (!v.is_number_integer()) return Add(path, "type", "expected an integer");
        return Range(f, v.get<double>(), path);
      case FieldType::kNumber:
        if (!v.is_number()) return Add(path, "type", "expected a number");
        return Range(f, v.get<double>(), path);
      case FieldType::kDate:
        if (!v.is_string()) return Add(path, "type", "expected a date string YYYY-MM-DD");
        if (!core::IsValidDate(v.get_ref<const std::string&>())) {
          Add(path, "date", "not a real calendar date in the form YYYY-MM-DD");
        }
        return;
      case FieldType::kBoolean:
        if (!v.is_boolean()) Add(path, "type", "expected true or false");
        return;
      case FieldType::kRef:
        if (!v.is_string()) return Add(path, "type", "expected a record id (string)");
        if (!core::IsCanonicalId(v.get_ref<const std::string&>())) Add(path, "id_format", "not a record id");
        return;
      case FieldType::kStringList: {
        if (!v.is_array()) return Add(path, "type", "expected an array of strings");
        if (f.max_items > 0 && v.size() > f.max_items) return Add(path, "max_items", "too many items");
        for (size_t i = 0; i < v.size(); ++i) OneString(f, v[i], path + "[" + std::to_string(i) + "]", false);
        return;
      }
      case FieldType::kObject:
        if (!v.is_object()) return Add(path, "type", "expected an object");
        return Fields(f.fields, v, path + ".");
      case FieldType::kObjectList: {
        if (!v.is_array()) return Add(path, "type", "expected an array of objects");
        if (f.max_items > 0 && v.size() > f.max_items) return Add(path, "max_items", "too many items");
        for (size_t i = 0; i < v.size(); ++i) {
          const std::string ipath = path + "[" + std::to_string(i) + "]";
          if (!v[i].is_object()) {
            Add(ipath, "type", "expected an object");
            continue;
          }
          Fields(f.fields, v[i], ipath + ".");
        }
        return;
      }
    }
  }

  void Range(const FieldSpec& f, double x, const std::string& path) {
    if (f.min && x < *f.min) Add(path, "min", "less than " + json(*f.min).dump());
    if (f.max && x > *f.max) Add(path, "max", "more than " + json(*f.max).dump());
  }

  const CodeLists& codelists_;
  std::vector<FieldError>& errors_;
};

}  // namespace

std::vector<FieldError> Validate(const ResourceSpec& spec, const json& record, const CodeLists& codelists,
                                 const CheckContext& context) {
  std::vector<FieldError> errors;
  if (!record.is_object()) {
    errors.push_back({"", "type", "expected a JSON object"});
    return errors;
  }
  Validator(codelists, errors).Fields(spec.fields, record, "");
  // Cross-field rules only make sense on fields that are individually valid.
  if (errors.empty() && spec.check) spec.check(record, context, errors);
  return errors;
}

void ApplyDefaults(const ResourceSpec& spec, json& record, const CheckContext& context) {
  for (const auto& f : spec.fields) {
    if (f.default_value.empty() || (record.contains(f.name) && !record[f.name].is_null())) continue;
    record[f.name] = (f.type == FieldType::kDate && f.default_value == "today") ? context.today : f.default_value;
  }
}

void DropNulls(json& value) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end();) {
      if (it->is_null()) {
        it = value.erase(it);
      } else {
        DropNulls(*it);
        ++it;
      }
    }
  } else if (value.is_array()) {
    for (auto& v : value) DropNulls(v);
  }
}

void MergePatch(json& target, const json& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = json::object();
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) {
      target.erase(key);
    } else {
      MergePatch(target[key], value);
    }
  }
}

}  // namespace ctims::domain
