#include "app/reference_data.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <span>

#include "core/embedded_file.hpp"

namespace ctims::app {

std::span<const core::EmbeddedFile> EmbeddedSeedFiles();  // generated

namespace {

using core::Result;
using core::Status;
using nlohmann::json;

Result<json> SeedFile(std::string_view name) {
  for (const auto& f : EmbeddedSeedFiles()) {
    if (f.name == name) {
      json doc = json::parse(f.contents, nullptr, /*allow_exceptions=*/false);
      if (doc.is_discarded()) return Status::Internal("seed file " + std::string(name) + " is not JSON");
      return doc;
    }
  }
  return Status::Internal("seed file " + std::string(name) + " is missing from the build");
}

// Id of the record of `spec` whose unique `code_field` equals `code`, or "".
Result<std::string> FindByCode(RecordService& service, const domain::ResourceSpec& spec, const char* code_field,
                               const std::string& code) {
  ListRequest req;
  req.filters.emplace_back(code_field, code);
  CTIMS_ASSIGN_OR_RETURN(json page, service.List(spec, req, SystemPrincipal()));
  if (page["items"].empty()) return std::string();
  return page["items"][0]["id"].get<std::string>();
}

// Creates every item of `items` not yet present; `links` maps the seed's
// code-valued link members ("parent", "location") to the id fields they fill.
Result<int> Load(RecordService& service, const Principal& actor, const char* resource, const char* code_field,
                 const json& items, const std::map<std::string, std::pair<std::string, const char*>>& links) {
  const auto* spec = domain::FindResource(resource);
  const auto* locations = domain::FindResource("locations");
  int created = 0;
  std::map<std::string, std::string> ids;
  for (const auto& item : items) {
    const std::string code = item.at(code_field).get<std::string>();
    CTIMS_ASSIGN_OR_RETURN(std::string existing, FindByCode(service, *spec, code_field, code));
    if (!existing.empty()) {
      ids[code] = existing;
      continue;
    }
    json body = item;
    for (const auto& [member, target] : links) {
      body.erase(member);
      if (!item.contains(member) || item[member].is_null()) continue;
      const std::string ref_code = item[member].get<std::string>();
      std::string id;
      if (target.second == std::string("loc_Code")) {
        CTIMS_ASSIGN_OR_RETURN(id, FindByCode(service, *locations, "loc_Code", ref_code));
      } else {
        CTIMS_ASSIGN_OR_RETURN(id, FindByCode(service, *spec, code_field, ref_code));
      }
      if (id.empty()) return Status::Internal("seed item " + code + " links to unknown " + ref_code);
      body[target.first] = id;
    }
    CTIMS_ASSIGN_OR_RETURN(json record, service.Create(*spec, body, actor));
    ids[code] = record["id"].get<std::string>();
    ++created;
  }
  return created;
}

}  // namespace

Result<ReferenceDataReport> LoadReferenceData(RecordService& service, const Principal& actor) {
  ReferenceDataReport report;
  CTIMS_ASSIGN_OR_RETURN(json locations, SeedFile("lao-locations.json"));
  CTIMS_ASSIGN_OR_RETURN(report.locations_created,
                         Load(service, actor, "locations", "loc_Code", locations.at("locations"),
                              {{"parent", {"parent_id", "loc_Code"}}}));
  CTIMS_ASSIGN_OR_RETURN(json agencies, SeedFile("bokeo-agencies.json"));
  CTIMS_ASSIGN_OR_RETURN(report.agencies_created,
                         Load(service, actor, "agencies", "org_Code", agencies.at("agencies"),
                              {{"parent", {"parent_id", "org_Code"}}, {"location", {"location_id", "loc_Code"}}}));
  return report;
}

}  // namespace ctims::app
