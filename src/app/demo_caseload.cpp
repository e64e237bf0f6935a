#include "app/demo_caseload.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <unordered_map>
#include <vector>

#include "app/audit_log.hpp"
#include "app/demo_taskforce.hpp"
#include "app/field_cipher.hpp"
#include "app/person_search.hpp"
#include "app/record_service.hpp"
#include "app/record_service_util.hpp"
#include "domain/codelists.hpp"
#include "domain/diff.hpp"
#include "domain/schema.hpp"
#include "search/name_corpus.hpp"

namespace ctims::app {
namespace {

using core::Result;
using core::Status;
using nlohmann::json;

// ---- deterministic randomness -------------------------------------------------

// SplitMix64: small, fast, and the same on every platform (the standard
// library's distributions are not).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  std::int64_t Below(std::int64_t n) {
    return n <= 0 ? 0 : static_cast<std::int64_t>(Next() % static_cast<std::uint64_t>(n));
  }
  bool Chance(int percent) { return Below(100) < percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(Below(static_cast<std::int64_t>(v.size())))];
  }
  // Index drawn by integer weights.
  std::size_t Weighted(const std::vector<int>& weights) {
    int total = 0;
    for (int w : weights) total += w;
    std::int64_t r = Below(total);
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (r < weights[i]) return i;
      r -= weights[i];
    }
    return weights.size() - 1;
  }

 private:
  std::uint64_t state_;
};

// ---- dates ------------------------------------------------------------------

int Day(const char* date) {
  return core::ParseDateDays(date).value_or(0);
}
std::string DateOf(int day) {
  return core::FormatDate(core::TimePoint(std::chrono::hours(24) * day));
}
std::string Stamp(int day, Rng& rng) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%sT%02d:%02d:%02d.%03dZ", DateOf(day).c_str(), static_cast<int>(1 + rng.Below(10)),
                static_cast<int>(rng.Below(60)), static_cast<int>(rng.Below(60)), static_cast<int>(rng.Below(1000)));
  return buf;
}

// A UUIDv7-shaped id: the day's milliseconds, then seeded random bits.
std::string IdFor(int day, Rng& rng) {
  const std::uint64_t ms =
      static_cast<std::uint64_t>(day) * 86'400'000ULL + static_cast<std::uint64_t>(rng.Below(86'400'000));
  const std::uint64_t a = rng.Next();
  const std::uint64_t b = rng.Next();
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%08llx-%04llx-7%03llx-%04llx-%012llx",
                static_cast<unsigned long long>((ms >> 16) & 0xFFFFFFFFULL),
                static_cast<unsigned long long>(ms & 0xFFFF), static_cast<unsigned long long>(a & 0xFFF),
                static_cast<unsigned long long>(0x8000 | ((a >> 12) & 0x3FFF)),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return buf;
}

// ---- names (generated, fictional) ---------------------------------------------

// Names of the Mekong scripts come from search::MakeUpName (the project's own
// syllable inventories with their customary Latin spellings, combined freely
// so that a full name rarely repeats, as in a real caseload). The other
// nationalities write their names in Latin letters: given and family names
// from these pools, combined freely, some with a second given name. No real
// person is meant.
struct LatinPool {
  std::vector<const char*> given_female, given_male, family;
};

const LatinPool& LatinPoolFor(const std::string& country) {
  // Indonesia and Malaysia.
  static const LatinPool kMalay = {
      {"Siti", "Nur", "Dewi", "Sri", "Aisyah", "Putri", "Rina", "Wati", "Fitri", "Intan", "Lestari", "Yuni", "Ratna",
       "Nurul", "Aminah", "Farah"},
      {"Budi", "Agus", "Ahmad", "Rizal", "Hendra", "Joko", "Bambang", "Dedi", "Irfan", "Hafiz", "Rudi", "Arif",
       "Syahrul", "Eko", "Firdaus", "Hakim"},
      {"Santoso", "Wijaya", "Saputra", "Hidayat", "Kurniawan", "Setiawan", "Pratama", "Nugroho", "Rahman",   "Abdullah",
       "Ismail",  "Hassan", "Harahap", "Siregar", "Lubis",     "Nasution", "Hamzah",  "Yusof",   "Sulaiman", "Halim"}};
  // The Philippines.
  static const LatinPool kFilipino = {
      {"Maria", "Ana", "Rosa", "Joy", "Grace", "Liza", "Marites", "Cristina", "Jocelyn", "Rowena", "Analyn", "Lorna",
       "Imelda", "Teresa", "Divina", "Evelyn"},
      {"Jose", "Juan", "Mark", "Ramon", "Rodel", "Jun", "Arnel", "Romeo", "Danilo", "Ernesto", "Rolando", "Jerome",
       "Noel", "Reynaldo", "Efren", "Bong"},
      {"Reyes",      "Santos",  "Cruz",   "Bautista", "Garcia",    "Mendoza",  "Torres",
       "Villanueva", "Ramos",   "Aquino", "Castillo", "Dela Cruz", "Navarro",  "Soriano",
       "Manalo",     "Pascual", "Dizon",  "Salazar",  "Mercado",   "Tolentino"}};
  // Bangladesh, India, Nepal, Pakistan.
  static const LatinPool kSouthAsian = {
      {"Ayesha", "Sunita", "Fatema", "Nasrin", "Rina", "Priya", "Anjali", "Kavita", "Sabina", "Gita", "Laxmi", "Shirin",
       "Rubina", "Parvin", "Meena", "Sita"},
      {"Rahim", "Arjun", "Imran", "Karim", "Rajesh", "Suresh", "Ramesh", "Bikash", "Sanjay", "Faisal", "Tariq", "Anwar",
       "Dipak", "Hari", "Salim", "Naveed"},
      {"Hossain", "Tamang", "Khan",  "Ahmed", "Islam",     "Rai",  "Gurung", "Magar", "Thapa",   "Shrestha",
       "Sharma",  "Kumar",  "Singh", "Das",   "Chowdhury", "Miah", "Uddin",  "Ali",   "Qureshi", "Yadav"}};
  if (country == "PH") return kFilipino;
  if (country == "ID" || country == "MY") return kMalay;
  return kSouthAsian;
}

