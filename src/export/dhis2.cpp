#include "export/dhis2.hpp"

#include <libxml/xmlwriter.h>

#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "core/clock.hpp"

namespace ctims::exports {

using nlohmann::json;

namespace {

// The name of an array item in a cell path.
std::string ItemKey(const json& item) {
  for (const char* k : {"code", "type", "key", "month"}) {
    if (item.contains(k) && item.at(k).is_string()) return item.at(k).get<std::string>();
  }
  return "";
}

void AddCounts(const json& row, const std::string& prefix, std::vector<std::pair<std::string, json>>& out) {
  for (const char* k : {"persons", "women", "nationalities", "resolved"}) {
    if (row.contains(k) && (row.at(k).is_number() || row.at(k).is_null()))
      out.emplace_back(prefix + "." + k, row.at(k));
  }
}

struct Period {
  std::string dhis2;  // 2022, 202208, 2022Q3
  std::string adx;    // 2022-01-01/P1Y
};

bool AllDigits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// A DHIS2 period id as ISO 8601 start/duration; nullopt when not one.
std::optional<Period> FromDhis2(const std::string& p) {
  if (p.size() == 4 && AllDigits(p)) return Period{p, p + "-01-01/P1Y"};
  if (p.size() == 6 && AllDigits(p)) {
    const int m = std::stoi(p.substr(4));
    if (m >= 1 && m <= 12) return Period{p, p.substr(0, 4) + "-" + p.substr(4) + "-01/P1M"};
  }
  if (p.size() == 6 && AllDigits(p.substr(0, 4)) && p[4] == 'Q' && p[5] >= '1' && p[5] <= '4') {
    const int first_month = (p[5] - '0' - 1) * 3 + 1;
    const std::string month = (first_month < 10 ? "0" : "") + std::to_string(first_month);
    return Period{p, p.substr(0, 4) + "-" + month + "-01/P3M"};
  }
  return std::nullopt;
}

// The DHIS2 period that [from, to) is exactly, if any.
std::optional<Period> FromReport(const std::string& from, const std::string& to) {
  if (from.size() != 10 || to.size() != 10 || from.substr(8) != "01" || to.substr(8) != "01") return std::nullopt;
  const int fy = std::stoi(from.substr(0, 4)), fm = std::stoi(from.substr(5, 2));
  const int ty = std::stoi(to.substr(0, 4)), tm = std::stoi(to.substr(5, 2));
  const int months = (ty - fy) * 12 + (tm - fm);
  if (months == 12 && fm == 1) return FromDhis2(from.substr(0, 4));
  if (months == 3 && (fm - 1) % 3 == 0) return FromDhis2(from.substr(0, 4) + "Q" + std::to_string((fm - 1) / 3 + 1));
  if (months == 1) return FromDhis2(from.substr(0, 4) + from.substr(5, 2));
  return std::nullopt;
}

std::string Str(const json& j, const char* key) {
  return j.contains(key) && j.at(key).is_string() ? j.at(key).get<std::string>() : std::string();
}

std::string NumberText(const json& v) {
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  return v.dump();
}

struct WriterDeleter {
  void operator()(xmlTextWriter* w) const { xmlFreeTextWriter(w); }
};
struct BufferDeleter {
  void operator()(xmlBuffer* b) const { xmlBufferFree(b); }
};

const xmlChar* X(const char* s) {
  return reinterpret_cast<const xmlChar*>(s);
}
const xmlChar* X(const std::string& s) {
  return reinterpret_cast<const xmlChar*>(s.c_str());
}

}  // namespace

core::Result<Dhis2Mapping> ParseDhis2Mapping(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (j.is_discarded() || !j.is_object()) {
    return core::Status::InvalidArgument("bad DHIS2 mapping", {{"", "json", "the mapping must be a JSON object"}});
  }
  std::vector<core::FieldError> errors;
  Dhis2Mapping m;
  m.data_set = Str(j, "dataSet");
  m.period = Str(j, "period");
  if (!m.period.empty() && !FromDhis2(m.period)) {
    errors.push_back({"period", "format", "a DHIS2 period: YYYY, YYYYMM or YYYYQn"});
  }
  if (j.contains("orgUnits") && j.at("orgUnits").is_object()) {
    for (auto it = j.at("orgUnits").begin(); it != j.at("orgUnits").end(); ++it) {
      if (it->is_string()) m.org_units[it.key()] = it->get<std::string>();
    }
  }
  if (m.org_units.empty()) errors.push_back({"orgUnits", "required", "map at least one location code to an orgUnit"});
  if (!j.contains("dataValues") || !j.at("dataValues").is_array()) {
    errors.push_back({"dataValues", "required", "an array of {cell, dataElement, categoryOptionCombo}"});
  } else {
    std::set<std::string> cells;
    std::size_t i = 0;
    for (const auto& e : j.at("dataValues")) {
      const std::string at = "dataValues/" + std::to_string(i++);
      if (!e.is_object()) {
        errors.push_back({at, "format", "an object"});
        continue;
      }
      Dhis2MappingEntry entry;
      entry.cell = Str(e, "cell");
      entry.data_element = Str(e, "dataElement");
      entry.category_option_combo = Str(e, "categoryOptionCombo");
      entry.attribute_option_combo = Str(e, "attributeOptionCombo");
      entry.adx_data_element = Str(e, "adxDataElement");
      if (e.contains("adxDisaggregations") && e.at("adxDisaggregations").is_object()) {
        for (auto it = e.at("adxDisaggregations").begin(); it != e.at("adxDisaggregations").end(); ++it) {
          if (it->is_string()) entry.adx_disaggregations[it.key()] = it->get<std::string>();
        }
      }
      for (const auto& [category, option] : entry.adx_disaggregations) {
        // Categories become XML attribute names in ADX.
        const bool name_ok =
            !category.empty() &&
            category.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
                std::string::npos &&
            !(category[0] >= '0' && category[0] <= '9') && category != "dataElement" && category != "value";
        if (!name_ok)
          errors.push_back({at + "/adxDisaggregations", "format", "category codes are [A-Za-z_][A-Za-z0-9_]*"});
        if (option.empty()) errors.push_back({at + "/adxDisaggregations", "required", "an option code"});
      }
      if (entry.cell.empty())
        errors.push_back({at + "/cell", "required", "the report cell, e.g. lead_agency.total.persons"});
      if (entry.data_element.empty()) errors.push_back({at + "/dataElement", "required", "a data element"});
      if (!entry.cell.empty() && !cells.insert(entry.cell).second) {
        errors.push_back({at + "/cell", "unique", "each cell is mapped once"});
      }
      m.entries.push_back(std::move(entry));
    }
  }
  if (!errors.empty()) return core::Status::InvalidArgument("bad DHIS2 mapping", std::move(errors));
  return m;
}

std::vector<std::pair<std::string, json>> AssistanceCells(const json& report) {
  std::vector<std::pair<std::string, json>> cells;
  if (report.contains("lead_agency")) {
    const json& v = report.at("lead_agency");
    AddCounts(v.value("total", json::object()), "lead_agency.total", cells);
    for (const char* list : {"agency_types", "agencies"}) {
      for (const auto& item : v.value(list, json::array())) {
        AddCounts(item, std::string("lead_agency.") + list + "." + ItemKey(item), cells);
      }
    }
  }
  if (report.contains("resolved_by_police")) AddCounts(report.at("resolved_by_police"), "resolved_by_police", cells);
  if (report.contains("breakdowns")) {
    const json& b = report.at("breakdowns");
    for (auto it = b.begin(); it != b.end(); ++it) {
      if (!it->is_array()) continue;
      for (const auto& item : *it) {
        if (item.is_object()) AddCounts(item, "breakdowns." + it.key() + "." + ItemKey(item), cells);
      }
    }
  }
  return cells;
}

core::Result<Dhis2Export> WriteDhis2(const Dhis2Mapping& mapping, const json& report, const std::string& format) {
  const std::string location = report.value("location", json::object()).value("code", "");
  auto ou = mapping.org_units.find(location);
  if (ou == mapping.org_units.end()) {
    return core::Status::InvalidArgument("cannot export to DHIS2",
                                         {{"location", "dhis2_org_unit", "the DHIS2 mapping has no orgUnit for it"}});
  }
  const json& p = report.value("period", json::object());
  std::optional<Period> period =
      !mapping.period.empty() ? FromDhis2(mapping.period) : FromReport(Str(p, "from"), Str(p, "to"));
  if (!period) {
    return core::Status::InvalidArgument(
        "cannot export to DHIS2",
        {{"to", "dhis2_period",
          "give from and to spanning one calendar month, quarter or year, or fix the period in "
          "the mapping"}});
  }

  Dhis2Export out;
  std::map<std::string, json> cells;
  std::vector<std::string> order;
  for (auto& [path, value] : AssistanceCells(report)) {
    order.push_back(path);
    cells.emplace(path, value);
  }
  std::set<std::string> mapped;
  struct Value {
    const Dhis2MappingEntry* entry;
    std::string value;
  };
  std::vector<Value> values;
  for (const auto& e : mapping.entries) {
    mapped.insert(e.cell);
    auto it = cells.find(e.cell);
    if (it == cells.end()) {
      out.unmatched.push_back(e.cell);
    } else if (it->second.is_null()) {
      out.suppressed.push_back(e.cell);
    } else {
      values.push_back({&e, NumberText(it->second)});
    }
  }
  for (const auto& path : order) {
    if (!mapped.count(path)) out.unmapped.push_back(path);
  }
  out.values = static_cast<std::int64_t>(values.size());

  if (format == "dhis2") {
    json data_values = json::array();
    for (const auto& v : values) {
      json dv = {{"dataElement", v.entry->data_element},
                 {"period", period->dhis2},
                 {"orgUnit", ou->second},
                 {"value", v.value}};
      if (!v.entry->category_option_combo.empty()) dv["categoryOptionCombo"] = v.entry->category_option_combo;
      if (!v.entry->attribute_option_combo.empty()) dv["attributeOptionCombo"] = v.entry->attribute_option_combo;
      data_values.push_back(std::move(dv));
    }
    json body = {{"period", period->dhis2}, {"orgUnit", ou->second}, {"dataValues", std::move(data_values)}};
    if (!mapping.data_set.empty()) body["dataSet"] = mapping.data_set;
    out.body = body.dump(2);
    return out;
  }

  std::unique_ptr<xmlBuffer, BufferDeleter> buffer(xmlBufferCreate());
  if (!buffer) return core::Status::Internal("cannot allocate the ADX buffer");
  std::unique_ptr<xmlTextWriter, WriterDeleter> w(xmlNewTextWriterMemory(buffer.get(), 0));
  if (!w) return core::Status::Internal("cannot create the ADX writer");
  bool ok =
      xmlTextWriterSetIndent(w.get(), 1) >= 0 && xmlTextWriterStartDocument(w.get(), nullptr, "UTF-8", nullptr) >= 0 &&
      xmlTextWriterStartElementNS(w.get(), nullptr, X("adx"), X("urn:ihe:qrph:adx:2015")) >= 0 &&
      xmlTextWriterWriteAttribute(w.get(), X("exported"), X(core::FormatTimestamp(core::SystemClock().Now()))) >= 0 &&
      xmlTextWriterStartElement(w.get(), X("group")) >= 0 &&
      xmlTextWriterWriteAttribute(w.get(), X("orgUnit"), X(ou->second)) >= 0 &&
      xmlTextWriterWriteAttribute(w.get(), X("period"), X(period->adx)) >= 0;
  if (ok && !mapping.data_set.empty())
    ok = xmlTextWriterWriteAttribute(w.get(), X("dataSet"), X(mapping.data_set)) >= 0;
  for (const auto& v : values) {
    if (!ok) break;
    const std::string& de = v.entry->adx_data_element.empty() ? v.entry->data_element : v.entry->adx_data_element;
    ok = xmlTextWriterStartElement(w.get(), X("dataValue")) >= 0 &&
         xmlTextWriterWriteAttribute(w.get(), X("dataElement"), X(de)) >= 0;
    for (const auto& [category, option] : v.entry->adx_disaggregations) {
      ok = ok && xmlTextWriterWriteAttribute(w.get(), X(category), X(option)) >= 0;
    }
    ok = ok && xmlTextWriterWriteAttribute(w.get(), X("value"), X(v.value)) >= 0 &&
         xmlTextWriterEndElement(w.get()) >= 0;
  }
  ok = ok && xmlTextWriterEndDocument(w.get()) >= 0;  // closes group and adx
  if (!ok) return core::Status::Internal("cannot write the ADX document");
  w.reset();  // flushes into the buffer
  out.body.assign(reinterpret_cast<const char*>(xmlBufferContent(buffer.get())),
                  static_cast<std::size_t>(xmlBufferLength(buffer.get())));
  return out;
}

}  // namespace ctims::exports
