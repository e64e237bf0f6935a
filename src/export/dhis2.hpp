#pragma once

// The assistance report for DHIS2 (issue 5 §5): dataValueSets JSON and ADX
// XML (IHE QRPH ADX, namespace urn:ihe:qrph:adx:2015), with the data
// elements and category option combos of a mapping file
// (config/dhis2-mapping.example.json documents the format).
//
// Cells. A cell of the report is named by its path: the JSON path of a count,
// with array items named by their code, type, key or month, e.g.
//   lead_agency.total.persons
//   lead_agency.agency_types.DistrictManagementCommittee.nationalities
//   lead_agency.agencies.BK-PPD.women
//   resolved_by_police.persons
//   breakdowns.nationality.TH.persons
// A mapping entry sends one cell to one (dataElement, categoryOptionCombo
// [, attributeOptionCombo]) and, for ADX, to the data element's code and its
// disaggregations (category code -> option code).
//
// What is not sent, and said so (never silently dropped):
//   - unmapped: counts of the lead-agency view, the resolved-by-the-police
//     row and the breakdowns that no entry maps;
//   - unmatched: entries whose cell is not in this report (an agency with no
//     persons in the period, a nationality that did not occur);
//   - suppressed: mapped cells that disclosure control suppressed (null).
// Dhis2Export lists them; the API returns their counts in headers and the
// command line prints them.
//
// Period and orgUnit come from the mapping: "orgUnits" maps the report's
// location code to a DHIS2 organisation unit; "period" is a fixed DHIS2
// period (YYYY, YYYYMM or YYYYQn) or, when absent, the report's period must
// be exactly one calendar year, quarter or month. ADX writes the same period
// as ISO 8601 start/duration (2022-01-01/P1Y).
//
// ADX is written with libxml2's xmlTextWriter (escaping, well-formedness).
// Thread-safe (no shared state).

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace ctims::exports {

struct Dhis2MappingEntry {
  std::string cell;
  std::string data_element;
  std::string category_option_combo;                       // may be empty (DHIS2 uses the default combo)
  std::string attribute_option_combo;                      // may be empty
  std::string adx_data_element;                            // ADX code; empty: data_element
  std::map<std::string, std::string> adx_disaggregations;  // category code -> option code
};

struct Dhis2Mapping {
  std::string data_set;                          // dataSet uid (dataValueSets) / code (ADX)
  std::string period;                            // fixed DHIS2 period, or empty
  std::map<std::string, std::string> org_units;  // location code -> orgUnit
  std::vector<Dhis2MappingEntry> entries;
};

// Parses a mapping file's text. kInvalidArgument with a field error per bad
// entry (path like "dataValues/3/dataElement", rule "required" or "format").
core::Result<Dhis2Mapping> ParseDhis2Mapping(const std::string& text);

struct Dhis2Export {
  std::string body;
  std::int64_t values = 0;
  std::vector<std::string> unmapped;
  std::vector<std::string> unmatched;
  std::vector<std::string> suppressed;
};

// Every count of the assistance report that a mapping may name, in report
// order, with its value (null when suppressed).
std::vector<std::pair<std::string, nlohmann::json>> AssistanceCells(const nlohmann::json& report);

// format "dhis2" (dataValueSets JSON) or "adx". kInvalidArgument (field
// "location", rule "dhis2_org_unit") when the mapping has no orgUnit for the
// report's location; (field "to", rule "dhis2_period") when the period is not
// one DHIS2 period and the mapping fixes none.
core::Result<Dhis2Export> WriteDhis2(const Dhis2Mapping& mapping, const nlohmann::json& report,
                                     const std::string& format);

}  // namespace ctims::exports
