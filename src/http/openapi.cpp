#include "http/openapi.hpp"

#include <nlohmann/json.hpp>

namespace ctims::http {
namespace {

using nlohmann::json;

// Code lists up to this size are inlined as enums; larger ones (countries,
// languages) are named and served by /api/v1/codelists/{name}.
constexpr size_t kMaxInlineEnum = 400;

json FieldSchema(const domain::FieldSpec& f, const domain::CodeLists& codelists) {
  json s;
  auto code_schema = [&] {
    json c = {{"type", "string"}, {"x-codelist", f.codelist}};
    const auto* list = codelists.Find(f.codelist);
    if (list != nullptr && list->items().size() <= kMaxInlineEnum) {
      json values = json::array();
      for (const auto& item : list->items()) values.push_back(item.code);
      c["enum"] = std::move(values);
    }
    return c;
  };
  switch (f.type) {
    case domain::FieldType::kString:
    case domain::FieldType::kText:
      s = {{"type", "string"}, {"minLength", 1}};
      if (f.max_length > 0) s["maxLength"] = f.max_length;
      if (!f.pattern.empty()) s["pattern"] = "^(?:" + f.pattern + ")$";
      break;
    case domain::FieldType::kCode: s = code_schema(); break;
    case domain::FieldType::kCodeSet:
      s = {{"type", "array"}, {"uniqueItems", true}, {"items", code_schema()}};
      if (f.max_items > 0) s["maxItems"] = f.max_items;
      break;
    case domain::FieldType::kInteger:
    case domain::FieldType::kNumber:
      s = {{"type", f.type == domain::FieldType::kInteger ? "integer" : "number"}};
      if (f.min) s["minimum"] = *f.min;
      if (f.max) s["maximum"] = *f.max;
      break;
    case domain::FieldType::kDate: s = {{"type", "string"}, {"format", "date"}}; break;
    case domain::FieldType::kBoolean: s = {{"type", "boolean"}}; break;
    case domain::FieldType::kRef: s = {{"type", "string"}, {"format", "uuid"}, {"x-references", f.ref}}; break;
    case domain::FieldType::kStringList: {
      json item = {{"type", "string"}, {"minLength", 1}};
      if (f.max_length > 0) item["maxLength"] = f.max_length;
      s = {{"type", "array"}, {"items", std::move(item)}};
      if (f.max_items > 0) s["maxItems"] = f.max_items;
      break;
    }
    case domain::FieldType::kObject:
    case domain::FieldType::kObjectList: {
      json props = json::object();
      json required = json::array();
      for (const auto& sub : f.fields) {
        props[sub.name] = FieldSchema(sub, codelists);
        if (sub.required) required.push_back(sub.name);
      }
      json obj = {{"type", "object"}, {"additionalProperties", false}, {"properties", std::move(props)}};
      if (!required.empty()) obj["required"] = std::move(required);
      if (f.type == domain::FieldType::kObject) {
        s = std::move(obj);
      } else {
        s = {{"type", "array"}, {"items", std::move(obj)}};
        if (f.max_items > 0) s["maxItems"] = f.max_items;
      }
      break;
    }
  }
  if (!f.description.empty()) s["description"] = f.description;
  if (!f.default_value.empty()) s["x-default"] = f.default_value;
  return s;
}

std::string SchemaName(const domain::ResourceSpec& r) {
  std::string out;
  bool upper = true;
  for (char c : r.title) {
    if (c == ' ') {
      upper = true;
      continue;
    }
    out.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
    upper = false;
  }
  return out;
}

json ResourceSchemas(const domain::ResourceSpec& r, const domain::CodeLists& codelists, json& schemas) {
  json props = json::object();
  json required = json::array();
  for (const auto& f : r.fields) {
    props[f.name] = FieldSchema(f, codelists);
    if (f.required) required.push_back(f.name);
  }
  const std::string name = SchemaName(r);
  json input = {{"type", "object"}, {"additionalProperties", false}, {"properties", props}};
  if (!required.empty()) input["required"] = required;
  if (!r.description.empty()) input["description"] = r.description;
  schemas[name + "Input"] = input;

  json output = input;
  output["properties"]["id"] = {{"type", "string"}, {"format", "uuid"}, {"readOnly", true}};
  output["properties"]["version"] = {{"type", "integer"}, {"minimum", 1}, {"readOnly", true}};
  output["properties"]["created_at"] = {{"type", "string"}, {"format", "date-time"}, {"readOnly", true}};
  output["properties"]["updated_at"] = {{"type", "string"}, {"format", "date-time"}, {"readOnly", true}};
  json out_required = required;
  for (const char* m : domain::kMetaFields) out_required.push_back(m);
  output["required"] = out_required;
  schemas[name] = output;

  json patch = {{"type", "object"},
                {"additionalProperties", false},
                {"description", "RFC 7386 merge patch: null removes a field. Send the version you read."}};
  json patch_props = props;
  for (auto& [k, v] : patch_props.items()) v = {{"oneOf", json::array({v, {{"type", "null"}}})}};
  patch_props["version"] = {{"type", "integer"}, {"minimum", 1}};
  patch["properties"] = std::move(patch_props);
  schemas[name + "Patch"] = patch;

  schemas[name + "Page"] = {{"type", "object"},
                            {"required", {"items", "next_cursor"}},
                            {"properties",
                             {{"items", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/" + name}}}}},
                              {"next_cursor", {{"type", "string"}, {"nullable", true}}}}}};
  return name;
}

json Ref(const std::string& name) {
  return {{"$ref", "#/components/schemas/" + name}};
}

json JsonContent(const json& schema) {
  return {{"application/json", {{"schema", schema}}}};
}

json ErrorResponse(const std::string& description) {
  return {{"description", description}, {"content", JsonContent(Ref("Error"))}};
}

// The report schemas (issue 5). A count is an integer, or null when
// disclosure control suppressed it; each row lists its suppressed members.
void ReportSchemas(json& schemas) {
  const json str = {{"type", "string"}};
  const json count = {{"type", "integer"}, {"minimum", 0}, {"nullable", true}};
  const json suppressed_list = {{"type", "array"}, {"items", str}};
  const json row = {{"type", "object"},
                    {"properties",
                     {{"persons", count},
                      {"women", count},
                      {"nationalities", count},
                      {"resolved", count},
                      {"suppressed", suppressed_list}}}};
  json agency_type_row = row;
  agency_type_row["properties"]["type"] = str;
  agency_type_row["properties"]["label"] = str;
  json agency_row = row;
  for (const char* k : {"agency_id", "code", "name_en", "type", "district"}) agency_row["properties"][k] = str;
  const json view = {{"type", "object"},
                     {"properties",
                      {{"view", {{"type", "string"}, {"enum", {"lead_agency", "assisted_by"}}}},
                       {"definition", str},
                       {"total", row},
                       {"agency_types", {{"type", "array"}, {"items", agency_type_row}}},
                       {"agencies", {{"type", "array"}, {"items", agency_row}}}}}};
  const json keyed_item = {{"type", "object"},
                           {"properties", {{"key", str}, {"persons", count}, {"suppressed", {{"type", "boolean"}}}}}};
  const json keyed = {{"type", "array"}, {"items", keyed_item}};
  const json common = {{"report", str},
                       {"location", {{"type", "object"}, {"properties", {{"code", str}, {"name_en", str}}}}},
                       {"period",
                        {{"type", "object"},
                         {"properties",
                          {{"from", {{"type", "string"}, {"format", "date"}, {"nullable", true}}},
                           {"to", {{"type", "string"}, {"format", "date"}}},
                           {"definition", str}}}}},
                       {"disclosure_control",
                        {{"type", "object"},
                         {"properties",
                          {{"applied", {{"type", "boolean"}}},
                           {"min_cell", {{"type", "integer"}}},
                           {"suppressed_cells", {{"type", "integer"}}},
                           {"rule", str}}}}}};
  json assistance = {{"type", "object"}, {"properties", common}};
  assistance["required"] = {
      "report",     "location", "period", "disclosure_control", "lead_agency", "assisted_by", "resolved_by_police",
      "breakdowns", "monthly"};
  assistance["properties"]["lead_agency"] = view;
  assistance["properties"]["assisted_by"] = view;
  assistance["properties"]["resolved_by_police"] = row;
  json breakdowns = {{"type", "object"}, {"properties", {{"view", str}, {"notes", {{"type", "object"}}}}}};
  for (const char* dim :
       {"nationality", "sex", "age_band", "exploitation_form", "exploitation_type", "trafficking_status", "district"}) {
    breakdowns["properties"][dim] = keyed;
  }
  assistance["properties"]["breakdowns"] = breakdowns;
  assistance["properties"]["monthly"] = {{"type", "object"},
                                         {"properties",
                                          {{"view", str},
                                           {"definition", str},
                                           {"items",
                                            {{"type", "array"},
                                             {"items",
                                              {{"type", "object"},
                                               {"properties",
                                                {{"month", str},
                                                 {"new_persons", count},
                                                 {"assisted_persons", count},
                                                 {"suppressed", suppressed_list}}}}}}}}}};
  schemas["AssistanceReport"] = assistance;

  const json sdg_cell = {
      {"type", "object"},
      {"properties",
       {{"sex", {{"type", "string"}, {"enum", {"Female", "Male", "Other"}}}},
        {"age_group", {{"type", "string"}, {"enum", {"Child", "Adult", "Unknown"}}}},
        {"form", {{"type", "string"}, {"enum", {"SexualExploitation", "ForcedLabour", "Other", "Unknown"}}}},
        {"persons", count},
        {"suppressed", {{"type", "boolean"}}}}}};
  json sdg = {{"type", "object"}, {"properties", common}};
  sdg["properties"]["view"] = str;
  sdg["properties"]["definition"] = str;
  for (const char* k : {"cells", "by_sex_and_age_group", "by_sex", "by_age_group", "by_form"}) {
    sdg["properties"][k] = {{"type", "array"}, {"items", sdg_cell}};
  }
  sdg["properties"]["total"] = count;
  schemas["SdgReport"] = sdg;

  json flows = {{"type", "object"}, {"properties", common}};
  json ref_row = {{"type", "object"},
                  {"properties", {{"from_agency", str}, {"to_agency", str}, {"suppressed", suppressed_list}}}};
  for (const char* k : {"sent", "accepted", "declined", "revoked", "pending", "overdue"})
    ref_row["properties"][k] = count;
  flows["properties"]["referrals"] = {
      {"type", "object"},
      {"properties", {{"definition", str}, {"items", {{"type", "array"}, {"items", ref_row}}}, {"total", ref_row}}}};
  const json by_state = {{"type", "object"}, {"additionalProperties", count}};
  flows["properties"]["repatriations"] = {
      {"type", "object"},
      {"properties",
       {{"definition", str},
        {"items",
         {{"type", "array"},
          {"items",
           {{"type", "object"},
            {"properties",
             {{"destination", str}, {"by_state", by_state}, {"total", count}, {"suppressed", suppressed_list}}}}}}},
        {"by_state", by_state},
        {"by_state_suppressed", suppressed_list},
        {"total", count}}}};
  flows["properties"]["investigations"] = {
      {"type", "object"},
      {"properties",
       {{"definition", str},
        {"items",
         {{"type", "array"},
          {"items",
           {{"type", "object"},
            {"properties", {{"state", str}, {"investigations", count}, {"suppressed", suppressed_list}}}}}}},
        {"total", count}}}};
  schemas["FlowsReport"] = flows;
}

}  // namespace

json OpenApiDocument(const std::vector<Route>& routes, const domain::CodeLists& codelists, const std::string& version) {
  json schemas = json::object();
  const json str = {{"type", "string"}};
  json field_error = {{"type", "object"},
                      {"required", {"path", "rule"}},
                      {"properties", {{"path", str}, {"rule", str}, {"message", str}}}};
  json error_obj = {
      {"type", "object"},
      {"required", {"code", "message", "fields"}},
      {"properties", {{"code", str}, {"message", str}, {"fields", {{"type", "array"}, {"items", field_error}}}}}};
  schemas["Error"] = {{"type", "object"}, {"required", {"error"}}, {"properties", {{"error", error_obj}}}};

  json change = {{"type", "object"}, {"properties", {{"path", str}, {"from", json::object()}, {"to", json::object()}}}};
  json entry = {{"type", "object"},
                {"properties",
                 {{"version", {{"type", "integer"}}},
                  {"action", {{"type", "string"}, {"enum", {"create", "update", "delete"}}}},
                  {"actor", str},
                  {"at", {{"type", "string"}, {"format", "date-time"}}},
                  {"changes", {{"type", "array"}, {"items", change}}}}}};
  schemas["History"] = {{"type", "object"}, {"properties", {{"items", {{"type", "array"}, {"items", entry}}}}}};

  json code_item = {{"type", "object"},
                    {"properties", {{"code", str}, {"labels", {{"type", "object"}, {"additionalProperties", str}}}}}};
  schemas["CodeList"] = {
      {"type", "object"},
      {"properties", {{"name", str}, {"source", str}, {"items", {{"type", "array"}, {"items", code_item}}}}}};

  ReportSchemas(schemas);

  const json id_param = {
      {"name", "id"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}, {"format", "uuid"}}}};
  const json if_match = {{"name", "If-Match"},
                         {"in", "header"},
                         {"required", false},
                         {"description", "The version you read, e.g. \"3\" (or send version in the body/query)."},
                         {"schema", {{"type", "string"}}}};
  json paths = json::object();
  std::map<std::string, std::string> schema_of;
  for (const auto& r : domain::Resources()) schema_of[r.name] = ResourceSchemas(r, codelists, schemas);

