#pragma once

// The plan of action of a taskforce (issue 7) as an XLSX workbook and as a
// printable HTML page, both made from the JSON of
// app::TaskforceService::Plan() so that they show exactly what the API
// shows (effective statuses, computed indicator values).
//
// The printable page is rendered by the server, not by the web app: it must
// print the same from any browser, with or without JavaScript, and be
// linkable from the web app, the XLSX and e-mail alike. It is one
// self-contained document with an inline print style sheet; every value is
// HTML-escaped. Stateless and thread-safe.

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

#include "core/status.hpp"
#include "export/table_writer.hpp"

namespace ctims::exports {

// The plan's tables: Objectives, Activities, Indicators, Meetings, Members.
std::vector<Table> PlanTables(const nlohmann::json& plan);

// The workbook (exports::WriteXlsx) of PlanTables. Errors of WriteXlsx.
core::Result<std::string> PlanXlsx(const nlohmann::json& plan);

// A complete HTML document (UTF-8) for printing, in English with Lao names
// next to English ones.
std::string PlanHtml(const nlohmann::json& plan);

}  // namespace ctims::exports