struct PersonName {
  std::string given_native, family_native;  // prs_FirstName, prs_SecondName ("" none)
  std::string latin;                        // the customary Latin spelling, words in native order
  const char* language = "en";
};

PersonName MakePersonName(const std::string& country, bool woman, Rng& names) {
  struct Script {
    const char* country;
    search::CorpusScript script;
    const char* language;
  };
  static constexpr Script kScripts[] = {
      {"LA", search::CorpusScript::kLao, "lo"},        {"TH", search::CorpusScript::kThai, "th"},
      {"MM", search::CorpusScript::kBurmese, "my"},    {"CN", search::CorpusScript::kChinese, "zh"},
      {"VN", search::CorpusScript::kVietnamese, "vi"}, {"KH", search::CorpusScript::kKhmer, "km"},
  };
  PersonName out;
  for (const Script& s : kScripts) {
    if (country != s.country) continue;
    const search::MadeUpName n = search::MakeUpName(s.script, woman, names.Next());
    // Vietnamese: the middle name goes with the given name ("Thị Lan"), as
    // agencies' forms have no middle-name box in native order.
    out.given_native = n.middle_native.empty() ? n.given_native : n.middle_native + " " + n.given_native;
    out.family_native = n.family_native;
    const std::string given = n.middle_latin.empty() ? n.given_latin : n.middle_latin + " " + n.given_latin;
    if (n.family_latin.empty()) {
      out.latin = given;
    } else {
      out.latin = n.family_first ? n.family_latin + " " + given : given + " " + n.family_latin;
    }
    out.language = s.language;
    return out;
  }
  const LatinPool& pool = LatinPoolFor(country);
  const auto& given = woman ? pool.given_female : pool.given_male;
  out.given_native = given[static_cast<std::size_t>(names.Below(static_cast<std::int64_t>(given.size())))];
  // A second given name, as many write it ("Maria Grace").
  if (names.Chance(30)) {
    out.given_native += ' ';
    out.given_native += given[static_cast<std::size_t>(names.Below(static_cast<std::int64_t>(given.size())))];
  }
  out.family_native = pool.family[static_cast<std::size_t>(names.Below(static_cast<std::int64_t>(pool.family.size())))];
  out.latin = out.given_native + " " + out.family_native;
  return out;
}

// Fictional employers in the Golden Triangle Special Economic Zone.
const std::vector<std::pair<const char*, const char*>>& Employers() {
  static const std::vector<std::pair<const char*, const char*>> kEmployers = {
      {"金星科技有限公司 (ສົມມຸດ)", "Golden Star Technology Co. (fictional)"},
      {"皇冠娱乐服务 (ສົມມຸດ)", "Crown Entertainment Services (fictional)"},
      {"湄公河网络营销 (ສົມມຸດ)", "Mekong Online Marketing Ltd. (fictional)"},
      {"ບໍລິສັດ ລາຊະສີມາ ຄາສິໂນ (ສົມມຸດ)", "Rachasima Casino Hospitality (fictional)"},
      {"三角洲数据中心 (ສົມມຸດ)", "Delta Data Centre Co. (fictional)"},
      {"Lotus Customer Care Outsourcing (fictional)", "Lotus Customer Care Outsourcing (fictional)"},
      {"富贵直播传媒 (ສົມມຸດ)", "Fortune Live Streaming Media (fictional)"},
      {"Silver River Recruitment (fictional)", "Silver River Recruitment (fictional)"},
      {"金木棉酒店管理 (ສົມມຸດ)", "Kapok Hotel Management (fictional)"},
      {"ບໍລິສັດ ນາກາ ກໍ່ສ້າງ (ສົມມຸດ)", "Naga Construction (fictional)"},
      {"Jade Dragon Investment Club (fictional)", "Jade Dragon Investment Club (fictional)"},
      {"新天地科技 (ສົມມຸດ)", "New Horizon Tech Support (fictional)"},
  };
  return kEmployers;
}

// ---- the caseload's groups ----------------------------------------------------

// Who leads, when, which nationalities, how many women: one group of the
// default caseload (sizes for kDefaultDemoPersons; scaled otherwise).
struct Group {
  const char* name;
  std::int64_t persons;
  std::int64_t women;  // exactly, at the default size
  std::vector<std::string> nationalities;
  std::vector<int> weights;
};

std::vector<Group> DefaultGroups() {
  return {
      {"dmc",
       869,
       341,
       {"LA", "MM", "TH", "CN", "VN", "KH", "ID", "PH", "MY", "BD", "NP", "IN", "PK"},
       {30, 20, 10, 10, 8, 5, 4, 3, 2, 2, 2, 2, 2}},
      {"fad", 138, 54, {"MM", "TH", "CN", "VN", "KH", "ID", "PH", "MY"}, {30, 15, 20, 10, 10, 6, 5, 4}},
      {"ppd", 248, 98, {"LA", "MM", "TH", "CN", "VN", "KH", "ID", "PH"}, {25, 25, 10, 15, 10, 5, 5, 5}},
      {"central", 40, 16, {"LA", "MM", "CN"}, {5, 3, 2}},
      {"later",
       305,
       120,
       {"LA", "MM", "TH", "CN", "VN", "KH", "ID", "PH", "MY", "BD"},
       {30, 20, 10, 10, 8, 5, 5, 4, 4, 4}},
  };
}

