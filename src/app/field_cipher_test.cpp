#include "app/field_cipher.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "app/keyring_test_util.hpp"
#include "domain/diff.hpp"
#include "domain/schema.hpp"

namespace ctims::app {
namespace {

using domain::FieldGroup;
using domain::FieldSpec;
using domain::FieldType;
using domain::ResourceSpec;
using nlohmann::json;

constexpr const char* kId = "01900000-0000-7000-8000-000000000001";
constexpr const char* kOtherId = "01900000-0000-7000-8000-000000000002";

// A value of the field's shape, distinct from every other field's value (n
// counts fields), so that a leak of one field's plaintext can be told apart.
json SampleValue(const FieldSpec& f, int& n) {
  ++n;
  const std::string tag = "v" + std::to_string(n) + "-" + f.name;
  switch (f.type) {
    case FieldType::kString:
    case FieldType::kText: return "ສົມພອນ " + tag;
    case FieldType::kCode: return "code-" + tag;
    case FieldType::kCodeSet: return json::array({"a-" + tag, "b-" + tag});
    case FieldType::kInteger: return 7000 + n;
    case FieldType::kNumber: return 1000.25 + n;
    case FieldType::kDate: {
      const int month = n % 12 + 1, day = n % 28 + 1;
      return std::to_string(1900 + n) + (month < 10 ? "-0" : "-") + std::to_string(month) + (day < 10 ? "-0" : "-") +
             std::to_string(day);
    }
    case FieldType::kBoolean: return true;
    case FieldType::kRef:
      return "01900000-0000-7000-8000-" + std::string(12 - std::to_string(n).size(), '0') + std::to_string(n);
    case FieldType::kStringList: return json::array({"l1-" + tag, "l2-" + tag});
    case FieldType::kObject: {
      json o = json::object();
      for (const auto& sub : f.fields) o[sub.name] = SampleValue(sub, n);
      return o;
    }
    case FieldType::kObjectList: {
      json o = json::object();
      for (const auto& sub : f.fields) o[sub.name] = SampleValue(sub, n);
      return json::array({o});
    }
  }
  return nullptr;
}

// Every body field of `spec` (columns are not in the body) with a value.
json SampleBody(const ResourceSpec& spec) {
  int n = 0;
  json body = json::object();
  for (const auto& f : spec.fields) {
    if (!f.column) body[f.name] = SampleValue(f, n);
  }
  return body;
}

// The scalars inside `value` as they would appear in a JSON text, those that
// cannot occur in base64 by chance (a character outside its alphabet).
void Leaves(const json& value, std::vector<std::string>& out) {
  if (value.is_structured()) {
    for (const auto& v : value) Leaves(v, out);
    return;
  }
  const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  if (text.find_first_of(" .-_") != std::string::npos) out.push_back(text);
}

class FieldCipherTest : public ::testing::Test {
 protected:
  FieldCipherTest() {
    keys_.Add();
    ring_ = std::make_unique<core::KeyRing>(keys_.Ring());
    cipher_ = std::make_unique<FieldCipher>(*ring_);
  }
  static const ResourceSpec& Spec(const char* name) { return *domain::FindResource(name); }

