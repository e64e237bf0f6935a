// No input makes the server answer 500: a seeded random loop of JSON values,
// random bytes and random field names sent to every resource.

#include <cstdlib>
#include <random>

#include "domain/schema.hpp"
#include "test_server.hpp"

namespace ctims::api_test {
namespace {

class Fuzzer {
 public:
  explicit Fuzzer(std::uint32_t seed) : rng_(seed) {}

  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int>(v.size()) - 1))];
  }

  std::string Bytes(size_t max_len) {
    std::string s(static_cast<size_t>(Int(0, static_cast<int>(max_len))), '\0');
    for (auto& c : s) c = static_cast<char>(Int(0, 255));
    return s;
  }

  std::string String() {
    static const std::vector<std::string> kStrings = {"",
                                                      " ",
                                                      "\t\n",
                                                      "NA",
                                                      "na",
                                                      "LA",
                                                      "XX",
                                                      "XS",
                                                      "Active",
                                                      "Closed",
                                                      "2023-02-29",
                                                      "2022-13-01",
                                                      "2025-06-15",
                                                      "2025-06-16",
                                                      "1799-12-31",
                                                      "9999-12-31",
                                                      "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b",
                                                      "00000000-0000-0000-0000-000000000000",
                                                      "ມະນີວອນ",
                                                      "ค่าจ้าง",
                                                      "纳米比亚",
                                                      "\xF0\x9F\x98\x80",
                                                      "line\u0001control",
                                                      "'; DROP TABLE persons; --",
                                                      "$.prs_FirstName",
                                                      "%s%n%x",
                                                      "\\",
                                                      "\"",
                                                      "null",
                                                      "+8562055512345",
                                                      "12ab",
                                                      "a@b",
                                                      "CovidTest",
                                                      "Quarantine",
                                                      "ContractExpiredSold",
                                                      "THB",
                                                      "lo"};
    if (Chance(0.7)) return Pick(kStrings);
    if (Chance(0.2)) return std::string(static_cast<size_t>(Int(190, 20100)), 'x');
    std::string s;
    const int n = Int(0, 12);
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>(Int(0x20, 0x7E)));
    return s;
  }

  json Scalar() {
    switch (Int(0, 9)) {
      case 0: return nullptr;
      case 1: return Chance(0.5);
      case 2: return Int(-5, 200);
      case 3: return static_cast<std::int64_t>(std::uniform_int_distribution<std::int64_t>()(rng_));
      case 4: return std::numeric_limits<std::uint64_t>::max();
      case 5: return std::uniform_real_distribution<double>(-1e6, 1e6)(rng_);
      case 6: return Chance(0.5) ? 1e300 : -1e-300;
      default: return String();
    }
  }

  json Value(int depth) {
    if (depth <= 0 || Chance(0.5)) return Scalar();
    if (Chance(0.5)) {
      json a = json::array();
      const int n = Int(0, 4);
      for (int i = 0; i < n; ++i) a.push_back(Value(depth - 1));
      return a;
    }
    json o = json::object();
    const int n = Int(0, 4);
    for (int i = 0; i < n; ++i) o[Key(nullptr)] = Value(depth - 1);
    return o;
  }

  // A field name: mostly real ones of `spec` (and of nested objects), some
  // meta fields, some random.
  std::string Key(const domain::ResourceSpec* spec) {
    if (spec != nullptr && Chance(0.7)) {
      const auto& f = spec->fields[static_cast<size_t>(Int(0, static_cast<int>(spec->fields.size()) - 1))];
      return f.name;
    }
    static const std::vector<std::string> kKeys = {"id",       "version", "created_at",  "updated_at", "",
                                                   "bogus",    "a.b",     "$where",      "__proto__",  "prs_firstname",
                                                   "doc_Type", "amount",  "DebtBondage", "ມະນີ",        "\"quoted\""};
    if (Chance(0.8)) return Pick(kKeys);
    std::string s;
    const int n = Int(1, 10);
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>(Int(0x21, 0x7E)));
    return s;
  }

  // A value shaped for `f` most of the time, random otherwise.
  json ValueFor(const domain::FieldSpec& f, const std::map<std::string, std::string>& ids) {
    if (Chance(0.3)) return Value(3);
    switch (f.type) {
      case domain::FieldType::kRef:
        if (ids.contains(f.ref) && Chance(0.8)) return ids.at(f.ref);
        return String();
      case domain::FieldType::kCodeSet:
      case domain::FieldType::kStringList: {
        json a = json::array();
        const int n = Int(0, 3);
        for (int i = 0; i < n; ++i) a.push_back(String());
        return a;
      }
      case domain::FieldType::kObject: {
        json o = json::object();
        for (const auto& sub : f.fields) {
          if (Chance(0.5)) o[sub.name] = ValueFor(sub, ids);
        }
        return o;
      }
      case domain::FieldType::kObjectList: {
        json a = json::array();
        const int n = Int(0, 2);
        for (int i = 0; i < n; ++i) {
          json o = json::object();
          for (const auto& sub : f.fields) {
            if (Chance(0.6)) o[sub.name] = ValueFor(sub, ids);
          }
          a.push_back(o);
        }
        return a;
      }
      case domain::FieldType::kInteger:
      case domain::FieldType::kNumber: return Chance(0.5) ? json(Int(-10, 200)) : Scalar();
      case domain::FieldType::kBoolean: return Chance(0.8) ? json(Chance(0.5)) : Scalar();
      default: return String();
    }
  }

  json Object(const domain::ResourceSpec& spec, const std::map<std::string, std::string>& ids) {
    json o = json::object();
    const int n = Int(0, 8);
    for (int i = 0; i < n; ++i) {
      const std::string key = Key(&spec);
      const auto* f = spec.FindField(key);
      o[key] = f != nullptr ? ValueFor(*f, ids) : Value(2);
    }
    return o;
  }

  std::string Body(const domain::ResourceSpec& spec, const std::map<std::string, std::string>& ids) {
    switch (Int(0, 9)) {
      case 0: return Value(4).dump();  // any JSON value
      case 1: return Bytes(200);       // random bytes
      case 2: {                        // truncated JSON
        const std::string s = Object(spec, ids).dump();
        return s.substr(0, static_cast<size_t>(Int(0, static_cast<int>(s.size()))));
      }
      case 3: return std::string(static_cast<size_t>(Int(30, 60)), Chance(0.5) ? '[' : '{');
      default: return Object(spec, ids).dump();  // an object with plausible fields
    }
  }

  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
};