struct Agencies {
  std::map<std::string, std::string> id;    // code -> id
  std::map<std::string, std::string> path;  // code -> location path
  std::string ton_pheung_location;          // the SEZ's district
};

// ---- the writer ---------------------------------------------------------------

class Writer {
 public:
  Writer(Store& store, const DemoOptions& options, const Principal& caller)
      : store_(store), options_(options), caller_(caller), codelists_(domain::CodeLists::Builtin()) {}

  Status Begin() {
    CTIMS_ASSIGN_OR_RETURN(tx_, store_.Begin(TxMode::kWrite));
    return Status::Ok();
  }
  StoreTransaction& tx() { return *tx_; }

  // Writes one record with its history entry, as RecordService's create would.
  Status Put(const char* resource, const json& record, const std::string& id, const std::string& at,
             const AccessTag& tag) {
    const domain::ResourceSpec& spec = Spec(resource);
    if (options_.validate) {
      CTIMS_RETURN_IF_ERROR(detail::ValidateRecord(spec, record, codelists_, {"2023-01-31"}));
    }
    const TableDef& table = Table(spec);
    CTIMS_ASSIGN_OR_RETURN(StoredRecord stored, detail::ToStored(spec, table, record, id, options_.cipher));
    stored.version = 1;
    stored.created_at = stored.updated_at = at;
    if (spec.personal) stored.access = tag;
    CTIMS_ASSIGN_OR_RETURN(std::string changes,
                           detail::ChangesText(spec, id, 1, domain::Diff(json(), record), options_.cipher));
    history_.push_back({0, spec.name, id, 1, "create", caller_.user_id, at, std::move(changes), stored.access});
    pending_[Rank(spec)].push_back(std::move(stored));
    name_tokens_.Add(options_.cipher, spec.name, id, record);  // issue 8: the person search index
    ++records_;
    ++in_batch_;
    return Status::Ok();
  }

  // Commits when the batch is full (between persons, so a person's records
  // land together).
  Status MaybeCommit(std::int64_t persons_done) {
    if (in_batch_ < options_.batch_records) return Status::Ok();
    CTIMS_RETURN_IF_ERROR(Flush());
    CTIMS_RETURN_IF_ERROR(tx_->Commit());
    tx_.reset();  // releases the store's writer before the next batch begins
    in_batch_ = 0;
    if (options_.progress) options_.progress(persons_done);
    return Begin();
  }
  Status Finish() {
    CTIMS_RETURN_IF_ERROR(Flush());
    CTIMS_RETURN_IF_ERROR(tx_->Commit());
    tx_.reset();
    return Status::Ok();
  }
  std::int64_t records() const { return records_; }

 private:
  const domain::ResourceSpec& Spec(const char* name) {
    auto it = specs_.find(name);
    if (it != specs_.end()) return *it->second;
    const domain::ResourceSpec* spec = domain::FindResource(name);
    specs_[name] = spec;
    tables_[name] = TableFor(*spec);
    return *spec;
  }
  const TableDef& Table(const domain::ResourceSpec& spec) { return tables_.at(spec.name); }

  // The position of `spec` in domain::Resources(), whose order puts every
  // table after the tables it refers to: flushing in that order satisfies
  // the foreign keys whatever order the records were made in.
  static std::size_t Rank(const domain::ResourceSpec& spec) {
    const auto& all = domain::Resources();
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (all[i].name == spec.name) return i;
    }
    return all.size();
  }

  // Writes the batch: one InsertMany per table (COPY on PostgreSQL), then
  // the history entries.
  Status Flush() {
    const auto& all = domain::Resources();
    for (auto& [rank, records] : pending_) {
      if (records.empty()) continue;
      CTIMS_RETURN_IF_ERROR(tx_->InsertMany(Table(all[rank]), records));
      records.clear();
    }
    CTIMS_RETURN_IF_ERROR(name_tokens_.Flush(*tx_));
    CTIMS_RETURN_IF_ERROR(tx_->AppendHistoryMany(history_));
    history_.clear();
    return Status::Ok();
  }

  Store& store_;
  const DemoOptions& options_;
  const Principal& caller_;
  const domain::CodeLists& codelists_;
  std::unique_ptr<StoreTransaction> tx_;
  std::map<std::string, const domain::ResourceSpec*> specs_;
  std::map<std::string, TableDef> tables_;
  std::map<std::size_t, std::vector<StoredRecord>> pending_;  // Rank -> records of this batch
  std::vector<HistoryEntry> history_;                         // this batch's, in creation order
  PersonTokenBatch name_tokens_;                              // this batch's (issue 8)
  std::int64_t records_ = 0;
  std::size_t in_batch_ = 0;
};

