#include "domain/schema.hpp"

#include <gtest/gtest.h>

#include <set>

#include "domain/codelists.hpp"

namespace ctims::domain {
namespace {

void CheckFields(const std::vector<FieldSpec>& fields, const std::string& where) {
  std::set<std::string> names;
  for (const auto& f : fields) {
    EXPECT_TRUE(names.insert(f.name).second) << where << ": duplicate field " << f.name;
    if (f.type == FieldType::kCode || f.type == FieldType::kCodeSet) {
      EXPECT_NE(CodeLists::Builtin().Find(f.codelist), nullptr) << where << "." << f.name << " uses " << f.codelist;
    }
    if (f.type == FieldType::kRef) {
      EXPECT_NE(FindResource(f.ref), nullptr) << where << "." << f.name << " refers to " << f.ref;
      // References are columns (foreign keys), never buried in a body.
      EXPECT_TRUE(f.column) << where << "." << f.name;
      EXPECT_EQ(where.find('.'), std::string::npos) << "nested reference " << where << "." << f.name;
    }
    if (f.column) {
      // Columns hold text: references, codes and short keys.
      EXPECT_TRUE(f.type == FieldType::kRef || f.type == FieldType::kCode || f.type == FieldType::kString)
          << where << "." << f.name;
    }
    if (f.type == FieldType::kObject || f.type == FieldType::kObjectList) {
      EXPECT_FALSE(f.fields.empty()) << where << "." << f.name;
      CheckFields(f.fields, where + "." + f.name);
    }
    for (const char* meta : kMetaFields) EXPECT_NE(f.name, meta) << where;
    if (f.group != FieldGroup::kGeneral) {
      // Sealed at rest: never a column, a filter or a nested-only tag.
      EXPECT_FALSE(f.column || f.filterable || f.unique) << where << "." << f.name;
      EXPECT_EQ(where.find('.'), std::string::npos) << "group on nested field " << where << "." << f.name;
    }
  }
}

TEST(SchemaTest, PersonalDataIsTaggedAndScoped) {
  // Names, documents and contacts of a person, and every free-text narrative
  // about a case, sit in a protected field group (and are sealed at rest).
  const ResourceSpec* persons = FindResource("persons");
  ASSERT_NE(persons, nullptr);
  EXPECT_TRUE(persons->personal);
  for (const char* name :
       {"prs_FirstName", "prs_SecondName", "prs_LatinNames", "prs_Aliases", "prs_IdentityDocuments"}) {
    EXPECT_EQ(persons->FindField(name)->group, FieldGroup::kIdentity) << name;
  }
  EXPECT_EQ(persons->FindField("prs_MobilePhone")->group, FieldGroup::kContact);
  EXPECT_EQ(persons->FindField("prs_Sex")->group, FieldGroup::kGeneral);
  for (const auto& spec : Resources()) {
    for (const auto& f : spec.fields) {
      if (spec.personal && f.type == FieldType::kText) {
        EXPECT_NE(f.group, FieldGroup::kGeneral) << spec.name << "." << f.name;
      }
    }
    if (!spec.case_field.empty()) {
      EXPECT_TRUE(spec.personal) << spec.name;
      const FieldSpec* ref = spec.FindField(spec.case_field);
      ASSERT_NE(ref, nullptr) << spec.name;
      EXPECT_EQ(ref->ref, "cases") << spec.name;
    }
  }
  EXPECT_FALSE(FindResource("locations")->personal);
  EXPECT_FALSE(FindResource("agencies")->personal);
}

TEST(SchemaTest, ResourcesAreWellFormed) {
  std::set<std::string> names;
  std::set<std::string> tables;
  for (const auto& r : Resources()) {
    EXPECT_TRUE(names.insert(r.name).second) << r.name;
    EXPECT_TRUE(tables.insert(r.table).second) << r.table;
    EXPECT_FALSE(r.fields.empty()) << r.name;
    CheckFields(r.fields, r.name);
  }
  EXPECT_EQ(FindResource("persons")->table, "persons");
  EXPECT_EQ(FindResource("trafficking-events")->table, "trafficking_events");
  EXPECT_EQ(FindResource("nope"), nullptr);
}

TEST(SchemaTest, ReferencesPointBackwardsOrToSelf) {
  // Dependency order lets reference data load and tests create records
  // front to back.
  std::set<std::string> seen;
  for (const auto& r : Resources()) {
    seen.insert(r.name);
    for (const auto& f : r.fields) {
      if (f.type == FieldType::kRef) {
        EXPECT_TRUE(seen.contains(f.ref)) << r.name << "." << f.name;
      }
    }
  }
}

TEST(SchemaTest, UsesHtcdsNamesForCoreFields) {
  const auto* persons = FindResource("persons");
  for (const char* name : {"prs_FirstName", "prs_SecondName", "prs_Birthdate", "prs_Gender", "prs_Citizenship"}) {
    EXPECT_NE(persons->FindField(name), nullptr) << name;
  }
  const auto* cases = FindResource("cases");
  for (const char* name : {"cas_Status", "vic_TraffickingStatus", "vic_TraffickingStatusDecisionMakingOrg",
                           "vic_TypeOfExploitation", "vic_TypeOfSexExploitation", "vic_AgeWhenTrafficked"}) {
    EXPECT_NE(cases->FindField(name), nullptr) << name;
  }
  const auto* control = cases->FindField("vic_MethodsOfControl");
  ASSERT_NE(control, nullptr);
  EXPECT_EQ(control->fields.size(), 17u);
  EXPECT_NE(FindResource("trafficking-events")->FindField("hte_Type"), nullptr);
}

TEST(SchemaTest, ColumnNamesFollowDeclarationOrder) {
  EXPECT_EQ(FindResource("cases")->ColumnNames(),
            (std::vector<std::string>{"person_id", "owner_agency_id", "cas_Status", "vic_TraffickingStatus",
                                      "recruitment_location_id", "exploitation_location_id"}));
  // issue 8 §4: the one column of persons says whom a merged person was merged into.
  EXPECT_EQ(FindResource("persons")->ColumnNames(), std::vector<std::string>{"merged_into"});
}

}  // namespace
}  // namespace ctims::domain
