#include "export/report_export.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>

namespace ctims::exports {

using nlohmann::json;

namespace {

constexpr const char* kCsvType = "text/csv; charset=utf-8";
constexpr const char* kXlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

Cell ToCell(const json& v) {
  if (v.is_null()) return std::monostate{};
  if (v.is_number()) return v.get<double>();
  if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array() && std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_string(); })) {
    std::string joined;
    for (const auto& x : v) joined += (joined.empty() ? "" : ";") + x.get<std::string>();
    return joined;
  }
  return v.dump();
}

bool IsTableArray(const json& v) {
  return v.is_array() && !v.empty() && std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_object(); });
}

// One object as (column, cell) pairs, nested objects flattened as "a.b".
void FlattenRow(const json& obj, const std::string& prefix, std::vector<std::pair<std::string, Cell>>& out) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string name = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object()) {
      FlattenRow(*it, name, out);
    } else {
      out.emplace_back(name, ToCell(*it));
    }
  }
}

Table MakeTable(const std::string& name, const json& items) {
  Table t;
  t.name = name;
  std::map<std::string, std::size_t> column;
  std::vector<std::vector<std::pair<std::string, Cell>>> flat;
  for (const auto& item : items) {
    flat.emplace_back();
    FlattenRow(item, "", flat.back());
    for (const auto& [col, cell] : flat.back()) {
      if (column.emplace(col, t.header.size()).second) t.header.push_back(col);
    }
  }
  for (auto& row : flat) {
    std::vector<Cell> cells(t.header.size());
    for (auto& [col, cell] : row) cells[column[col]] = std::move(cell);
    t.rows.push_back(std::move(cells));
  }
  return t;
}

void Walk(const json& node, const std::string& path, std::vector<Table>& tables, Table& summary) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      Walk(*it, path.empty() ? it.key() : path + "." + it.key(), tables, summary);
    }
  } else if (IsTableArray(node)) {
    tables.push_back(MakeTable(path, node));
  } else {
    summary.rows.push_back({path, ToCell(node)});
  }
}

// The assistance report's both views as one table (the command line's CSV).
Table AgenciesTable(const json& report) {
  Table t;
  t.name = "agencies";
  t.header = {"view", "level", "key", "label", "persons", "women", "nationalities", "resolved", "suppressed"};
  for (const char* view : {"lead_agency", "assisted_by"}) {
    if (!report.contains(view)) continue;
    const json& v = report.at(view);
    auto row = [&](const char* level, const std::string& key, const std::string& label, const json& r) {
      t.rows.push_back({std::string(view), std::string(level), key, label, ToCell(r.value("persons", json())),
                        ToCell(r.value("women", json())), ToCell(r.value("nationalities", json())),
                        ToCell(r.value("resolved", json())), ToCell(r.value("suppressed", json::array()))});
    };
    row("total", "", "", v.value("total", json::object()));
    for (const auto& a : v.value("agency_types", json::array())) {
      row("agency_type", a.value("type", ""), a.value("label", ""), a);
    }
    for (const auto& a : v.value("agencies", json::array())) {
      row("agency", a.value("code", ""), a.value("name_en", ""), a);
    }
  }
  return t;
}

std::string MainTable(std::string_view report_name) {
  if (report_name == "assistance") return "agencies";
  if (report_name == "sdg-16-2-2") return "cells";
  return "referrals.items";
}

// The HXL hashtag of a report column (https://hxlstandard.org/standard/).
std::string HxlTag(const std::string& table, const std::string& column) {
  static const std::map<std::string, std::string> kTags = {
      {"persons", "#affected+ind"},
      {"women", "#affected+f"},
      {"men", "#affected+m"},
      {"new_persons", "#affected+ind+new"},
      {"assisted_persons", "#affected+ind+assisted"},
      {"resolved", "#affected+ind+resolved"},
      {"nationalities", "#indicator+nationalities+num"},
      {"code", "#org+code"},
      {"agency_id", "#org+id"},
      {"name_en", "#org+name"},
      {"type", "#org+type+code"},
      {"label", "#org+type+name"},
      {"district", "#adm2+code"},
      {"month", "#date+month"},
      {"sex", "#group+sex"},
      {"age_group", "#group+age"},
      {"form", "#group+exploitation"},
      {"from_agency", "#org+code+from"},
      {"to_agency", "#org+code+to"},
      {"destination", "#country+code+destination"},
      {"state", "#status+code"},
      {"investigations", "#indicator+investigations+num"},
      {"total", "#indicator+total+num"},
      {"suppressed", "#meta+suppressed"},
  };
  if (column == "key") {
    if (table == "breakdowns.nationality") return "#country+code";
    if (table == "breakdowns.district") return "#adm2+code";
    if (table == "breakdowns.sex") return "#group+sex";
    if (table == "breakdowns.age_band") return "#group+age";
    if (table == "agencies") return "#org+code";
    return "#group+code";
  }
  if (auto it = kTags.find(column); it != kTags.end()) return it->second;
  // Otherwise a #meta tag with the column's name as attribute: HXL attributes
  // are lower-case letters, digits and underscores.
  std::string attr;
  for (char c : column) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') {
      attr += c;
    } else if (c >= 'A' && c <= 'Z') {
      attr += static_cast<char>(c - 'A' + 'a');
    } else {
      attr += '_';
    }
  }
  return "#meta+" + attr;
}

