#include "export/htcds_export.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <memory>

namespace ctims::exports {

using nlohmann::json;

namespace {

// The HTCDS field order (htcds-fields.tsv), per entity ctims records.
const std::vector<std::string>& PersonFields() {
  static const std::vector<std::string> kFields = {
      "prs_Salutation",      "prs_FirstName",         "prs_MiddleName",
      "prs_SecondName",      "prs_Birthdate",         "prs_Gender",
      "prs_Deceased",        "prs_MaritalStatus",     "prs_NumberOfChildren",
      "prs_PrimaryLanguage", "prs_SecondaryLanguage", "prs_HighestLevelOfEducation",
      "prs_Citizenship",     "prs_IdentityNumber",    "prs_Title",
      "prs_Email",           "prs_HomePhone",         "prs_MobilePhone",
      "prs_MailingCity",     "prs_MailingCountry",    "prs_MailingState",
      "prs_MailingStreet",   "prs_MailingPostalCode", "prs_MailingLongitude",
      "prs_MailingLatitude"};
  return kFields;
}

const std::vector<std::string>& VictimFields() {
  static const std::vector<std::string> kFields = {"vic_AgreementToManagePersonalData",
                                                   "vic_TraffickingStatus",
                                                   "vic_TraffickingStatusDecisionMakingOrg",
                                                   "vic_RelationshipToTrafficker",
                                                   "vic_AgeWhenTrafficked",
                                                   "vic_RecruitmentWebsitesAndApps",
                                                   "vic_MethodOfRecruitment",
                                                   "vic_LocationOfRecruitment",
                                                   "vic_MethodsOfControl",
                                                   "vic_TypeOfExploitation",
                                                   "vic_ForcedLabourIndustry",
                                                   "vic_TypeOfSexExploitation",
                                                   "vic_LocationOfExploitation",
                                                   "vic_ExploitationWebsitesAndApps",
                                                   "vic_Vulnerabilities",
                                                   "vic_DetailsOfVulnerabilities"};
  return kFields;
}

const std::vector<std::string>& CaseFields() {
  static const std::vector<std::string> kFields = {"cas_Status", "cas_ReasonForCaseClosure", "cas_CaseOwner"};
  return kFields;
}

// A record's value of an HTCDS field. cas_CaseOwner is ctims's owning agency.
json Value(const json& record, const std::string& field) {
  if (field == "cas_CaseOwner") return record.value("owner_agency_id", json());
  return record.value(field, json());
}

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

Table Sheet(const std::string& name, const json& records, const std::vector<std::string>& fields, bool with_person) {
  Table t;
  t.name = name;
  t.header.emplace_back("record_id");
  if (with_person) t.header.emplace_back("person_id");
  t.header.insert(t.header.end(), fields.begin(), fields.end());
  for (const auto& r : records) {
    std::vector<Cell> row = {ToCell(r.value("id", json()))};
    if (with_person) row.push_back(ToCell(r.value("person_id", json())));
    for (const auto& f : fields) row.push_back(ToCell(Value(r, f)));
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::size_t CodePoints(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

struct ArchiveWriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct ArchiveReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

la_ssize_t AppendToString(archive*, void* client, const void* buffer, size_t length) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

core::Status ArchiveError(archive* a, const char* what) {
  const char* detail = archive_error_string(a);
  return core::Status::Internal(std::string("libarchive: ") + what + (detail ? std::string(": ") + detail : ""));
}

}  // namespace

core::Result<std::string> WriteEncryptedZip(const std::vector<ArchiveFile>& files, std::string_view password) {
  if (CodePoints(password) < kMinArchivePasswordChars) {
    return core::Status::InvalidArgument(
        "the archive password is too short",
        {{"password", "min_length", "at least " + std::to_string(kMinArchivePasswordChars) + " characters"}});
  }
  std::unique_ptr<archive, ArchiveWriteDeleter> a(archive_write_new());
  if (!a) return core::Status::Internal("libarchive: cannot allocate a writer");
  std::string out;
  const std::string pass(password);
  if (archive_write_set_format_zip(a.get()) != ARCHIVE_OK) return ArchiveError(a.get(), "zip format");
  // Refuse to fall back to anything weaker: without AES the option fails.
  if (archive_write_set_options(a.get(), "zip:encryption=aes256") != ARCHIVE_OK) {
    return ArchiveError(a.get(), "AES-256 encryption");
  }
  if (archive_write_set_passphrase(a.get(), pass.c_str()) != ARCHIVE_OK) return ArchiveError(a.get(), "passphrase");
  archive_write_set_bytes_in_last_block(a.get(), 1);
  if (archive_write_open(a.get(), &out, nullptr, AppendToString, nullptr) != ARCHIVE_OK) {
    return ArchiveError(a.get(), "open");
  }
  for (const auto& f : files) {
    std::unique_ptr<archive_entry, EntryDeleter> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), f.name.c_str());
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(f.bytes.size()));
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0600);
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK) return ArchiveError(a.get(), "entry header");
    if (!f.bytes.empty() &&
        archive_write_data(a.get(), f.bytes.data(), f.bytes.size()) != static_cast<la_ssize_t>(f.bytes.size())) {
      return ArchiveError(a.get(), "entry data");
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) return ArchiveError(a.get(), "close");
  return out;
}

core::Result<std::vector<ArchiveFile>> ReadEncryptedZip(std::string_view zip, std::string_view password) {
  std::unique_ptr<archive, ArchiveReadDeleter> a(archive_read_new());
  if (!a) return core::Status::Internal("libarchive: cannot allocate a reader");
  archive_read_support_format_zip(a.get());
  const std::string pass(password);
  archive_read_add_passphrase(a.get(), pass.c_str());
  if (archive_read_open_memory(a.get(), zip.data(), zip.size()) != ARCHIVE_OK) {
    return core::Status::InvalidArgument("not a ZIP archive", {{"archive", "format", "not a ZIP archive"}});
  }
  std::vector<ArchiveFile> files;
  archive_entry* e = nullptr;
  int r;
  while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    ArchiveFile f;
    f.name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a.get(), buf, sizeof buf)) > 0) f.bytes.append(buf, static_cast<std::size_t>(n));
    if (n < 0) {
      return core::Status::InvalidArgument("cannot open the archive",
                                           {{"password", "incorrect", "the password does not open the archive"}});
    }
    files.push_back(std::move(f));
  }
  if (r != ARCHIVE_EOF) return ArchiveError(a.get(), "read");
  return files;
}

json HtcdsJson(const json& persons, const json& cases) {
  auto pick = [](const json& records, const std::vector<std::vector<std::string>>& field_lists, bool with_person) {
    json out = json::array();
    for (const auto& r : records) {
      json item = {{"id", r.value("id", json())}};
      if (with_person) item["person_id"] = r.value("person_id", json());
      for (const auto& fields : field_lists) {
        for (const auto& f : fields) {
          json v = Value(r, f);
          if (!v.is_null()) item[f] = std::move(v);
        }
      }
      out.push_back(std::move(item));
    }
    return out;
  };
  return {{"standard", "HTCDS"},
          {"persons", pick(persons, {PersonFields()}, false)},
          {"cases", pick(cases, {CaseFields(), VictimFields()}, true)}};
}

std::vector<Table> HtcdsTables(const json& persons, const json& cases) {
  return {Sheet("Person", persons, PersonFields(), false),
          Sheet("Person - Victim Context", cases, VictimFields(), true), Sheet("Case", cases, CaseFields(), true)};
}

}  // namespace ctims::exports