Result<Agencies> LoadAgencies(StoreTransaction& tx) {
  Agencies out;
  const TableDef lt = TableFor(*domain::FindResource("locations"));
  const TableDef at = TableFor(*domain::FindResource("agencies"));
  std::unordered_map<std::string, std::string> parent;
  std::unordered_map<std::string, std::string> code_of;
  ListQuery q;
  q.limit = 100000;
  CTIMS_ASSIGN_OR_RETURN(auto locations, tx.List(lt, q));
  for (const auto& r : locations) {
    json b = json::parse(r.body, nullptr, false);
    if (auto p = detail::ColumnValue(lt, r, "parent_id"); p) parent[r.id] = *p;
    code_of[r.id] = detail::ColumnValue(lt, r, "loc_Code").value_or(b.is_object() ? b.value("loc_Code", "") : "");
    if (code_of[r.id] == "LA-BK-02") out.ton_pheung_location = r.id;
  }
  CTIMS_ASSIGN_OR_RETURN(auto agencies, tx.List(at, q));
  for (const auto& r : agencies) {
    const json b = json::parse(r.body, nullptr, false);
    if (!b.is_object()) continue;
    const std::string code = detail::ColumnValue(at, r, "org_Code").value_or(b.value("org_Code", ""));
    out.id[code] = r.id;
    std::vector<std::string> chain;
    auto loc = detail::ColumnValue(at, r, "location_id");
    while (loc && chain.size() < 16) {
      chain.push_back(*loc);
      auto it = parent.find(*loc);
      loc = it == parent.end() ? std::nullopt : std::optional<std::string>(it->second);
    }
    std::string path;
    if (!chain.empty()) {
      path = "/";
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) path += *it + "/";
    }
    out.path[code] = path;
  }
  for (const char* code : {"MPS-ATD", "NCATIP-SEC", "BK-PPD", "BK-FAD", "BK-DMC-HXY", "BK-DMC-TPH", "BK-DMC-MNG",
                           "BK-DMC-POD", "BK-DMC-PTH", "BK-LWU-SHELTER"}) {
    if (!out.id.contains(code)) {
      return Status::Conflict(std::string("agency ") + code + " is missing: load the reference data first");
    }
  }
  if (out.ton_pheung_location.empty()) return Status::Conflict("location LA-BK-02 is missing");
  return out;
}

}  // namespace

