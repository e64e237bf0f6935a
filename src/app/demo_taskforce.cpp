#include "app/demo_taskforce.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "app/record_service.hpp"
#include "app/record_service_util.hpp"
#include "app/taskforce_policy.hpp"
#include "domain/codelists.hpp"
#include "domain/diff.hpp"
#include "domain/validation.hpp"

namespace ctims::app {
namespace {

using core::Result;
using core::Status;
using nlohmann::json;

// SplitMix64, as the demo caseload: the same seed gives the same ids.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
};

// The demo's reference date: records are validated as of it.
constexpr const char* kDemoToday = "2023-01-31";

class Seeder {
 public:
  Seeder(StoreTransaction& tx, const DemoOptions& options, const Principal& caller)
      : tx_(tx), options_(options), caller_(caller), rng_(options.seed ^ 0x7A5CF0CE0000007ULL) {}

  // A UUIDv7-shaped id whose time is noon of `date`, plus a counter so that
  // records of one day keep their creation order.
  std::string IdFor(const std::string& date) {
    const std::uint64_t ms = static_cast<std::uint64_t>(core::ParseDateDays(date).value_or(0)) * 86'400'000ULL +
                             43'200'000ULL + static_cast<std::uint64_t>(++counter_);
    const std::uint64_t a = rng_.Next();
    const std::uint64_t b = rng_.Next();
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%08llx-%04llx-7%03llx-%04llx-%012llx",
                  static_cast<unsigned long long>((ms >> 16) & 0xFFFFFFFFULL),
                  static_cast<unsigned long long>(ms & 0xFFFF), static_cast<unsigned long long>(a & 0xFFF),
                  static_cast<unsigned long long>(0x8000 | ((a >> 12) & 0x3FFF)),
                  static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
    return buf;
  }
  static std::string At(const std::string& date) { return date + "T09:00:00.000Z"; }

  // Writes one record with its history entry, as RecordService's create
  // would; returns its id.
  Result<std::string> Put(const char* resource, json record, const std::string& date) {
    const domain::ResourceSpec& spec = *domain::FindResource(resource);
    domain::ApplyDefaults(spec, record, {kDemoToday});
    if (options_.validate) {
      CTIMS_RETURN_IF_ERROR(detail::ValidateRecord(spec, record, domain::CodeLists::Builtin(), {kDemoToday}));
    }
    const std::string id = IdFor(date);
    const TableDef table = TableFor(spec);
    CTIMS_ASSIGN_OR_RETURN(StoredRecord stored, detail::ToStored(spec, table, record, id, options_.cipher));
    stored.version = 1;
    stored.created_at = stored.updated_at = At(date);
    CTIMS_RETURN_IF_ERROR(tx_.Insert(table, stored));
    CTIMS_ASSIGN_OR_RETURN(std::string changes,
                           detail::ChangesText(spec, id, 1, domain::Diff(json(), record), options_.cipher));
    CTIMS_RETURN_IF_ERROR(tx_.AppendHistory(
        {0, spec.name, id, 1, "create", caller_.user_id, stored.created_at, std::move(changes), stored.access}));
    ++records_;
    return id;
  }

  // An open task for `agency_id`, as TaskforcePolicy makes on a create.
  Status Task(const char* kind, const char* resource, const std::string& record_id, const std::string& agency_id,
              const std::string& due_date, const std::string& created) {
    WorkTask task;
    task.id = IdFor(created);
    task.kind = kind;
    task.agency_id = agency_id;
    task.resource = resource;
    task.record_id = record_id;
    task.due_at = EndOfDay(due_date);
    task.created_at = At(created);
    ++tasks_;
    return tx_.InsertTask(task);
  }

  std::int64_t records() const { return records_; }
  std::int64_t tasks() const { return tasks_; }

