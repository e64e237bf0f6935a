#pragma once

// Tables written as CSV and XLSX, for every export of ctims (reports, the
// plan of action, microdata). The writers are libcsv and libxlsxwriter from
// Debian; this file only adapts ctims tables to them and adds the two rules
// every export must follow:
//   - a text cell that a spreadsheet would read as a formula (starting with
//     = + - @, tab or carriage return) is neutralised by a leading apostrophe
//     (OWASP "CSV injection"); numeric cells are written as numbers and never
//     neutralised, so -99 stays a number;
//   - nothing is written to a named file: the XLSX is assembled in an
//     anonymous memory file (memfd) and returned as bytes, so an export of
//     personal data never lies unencrypted on disk under a name.

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.hpp"

namespace ctims::exports {

// One cell: empty, text (UTF-8), or a number.
using Cell = std::variant<std::monostate, std::string, double>;

// A titled table: one CSV file or one worksheet.
struct Table {
  // Worksheet name (at most 31 characters, none of []:*?/\ ; XLSX only).
  std::string name;
  std::vector<std::string> header;
  std::vector<std::vector<Cell>> rows;  // a row may be shorter than header
};

// `text` with a leading apostrophe when it starts with = + - @, tab or CR.
std::string NeutralizeFormula(std::string_view text);

// RFC 4180 CSV: every field quoted (libcsv), CRLF line ends, header first,
// text cells neutralised, numbers in shortest round-trip form. When
// `utf8_bom` is set the output starts with a byte-order mark so that
// spreadsheet programs read Lao and other non-Latin text as UTF-8.
std::string WriteCsv(const Table& table, bool utf8_bom = false);

// An XLSX workbook with one worksheet per table, header row bold and frozen.
// kInvalidArgument naming the table when a sheet name is not allowed or
// repeated, or a cell is over the format's 32,767-character limit; kInternal
// when libxlsxwriter fails. Thread-safe (no shared state).
core::Result<std::string> WriteXlsx(const std::vector<Table>& tables);

}  // namespace ctims::exports