  for (const auto& route : routes) {
    json op;
    std::string method = route.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto* spec = route.resource.empty() ? nullptr : domain::FindResource(route.resource);
    const std::string schema = spec != nullptr ? schema_of[spec->name] : "";
    op["operationId"] = route.operation + schema;
    op["responses"] = json::object();
    if (spec != nullptr) op["tags"] = {spec->name};
    if (route.operation == "health") {
      op["summary"] = "Liveness and schema version";
      op["responses"]["200"] = {{"description", "serving"}};
      op["responses"]["503"] = {{"description", "database not at the expected schema version"}};
    } else if (route.operation == "openapi") {
      op["summary"] = "This document";
      op["responses"]["200"] = {{"description", "OpenAPI 3 document"}};
    } else if (route.operation == "codelists") {
      op["summary"] = "Names of all code lists";
      op["responses"]["200"] = {{"description", "code lists"}};
    } else if (route.operation == "codelist") {
      op["summary"] = "One code list with Lao, English and other labels";
      op["parameters"] = {{{"name", "name"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}}};
      op["responses"]["200"] = {{"description", "the list"}, {"content", JsonContent(Ref("CodeList"))}};
      op["responses"]["404"] = ErrorResponse("no such list");
    } else if (route.operation == "list") {
      op["summary"] = "List " + spec->name + " in stable id order";
      json params = json::array({
          {{"name", "limit"}, {"in", "query"}, {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", 500}}}},
          {{"name", "cursor"},
           {"in", "query"},
           {"schema", {{"type", "string"}}},
           {"description", "next_cursor of the previous page"}},
      });
      for (const auto& f : spec->fields) {
        if (f.filterable) {
          params.push_back({{"name", f.name},
                            {"in", "query"},
                            {"schema", {{"type", "string"}}},
                            {"description", "equality filter (membership for lists of codes)"}});
        }
      }
      op["parameters"] = std::move(params);
      op["responses"]["200"] = {{"description", "a page"}, {"content", JsonContent(Ref(schema + "Page"))}};
      op["responses"]["400"] = ErrorResponse("bad filter, limit or cursor");
    } else if (route.operation == "create") {
      op["summary"] = "Create a " + spec->title;
      op["requestBody"] = {{"required", true}, {"content", JsonContent(Ref(schema + "Input"))}};
      op["responses"]["201"] = {{"description", "created"}, {"content", JsonContent(Ref(schema))}};
      op["responses"]["400"] = ErrorResponse("input breaks a rule; nothing was written");
      op["responses"]["409"] = ErrorResponse("a unique code is taken");
      op["responses"]["413"] = ErrorResponse("body too large");
      op["responses"]["415"] = ErrorResponse("body is not application/json");
    } else if (route.operation == "read") {
      op["summary"] = "Read a " + spec->title;
      op["parameters"] = {id_param};
      op["responses"]["200"] = {{"description", "the record"}, {"content", JsonContent(Ref(schema))}};
      op["responses"]["404"] = ErrorResponse("no such record");
    } else if (route.operation == "update") {
      op["summary"] = "Update a " + spec->title + " (merge patch, optimistic concurrency)";
      op["parameters"] = {id_param, if_match};
      op["requestBody"] = {{"required", true}, {"content", JsonContent(Ref(schema + "Patch"))}};
      op["responses"]["200"] = {{"description", "updated"}, {"content", JsonContent(Ref(schema))}};
      op["responses"]["400"] = ErrorResponse("input breaks a rule; nothing was written");
      op["responses"]["404"] = ErrorResponse("no such record");
      op["responses"]["409"] = ErrorResponse("stale version; nothing was written");
    } else if (route.operation == "delete") {
      op["summary"] = "Delete a " + spec->title;
      op["parameters"] = {
          id_param, if_match, {{"name", "version"}, {"in", "query"}, {"schema", {{"type", "integer"}}}}};
      op["responses"]["204"] = {{"description", "deleted"}};
      op["responses"]["400"] = ErrorResponse("no version given, or a malformed one");
      op["responses"]["404"] = ErrorResponse("no such record");
      op["responses"]["409"] = ErrorResponse("stale version, or other records refer to it");
    } else if (route.operation == "history") {
      op["summary"] = "Every create, update and delete of a " + spec->title + ", with field-level changes";
      op["parameters"] = {id_param};
      op["responses"]["200"] = {{"description", "oldest first"}, {"content", JsonContent(Ref("History"))}};
      op["responses"]["404"] = ErrorResponse("no such record");
    } else if (route.operation.rfind("report_", 0) == 0 || route.operation == "export_ctdc") {
      const bool ctdc = route.operation == "export_ctdc";  // issue 5 exports
      op["summary"] = route.summary;
      op["tags"] = {"reports"};
      op["description"] =
          "Aggregates only (permission statistics:report); audited. Who counts, the two views and disclosure "
          "control are defined in docs/api.md (Reports) and restated in the report itself.";
      op["parameters"] = {
          {{"name", "location"},
           {"in", "query"},
           {"required", true},
           {"schema", {{"type", "string"}}},
           {"description", "location code (loc_Code), e.g. LA-BK: agencies located there or inside it"}},
          {{"name", "from"},
           {"in", "query"},
           {"schema", {{"type", "string"}, {"format", "date"}}},
           {"description", "first day counted; absent: since the beginning"}},
          {{"name", "to"},
           {"in", "query"},
           {"schema", {{"type", "string"}, {"format", "date"}}},
           {"description", "first day NOT counted (half-open period); absent: tomorrow"}}};
      const std::string report_schema = route.operation == "report_assistance" ? "AssistanceReport"
                                        : route.operation == "report_sdg"      ? "SdgReport"
                                                                               : "FlowsReport";
      op["responses"]["200"] = {{"description", "the report"}, {"content", JsonContent(Ref(report_schema))}};
      op["responses"]["400"] = ErrorResponse("unknown parameter, bad date, to not after from, unknown location");
      op["responses"]["404"] = ErrorResponse("reports are not enabled on this server");
      // issue 5 exports: the same report as a file.
      const json binary = {{"type", "string"}, {"format", "binary"}};
      const json xlsx_content = {
          {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", {{"schema", binary}}}};
      json files = {{"text/csv; charset=utf-8", {{"schema", {{"type", "string"}}}}}};
      files.update(xlsx_content);
      json formats = ctdc ? json::array({"csv", "xlsx"}) : json::array({"json", "csv", "xlsx", "hxl"});
      if (route.operation == "report_assistance") {
        formats.push_back("dhis2");
        formats.push_back("adx");
        files["application/adx+xml"] = {{"schema", {{"type", "string"}}}};
      }
      op["parameters"].push_back(
          {{"name", "format"},
           {"in", "query"},
           {"schema", {{"type", "string"}, {"enum", formats}}},
           {"description",
            ctdc ? "csv (default) or xlsx"
                 : "json (default: the report); csv or hxl (one table: ?table=, default the report's main table; "
                   "hxl adds the HXL hashtag row); xlsx (every table, one sheet each); dhis2 (dataValueSets JSON) "
                   "and adx (ADX XML), assistance only, with the server's --dhis2-mapping: the X-Ctims-Unmapped-"
                   "Cells, X-Ctims-Unmatched-Cells and X-Ctims-Suppressed-Cells headers (and their -Count) list "
                   "what was not sent. A suppressed cell stays empty in every file. Every export is audited "
                   "(action export: report, format, filters and row count)."}});
      if (!ctdc) {
        op["parameters"].push_back({{"name", "table"},
                                    {"in", "query"},
                                    {"schema", {{"type", "string"}}},
                                    {"description",
                                     "csv, hxl: the table to write, by JSON path (breakdowns.nationality, "
                                     "referrals.items, summary, agencies...)"}});
      }
      if (ctdc) {
        op["description"] =
            "Anonymised microdata in the CTDC 2017-2021 layout (column names and values of the CTDC codebook, -99 "
            "for missing), one row per person of the assistance report's lead-agency view, k-anonymised with k = 11 "
            "on yearOfRegistration, gender, ageBroad, majorityStatus, citizenship and CountryOfExploitation by "
            "suppression (values set to -99, then rows dropped). Permission statistics:report; audited.";
        op["responses"]["200"] = {{"description", "the microdata file"}, {"content", files}};
      } else {
        op["responses"]["200"]["content"].update(files);
        if (route.operation == "report_assistance") {
          op["responses"]["200"]["content"]["application/adx+xml"] = {{"schema", {{"type", "string"}}}};
        }
      }
    } else if (route.operation == "export_htcds") {
      // issue 5 exports: personal data, only as an encrypted archive.
      op["summary"] = route.summary;
      op["tags"] = {"exports"};
      op["description"] =
          "Permission cases:export and the identity field group (never analysts, taskforce members or "
          "administrators). The cases are those GET /api/v1/cases lists for you with the same filters, every "
          "page, and their persons; fields your role may not read are left out. The ZIP holds htcds-cases.json "
          "(HTCDS field names) and htcds-cases.xlsx (the HTCDS template's column layout), AES-256 encrypted. "
          "Audited: the lists as lists, and the export (action export, resource cases, filters, row count).";
      op["requestBody"] = {
          {"required", true},
          {"content",
           JsonContent({{"type", "object"},
                        {"required", json::array({"password"})},
                        {"additionalProperties", false},
                        {"properties",
                         {{"password", {{"type", "string"}, {"minLength", 12}}},
                          {"filters", {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}}}}})}};
      op["responses"]["200"] = {
          {"description", "the encrypted archive"},
          {"content", {{"application/zip", {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}}};
      op["responses"]["400"] = ErrorResponse("password missing or under 12 characters (rule min_length), bad filter");
      op["responses"]["403"] = ErrorResponse("no cases:export permission, or no identity access");
      op["responses"]["404"] = ErrorResponse("exports are not enabled on this server");
    } else if (route.operation == "person_search") {
      // ==== issue 8 ====
      op["summary"] = route.summary;
      op["tags"] = {"persons"};
      op["description"] =
          "Names are matched across Lao, Thai, Burmese, Khmer, Chinese, Vietnamese and Latin spellings through an "
          "encrypted index (docs/security.md, person search). Needs persons:list and the identity field group; "
          "audited without the query.";
      auto query = [](const char* name, const char* type, const char* description, bool required = false) {
        return json{{"name", name},
                    {"in", "query"},
                    {"required", required},
                    {"schema", {{"type", type}}},
                    {"description", description}};
      };
      op["parameters"] = {query("q", "string", "the name, in any script (1-200 characters)", true),
                          query("sex", "string", "code of list sex"),
                          query("birth_year", "integer", "1900-2100; persons with an estimated age get one year more"),
                          query("birth_year_tolerance", "integer", "0-20 years either side (needs birth_year)"),
                          query("citizenship", "string", "code of list country"),
                          query("limit", "integer", "1-50, default 10")};
      op["responses"]["200"] = {
          {"description", "candidates, best first: {items: [{id, score, reason, shared_keys, person}]}"},
          {"content", JsonContent({{"type", "object"}})}};
      op["responses"]["400"] = ErrorResponse("a parameter breaks a rule (the error names it)");
      op["responses"]["403"] = ErrorResponse("the role may not list persons or read names");
    } else if (route.operation == "duplicates_list") {
      op["summary"] = route.summary;
      op["tags"] = {"persons"};
      op["parameters"] = {{{"name", "status"}, {"in", "query"}, {"schema", {{"type", "string"}}}},
                          {{"name", "limit"}, {"in", "query"}, {"schema", {{"type", "integer"}}}},
                          {{"name", "cursor"}, {"in", "query"}, {"schema", {{"type", "string"}}}}};
      op["responses"]["200"] = {
          {"description",
           "pairs both of whose persons you reach: {items: [{id, version, person_a, person_b, score, "
           "explanation, source, status, reason, persons, proposed_persons, settled_into}], next_cursor}; an "
           "open pair shows each merged person as the person it was merged into (proposed_persons: as "
           "proposed), and one whose two persons now are one is listed by status=settled instead; such a "
           "re-pointed pair is left out when a pair is stored on the persons it shows, or when another "
           "re-pointed pair of lower id shows the same persons"},
          {"content", JsonContent({{"type", "object"}})}};
      op["responses"]["400"] = ErrorResponse("a parameter breaks a rule");
    } else if (route.operation == "merges_list") {
      op["summary"] = route.summary;
      op["tags"] = {"persons"};
      op["description"] =
          "Needs persons:list; only merges whose kept and merged persons you both reach. A merged person's GET "
          "carries merged_into, merged_at and merged_by; this list gives the merge to undo.";
      op["parameters"] = {{{"name", "person"}, {"in", "query"}, {"schema", {{"type", "string"}}}},
                          {{"name", "limit"}, {"in", "query"}, {"schema", {{"type", "integer"}}}},
                          {{"name", "cursor"}, {"in", "query"}, {"schema", {{"type", "string"}}}}};
      op["responses"]["200"] = {
          {"description",
           "{items: [{id, version, kept_id, merged_id, duplicate_id, moved: [{table, id, field, from}], merged_by, "
           "merged_at, undone, undone_by, undone_at}], next_cursor}"},
          {"content", JsonContent({{"type", "object"}})}};
      op["responses"]["400"] = ErrorResponse("a parameter breaks a rule");
    } else if (route.operation == "merge_undo") {
      op["summary"] = route.summary;
      op["tags"] = {"persons"};
      op["description"] =
          "One transaction: the cases (through their history, action unmerge_person) and case shares the merge "
          "moved go back to the merged person, which is un-marked and found by its own names again; records "
          "created against the kept person since stay with it. Audited (action undo_merge, ids only).";
      op["parameters"] = {{{"name", "id"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}}};
      op["requestBody"] = {{"required", true},
                           {"content", JsonContent({{"type", "object"},
                                                    {"additionalProperties", false},
                                                    {"properties", {{"version", {{"type", "integer"}}}}}})}};
      op["responses"]["200"] = {{"description", "the merge, now undone"},
                                {"content", JsonContent({{"type", "object"}})}};
      op["responses"]["400"] = ErrorResponse("an unknown member");
      op["responses"]["404"] = ErrorResponse("no such merge, or a person of it outside your reach");
      op["responses"]["409"] = ErrorResponse(
          "already undone (rule undone), a stale version, or a moved record since deleted (rule deleted) or moved "
          "to another person (rule moved); the field is moved[i]");
      // ==== end of issue 8 ====
    } else {
      // Sessions, users, roles, break the glass: documented by their summary.
      op["summary"] = route.summary;
      if (route.method == "POST" || route.method == "PUT" || route.method == "PATCH") {
        op["requestBody"] = {{"required", true}, {"content", JsonContent({{"type", "object"}})}};
        op["responses"]["400"] = ErrorResponse("input breaks a rule; nothing was written");
      }
      const bool step = route.operation == "transition" || route.operation == "task_transition";
      const bool creates = route.method == "POST" && route.operation != "totp_confirm" && !step &&
                           route.operation != "notification_read";
      op["responses"][route.method == "DELETE" || route.operation == "totp_confirm" || route.operation == "password" ||
                              route.operation == "notification_read"
                          ? "204"
                      : creates ? "201"
                                : "200"] = {{"description", "done"}};
      if (step) {
        op["responses"]["409"] = ErrorResponse(
            "the record's state forbids this step (error.allowed_actions lists what it allows), a "
            "precondition fails, or a stale version");
      }
      if (route.path.find("{id}") != std::string::npos) {
        op["parameters"] = {{{"name", "id"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}}};
        if (route.path.find("{index}") != std::string::npos) {  // issue 7: a meeting's follow-up
          op["parameters"].push_back(
              {{"name", "index"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "integer"}}}});
        }
        if (route.path.find("{action}") != std::string::npos) {
          op["parameters"].push_back(
              {{"name", "action"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
        }
        op["responses"]["404"] = ErrorResponse("no such record, or outside your scope");
      } else if (route.path.find("{code}") != std::string::npos) {
        op["parameters"] = {{{"name", "code"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}}};
      }
    }
    if (route.authenticated) {
      op["security"] = json::array({{{"session", json::array()}}});
      op["responses"]["401"] = ErrorResponse("no valid session: sign in first");
      op["responses"]["403"] =
          ErrorResponse("your role may not do this, a field outside your field groups, or a missing CSRF token");
    } else {
      op["security"] = json::array();
    }
    paths[route.path][method] = std::move(op);
  }

  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "ctims API"},
            {"version", version},
            {"description",
             "Case registry of the Counter-Trafficking Information Management System. Field names follow the "
             "Human Trafficking Case Data Standard (HTCDS 2.0) where it has them."}}},
          {"servers", {{{"url", "/"}}}},
          {"paths", std::move(paths)},
          {"components",
           {{"schemas", std::move(schemas)},
            {"securitySchemes",
             {{"session",
               {{"type", "apiKey"},
                {"in", "cookie"},
                {"name", kSessionCookie},
                {"description",
                 "Session cookie set by POST /api/v1/session. State-changing requests also send the session's "
                 "CSRF token in the X-CSRF-Token header."}}}}}}}};
}

}  // namespace ctims::http