 private:
  StoreTransaction& tx_;
  const DemoOptions& options_;
  const Principal& caller_;
  Rng rng_;
  std::uint64_t counter_ = 0;
  std::int64_t records_ = 0;
  std::int64_t tasks_ = 0;
};

struct ActivitySeed {
  const char* objective;  // obj_Code
  const char* title;
  const char* responsible;  // org_Code
  std::vector<const char*> partners;
  const char* start;
  const char* end;
  const char* status;                                         // stored; past its end and not Done it shows as Late
  double budget;                                              // LAK; 0: none
  std::vector<std::pair<const char*, const char*>> progress;  // date, note
  int meeting = -1;                                           // index of the meeting whose follow-up it is
  int follow_up = -1;
};

struct RecipientSeed {
  const char* agency;
  const char* status;
  const char* acknowledged;  // date or nullptr
  const char* done;
  std::vector<std::pair<const char*, const char*>> progress;
};

struct DirectiveSeed {
  const char* issuer;
  const char* reference;
  const char* subject;
  const char* text;
  const char* issued;
  const char* due;
  const char* priority;
  bool taskforce;
  std::vector<RecipientSeed> recipients;
};

}  // namespace

Result<DemoTaskforceResult> SeedDemoTaskforce(Store& store, const DemoOptions& options, const Principal& caller) {
  CTIMS_ASSIGN_OR_RETURN(auto tx, store.Begin(TxMode::kWrite));
  // Agencies and Bokeo by their codes.
  std::map<std::string, std::string> agency;
  {
    const TableDef table = TableFor(*domain::FindResource("agencies"));
    ListQuery q;
    q.limit = kMaxPageSize;
    CTIMS_ASSIGN_OR_RETURN(auto rows, tx->List(table, q));
    for (const auto& row : rows) {
      if (auto code = detail::ColumnValue(table, row, "org_Code")) agency[*code] = row.id;
    }
  }
  for (const char* code : {"MPS-ATD", "NCATIP-SEC", "BK-PPD", "BK-FAD", "BK-DMC-HXY", "BK-DMC-TPH", "BK-DMC-MNG",
                           "BK-DMC-POD", "BK-DMC-PTH", "BK-LWU-SHELTER"}) {
    if (!agency.contains(code)) return Status::Conflict(std::string("reference data lacks agency ") + code);
  }
  std::string bokeo;
  {
    const TableDef table = TableFor(*domain::FindResource("locations"));
    ListQuery q;
    q.filters.push_back({Filter::Kind::kColumn, "loc_Code", "LA-BK"});
    q.limit = 1;
    CTIMS_ASSIGN_OR_RETURN(auto rows, tx->List(table, q));
    if (rows.empty()) return Status::Conflict("reference data lacks Bokeo (LA-BK)");
    bokeo = rows.front().id;
  }
  {
    const TableDef table = TableFor(*domain::FindResource("taskforces"));
    ListQuery q;
    q.filters.push_back({Filter::Kind::kColumn, "tfc_Code", "BK-TF-TIP"});
    q.limit = 1;
    CTIMS_ASSIGN_OR_RETURN(auto rows, tx->List(table, q));
    if (!rows.empty()) return Status::Conflict("the demo taskforce exists already");
  }

  Seeder s(*tx, options, caller);
  CTIMS_ASSIGN_OR_RETURN(
      const std::string tf,
      s.Put("taskforces",
            {{"tfc_Code", "BK-TF-TIP"},
             {"tfc_NameLo", "ຄະນະສະເພາະກິດຕ້ານການຄ້າມະນຸດ ແຂວງບໍ່ແກ້ວ"},
             {"tfc_NameEn", "Bokeo Provincial Anti-Trafficking Taskforce"},
             {"tfc_Mandate",
              "Set up on the instruction of the National Anti-Trafficking Commission through the Ministry of Public "
              "Security: the provincial Police Department, in coordination with the District Management Committees "
              "and related parties, draws up and follows a plan of action against trafficking in Bokeo, in "
              "particular in and around the Golden Triangle Special Economic Zone."},
             {"location_id", bokeo},
             {"chair_agency_id", agency["BK-PPD"]},
             {"tfc_PlanStart", "2022-09-15"},
             {"tfc_PlanEnd", "2023-09-14"}},
            "2022-09-12"));
  const std::vector<std::pair<const char*, const char*>> members = {
      {"BK-PPD", "Chair and secretariat"},
      {"BK-FAD", "Foreign nationals, embassies and travel documents"},
      {"BK-DMC-HXY", "District focal point, Houayxay"},
      {"BK-DMC-TPH", "District focal point, Ton Pheung (Golden Triangle SEZ)"},
      {"BK-DMC-MNG", "District focal point, Meung"},
      {"BK-DMC-POD", "District focal point, Pha Oudom"},
      {"BK-DMC-PTH", "District focal point, Paktha"},
      {"BK-LWU-SHELTER", "Shelter, assistance and reintegration"},
      {"MPS-ATD", "Technical advice (Ministry of Public Security)"},
  };
  for (const auto& [code, function] : members) {
    CTIMS_RETURN_IF_ERROR(s.Put("taskforce-members",
                                {{"taskforce_id", tf}, {"agency_id", agency[code]}, {"tfm_Function", function}},
                                "2022-09-12")
                              .status());
  }

  // Objectives.
  struct ObjectiveSeed {
    const char* code;
    const char* title;
    std::vector<const char*> problems;
    const char* description;
  };
  const std::vector<ObjectiveSeed> objectives = {
      {"O1",
       "Workers are paid as agreed and contracts are not sold on",
       {"UnpaidWages", "ContractSold", "PoorConditions"},
       "Recover unpaid wages, stop the sale of workers whose contract expired to other companies, and prosecute "
       "the companies involved."},
      {"O2",
       "No worker is held for fees",
       {"FeeDemands"},
       "End the demands that workers refund Covid tests, quarantine, work permits and other fees before they may "
       "leave (debt bondage)."},
      {"O3",
       "Workers without documents return home safely",
       {"NoPassport"},
       "Identify workers who crossed irregularly, have no passport or did not pass immigration, and arrange travel "
       "documents and repatriation with the embassies."},
      {"O4",
       "Online sexual exploitation and surrogacy are detected and stopped",
       {"OnlineSexualExploitation", "Surrogacy"},
       "Detect live broadcasting of sexual content and the hiring of pregnant women; protect the victims."},
      {"O5",
       "Victims are referred and assisted without delay",
       {},
       "District Management Committees, the shelter and the provincial departments answer referrals within 48 "
       "hours and follow up every return."},
  };
  std::map<std::string, std::string> objective_id;
  for (const auto& o : objectives) {
    json problems = json::array();
    for (const char* p : o.problems) problems.push_back(p);
    json body = {
        {"taskforce_id", tf}, {"obj_Code", o.code}, {"obj_Title", o.title}, {"obj_Description", o.description}};
    if (!problems.empty()) body["obj_Problems"] = problems;
    CTIMS_ASSIGN_OR_RETURN(objective_id[o.code], s.Put("plan-objectives", body, "2022-09-15"));
  }

  // Meetings (activities made from their follow-ups link back below).
  json meeting1 = {
      {"taskforce_id", tf},
      {"mtg_Date", "2022-09-20"},
      {"mtg_Place", "Provincial Police Department, Houayxay"},
      {"mtg_Attendees", json::array()},
      {"mtg_Decisions",
       {"Adopt the plan of action for September 2022 to September 2023.",
        "Each District Management Committee names a focal point and reports monthly to the secretariat.",
        "Joint inspections of companies in the Golden Triangle SEZ start in October."}},
      {"mtg_Minutes",
       "The chair presented the figures up to September (1,255 workers at risk assisted) and the abuses found: "
       "unpaid wages, contracts sold to other companies, fee demands for Covid tests, quarantine and work "
       "permits, workers without passports. Members agreed the objectives O1 to O5."},
      {"mtg_FollowUps",
       {{{"fup_Action", "Inspect the SEZ companies named in the complaints about unpaid wages and sold contracts"},
         {"agency_id", agency["BK-PPD"]},
         {"fup_Due", "2022-12-31"}},
        {{"fup_Action", "Compile the list of workers without passports awaiting return, by nationality"},
         {"agency_id", agency["BK-FAD"]},
         {"fup_Due", "2022-11-30"}},
        {{"fup_Action", "Brief village chiefs on fee demands and how to report them"},
         {"agency_id", agency["BK-DMC-TPH"]},
         {"fup_Due", "2023-03-31"}}}},
  };
  for (const char* code :
       {"BK-PPD", "BK-FAD", "BK-DMC-HXY", "BK-DMC-TPH", "BK-DMC-MNG", "BK-DMC-PTH", "BK-LWU-SHELTER"}) {
    meeting1["mtg_Attendees"].push_back({{"agency_id", agency[code]}});
  }
  json meeting2 = {
      {"taskforce_id", tf},
      {"mtg_Date", "2022-11-22"},
      {"mtg_Place", "Ton Pheung District Office"},
      {"mtg_Attendees", json::array()},
      {"mtg_Decisions",
       {"Refer every case of a pregnant woman recruited for surrogacy to the shelter and the police the same day.",
        "Ask the Ministry of Foreign Affairs to speed up travel documents for Myanmar nationals."}},
      {"mtg_Minutes",
       "Progress reviewed: inspections started; wages recovered for 46 workers; the list of workers without "
       "passports is late. Live-streaming compounds reported by two districts."},
      {"mtg_FollowUps",
       {{{"fup_Action", "Set up a hotline with the SEZ for reports of live-streaming and online exploitation"},
         {"agency_id", agency["BK-PPD"]},
         {"fup_Due", "2023-02-28"}},
        {{"fup_Action", "Agree a surrogacy referral protocol with the shelter and the hospital"},
         {"agency_id", agency["BK-LWU-SHELTER"]},
         {"fup_Due", "2023-04-30"}}}},
  };
  for (const char* code : {"BK-PPD", "BK-FAD", "BK-DMC-TPH", "BK-DMC-HXY", "BK-LWU-SHELTER", "MPS-ATD"}) {
    meeting2["mtg_Attendees"].push_back({{"agency_id", agency[code]}});
  }
  std::vector<json> meetings = {meeting1, meeting2};
  std::vector<std::string> meeting_ids;
  const std::vector<std::string> meeting_dates = {"2022-09-20", "2022-11-22"};

  const std::vector<ActivitySeed> activities = {
      {"O1",
       "Joint inspections of SEZ companies named in wage complaints",
       "BK-PPD",
       {"BK-DMC-TPH", "MPS-ATD"},
       "2022-10-01",
       "2022-12-31",
       "OnTrack",
       45000000,
       {{"2022-10-20", "Four companies inspected; two referred for unpaid wages."},
        {"2022-12-15", "Nine of twelve companies inspected."}},
       0,
       0},
      {"O1",
       "Recover unpaid wages through the labour dispute procedure",
       "BK-DMC-TPH",
       {"BK-PPD"},
       "2022-10-01",
       "2023-06-30",
       "OnTrack",
       0,
       {{"2022-11-20", "Wages recovered for 46 workers."}},
       -1,
       -1},
      {"O1",
       "Investigate companies that bought expired contracts",
       "BK-PPD",
       {"MPS-ATD"},
       "2022-10-15",
       "2023-03-31",
       "AtRisk",
       30000000,
       {{"2023-01-10", "Two suspects abroad; mutual legal assistance needed."}},
       -1,
       -1},
      {"O2",
       "Brief village chiefs on fee demands and reporting",
       "BK-DMC-TPH",
       {"BK-DMC-HXY", "BK-DMC-MNG", "BK-DMC-POD", "BK-DMC-PTH"},
       "2022-11-01",
       "2023-03-31",
       "OnTrack",
       12000000,
       {{"2022-12-05", "Briefings held in 14 villages."}},
       0,
       2},
      {"O2",
       "Publish the list of fees employers may not charge (Covid tests, quarantine, work permits)",
       "BK-PPD",
       {"BK-FAD"},
       "2022-10-01",
       "2022-11-30",
       "Done",
       5000000,
       {{"2022-11-28", "Notice published in Lao, Chinese and Burmese."}},
       -1,
       -1},
      {"O3",
       "List workers without passports awaiting return, by nationality",
       "BK-FAD",
       {"BK-DMC-TPH"},
       "2022-10-01",
       "2022-11-30",
       "OnTrack",
       0,
       {{"2022-11-22", "List covers three districts of five."}},
       0,
       1},
      {"O3",
       "Travel documents with the embassies of Myanmar, Viet Nam and China",
       "BK-FAD",
       {"MPS-ATD"},
       "2022-11-01",
       "2023-05-31",
       "OnTrack",
       20000000,
       {{"2023-01-15", "Documents issued for 37 persons."}},
       -1,
       -1},
      {"O3",
       "Escorted returns through the Friendship Bridge IV",
       "BK-FAD",
       {"BK-PPD", "BK-LWU-SHELTER"},
       "2022-10-01",
       "2023-09-14",
       "OnTrack",
       60000000,
       {},
       -1,
       -1},
      {"O4",
       "Hotline for reports of live-streaming and online exploitation",
       "BK-PPD",
       {"BK-DMC-TPH"},
       "2022-12-01",
       "2023-02-28",
       "NotStarted",
       8000000,
       {},
       1,
       0},
      {"O4",
       "Surrogacy referral protocol with the shelter and the hospital",
       "BK-LWU-SHELTER",
       {"BK-PPD"},
       "2022-12-01",
       "2023-04-30",
       "OnTrack",
       0,
       {{"2023-01-20", "Draft protocol discussed with the hospital."}},
       1,
       1},
      {"O5",
       "Train District Management Committees on the 48-hour referral answer",
       "BK-DMC-HXY",
       {"BK-DMC-TPH", "BK-DMC-MNG", "BK-DMC-POD", "BK-DMC-PTH", "BK-LWU-SHELTER"},
       "2022-09-26",
       "2022-10-31",
       "Done",
       15000000,
       {{"2022-10-28", "Five committees trained, 42 participants."}},
       -1,
       -1},
      {"O5",
       "Monthly case conference of the district focal points",
       "BK-PPD",
       {"BK-DMC-HXY", "BK-DMC-TPH", "BK-DMC-MNG", "BK-DMC-POD", "BK-DMC-PTH"},
       "2022-10-01",
       "2023-09-14",
       "OnTrack",
       0,
       {{"2022-12-20", "Three conferences held."}},
       -1,
       -1},
  };
  // Meetings first (activities refer to them), then the activities made
  // from their follow-ups, then the meetings' links to those activities as
  // their version 2: the order FollowUpToActivity gives on the API.
  for (std::size_t m = 0; m < meetings.size(); ++m) {
    CTIMS_ASSIGN_OR_RETURN(std::string id, s.Put("taskforce-meetings", meetings[m], meeting_dates[m]));
    meeting_ids.push_back(id);
  }
  for (const auto& a : activities) {
    json partners = json::array();
    for (const char* p : a.partners) partners.push_back(agency[p]);
    json progress = json::array();
    for (const auto& [date, note] : a.progress) progress.push_back({{"prg_Date", date}, {"prg_Note", note}});
    json body = {{"objective_id", objective_id[a.objective]},
                 {"taskforce_id", tf},
                 {"act_Title", a.title},
                 {"responsible_agency_id", agency[a.responsible]},
                 {"act_StartDate", a.start},
                 {"act_EndDate", a.end},
                 {"act_Status", a.status}};
    if (!partners.empty()) body["act_PartnerAgencyIds"] = partners;
    if (!progress.empty()) body["act_Progress"] = progress;
    if (a.budget > 0) {
      body["act_BudgetAmount"] = a.budget;
      body["act_BudgetCurrency"] = "LAK";
    }
    std::string created = "2022-09-21";
    if (a.meeting >= 0) {
      body["meeting_id"] = meeting_ids[static_cast<std::size_t>(a.meeting)];
      body["act_FollowUpIndex"] = a.follow_up;
      created = meeting_dates[static_cast<std::size_t>(a.meeting)];
    }
    CTIMS_ASSIGN_OR_RETURN(std::string id, s.Put("plan-activities", body, created));
    if (std::string(a.status) != "Done") {
      CTIMS_RETURN_IF_ERROR(s.Task("CompleteActivity", "plan-activities", id, agency[a.responsible], a.end, created));
    }
    if (a.meeting >= 0) {
      meetings[static_cast<std::size_t>(a.meeting)]["mtg_FollowUps"][static_cast<std::size_t>(a.follow_up)]
              ["activity_id"] = id;
    }
  }
  // The links: each meeting's version 2, with its history entry.
  const TableDef meeting_table = TableFor(*domain::FindResource("taskforce-meetings"));
  for (std::size_t m = 0; m < meetings.size(); ++m) {
    const domain::ResourceSpec& spec = *domain::FindResource("taskforce-meetings");
    json before = meetings[m];
    for (auto& f : before["mtg_FollowUps"]) f.erase("activity_id");
    CTIMS_ASSIGN_OR_RETURN(StoredRecord stored,
                           detail::ToStored(spec, meeting_table, meetings[m], meeting_ids[m], options.cipher));
    stored.version = 2;
    stored.created_at = Seeder::At(meeting_dates[m]);
    stored.updated_at = meeting_dates[m] + "T17:00:00.000Z";
    CTIMS_RETURN_IF_ERROR(tx->Update(meeting_table, stored, 1));
    CTIMS_ASSIGN_OR_RETURN(std::string changes, detail::ChangesText(spec, meeting_ids[m], 2,
                                                                    domain::Diff(before, meetings[m]), options.cipher));
    CTIMS_RETURN_IF_ERROR(tx->AppendHistory({0, spec.name, meeting_ids[m], 2, "update", caller.user_id,
                                             stored.updated_at, std::move(changes), stored.access}));
  }

  // Indicators: four computed from the demo caseload by the named queries
  // (calendar year 2022 in Bokeo), two entered by hand.
  struct IndicatorSeed {
    const char* objective;
    const char* name;
    const char* unit;
    double baseline, target;
    const char* query;  // nullptr: Manual
    double current;     // Manual only
  };
  const std::vector<IndicatorSeed> indicators = {
      {"O1", "Victims covered by resolved investigations", "persons", 0, 300, "VictimsResolvedInvestigations", 0},
      {"O1", "Workers whose unpaid wages were recovered", "persons", 0, 200, nullptr, 46},
      {"O2", "Employers reported for fee demands and referred to the police", "employers", 0, 20, nullptr, 7},
      {"O3", "Persons repatriated", "persons", 0, 400, "PersonsRepatriatedThisYear", 0},
      {"O5", "Referrals answered within 48 hours", "%", 60, 95, "ReferralsAnsweredWithin48h", 0},
      {"O5", "Persons assisted by District Management Committees", "persons", 0, 1000,
       "PersonsAssistedByDistrictCommittees", 0},
  };
  for (const auto& i : indicators) {
    json body = {{"objective_id", objective_id[i.objective]},
                 {"taskforce_id", tf},
                 {"ind_Name", i.name},
                 {"ind_Unit", i.unit},
                 {"ind_Baseline", i.baseline},
                 {"ind_Target", i.target}};
    if (i.query != nullptr) {
      body["ind_Source"] = "Query";
      body["ind_Query"] = i.query;
      body["ind_Location"] = "LA-BK";
      body["ind_PeriodFrom"] = "2022-01-01";
      body["ind_PeriodTo"] = "2023-01-01";
    } else {
      body["ind_Source"] = "Manual";
      body["ind_CurrentValue"] = i.current;
      body["ind_CurrentAsOf"] = "2023-01-15";
    }
    CTIMS_RETURN_IF_ERROR(s.Put("plan-indicators", body, "2022-09-21").status());
  }

  // Directives: the commission's side to the province, the chair to its
  // members; answers are mixed and some are overdue as of 2023-01-31.
  const std::vector<DirectiveSeed> directives = {
      {"MPS-ATD",
       "MPS-ATD/2022/117",
       "Prevention of trafficking in and around the Golden Triangle SEZ",
       "On behalf of the National Anti-Trafficking Commission: the provincial Police Department, in coordination "
       "with the District Management Committees, steps up prevention in the SEZ, identifies workers at risk and "
       "reports the measures taken.",
       "2022-09-05",
       "2022-10-31",
       "High",
       false,
       {{"BK-PPD", "Done", "2022-09-06", "2022-10-28", {{"2022-10-28", "Measures reported to the Ministry."}}},
        {"BK-DMC-HXY", "Done", "2022-09-07", "2022-10-25", {{"2022-10-25", "Village briefings completed."}}},
        {"BK-DMC-TPH", "InProgress", "2022-09-06", nullptr, {{"2022-10-30", "Screening of SEZ workers ongoing."}}},
        {"BK-DMC-MNG", "Acknowledged", "2022-09-12", nullptr, {}},
        {"BK-DMC-POD", "Sent", nullptr, nullptr, {}},
        {"BK-DMC-PTH", "Done", "2022-09-08", "2022-10-20", {}}}},
      {"BK-PPD",
       "BK-PPD/TF/2022/04",
       "Report workers without passports for the repatriation lists",
       "Each district and the Foreign Affairs Department report, by nationality, the workers without passports "
       "or who did not pass immigration and who wish to return.",
       "2022-11-25",
       "2023-03-31",
       "Normal",
       true,
       {{"BK-FAD", "Acknowledged", "2022-11-26", nullptr, {}},
        {"BK-DMC-HXY", "InProgress", "2022-11-28", nullptr, {{"2023-01-10", "First list sent: 23 persons."}}},
        {"BK-DMC-TPH", "Sent", nullptr, nullptr, {}}}},
      {"NCATIP-SEC",
       "NCATIP/2022/58",
       "Action against fee demands for Covid tests, quarantine and work permits",
       "Employers may not make workers refund Covid tests, quarantine, work permits or other fees as a condition "
       "of leaving. The provincial police investigates every report and informs the secretariat.",
       "2022-12-01",
       "2023-01-15",
       "Urgent",
       false,
       {{"BK-PPD", "InProgress", "2022-12-02", nullptr, {{"2023-01-12", "Seven employers under investigation."}}}}},
  };
  for (const auto& d : directives) {
    json body = {{"issuing_agency_id", agency[d.issuer]},
                 {"dir_Reference", d.reference},
                 {"dir_Subject", d.subject},
                 {"dir_Text", d.text},
                 {"dir_IssuedOn", d.issued},
                 {"dir_DueDate", d.due},
                 {"dir_Priority", d.priority}};
    if (d.taskforce) body["taskforce_id"] = tf;
    CTIMS_ASSIGN_OR_RETURN(std::string directive_id, s.Put("directives", body, d.issued));
    for (const auto& r : d.recipients) {
      json rec = {{"directive_id", directive_id}, {"agency_id", agency[r.agency]}, {"drc_Status", r.status}};
      if (r.acknowledged != nullptr) rec["drc_AcknowledgedAt"] = Seeder::At(r.acknowledged);
      if (r.done != nullptr) rec["drc_DoneAt"] = Seeder::At(r.done);
      json progress = json::array();
      for (const auto& [date, note] : r.progress) progress.push_back({{"prg_Date", date}, {"prg_Note", note}});
      if (!progress.empty()) rec["drc_Progress"] = progress;
      CTIMS_ASSIGN_OR_RETURN(std::string id, s.Put("directive-recipients", rec, d.issued));
      if (std::string(r.status) != "Done") {
        CTIMS_RETURN_IF_ERROR(s.Task("ActOnDirective", "directive-recipients", id, agency[r.agency], d.due, d.issued));
      }
    }
  }
  CTIMS_RETURN_IF_ERROR(tx->Commit());
  return DemoTaskforceResult{s.records(), s.tasks()};
}

}  // namespace ctims::app
