#pragma once

// HTCDS case export (issue 5 §5): persons and their cases with the Human
// Trafficking Case Data Standard's field names, as JSON and as an XLSX in
// the HTCDS template's column layout (the field order of the standard's
// field list, shared reference htcds-fields.tsv), packed into a ZIP
// encrypted with AES-256 (libarchive, "zip:encryption=aes256"; WinZip AE-2,
// which 7-Zip, WinZip and macOS's Archive Utility open).
//
// Personal data: nothing here touches a named file. The workbook is built
// in a memfd (table_writer), the archive in memory; only the encrypted
// bytes leave. ZIP encrypts contents, not entry names, so the entries have
// fixed names (htcds-cases.json, htcds-cases.xlsx).
//
// Layout. Sheets "Person" (the 25 prs_ fields), "Person - Victim Context"
// (the 16 vic_ fields) and "Case" (cas_Status, cas_ReasonForCaseClosure,
// cas_CaseOwner), each in the standard's order, preceded by the ctims ids
// that link them (record_id; person_id on the case sheets), the only columns
// HTCDS does not define. ctims stores victim context on the case, so a
// person with two cases has two victim-context rows. Fields ctims does not
// record are empty columns; arrays are joined with ';', objects (methods of
// control) written as compact JSON. cas_CaseOwner is the owning agency's id.
//
// Thread-safe (no shared state).

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"
#include "export/table_writer.hpp"

namespace ctims::exports {

inline constexpr std::size_t kMinArchivePasswordChars = 12;

struct ArchiveFile {
  std::string name;
  std::string bytes;
};

// A ZIP of `files` with every entry encrypted with AES-256 under
// `password`. kInvalidArgument (field "password", rule "min_length") when
// the password has fewer than 12 characters (UTF-8 code points); kInternal
// when libarchive fails (for instance built without a crypto library).
core::Result<std::string> WriteEncryptedZip(const std::vector<ArchiveFile>& files, std::string_view password);

// Reads an encrypted ZIP back. kInvalidArgument (field "password", rule
// "incorrect") when the password does not open it.
core::Result<std::vector<ArchiveFile>> ReadEncryptedZip(std::string_view zip, std::string_view password);

// The HTCDS JSON: {"standard": "HTCDS", "persons": [...], "cases": [...]},
// each record with only HTCDS fields plus its id (and person_id on cases).
nlohmann::json HtcdsJson(const nlohmann::json& persons, const nlohmann::json& cases);

// The three sheets described above.
std::vector<Table> HtcdsTables(const nlohmann::json& persons, const nlohmann::json& cases);

}  // namespace ctims::exports