  testing::TestKeys keys_;
  std::unique_ptr<core::KeyRing> ring_;
  std::unique_ptr<FieldCipher> cipher_;
};

TEST_F(FieldCipherTest, EveryResourceRoundTripsAndNoProtectedPlaintextRemains) {
  int resources_with_sealed_fields = 0;
  for (const auto& spec : domain::Resources()) {
    SCOPED_TRACE(spec.name);
    const json plain = SampleBody(spec);
    json body = plain;
    ASSERT_TRUE(cipher_->SealBody(spec, kId, body).ok());
    const std::string stored = body.dump();
    int sealed = 0;
    for (const auto& [name, value] : plain.items()) {
      const FieldSpec* f = spec.FindField(name);
      ASSERT_NE(f, nullptr);
      if (f->group == FieldGroup::kGeneral) {
        EXPECT_EQ(body[name], value) << name << " is general and must stay as it is";
        continue;
      }
      ++sealed;
      ASSERT_TRUE(body[name].is_string()) << name;
      EXPECT_TRUE(core::IsSealed(body[name].get<std::string>())) << name;
      EXPECT_EQ(core::SealedVersion(body[name].get<std::string>()), 1) << name;
      std::vector<std::string> leaves;
      Leaves(value, leaves);
      for (const auto& leaf : leaves) EXPECT_EQ(stored.find(leaf), std::string::npos) << name << " leaks " << leaf;
    }
    EXPECT_EQ(sealed > 0, spec.HasSealedFields());
    if (sealed > 0) ++resources_with_sealed_fields;
    ASSERT_TRUE(cipher_->OpenBody(spec, kId, body).ok());
    EXPECT_EQ(body, plain);
  }
  EXPECT_GE(resources_with_sealed_fields, 5);  // persons, cases, events, employment, claims, ...
}

TEST_F(FieldCipherTest, NestedObjectsAndListsAreSealedWhole) {
  const auto& cases = Spec("cases");
  json body = SampleBody(cases);
  const json methods = body["vic_MethodsOfControl"];
  ASSERT_TRUE(methods.is_object());
  ASSERT_TRUE(cipher_->SealBody(cases, kId, body).ok());
  EXPECT_TRUE(core::IsSealed(body["vic_MethodsOfControl"].get<std::string>()));
  for (const auto& [name, value] : methods.items()) EXPECT_EQ(body.dump().find(name), std::string::npos) << name;

  const auto& persons = Spec("persons");
  json person = SampleBody(persons);
  ASSERT_TRUE(person["prs_IdentityDocuments"].is_array());
  ASSERT_TRUE(cipher_->SealBody(persons, kId, person).ok());
  EXPECT_TRUE(person["prs_IdentityDocuments"].is_string());
  EXPECT_EQ(person.dump().find("doc_Number"), std::string::npos);
}

TEST_F(FieldCipherTest, SealedValueMovedToAnotherRowOrFieldDoesNotOpen) {
  const auto& persons = Spec("persons");
  json a = {{"prs_FirstName", "Somphone"}, {"prs_SecondName", "Keomany"}};
  ASSERT_TRUE(cipher_->SealBody(persons, kId, a).ok());

  json other_row = a;  // the whole body copied to another record
  const auto moved = cipher_->OpenBody(persons, kOtherId, other_row);
  EXPECT_EQ(moved.code(), core::StatusCode::kInternal);
  EXPECT_NE(moved.message().find("prs_FirstName"), std::string::npos) << moved.message();

  json swapped = a;  // first and family name exchanged within the row
  std::swap(swapped["prs_FirstName"], swapped["prs_SecondName"]);
  EXPECT_EQ(cipher_->OpenBody(persons, kId, swapped).code(), core::StatusCode::kInternal);

  json other_table = {{"cas_Summary", a["prs_FirstName"]}};  // into another resource
  EXPECT_EQ(cipher_->OpenBody(Spec("cases"), kId, other_table).code(), core::StatusCode::kInternal);

  json tampered = a;
  std::string text = tampered["prs_FirstName"].get<std::string>();
  text[text.size() - 3] = text[text.size() - 3] == 'A' ? 'B' : 'A';
  tampered["prs_FirstName"] = text;
  EXPECT_EQ(cipher_->OpenBody(persons, kId, tampered).code(), core::StatusCode::kInternal);

  json good = a;
  ASSERT_TRUE(cipher_->OpenBody(persons, kId, good).ok());
  EXPECT_EQ(good["prs_FirstName"], "Somphone");
}

TEST_F(FieldCipherTest, UnsealedValueInSealedFieldIsRefusedWithoutShowingIt) {
  const auto& persons = Spec("persons");
  for (const json& value : {json("Somphone Keomany"), json(12345), json::array({"Somphone Keomany"})}) {
    json body = {{"prs_FirstName", value}, {"prs_Sex", "F"}};
    const auto s = cipher_->OpenBody(persons, kId, body);
    EXPECT_EQ(s.code(), core::StatusCode::kInternal);
    EXPECT_NE(s.message().find("unsealed value in sealed field"), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find("Somphone"), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find("12345"), std::string::npos) << s.message();
  }
  // A general field in clear is what general fields are.
  json general = {{"prs_Sex", "F"}};
  EXPECT_TRUE(cipher_->OpenBody(persons, kId, general).ok());
}

TEST_F(FieldCipherTest, ClientTextThatLooksSealedIsSealedLikeAnyOther) {
  const auto& persons = Spec("persons");
  json other = {{"prs_FirstName", "Somphone"}};
  ASSERT_TRUE(cipher_->SealBody(persons, kOtherId, other).ok());
  // A client submits another row's ciphertext as a name: it is data, sealed
  // again, and reads back as the same text (not as the other row's name).
  const std::string planted = other["prs_FirstName"].get<std::string>();
  json body = {{"prs_FirstName", planted}};
  ASSERT_TRUE(cipher_->SealBody(persons, kId, body).ok());
  EXPECT_NE(body["prs_FirstName"], planted);
  ASSERT_TRUE(cipher_->OpenBody(persons, kId, body).ok());
  EXPECT_EQ(body["prs_FirstName"], planted);
}

TEST_F(FieldCipherTest, HistoryChangesAreSealedAndBoundToTheirEntry) {
  const auto& cases = Spec("cases");
  const json before = {{"cas_Summary", "recruited in Bokeo"}, {"cas_OpenedOn", "2024-01-02"}};
  json after = before;
  after["cas_Summary"] = "recruited in Tonpheung";
  after["cas_OpenedOn"] = "2024-01-03";
  after["vic_MethodsOfControl"] = {{"DebtBondage", true}, {"Threats", true}};
  const json plain = domain::Diff(before, after);
  json changes = plain;
  ASSERT_TRUE(cipher_->SealChanges(cases, kId, 2, changes).ok());
  const std::string stored = changes.dump();
  EXPECT_EQ(stored.find("Bokeo"), std::string::npos);
  EXPECT_EQ(stored.find("Tonpheung"), std::string::npos);
  for (const auto& c : changes) {
    const std::string path = c["path"];
    if (path == "cas_OpenedOn") {
      EXPECT_EQ(c["from"], "2024-01-02");  // general: in clear
    } else if (path.starts_with("vic_MethodsOfControl.")) {
      EXPECT_TRUE(c["from"].is_null());  // absent before: stays null
      EXPECT_TRUE(core::IsSealed(c["to"].get<std::string>())) << path;
    } else {
      EXPECT_TRUE(core::IsSealed(c["from"].get<std::string>())) << path;
      EXPECT_TRUE(core::IsSealed(c["to"].get<std::string>())) << path;
    }
  }

  json opened = changes;
  ASSERT_TRUE(cipher_->OpenChanges(cases, kId, 2, opened).ok());
  EXPECT_EQ(opened, plain);

  json other_entry = changes;  // moved to another history entry of the record
  EXPECT_EQ(cipher_->OpenChanges(cases, kId, 3, other_entry).code(), core::StatusCode::kInternal);
  json other_record = changes;
  EXPECT_EQ(cipher_->OpenChanges(cases, kOtherId, 2, other_record).code(), core::StatusCode::kInternal);
  json reversed = changes;  // from and to exchanged
  for (auto& c : reversed) std::swap(c["from"], c["to"]);
  EXPECT_EQ(cipher_->OpenChanges(cases, kId, 2, reversed).code(), core::StatusCode::kInternal);

  json body = {{"cas_Summary", "x"}};  // a body value is not a history value
  ASSERT_TRUE(cipher_->SealBody(cases, kId, body).ok());
  json forged = json::array({{{"path", "cas_Summary"}, {"from", nullptr}, {"to", body["cas_Summary"]}}});
  EXPECT_EQ(cipher_->OpenChanges(cases, kId, 1, forged).code(), core::StatusCode::kInternal);

  json unsealed = plain;
  const auto s = cipher_->OpenChanges(cases, kId, 2, unsealed);
  EXPECT_NE(s.message().find("unsealed value in sealed field"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("Bokeo"), std::string::npos);

  json malformed = json::array({{{"from", "x"}}});
  EXPECT_EQ(cipher_->SealChanges(cases, kId, 2, malformed).code(), core::StatusCode::kInternal);
}

TEST_F(FieldCipherTest, ResealBringsOldAndClearValuesToTheCurrentVersion) {
  const auto& persons = Spec("persons");
  const json plain = {{"prs_FirstName", "Somphone"}, {"prs_Aliases", {"Noy"}}, {"prs_Sex", "F"}};
  json body = plain;
  ASSERT_TRUE(cipher_->SealBody(persons, kId, body).ok());
  body["prs_MobilePhone"] = "+8562055555555";  // written before encryption at rest

  keys_.Add();
  const core::KeyRing ring2 = keys_.Ring();
  const FieldCipher cipher2(ring2);
  ResealCounts counts;
  auto changed = cipher2.ResealBody(persons, kId, body, counts);
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_TRUE(*changed);
  EXPECT_EQ(counts.resealed, 2);
  EXPECT_EQ(counts.sealed_plaintext, 1);
  EXPECT_EQ(counts.current, 0);
  for (const char* f : {"prs_FirstName", "prs_Aliases", "prs_MobilePhone"}) {
    EXPECT_EQ(core::SealedVersion(body[f].get<std::string>()), 2) << f;
  }
  EXPECT_EQ(body["prs_Sex"], "F");

  // Idempotent: nothing left to do.
  ResealCounts again;
  changed = cipher2.ResealBody(persons, kId, body, again);
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(*changed);
  EXPECT_EQ(again.current, 3);

  // Opens with a ring that no longer has version 1.
  testing::TestKeys only2 = keys_;
  only2.data.erase(1);
  const core::KeyRing ring_v2 = only2.Ring();
  json opened = body;
  ASSERT_TRUE(FieldCipher(ring_v2).OpenBody(persons, kId, opened).ok());
  json expected = plain;
  expected["prs_MobilePhone"] = "+8562055555555";
  EXPECT_EQ(opened, expected);

  // A value that does not open is an error, not silently re-sealed.
  json old = plain;
  ASSERT_TRUE(cipher_->SealBody(persons, kId, old).ok());
  json moved = old;
  ResealCounts ignored;
  EXPECT_FALSE(cipher2.ResealBody(persons, kOtherId, moved, ignored).ok());
}

TEST_F(FieldCipherTest, MissingKeyVersionFailsClosed) {
  const auto& persons = Spec("persons");
  json body = {{"prs_FirstName", "Somphone"}};
  ASSERT_TRUE(cipher_->SealBody(persons, kId, body).ok());
  testing::TestKeys other;  // another key file altogether
  other.Add();
  const core::KeyRing wrong = other.Ring();
  const auto s = FieldCipher(wrong).OpenBody(persons, kId, body);
  EXPECT_EQ(s.code(), core::StatusCode::kInternal);
  EXPECT_EQ(s.message().find("Somphone"), std::string::npos);
}

}  // namespace
}  // namespace ctims::app