Result<DemoResult> GenerateDemoCaseload(Store& store, const DemoOptions& options, const Principal& caller) {
  if (options.persons < 0) return Status::InvalidArgument("persons must not be negative", {{"persons", "min", "0"}});
  Rng rng(options.seed * 0x2545F4914F6CDD1DULL + 0x5EED);
  Rng ids(options.seed ^ 0xD1B54A32D192ED03ULL);
  Rng names(options.seed ^ 0x6A09E667F3BCC909ULL);  // persons' names only (see MakePersonName)
  Writer w(store, options, caller);
  CTIMS_RETURN_IF_ERROR(w.Begin());
  {
    ListQuery any;
    any.limit = 1;
    any.access = AccessFilter{AccessFilter::Kind::kAll, "", "", "", "", true};
    CTIMS_ASSIGN_OR_RETURN(auto existing, w.tx().List(TableFor(*domain::FindResource("cases")), any));
    if (!existing.empty()) {
      return Status::Conflict("the database already has cases: the demo caseload needs a fresh database");
    }
  }
  CTIMS_ASSIGN_OR_RETURN(const Agencies ag, LoadAgencies(w.tx()));
  DemoResult result;

  // Employers in the SEZ (organisations are not personal records).
  std::vector<std::string> employers;
  const int org_day = Day("2021-06-01");
  for (const auto& [native, latin] : Employers()) {
    const std::string id = IdFor(org_day, ids);
    json org = {{"org_Name", native},
                {"org_NameLatin", latin},
                {"org_Category", "Employer"},
                {"org_Type", "CorporateBusiness"},
                {"org_ShippingCountry", "LA"},
                {"org_ShippingState", "Bokeo"},
                {"org_ShippingCity", "Golden Triangle Special Economic Zone"},
                {"location_id", ag.ton_pheung_location},
                {"org_Notes", "Fictional company generated by ctims demo; any likeness to a real one is chance."}};
    CTIMS_RETURN_IF_ERROR(w.Put("organisations", org, id, Stamp(org_day, rng), AccessTag{}));
    employers.push_back(id);
    ++result.organisations;
  }

  // Group sizes, scaled from the default.
  std::vector<Group> groups = DefaultGroups();
  {
    std::int64_t assigned = 0;
    for (std::size_t g = 0; g < groups.size(); ++g) {
      const std::int64_t base = groups[g].persons;
      const std::int64_t size =
          g + 1 == groups.size() ? options.persons - assigned : options.persons * base / kDefaultDemoPersons;
      groups[g].women = size == base ? groups[g].women : size * groups[g].women / std::max<std::int64_t>(base, 1);
      groups[g].persons = size;
      assigned += size;
    }
  }

  const std::vector<std::string> dmcs = {"BK-DMC-HXY", "BK-DMC-TPH", "BK-DMC-MNG", "BK-DMC-POD", "BK-DMC-PTH"};
  const std::vector<int> dmc_weights = {40, 25, 10, 10, 15};
  const int period_start = Day("2022-01-03");
  const int period_end = Day("2022-08-31");  // last day before the report's `to`
  const int later_start = Day("2022-09-01");
  const int later_end = Day("2022-12-20");

  // Open investigations of the PPD: resolved batches for the ppd group, an
  // open one for everyone else it covers.
  struct Investigation {
    std::string id;
    int opened = 0;
  };
  std::int64_t done = 0;
  std::string ppd_open_investigation;
  std::string resolved_investigation;
  int resolved_left = 0;

  // The plan: who is in which group, woman or not, nationality, opening
  // day and lead agency. Persons are then written in order of their opening
  // day, so that ids (time-ordered, like UUIDv7) and every index grow at
  // their end instead of at random places: the write stays sequential.
  struct Planned {
    int opened = 0;
    std::uint8_t group = 0;
    std::uint8_t nationality = 0;
    std::uint8_t lead = 0;  // index into lead_codes
    bool woman = false;
  };
  const std::vector<std::string> lead_codes = {"BK-DMC-HXY", "BK-DMC-TPH", "BK-DMC-MNG", "BK-DMC-POD",    "BK-DMC-PTH",
                                               "BK-FAD",     "BK-PPD",     "MPS-ATD",    "BK-LWU-SHELTER"};
  auto lead_index = [&](const std::string& code) {
    return static_cast<std::uint8_t>(std::find(lead_codes.begin(), lead_codes.end(), code) - lead_codes.begin());
  };
  std::vector<Planned> plan;
  plan.reserve(static_cast<std::size_t>(std::max<std::int64_t>(options.persons, 0)));
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const Group& group = groups[g];
    const std::string gname = group.name;
    // Exactly `women` of the group's persons are women: a seeded shuffle.
    std::vector<char> female(static_cast<std::size_t>(group.persons), 0);
    for (std::int64_t i = 0; i < group.women && i < group.persons; ++i) female[static_cast<std::size_t>(i)] = 1;
    for (std::int64_t i = group.persons - 1; i > 0; --i) {
      std::swap(female[static_cast<std::size_t>(i)], female[static_cast<std::size_t>(rng.Below(i + 1))]);
    }
    for (std::int64_t i = 0; i < group.persons; ++i) {
      Planned pl;
      pl.group = static_cast<std::uint8_t>(g);
      pl.woman = female[static_cast<std::size_t>(i)] != 0;
      // Every nationality of the group appears (the first persons take one
      // each), the rest by weight.
      pl.nationality = static_cast<std::uint8_t>(
          i < static_cast<std::int64_t>(group.nationalities.size()) ? i : rng.Weighted(group.weights));
      if (gname == "dmc") {
        pl.opened = period_start + static_cast<int>(rng.Below(period_end - period_start + 1));
        pl.lead = lead_index(dmcs[rng.Weighted(dmc_weights)]);
      } else if (gname == "fad") {
        pl.opened = period_start + static_cast<int>(rng.Below(period_end - 20 - period_start));
        pl.lead = lead_index("BK-FAD");
      } else if (gname == "ppd") {
        pl.opened = period_start + static_cast<int>(rng.Below(Day("2022-07-15") - period_start));
        pl.lead = lead_index("BK-PPD");
      } else if (gname == "central") {
        pl.opened = period_start + static_cast<int>(rng.Below(period_end - period_start + 1));
        pl.lead = lead_index("MPS-ATD");
      } else {
        pl.opened = later_start + static_cast<int>(rng.Below(later_end - later_start + 1));
        const std::size_t pick = rng.Weighted({60, 15, 20, 5});
        pl.lead = lead_index(pick == 0   ? dmcs[rng.Weighted(dmc_weights)]
                             : pick == 1 ? "BK-FAD"
                             : pick == 2 ? "BK-PPD"
                                         : "BK-LWU-SHELTER");
      }
      plan.push_back(pl);
    }
  }
  std::stable_sort(plan.begin(), plan.end(), [](const Planned& a, const Planned& b) { return a.opened < b.opened; });

  for (const Planned& pl : plan) {
    const Group& group = groups[pl.group];
    const std::string gname = group.name;
    const bool woman = pl.woman;
    const std::string& nationality = group.nationalities[pl.nationality];
    const bool foreign = nationality != "LA";
    const int opened = pl.opened;
    const std::string& lead = lead_codes[pl.lead];
    // FAD cases often came from a DMC by transfer within the period; a
    // few DMC cases went to the FAD after it (they still count as DMC).
    const bool transferred_in = gname == "fad" && rng.Chance(40);
    const bool transferred_later = gname == "dmc" && foreign && rng.Chance(4);
    const std::string first_owner = transferred_in ? dmcs[rng.Weighted(dmc_weights)] : lead;
    const std::string owner = transferred_later ? std::string("BK-FAD") : lead;

    // ---- the person ----
    // Names have their own stream; the two draws the fixed name pools used
    // to take are still taken, so every other draw (and each figure of the
    // demo reports) stays where it was.
    rng.Next();
    rng.Next();
    const PersonName name = MakePersonName(nationality, woman, names);
    const std::string person_id = IdFor(opened, ids);
    const std::string at = Stamp(opened, rng);
    const int age = rng.Chance(6) ? 14 + static_cast<int>(rng.Below(4)) : 18 + static_cast<int>(rng.Below(28));
    json person = {{"prs_FirstName", name.given_native},
                   {"prs_LatinNames", json::array({name.latin})},
                   {"prs_Sex", woman ? "Female" : "Male"},
                   {"prs_Citizenship", json::array({nationality})},
                   {"prs_PrimaryLanguage", name.language}};
    if (!name.family_native.empty()) person["prs_SecondName"] = name.family_native;
    if (rng.Chance(70)) {
      const int born = opened - age * 365 - static_cast<int>(rng.Below(365));
      person["prs_Birthdate"] = DateOf(born);
    } else {
      person["prs_EstimatedAge"] = age;
      person["prs_AgeEstimatedOn"] = DateOf(opened);
    }
    const bool passport_withheld = foreign && rng.Chance(35);
    if (passport_withheld) {
      person["prs_IdentityDocuments"] = json::array(
          {{{"doc_Type", "Passport"}, {"doc_IssuingCountry", nationality}, {"doc_Status", "WithheldByEmployer"}}});
    } else if (foreign && rng.Chance(50)) {
      person["prs_IdentityDocuments"] = json::array({{{"doc_Type", "Passport"}, {"doc_Status", "None"}}});
    }
    AccessTag person_tag{caller.user_id, ag.id.at(first_owner), ag.path.at(first_owner), "", false};
    CTIMS_RETURN_IF_ERROR(w.Put("persons", person, person_id, at, person_tag));

    // ---- the case ----
    const std::string case_id = IdFor(opened, ids);
    const AccessTag tag{caller.user_id, ag.id.at(owner), ag.path.at(owner), case_id, false};
    json kase = {{"person_id", person_id},
                 {"owner_agency_id", ag.id.at(owner)},
                 {"cas_Status", "Active"},
                 {"cas_OpenedOn", DateOf(opened)}};
    // Exploitation seen in the SEZ (DESIGN.md §1).
    const std::size_t kind = rng.Weighted({55, 12, 8, woman ? 6 : 0, 7, 12});
    std::string industry;
    switch (kind) {
      case 0:  // scam compounds and casinos
        kase["vic_TypeOfExploitation"] = {"ForcedLabour"};
        industry = rng.Chance(60) ? "J_InformationAndCommunication" : "R_ArtsEntertainmentAndRecreation";
        kase["vic_ForcedLabourIndustry"] = {industry};
        kase["vic_RecruitmentWebsitesAndApps"] = {rng.Chance(50) ? "Facebook" : "Telegram"};
        break;
      case 1:  // forced sexual services
        kase["vic_TypeOfExploitation"] = {"SexualExploitation"};
        kase["vic_TypeOfSexExploitation"] = {rng.Chance(70) ? "Prostitution" : "PrivateSexualServices"};
        break;
      case 2:  // live broadcasting of nudity and sex (online sexual exploitation)
        kase["vic_TypeOfExploitation"] = {"SexualExploitation", "ForcedLabour"};
        kase["vic_TypeOfSexExploitation"] = {"RemoteInteractiveServices", "Pornography"};
        kase["vic_ExploitationWebsitesAndApps"] = {rng.Chance(50) ? "TikTok" : "WeChat"};
        industry = "J_InformationAndCommunication";
        break;
      case 3:  // hiring of pregnant women: surrogacy
        kase["vic_TypeOfExploitation"] = {"Surrogacy"};
        break;
      case 4:
        kase["vic_TypeOfExploitation"] = {"ForcedLabour"};
        industry = rng.Chance(50) ? "F_Construction" : "I_AccommodationAndFoodServiceActivities";
        kase["vic_ForcedLabourIndustry"] = {industry};
        break;
      default: break;  // not (yet) recorded
    }
    const bool screened = gname == "ppd" || rng.Chance(70);
    std::string status;
    if (screened) {
      const std::size_t s = rng.Weighted({60, 35, 5});
      status = s == 0   ? "ActualVictimOfTrafficking"
               : s == 1 ? "PossibleVictimOfTrafficking"
                        : "NotAVictimOfTrafficking";
      kase["vic_TraffickingStatus"] = status;
      kase["vic_TraffickingStatusDecisionMakingOrg"] =
          owner == "BK-PPD" ? "Police" : "NonPoliceGovernmentalOrganization";
    }
    if (rng.Chance(30)) {
      kase["cas_Summary"] =
          "Fictional demo case: recruited online with a promise of a well-paid job, held in "
          "the zone, wages not paid as agreed.";
    }
    kase["vic_MethodsOfControl"] = {{"DebtBondage", rng.Chance(40) ? "Yes" : "Unknown"},
                                    {"WithholdsDocuments", passport_withheld ? "Yes" : "Unknown"},
                                    {"ExcessiveWorkingHours", rng.Chance(50) ? "Yes" : "Unknown"}};
    CTIMS_RETURN_IF_ERROR(w.Put("cases", kase, case_id, Stamp(opened, rng), tag));

    // ---- what happened to them ----
    int day = opened;
    auto put = [&](const char* resource, const json& record, int on) -> Status {
      return w.Put(resource, record, IdFor(on, ids), Stamp(on, rng), tag);
    };
    static const std::vector<std::string> kFirstServices = {"Shelter", "Food", "Medical", "Psychosocial",
                                                            "Interpretation"};
    CTIMS_RETURN_IF_ERROR(put("assistance",
                              {{"case_id", case_id},
                               {"agency_id", ag.id.at(first_owner)},
                               {"ast_Date", DateOf(day)},
                               {"ast_ServiceType", rng.Pick(kFirstServices)}},
                              day));
    if (screened) {
      CTIMS_RETURN_IF_ERROR(
          put("screenings",
              {{"case_id", case_id},
               {"agency_id", ag.id.at(first_owner)},
               {"scr_Date", DateOf(day)},
               {"scr_InterviewLanguage", name.language},
               {"scr_Indicators",
                {{{"ind_Code", "DeceivedAboutJob"}, {"ind_Answer", "Yes"}},
                 {{"ind_Code", "RecruitmentFeeDebt"}, {"ind_Answer", rng.Chance(50) ? "Yes" : "No"}}}},
               {"scr_Status", "Confirmed"},
               {"scr_Assessment", status == "NotAVictimOfTrafficking" ? "LabourDispute" : "PossibleTrafficking"},
               {"scr_DecidedStatus", status}},
              day));
    }
    if (foreign) {
      const std::size_t crossing = rng.Weighted({60, 20, 20});
      CTIMS_RETURN_IF_ERROR(put("immigration-statuses",
                                {{"case_id", case_id},
                                 {"imm_BorderCrossing", crossing == 0   ? "Irregular"
                                                        : crossing == 1 ? "PassportNotStamped"
                                                                        : "Regular"},
                                 {"imm_DocumentStatus", passport_withheld ? "DocumentsWithheld"
                                                        : crossing == 2   ? "ValidDocuments"
                                                                          : "NoDocuments"},
                                 {"imm_WishToReturn", "Yes"},
                                 {"imm_ReturnCountry", nationality}},
                                day));
    }
    // Employment in the zone; some contracts sold on to another company,
    // with fees demanded before the worker may leave.
    if (!industry.empty() && rng.Chance(70)) {
      const int start = opened - 60 - static_cast<int>(rng.Below(300));
      const std::string first_job = IdFor(start, ids);
      const std::string employer = rng.Pick(employers);
      CTIMS_RETURN_IF_ERROR(w.Put("employment-episodes",
                                  {{"case_id", case_id},
                                   {"employer_id", employer},
                                   {"emp_Industry", {industry}},
                                   {"emp_ContractStart", DateOf(start)},
                                   {"emp_PromisedWage", {{"amount", 1000 + 100 * rng.Below(20)}, {"currency", "USD"}}},
                                   {"emp_HoursPerDay", 12 + rng.Below(5)}},
                                  first_job, Stamp(opened, rng), tag));
      std::string last_job = first_job;
      if (rng.Chance(15)) {
        const int sold = start + 30 + static_cast<int>(rng.Below(std::max(1, opened - start - 30)));
        last_job = IdFor(sold, ids);
        std::string buyer = rng.Pick(employers);
        if (buyer == employer)
          buyer = employers[(std::find(employers.begin(), employers.end(), buyer) - employers.begin() + 1) %
                            employers.size()];
        CTIMS_RETURN_IF_ERROR(
            w.Put("employment-episodes",
                  {{"case_id", case_id},
                   {"employer_id", buyer},
                   {"previous_episode_id", first_job},
                   {"emp_TransferType", rng.Chance(60) ? "ContractExpiredSold" : "SoldDuringContract"},
                   {"emp_Industry", {industry}},
                   {"emp_ContractStart", DateOf(std::min(sold, opened))}},
                  last_job, Stamp(opened, rng), tag));
      }
      if (rng.Chance(45)) {
        static const std::vector<std::string> kFees = {"CovidTest", "Quarantine", "WorkPermit", "RecruitmentFee",
                                                       "Penalty"};
        CTIMS_RETURN_IF_ERROR(put("claims",
                                  {{"case_id", case_id},
                                   {"employment_episode_id", last_job},
                                   {"claimant_id", employer},
                                   {"clm_Kind", rng.Pick(kFees)},
                                   {"clm_Direction", "DemandedFromWorker"},
                                   {"clm_Amount", 5000 + 1000 * rng.Below(40)},
                                   {"clm_Currency", rng.Chance(50) ? "THB" : "CNY"},
                                   {"clm_Status", rng.Chance(70) ? "Demanded" : "Outstanding"},
                                   {"clm_Date", DateOf(opened)}},
                                  opened));
      }
    }
    // Transfers of ownership.
    if (transferred_in || transferred_later) {
      const int answered = transferred_in ? opened + 3 + static_cast<int>(rng.Below(10))
                                          : Day("2022-10-01") + static_cast<int>(rng.Below(60));
      const std::string from = transferred_in ? first_owner : lead;
      const std::string consent = IdFor(opened, ids);
      CTIMS_RETURN_IF_ERROR(w.Put(
          "consents",
          {{"case_id", case_id}, {"cns_Purpose", "Referral"}, {"cns_Status", "Given"}, {"cns_Date", DateOf(opened)}},
          consent, Stamp(opened, rng), tag));
      CTIMS_RETURN_IF_ERROR(put("transfers",
                                {{"case_id", case_id},
                                 {"to_agency_id", ag.id.at("BK-FAD")},
                                 {"from_agency_id", ag.id.at(from)},
                                 {"trf_Reason", "Foreign national: embassy contact and repatriation."},
                                 {"trf_Status", "Accepted"},
                                 {"consent_id", consent},
                                 {"trf_RequestedAt", Stamp(answered - 2, rng)},
                                 {"trf_AnsweredAt", Stamp(answered, rng)}},
                                answered - 2));
      CTIMS_RETURN_IF_ERROR(put("assistance",
                                {{"case_id", case_id},
                                 {"agency_id", ag.id.at("BK-FAD")},
                                 {"ast_Date", DateOf(answered)},
                                 {"ast_ServiceType", "Documents"}},
                                answered));
    }
    // Referrals to the shelter and, for foreign nationals, to the FAD.
    if (gname != "central" && owner != "BK-LWU-SHELTER" && rng.Chance(gname == "ppd" ? 30 : 25)) {
      const std::string to = foreign && owner != "BK-FAD" && rng.Chance(40) ? "BK-FAD" : "BK-LWU-SHELTER";
      const int requested = opened + 1;
      const std::size_t outcome = rng.Weighted({80, 10, 6, 4});  // accepted, completed, declined, unanswered
      const std::string consent = IdFor(opened, ids);
      CTIMS_RETURN_IF_ERROR(w.Put(
          "consents",
          {{"case_id", case_id}, {"cns_Purpose", "Referral"}, {"cns_Status", "Given"}, {"cns_Date", DateOf(opened)}},
          consent, Stamp(opened, rng), tag));
      const std::string req_at = Stamp(requested, rng);
      const int answer_days = rng.Chance(85) ? 1 : 3 + static_cast<int>(rng.Below(4));  // some answered late
      json ref = {
          {"case_id", case_id},
          {"to_agency_id", ag.id.at(to)},
          {"from_agency_id", ag.id.at(owner)},
          {"ref_Reason", to == "BK-FAD" ? "Embassy contact and travel documents." : "Safe shelter and counselling."},
          {"ref_Urgency", rng.Chance(20) ? "Urgent" : "Routine"},
          {"ref_ServicesRequested", {to == "BK-FAD" ? "Documents" : "Shelter"}},
          {"consent_id", consent},
          {"ref_RequestedAt", req_at},
          {"ref_DueAt", Stamp(requested + 2, rng).substr(0, 10) + req_at.substr(10)}};
      ref["ref_Status"] = outcome == 0   ? "Accepted"
                          : outcome == 1 ? "Completed"
                          : outcome == 2 ? "Declined"
                                         : "Requested";
      if (outcome != 3) ref["ref_AnsweredAt"] = Stamp(requested + answer_days, rng);
      if (outcome == 2) ref["ref_DeclineReason"] = "No place available; referred elsewhere.";
      CTIMS_RETURN_IF_ERROR(put("referrals", ref, requested));
      if (outcome <= 1) {
        CTIMS_RETURN_IF_ERROR(put("assistance",
                                  {{"case_id", case_id},
                                   {"agency_id", ag.id.at(to)},
                                   {"ast_Date", DateOf(requested + answer_days)},
                                   {"ast_ServiceType", to == "BK-FAD" ? "Documents" : "Shelter"}},
                                  requested + answer_days));
      }
    }
    // Returns home for foreign nationals.
    if (foreign && (owner == "BK-FAD" || rng.Chance(15)) && rng.Chance(60)) {
      const int planned = opened + 20 + static_cast<int>(rng.Below(40));
      const std::size_t s = rng.Weighted({45, 20, 15, 15, 5});
      static const std::vector<std::string> kStates = {"Received", "Departed", "DocumentsReady", "Planned",
                                                       "Cancelled"};
      json rep = {{"case_id", case_id},
                  {"rep_Direction", "Outbound"},
                  {"rep_DestinationCountry", nationality},
                  {"rep_EmbassyStatus", "Contacted"},
                  {"rep_TravelDocumentStatus", s <= 2 ? "Issued" : "Requested"},
                  {"rep_BorderCrossingPoint", "Houayxay - Chiang Khong (Friendship Bridge IV)"},
                  {"rep_PlannedDate", DateOf(planned)},
                  {"rep_Status", kStates[s]}};
      if (s <= 1 && planned <= Day("2023-01-15")) rep["rep_DepartureDate"] = DateOf(planned);
      if (s == 0 && planned <= Day("2023-01-14")) rep["rep_ArrivalDate"] = DateOf(planned + 1);
      if (s == 4) rep["rep_CancelReason"] = "The person chose to stay with family in Laos.";
      if (rng.Chance(40)) {
        rep["rep_OutstandingDebtAmount"] = 20000 + 1000 * rng.Below(50);
        rep["rep_OutstandingDebtCurrency"] = "CNY";
      }
      CTIMS_RETURN_IF_ERROR(put("repatriations", rep, planned));
    }
    // Investigations: the ppd group's are resolved in the period, in
    // batches of up to 8 victims; some others are linked to one still open.
    if (gname == "ppd" || (gname != "central" && rng.Chance(8))) {
      std::string inv;
      if (gname == "ppd") {
        if (resolved_left == 0) {
          resolved_investigation = IdFor(opened, ids);
          const int resolved_on = Day("2022-07-20") + static_cast<int>(rng.Below(42));
          CTIMS_RETURN_IF_ERROR(w.Put(
              "investigations",
              {{"inv_Reference", "BK-PPD-DEMO-" + std::to_string(result.persons)},
               {"agency_id", ag.id.at("BK-PPD")},
               {"inv_Offences", {"LaoPenalCode215", "UnlawfulDetention"}},
               {"inv_OpenedOn", DateOf(opened)},
               {"inv_Summary", "Fictional raid on a compound in the zone."},
               {"inv_Organisations", {{{"organisation_id", rng.Pick(employers)}, {"org_Involvement", "Employer"}}}},
               {"inv_Status", "Resolved"},
               {"inv_ResolvedOn", DateOf(resolved_on)}},
              resolved_investigation, Stamp(opened, rng),
              AccessTag{caller.user_id, ag.id.at("BK-PPD"), ag.path.at("BK-PPD"), "", false}));
          resolved_left = 8;
        }
        --resolved_left;
        inv = resolved_investigation;
      } else {
        if (ppd_open_investigation.empty()) {
          ppd_open_investigation = IdFor(Day("2022-01-03"), ids);
          CTIMS_RETURN_IF_ERROR(w.Put("investigations",
                                      {{"inv_Reference", "BK-PPD-DEMO-OPEN"},
                                       {"agency_id", ag.id.at("BK-PPD")},
                                       {"inv_Offences", {"LaoPenalCode215", "Fraud"}},
                                       {"inv_OpenedOn", "2022-01-03"},
                                       {"inv_Status", "Investigating"}},
                                      ppd_open_investigation, Stamp(Day("2022-01-03"), rng),
                                      AccessTag{caller.user_id, ag.id.at("BK-PPD"), ag.path.at("BK-PPD"), "", false}));
        }
        inv = ppd_open_investigation;
      }
      CTIMS_RETURN_IF_ERROR(put("investigation-victims", {{"investigation_id", inv}, {"case_id", case_id}}, day));
    }
    ++result.persons;
    ++done;
    CTIMS_RETURN_IF_ERROR(w.MaybeCommit(done));
  }
  CTIMS_RETURN_IF_ERROR(w.Finish());
  result.records = w.records();
  // issue 7: the Bokeo taskforce, its plan of action and directives.
  CTIMS_ASSIGN_OR_RETURN(const DemoTaskforceResult taskforce, SeedDemoTaskforce(store, options, caller));
  result.records += taskforce.records;
  if (options.audit != nullptr) {
    AuditEvent e;
    e.user_id = caller.user_id;
    e.role = caller.role.code;
    e.agency_id = caller.agency_id;
    e.client_ip = caller.client_ip;
    e.action = "demo_generate";
    e.resource = "cases";
    e.outcome = "ok";
    CTIMS_RETURN_IF_ERROR(options.audit->Record(e));
  }
  return result;
}

}  // namespace ctims::app