std::string PeriodText(const json& report, const char* key) {
  const json& p = report.value("period", json::object());
  return p.contains(key) && p.at(key).is_string() ? p.at(key).get<std::string>() : std::string();
}

std::string FileName(std::string_view report_name, const json& report, const std::string& ext) {
  std::string name =
      "ctims-" + std::string(report_name) + "-" + report.value("location", json::object()).value("code", "");
  if (const std::string to = PeriodText(report, "to"); !to.empty()) name += "-to-" + to;
  std::string safe;
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    safe += ok ? c : '_';
  }
  return safe + "." + ext;
}

// CTDC microdata as one table; integers (years, 1/0 flags, -99) are numbers
// so that -99 stays -99 (a text cell starting with '-' would be neutralised).
Table MicrodataTable(const json& report) {
  Table t;
  t.name = "CTDC_K_anon_ds";
  for (const auto& c : report.value("columns", json::array())) t.header.push_back(c.get<std::string>());
  for (const auto& row : report.value("rows", json::array())) {
    std::vector<Cell> cells;
    cells.reserve(row.size());
    for (const auto& v : row) {
      const std::string text = v.is_string() ? v.get<std::string>() : v.dump();
      const bool integer = !text.empty() && text.size() < 10 &&
                           text.find_first_not_of("0123456789", text[0] == '-' ? 1 : 0) == std::string::npos &&
                           text != "-";
      if (integer) {
        cells.emplace_back(static_cast<double>(std::stol(text)));
      } else {
        cells.emplace_back(text);
      }
    }
    t.rows.push_back(std::move(cells));
  }
  return t;
}

}  // namespace

std::vector<Table> ReportTables(std::string_view report_name, const json& report) {
  std::vector<Table> tables;
  Table summary;
  summary.name = "summary";
  summary.header = {"field", "value"};
  Walk(report, "", tables, summary);
  if (report_name == "assistance") tables.insert(tables.begin(), AgenciesTable(report));
  const std::string main = MainTable(report_name);
  std::stable_partition(tables.begin(), tables.end(), [&](const Table& t) { return t.name == main; });
  tables.push_back(std::move(summary));
  return tables;
}

std::string WriteHxlCsv(const Table& table, const json& report) {
  const std::string location = report.value("location", json::object()).value("code", "");
  const std::string country = location.substr(0, location.find('-'));
  Table out;
  out.name = table.name;
  out.header = {"country", "location", "from", "to"};
  out.header.insert(out.header.end(), table.header.begin(), table.header.end());
  std::vector<Cell> tags = {std::string("#country+code"), std::string("#adm1+code"), std::string("#date+start"),
                            std::string("#date+end")};
  for (const auto& col : table.header) tags.emplace_back(HxlTag(table.name, col));
  out.rows.push_back(std::move(tags));
  const std::string from = PeriodText(report, "from");
  for (const auto& row : table.rows) {
    std::vector<Cell> cells = {country, location, from.empty() ? Cell{} : Cell{from}, PeriodText(report, "to")};
    cells.insert(cells.end(), row.begin(), row.end());
    out.rows.push_back(std::move(cells));
  }
  return WriteCsv(out, /*utf8_bom=*/false);
}

std::vector<std::string> ReportExporter::Formats() const {
  std::vector<std::string> formats = {"csv", "xlsx", "hxl"};
  if (mapping_) {
    formats.emplace_back("dhis2");
    formats.emplace_back("adx");
  }
  return formats;
}