TEST_F(ApiTest, FuzzedRequestsNeverAnswer500) {
  const World w = MakeWorld();
  std::map<std::string, std::string> ids;
  for (const auto& [resource, id] : w.ByResource()) ids[resource] = id;

  // A valid body of every resource (the world's records without metadata),
  // for mutations that stay close to valid input.
  std::map<std::string, json> bases;
  for (const auto& [resource, id] : w.ByResource()) {
    json base = Read(resource, id);
    for (const char* meta : domain::kMetaFields) base.erase(meta);
    bases[resource] = base;
  }

  // issue 7: a taskforce chaired by the tester's agency, with its plan and a
  // directive, so that fuzzed plan records can refer to something.
  ids["taskforces"] = CreateId(
      "taskforces",
      {{"tfc_Code", "FUZZ-TF"}, {"tfc_NameLo", "ຄະນະ"}, {"tfc_NameEn", "Taskforce"}, {"chair_agency_id", w.agency}});
  ids["plan-objectives"] = CreateId(
      "plan-objectives", {{"taskforce_id", ids["taskforces"]}, {"obj_Code", "O1"}, {"obj_Title", "Objective"}});
  ids["taskforce-meetings"] =
      CreateId("taskforce-meetings", {{"taskforce_id", ids["taskforces"]}, {"mtg_Date", kToday}});
  ids["plan-activities"] = CreateId("plan-activities", {{"taskforce_id", ids["taskforces"]},
                                                        {"objective_id", ids["plan-objectives"]},
                                                        {"act_Title", "Activity"},
                                                        {"responsible_agency_id", w.agency},
                                                        {"act_StartDate", kToday},
                                                        {"act_EndDate", kToday}});
  ids["directives"] =
      CreateId("directives", {{"dir_Subject", "Subject"}, {"dir_Text", "Text"}, {"dir_DueDate", kToday}});
  for (const char* resource : {"plan-objectives", "taskforce-meetings", "plan-activities", "directives"}) {
    json base = Read(resource, ids[resource]);
    for (const char* meta : domain::kMetaFields) base.erase(meta);
    bases[resource] = base;
  }

  // CTIMS_FUZZ_SEED and CTIMS_FUZZ_REQUESTS explore further by hand; the
  // suite runs the fixed seed.
  const char* seed_env = std::getenv("CTIMS_FUZZ_SEED");
  const char* requests_env = std::getenv("CTIMS_FUZZ_REQUESTS");
  const auto seed = static_cast<std::uint32_t>(seed_env != nullptr ? std::strtoul(seed_env, nullptr, 10) : 20250615);
  const int kRequests = requests_env != nullptr ? std::atoi(requests_env) : 320;
  Fuzzer fz(seed);
  std::map<int, int> by_status;
  for (int i = 0; i < kRequests; ++i) {
    const auto& spec =
        domain::Resources()[static_cast<size_t>(fz.Int(0, static_cast<int>(domain::Resources().size()) - 1))];
    std::string method;
    std::string url;
    std::string body;
    std::string content_type = kJson;
    const int kind = fz.Int(0, 99);
    if (kind < 35) {
      method = "POST";
      url = Url(spec.name);
      body = fz.Body(spec, ids);
    } else if (kind < 60) {
      method = "POST";
      url = Url(spec.name);
      // Resources the world has no record of start from an empty object.
      json mutated = bases.contains(spec.name) ? bases[spec.name] : json::object();
      const int mutations = fz.Int(0, 2);
      for (int m = 0; m < mutations; ++m) {
        const std::string key = fz.Key(&spec);
        const auto* f = spec.FindField(key);
        if (fz.Chance(0.3)) {
          mutated.erase(key);
        } else {
          mutated[key] = f != nullptr ? fz.ValueFor(*f, ids) : fz.Value(2);
        }
      }
      body = mutated.dump();
    } else if (kind < 80) {
      method = "PATCH";
      url = Url(spec.name, ids[spec.name]);
      json patch = fz.Object(spec, ids);
      if (fz.Chance(0.7)) {
        patch["version"] = Read(spec.name, ids[spec.name])["version"];
      }
      body = fz.Chance(0.9) ? patch.dump() : fz.Body(spec, ids);
    } else if (kind < 92) {
      method = "GET";
      url = Url(spec.name) + "?" + Encode(fz.Key(&spec)) + "=" + Encode(fz.String());
      if (fz.Chance(0.3)) url += "&limit=" + Encode(fz.String());
      if (fz.Chance(0.2)) url += "&cursor=" + Encode(fz.String());
    } else {
      method = fz.Chance(0.5) ? "PUT" : "POST";
      url = Url(spec.name) + "/" + Encode(fz.String());
      body = fz.Body(spec, ids);
      if (fz.Chance(0.3)) content_type = fz.Chance(0.5) ? "text/plain" : "";
    }

    Reply r = Send(port(), method, url, body, content_type, session().Headers());
    ++by_status[r.status];
    SCOPED_TRACE("seed " + std::to_string(seed) + " request " + std::to_string(i) + ": " + method + " " +
                 url.substr(0, 200) + " body " + body.substr(0, 300));
    ASSERT_NE(r.status, -1) << "transport error: " << r.body;
    ASSERT_GE(r.status, 200) << Describe(r);
    ASSERT_LT(r.status, 500) << Describe(r);
    if (r.status == 204) continue;
    const json j = r.Json();
    ASSERT_FALSE(j.is_discarded()) << "answer is not JSON: " << Describe(r);
    if (r.status >= 400) {
      ASSERT_TRUE(HasErrorShape(r));
    } else {
      ASSERT_TRUE(j.is_object());
    }
    EXPECT_EQ(r.Header("Cache-Control"), "no-store");
  }
  // The loop exercised both outcomes.
  int ok = 0;
  int refused = 0;
  for (const auto& [status, n] : by_status) (status < 300 ? ok : refused) += n;
  EXPECT_GT(ok, kRequests / 30) << "seed " << seed;
  EXPECT_GT(refused, kRequests / 3) << "seed " << seed;
  // The server is still healthy, and the world is still readable.
  EXPECT_EQ(Get("/api/v1/health").status, 200);
  for (const auto& [resource, id] : w.ByResource()) EXPECT_EQ(Get(Url(resource, id)).status, 200) << resource;
}

}  // namespace
}  // namespace ctims::api_test