core::Result<app::ExportFile> ReportExporter::Render(std::string_view report_name, const json& report,
                                                     const app::ExportOptions& options) const {
  app::ExportFile file;
  if (report_name == "ctdc-microdata") {
    if (options.format != "csv" && options.format != "xlsx") {
      return core::Status::InvalidArgument("bad export parameters",
                                           {{"format", "one_of", "CTDC microdata is csv or xlsx"}});
    }
    if (!options.table.empty()) {
      return core::Status::InvalidArgument("bad export parameters", {{"table", "one_of", "microdata is one table"}});
    }
    Table t = MicrodataTable(report);
    file.rows = static_cast<std::int64_t>(t.rows.size());
    if (options.format == "csv") {
      file.body = WriteCsv(t, /*utf8_bom=*/false);
      file.content_type = kCsvType;
      file.filename = FileName(report_name, report, "csv");
      return file;
    }
    auto bytes = WriteXlsx({std::move(t)});
    if (!bytes.ok()) return bytes.status();
    file.body = std::move(*bytes);
    file.content_type = kXlsxType;
    file.filename = FileName(report_name, report, "xlsx");
    return file;
  }
  if (options.format == "dhis2" || options.format == "adx") {
    if (!mapping_ || report_name != "assistance") {
      return core::Status::InvalidArgument("bad export parameters",
                                           {{"format", "one_of", "DHIS2 and ADX export the assistance report only"}});
    }
    auto d = WriteDhis2(*mapping_, report, options.format);
    if (!d.ok()) return d.status();
    file.body = std::move(d->body);
    file.rows = d->values;
    file.notes = {{"Unmapped-Cells", std::move(d->unmapped)},
                  {"Unmatched-Cells", std::move(d->unmatched)},
                  {"Suppressed-Cells", std::move(d->suppressed)}};
    file.content_type = options.format == "adx" ? "application/adx+xml" : "application/json";
    file.filename = FileName(report_name, report, options.format == "adx" ? "adx.xml" : "dhis2.json");
    return file;
  }
  std::vector<Table> tables = ReportTables(report_name, report);
  if (options.format == "xlsx") {
    if (!options.table.empty()) {
      return core::Status::InvalidArgument("bad export parameters",
                                           {{"table", "one_of", "an XLSX export holds every table"}});
    }
    // Sheet names are at most 31 characters and unique.
    std::set<std::string> used;
    for (auto& t : tables) {
      std::string name = t.name.substr(0, 31);
      for (int i = 2; !used.insert(name).second; ++i) name = t.name.substr(0, 28) + "~" + std::to_string(i);
      t.name = name;
      file.rows += static_cast<std::int64_t>(t.rows.size());
    }
    auto bytes = WriteXlsx(tables);
    if (!bytes.ok()) return bytes.status();
    file.body = std::move(*bytes);
    file.content_type = kXlsxType;
    file.filename = FileName(report_name, report, "xlsx");
    return file;
  }
  const std::string wanted = options.table.empty() ? MainTable(report_name) : options.table;
  auto it = std::find_if(tables.begin(), tables.end(), [&](const Table& t) { return t.name == wanted; });
  if (it == tables.end() && options.table.empty()) {
    // The main table is an empty array in this report (no referrals in the
    // period, say): an empty file, not an error.
    tables.push_back(Table{wanted, {}, {}});
    it = std::prev(tables.end());
  }
  if (it == tables.end()) {
    std::string names;
    for (const auto& t : tables) names += (names.empty() ? "" : ", ") + t.name;
    return core::Status::InvalidArgument("bad export parameters", {{"table", "one_of", "one of: " + names}});
  }
  file.rows = static_cast<std::int64_t>(it->rows.size());
  file.content_type = kCsvType;
  if (options.format == "hxl") {
    file.body = WriteHxlCsv(*it, report);
    file.filename = FileName(report_name, report, "hxl.csv");
  } else {
    file.body = WriteCsv(*it, /*utf8_bom=*/false);
    file.filename = FileName(report_name, report, "csv");
  }
  return file;
}

core::Result<app::ExportFile> ReportExporter::RenderHtcds(const json& persons, const json& cases,
                                                          std::string_view password) const {
  auto xlsx = WriteXlsx(HtcdsTables(persons, cases));
  if (!xlsx.ok()) return xlsx.status();
  auto zip = WriteEncryptedZip(
      {{"htcds-cases.json", HtcdsJson(persons, cases).dump(2)}, {"htcds-cases.xlsx", std::move(*xlsx)}}, password);
  if (!zip.ok()) return zip.status();
  app::ExportFile file;
  file.body = std::move(*zip);
  file.content_type = "application/zip";
  file.filename = "ctims-htcds-cases.zip";
  file.rows = static_cast<std::int64_t>(cases.size());
  return file;
}

}  // namespace ctims::exports
