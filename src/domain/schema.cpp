#include "domain/schema.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>

namespace ctims::domain {
namespace {

using core::FieldError;
using nlohmann::json;

// ---- helpers for cross-field rules --------------------------------------

std::string StringOr(const json& record, const char* key) {
  auto it = record.find(key);
  return (it != record.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

bool Has(const json& record, const char* key) {
  auto it = record.find(key);
  if (it == record.end() || it->is_null()) return false;
  if (it->is_string() || it->is_array() || it->is_object()) return !it->empty();
  return true;
}

bool SetContains(const json& record, const char* key, const char* code) {
  auto it = record.find(key);
  if (it == record.end() || !it->is_array()) return false;
  for (const auto& v : *it) {
    if (v.is_string() && v.get<std::string>() == code) return true;
  }
  return false;
}

// "YYYY-MM-DD" strings compare correctly as text once both are valid dates;
// invalid dates are reported by field validation, so skip them here.
void DateOrder(const json& record, const char* from, const char* to, std::vector<FieldError>& errors) {
  const std::string a = StringOr(record, from);
  const std::string b = StringOr(record, to);
  if (a.size() == 10 && b.size() == 10 && b < a) {
    errors.push_back({to, "date_order", std::string(to) + " must not be before " + from});
  }
}

void NotInFuture(const json& record, const CheckContext& ctx, const char* key, std::vector<FieldError>& errors) {
  const std::string d = StringOr(record, key);
  if (d.size() == 10 && ctx.today.size() == 10 && d > ctx.today) {
    errors.push_back({key, "not_future", std::string(key) + " must not be in the future"});
  }
}

// ---- field groups reused by several resources ----------------------------

FieldSpec MoneyObject(std::string name) {
  return Object(std::move(name), {Number("amount", 0, 1e15).Required(), Code("currency", "currency").Required(),
                                  Code("period", "wage_period")});
}

std::vector<FieldSpec> ControlMethodFields() {
  static constexpr std::array<const char*, 17> kMethods = {"DebtBondage",
                                                           "TakesEarnings",
                                                           "RestrictsFinancialAccess",
                                                           "Threats",
                                                           "PsychologicalAbuse",
                                                           "PhysicalAbuse",
                                                           "SexualAbuse",
                                                           "FalsePromises",
                                                           "PsychoactiveSubstances",
                                                           "RestrictsMovement",
                                                           "RestrictsMedicalCare",
                                                           "ExcessiveWorkingHours",
                                                           "UsesChildren",
                                                           "ThreatOfLawEnforcement",
                                                           "WithholdsNecessities",
                                                           "WithholdsDocuments",
                                                           "Other"};
  std::vector<FieldSpec> out;
  out.reserve(kMethods.size());
  for (const char* m : kMethods) out.push_back(Code(m, "yes_no_unknown"));
  return out;
}

// ---- the resources --------------------------------------------------------

ResourceSpec Locations() {
  return {"locations",
          "locations",
          "Location",
          "Administrative places: country, province, district, village (ISO 3166-2 codes where they exist).",
          {
              String("loc_Code", 32)
                  .Unique()
                  .Required()
                  .Pattern("[A-Z0-9][A-Z0-9-]*")
                  .Describe("ISO 3166-1/3166-2 code (LA, LA-BK) or a local code (LA-BK-01)."),
              String("loc_NameLo").Required(),
              String("loc_NameEn").Required(),
              Code("loc_Level", "location_level").Required().Column(),
              Ref("parent_id", "locations"),
          },
          nullptr,
          false,
          ""};
}

ResourceSpec Agencies() {
  return {"agencies",
          "agencies",
          "Agency",
          "Government bodies, committees and NGOs that use ctims and assist victims.",
          {
              String("org_Code", 32).Unique().Required().Pattern("[A-Z0-9][A-Z0-9-]*"),
              String("org_NameLo").Required(),
              String("org_NameEn").Required(),
              Code("org_Type", "org_type").Required().Filterable(),
              Code("org_Level", "agency_level").Required().Filterable(),
              Ref("location_id", "locations"),
              Ref("parent_id", "agencies"),
              String("org_Phone", 16).Pattern(R"(\+?[1-9]\d{1,14})"),
              String("org_Email", 254).Pattern(R"([^@\s]+@[^@\s]+)"),
          },
          nullptr,
          false,
          ""};
}

ResourceSpec Organisations() {
  return {"organisations",
          "organisations",
          "Organisation",
          "External organisations: employers, companies, recruitment agencies, embassies, shelters.",
          {
              String("org_Name").Required(),
              String("org_NameLatin"),
              Code("org_Category", "organisation_category").Required().Filterable(),
              Code("org_Type", "org_type").Filterable(),
              Code("org_ShippingCountry", "country").Filterable(),
              String("org_ShippingState"),
              String("org_ShippingCity"),
              String("org_ShippingStreet"),
              Ref("location_id", "locations"),
              String("org_Phone", 16).Pattern(R"(\+?[1-9]\d{1,14})"),
              Text("org_Notes", 5000),
          },
          nullptr,
          false,
          ""};
}

ResourceSpec Persons() {
  return {
      "persons",
      "persons",
      "Person",
      "A person assisted or screened: names as written in any script, Latin spellings and aliases.",
      {
          String("prs_FirstName").Group(FieldGroup::kIdentity).Describe("Given name as written, in any script."),
          String("prs_MiddleName").Group(FieldGroup::kIdentity),
          String("prs_SecondName").Group(FieldGroup::kIdentity).Describe("Family name as written, in any script."),
          StringList("prs_LatinNames")
              .Group(FieldGroup::kIdentity)
              .Describe("Latin spellings of the full name, as found on documents."),
          StringList("prs_Aliases").Group(FieldGroup::kIdentity),
          Code("prs_Sex", "sex").Filterable(),
          Code("prs_Gender", "gender"),
          Date("prs_Birthdate").Group(FieldGroup::kIdentity),
          Integer("prs_EstimatedAge", 0, 120).Describe("Age in years when the birth date is unknown."),
          Date("prs_AgeEstimatedOn").Describe("Date on which prs_EstimatedAge was estimated."),
          CodeSet("prs_Citizenship", "country", 8)
              .Filterable()
              .Describe("ISO 3166-1 alpha-2; XS stateless, XX unknown."),
          Code("prs_PrimaryLanguage", "language"),
          CodeSet("prs_Languages", "language", 16),
          Code("prs_MaritalStatus", "marital_status"),
          Integer("prs_NumberOfChildren", 0, 30),
          Code("prs_HighestLevelOfEducation", "education_level"),
          ObjectList("prs_IdentityDocuments",
                     {Code("doc_Type", "identity_document_type").Required(), String("doc_Number", 64),
                      Code("doc_IssuingCountry", "country"), Code("doc_Status", "identity_document_status").Required(),
                      Date("doc_ExpiryDate")},
                     16)
              .Group(FieldGroup::kIdentity),
          String("prs_MobilePhone", 16).Pattern(R"(\+?[1-9]\d{1,14})").Group(FieldGroup::kContact),
          String("prs_Email", 254).Pattern(R"([^@\s]+@[^@\s]+)").Group(FieldGroup::kContact),
          Code("prs_MailingCountry", "country"),
          String("prs_MailingState").Group(FieldGroup::kContact),
          String("prs_MailingCity").Group(FieldGroup::kContact),
          String("prs_MailingStreet").Group(FieldGroup::kContact),
          Boolean("prs_Deceased"),
          // issue 8 §4: set by a merge, cleared by its undo; never by a write.
          Ref("merged_into", "persons")
              .Managed()
              .Describe("The person this one was merged into (GET /api/v1/person-merges?person= has the merge)."),
          String("merged_at").Managed().Describe("When it was merged."),
          String("merged_by").Managed().Describe("The user who merged it."),
      },
      [](const json& r, const CheckContext& ctx, std::vector<FieldError>& errors) {
        if (!Has(r, "prs_FirstName") && !Has(r, "prs_SecondName") && !Has(r, "prs_LatinNames") &&
            !Has(r, "prs_Aliases")) {
          errors.push_back(
              {"prs_FirstName", "one_of_required",
               "a person needs at least one of prs_FirstName, prs_SecondName, prs_LatinNames, prs_Aliases"});
        }
        NotInFuture(r, ctx, "prs_Birthdate", errors);
        if (Has(r, "prs_EstimatedAge") && !Has(r, "prs_AgeEstimatedOn")) {
          errors.push_back(
              {"prs_AgeEstimatedOn", "required_with", "prs_AgeEstimatedOn is required with prs_EstimatedAge"});
        }
        if (SetContains(r, "prs_Citizenship", "XX") && r["prs_Citizenship"].size() > 1) {
          errors.push_back({"prs_Citizenship", "exclusive", "XX (unknown) cannot be combined with other citizenships"});
        }
      },
      false,
      ""};
}

ResourceSpec Cases() {
  return {
      "cases",
      "cases",
      "Case",
      "One person's episode with the system (HTCDS cas_ and vic_ fields).",
      {
          Ref("person_id", "persons").Required(),
          Ref("owner_agency_id", "agencies").Required(),
          Code("cas_Status", "case_status")
              .Column()
              .Default("Active")
              .Managed()
              .Describe("Changed by transitions: follow_up, reactivate, request_closure, approve_closure, "
                        "reject_closure, reopen."),
          Date("cas_OpenedOn").Default("today"),
          Date("cas_ClosedOn").Managed(),
          Code("cas_ClosureReason", "closure_reason").Managed().Describe("Given with request_closure."),
          Text("cas_ReasonForCaseClosure", 5000).Group(FieldGroup::kNarrative).Managed(),
          String("cas_ClosureRequestedBy", 64).Managed().Describe("User who asked for closure."),
          Code("vic_TraffickingStatus", "trafficking_status")
              .Column()
              .Managed()
              .Describe("Set when a supervisor confirms or overrides a screening."),
          Code("vic_TraffickingStatusDecisionMakingOrg", "trafficking_status_decision_org").Managed(),
          Code("vic_RelationshipToTrafficker", "relationship_to_trafficker"),
          Integer("vic_AgeWhenTrafficked", 0, 120),
          CodeSet("vic_MethodOfRecruitment", "recruitment_method"),
          CodeSet("vic_RecruitmentWebsitesAndApps", "websites_and_apps"),
          String("vic_PlaceOfRecruitment").Group(FieldGroup::kNarrative),
          Ref("recruitment_location_id", "locations"),
          CodeSet("vic_TypeOfExploitation", "exploitation_type").Filterable(),
          CodeSet("vic_ForcedLabourIndustry", "forced_labour_industry"),
          CodeSet("vic_TypeOfSexExploitation", "sex_exploitation_type"),
          CodeSet("vic_ExploitationWebsitesAndApps", "websites_and_apps"),
          Ref("exploitation_location_id", "locations"),
          Date("vic_ExploitationStartDate"),
          Date("vic_ExploitationEndDate"),
          Object("vic_MethodsOfControl", ControlMethodFields()).Group(FieldGroup::kNarrative),
          CodeSet("vic_Vulnerabilities", "vulnerability").Group(FieldGroup::kHealth),
          Text("cas_Summary").Group(FieldGroup::kNarrative).Describe("Exploitation narrative."),
          Boolean("cas_Protected")
              .Describe("Break the glass: only the owning agency reaches the case; anyone else with the "
                        "permission must state a reason and gets time-limited, audited access."),
      },
      [](const json& r, const CheckContext& ctx, std::vector<FieldError>& errors) {
        const std::string status = StringOr(r, "cas_Status");
        if ((status == "Closed" || status == "ClosedReferred" || status == "ClosureRequested") &&
            !Has(r, "cas_ClosureReason")) {
          errors.push_back({"cas_ClosureReason", "required_with", "a closed case needs cas_ClosureReason"});
        }
        if (status != "Closed" && status != "ClosedReferred" && Has(r, "cas_ClosedOn")) {
          errors.push_back({"cas_ClosedOn", "forbidden_with", "an open case has no cas_ClosedOn"});
        }
        DateOrder(r, "cas_OpenedOn", "cas_ClosedOn", errors);
        DateOrder(r, "vic_ExploitationStartDate", "vic_ExploitationEndDate", errors);
        NotInFuture(r, ctx, "cas_OpenedOn", errors);
        if (Has(r, "vic_TypeOfSexExploitation") && !SetContains(r, "vic_TypeOfExploitation", "SexualExploitation")) {
          errors.push_back({"vic_TypeOfSexExploitation", "required_with",
                            "vic_TypeOfSexExploitation needs SexualExploitation in vic_TypeOfExploitation"});
        }
      },
      false,
      ""};
}

ResourceSpec TraffickingEvents() {
  return {"trafficking-events",
          "trafficking_events",
          "Trafficking event",
          "A step of the route (HTCDS hte_): recruitment, transit or exploitation.",
          {
              Ref("case_id", "cases").Required(),
              Code("hte_Type", "trafficking_event_type").Required().Filterable(),
              Date("hte_Date"),
              Code("hte_Country", "country"),
              String("hte_State"),
              String("hte_City"),
              String("hte_Street").Group(FieldGroup::kInvestigation),
              Ref("location_id", "locations"),
              Number("hte_Latitude", -90, 90).Group(FieldGroup::kInvestigation),
              Number("hte_Longitude", -180, 180).Group(FieldGroup::kInvestigation),
              Text("hte_Description", 5000).Group(FieldGroup::kNarrative),
          },
          nullptr,
          false,
          ""};
}

ResourceSpec EmploymentEpisodes() {
  return {"employment-episodes",
          "employment_episodes",
          "Employment episode",
          "Work under one employer; a contract sold or transferred to another company is a new episode "
          "linked to the previous one.",
          {
              Ref("case_id", "cases").Required(),
              Ref("employer_id", "organisations"),
              Ref("previous_episode_id", "employment-episodes"),
              Code("emp_TransferType", "employment_transfer_type"),
              String("emp_JobTitle"),
              CodeSet("emp_Industry", "forced_labour_industry", 4),
              Date("emp_ContractStart"),
              Date("emp_ContractEnd"),
              MoneyObject("emp_PromisedWage"),
              MoneyObject("emp_PaidWage"),
              Number("emp_HoursPerDay", 0, 24),
              Integer("emp_DaysPerWeek", 0, 7),
              Text("emp_Conditions", 5000).Group(FieldGroup::kNarrative),
          },
          [](const json& r, const CheckContext& /*ctx*/, std::vector<FieldError>& errors) {
            DateOrder(r, "emp_ContractStart", "emp_ContractEnd", errors);
            if (Has(r, "emp_TransferType") && !Has(r, "previous_episode_id")) {
              errors.push_back({"previous_episode_id", "required_with",
                                "a transferred or sold contract links the previous episode"});
            }
          },
          false,
          ""};
}

ResourceSpec Claims() {
  return {"claims",
          "claims",
          "Claim or debt",
          "Fees an employer demands (Covid test, quarantine, work permit, ...) and wages owed to the worker.",
          {
              Ref("case_id", "cases").Required(),
              Ref("employment_episode_id", "employment-episodes"),
              Ref("claimant_id", "organisations").Describe("The employer or company making the demand."),
              Code("clm_Kind", "claim_kind").Required().Filterable(),
              Code("clm_Direction", "claim_direction").Required(),
              Number("clm_Amount", 0, 1e15),
              Code("clm_Currency", "currency"),
              Code("clm_Status", "claim_status").Required().Filterable(),
              Date("clm_Date"),
              Text("clm_Notes", 5000).Group(FieldGroup::kNarrative),
          },
          [](const json& r, const CheckContext& /*ctx*/, std::vector<FieldError>& errors) {
            if (Has(r, "clm_Amount") && !Has(r, "clm_Currency")) {
              errors.push_back({"clm_Currency", "required_with", "an amount needs a currency"});
            }
            if (StringOr(r, "clm_Kind") == "UnpaidWages" && StringOr(r, "clm_Direction") == "DemandedFromWorker") {
              errors.push_back({"clm_Direction", "consistent", "unpaid wages are owed to the worker"});
            }
          },
          false,
          ""};
}

ResourceSpec ImmigrationStatuses() {
  return {
      "immigration-statuses",
      "immigration_statuses",
      "Immigration status",
      "How the person crossed the border, their documents, and whether they wish to return home.",
      {
          Ref("case_id", "cases").Required(),
          Code("imm_BorderCrossing", "border_crossing").Required().Filterable(),
          String("imm_CrossingPoint"),
          Date("imm_EntryDate"),
          Code("imm_DocumentStatus", "immigration_document_status"),
          Code("imm_MigrantType", "migrant_type"),
          Code("imm_WishToReturn", "wish_to_return"),
          Code("imm_ReturnCountry", "country"),
          String("imm_ReturnPlace").Group(FieldGroup::kContact),
          Date("imm_ReturnWhen"),
          Text("imm_Notes", 5000).Group(FieldGroup::kNarrative),
      },
      [](const json& r, const CheckContext& /*ctx*/, std::vector<FieldError>& errors) {
        if (StringOr(r, "imm_WishToReturn") != "Yes" && (Has(r, "imm_ReturnPlace") || Has(r, "imm_ReturnWhen"))) {
          errors.push_back({"imm_WishToReturn", "required_with", "a return place or date needs imm_WishToReturn=Yes"});
        }
      },
      false,
      ""};
}

ResourceSpec Assistance() {
  return {"assistance",
          "assistance",
          "Assistance",
          "A service delivered to a person by an agency on a date.",
          {
              Ref("case_id", "cases").Required(),
              Ref("agency_id", "agencies").Required(),
              Date("ast_Date").Required().Filterable(),
              Code("ast_ServiceType", "service_type").Required().Filterable(),
              Code("spl_Type", "support_plan_type").Describe("HTCDS support-plan type this service maps onto."),
              Number("ast_CostAmount", 0, 1e15),
              Code("ast_CostCurrency", "currency"),
              Text("ast_Notes", 5000).Group(FieldGroup::kNarrative),
          },
          [](const json& r, const CheckContext& ctx, std::vector<FieldError>& errors) {
            NotInFuture(r, ctx, "ast_Date", errors);
            if (Has(r, "ast_CostAmount") && !Has(r, "ast_CostCurrency")) {
              errors.push_back({"ast_CostCurrency", "required_with", "a cost needs a currency"});
            }
          },
          false,
          ""};
}

// Marks a personal resource; `case_field` names its case for those under one.
ResourceSpec Personal(ResourceSpec spec, std::string case_field) {
  spec.personal = true;
  spec.case_field = std::move(case_field);
  return spec;
}

ResourceSpec Consents() {
  return {"consents",
          "consents",
          "Consent",
          "The person's consent for one purpose: assistance and services, referral and disclosure to other "
          "agencies, or use in statistics. Who recorded it and when is in the record's history; a withdrawal "
          "is an update to Withdrawn with its date (issue 3 §4).",
          {
              Ref("case_id", "cases").Required(),
              Code("cns_Purpose", "consent_purpose").Required().Filterable(),
              Code("cns_Status", "consent_status").Required().Filterable(),
              Date("cns_Date").Default("today").Describe("When consent was given or refused."),
              Date("cns_WithdrawnOn"),
              Code("cns_GivenBy", "consent_giver").Default("Self"),
              Code("cns_Method", "consent_method"),
              String("cns_Interpreter").Group(FieldGroup::kIdentity).Describe("Interpreter present, if any."),
              Text("cns_Notes", 2000).Group(FieldGroup::kNarrative),
          },
          [](const json& r, const CheckContext& ctx, std::vector<FieldError>& errors) {
            NotInFuture(r, ctx, "cns_Date", errors);
            NotInFuture(r, ctx, "cns_WithdrawnOn", errors);
            const bool withdrawn = StringOr(r, "cns_Status") == "Withdrawn";
            if (withdrawn && !Has(r, "cns_WithdrawnOn")) {
              errors.push_back({"cns_WithdrawnOn", "required_with", "a withdrawal needs its date"});
            }
            if (!withdrawn && Has(r, "cns_WithdrawnOn")) {
              errors.push_back({"cns_WithdrawnOn", "forbidden_with", "only a withdrawn consent has cns_WithdrawnOn"});
            }
            DateOrder(r, "cns_Date", "cns_WithdrawnOn", errors);
          },
          false,
          ""};
}

// ---- the referral mechanism (issue 4) -------------------------------------
// State fields and decisions are Managed(): they change only through the
// transitions of domain/workflow.hpp, which record who and when.

ResourceSpec Screenings() {
  return {"screenings",
          "screenings",
          "Screening",
          "An identification interview: who, when, which agency, interpreter and language, and a checklist of "
          "ILO forced-labour and ILO-EC operational trafficking indicators. The server computes a suggested "
          "trafficking status with the indicators that drove it; a supervisor confirms or overrides it, which "
          "sets the case's trafficking status.",
          {
              Ref("case_id", "cases").Required(),
              Ref("agency_id", "agencies").Describe("Interviewing agency; the caller's agency when absent."),
              Date("scr_Date").Default("today"),
              String("scr_Interviewer").Describe("Staff member who interviewed."),
              Code("scr_InterviewLanguage", "language"),
              String("scr_InterpreterName").Group(FieldGroup::kIdentity),
              Code("scr_InterpreterLanguage", "language"),
              ObjectList("scr_Indicators",
                         {Code("ind_Code", "screening_indicator").Required(),
                          Code("ind_Answer", "yes_no_unknown").Required(), Text("ind_Note", 1000)},
                         100)
                  .Group(FieldGroup::kNarrative),
              Text("scr_Notes", 5000).Group(FieldGroup::kNarrative),
              Code("scr_Status", "screening_status").Column().Default("Submitted").Managed(),
              String("scr_RecordedBy", 64).Managed(),
              Code("scr_Assessment", "screening_assessment").Filterable().Managed(),
              Code("scr_SuggestedStatus", "trafficking_status").Managed(),
              CodeSet("scr_SuggestionBasis", "screening_indicator", 100).Group(FieldGroup::kNarrative).Managed(),
              CodeSet("scr_IloIndicators", "ilo_forced_labour_indicator", 11).Managed(),
              String("scr_Explanation", 1000).Managed(),
              Code("scr_DecidedStatus", "trafficking_status").Managed(),
              Code("scr_DecisionOrg", "trafficking_status_decision_org").Managed(),
              Text("scr_DecisionReason", 2000).Group(FieldGroup::kNarrative).Managed(),
              String("scr_DecidedBy", 64).Managed(),
              String("scr_DecidedAt", 32).Managed(),
          },
          [](const json& r, const CheckContext& ctx, std::vector<FieldError>& errors) {
            NotInFuture(r, ctx, "scr_Date", errors);
            auto it = r.find("scr_Indicators");
            if (it == r.end() || !it->is_array()) return;
            std::vector<std::string> seen;
            for (size_t i = 0; i < it->size(); ++i) {
              const std::string code = StringOr((*it)[i], "ind_Code");
              if (code.empty()) continue;
              if (std::find(seen.begin(), seen.end(), code) != seen.end()) {
                errors.push_back({"scr_Indicators[" + std::to_string(i) + "].ind_Code", "unique",
                                  "each indicator is answered once"});
              }
              seen.push_back(code);
            }
          },
          false,
          ""};
}

ResourceSpec Referrals() {
  return {"referrals",
          "referrals",
          "Referral",
          "A request from one agency to another to provide services to the person, with reason, urgency and "
          "services requested. Needs recorded consent for referral (purpose Referral, status Given) or an "
          "override with a reason. requested -> accepted | declined | revoked; accepted -> completed. On "
          "acceptance the receiving agency reaches the case under its own role.",
          {
              Ref("case_id", "cases").Required(),
              Ref("to_agency_id", "agencies").Required(),
              Ref("from_agency_id", "agencies").Managed().Describe("The caller's agency."),
              Text("ref_Reason", 2000).Required().Group(FieldGroup::kNarrative),
              Code("ref_Urgency", "referral_urgency").Default("Routine").Filterable(),
              CodeSet("ref_ServicesRequested", "service_type", 16).Required(),
              Text("ref_ConsentOverrideReason", 1000)
                  .Group(FieldGroup::kNarrative)
                  .Describe("Without recorded consent for referral: why the referral must go ahead (needs the "
                            "override_consent permission; audited)."),
              Code("ref_Status", "referral_status").Column().Default("Requested").Managed(),
              Ref("consent_id", "consents").Managed(),
              Boolean("ref_ConsentOverridden").Managed(),
              String("ref_RequestedBy", 64).Managed(),
              String("ref_RequestedAt", 32).Managed(),
              String("ref_DueAt", 32).Managed().Describe("Answer due by (requested + the configured hours)."),
              String("ref_AnsweredBy", 64).Managed(),
              String("ref_AnsweredAt", 32).Managed(),
              Text("ref_DeclineReason", 1000).Group(FieldGroup::kNarrative).Managed(),
              String("ref_CompletedAt", 32).Managed(),
              Text("ref_Outcome", 2000).Group(FieldGroup::kNarrative).Managed(),
          },
          nullptr,
          false,
          ""};
}

ResourceSpec Transfers() {
  return {"transfers",
          "transfers",
          "Transfer",
          "Hands ownership of a case to another agency (for example to the provincial Foreign Affairs "
          "Department for a foreign national). The receiving agency accepts or declines; the sender may revoke "
          "while pending. Needs consent for referral, like a referral.",
          {
              Ref("case_id", "cases").Required(),
              Ref("to_agency_id", "agencies").Required(),
              Ref("from_agency_id", "agencies").Managed(),
              Text("trf_Reason", 2000).Required().Group(FieldGroup::kNarrative),
              Text("trf_ConsentOverrideReason", 1000).Group(FieldGroup::kNarrative),
              Code("trf_Status", "transfer_status").Column().Default("Requested").Managed(),
              Ref("consent_id", "consents").Managed(),
              Boolean("trf_ConsentOverridden").Managed(),
              String("trf_RequestedBy", 64).Managed(),
              String("trf_RequestedAt", 32).Managed(),
              String("trf_AnsweredBy", 64).Managed(),
              String("trf_AnsweredAt", 32).Managed(),
              Text("trf_DeclineReason", 1000).Group(FieldGroup::kNarrative).Managed(),
          },
          nullptr,
          false,
          ""};
}

ResourceSpec Repatriations() {
  return {"repatriations",
          "repatriations",
          "Repatriation",
          "A return home: a foreign national to their country (Outbound) or a Lao national back to Laos "
          "(Inbound). planned -> documents ready -> departed -> received -> followed up, or cancelled before "
          "departure.",
          {
              Ref("case_id", "cases").Required(),
              Code("rep_Direction", "repatriation_direction").Required().Filterable(),
              Code("rep_DestinationCountry", "country").Required().Filterable(),
              String("rep_DestinationPlace").Group(FieldGroup::kContact),
              String("rep_EmbassyContact").Describe("Embassy or consulate: office, officer, phone."),
              Code("rep_EmbassyStatus", "embassy_contact_status").Default("NotContacted"),
              Code("rep_TravelDocumentStatus", "travel_document_status").Default("None"),
              Number("rep_OutstandingDebtAmount", 0, 1e15).Describe("Fees or debts the employer still claims."),
              Code("rep_OutstandingDebtCurrency", "currency"),
              Text("rep_OutstandingDebtNotes", 2000).Group(FieldGroup::kNarrative),
              String("rep_BorderCrossingPoint").Describe("e.g. Houayxay - Chiang Khong (Friendship Bridge IV)."),
              Date("rep_PlannedDate"),
              Date("rep_DepartureDate"),
              Date("rep_ArrivalDate"),
              String("rep_Escort"),
              Ref("receiving_organisation_id", "organisations"),
              ObjectList("rep_FollowUps",
                         {Date("fup_Date").Required(), Code("fup_Outcome", "followup_outcome").Required(),
                          String("fup_By"), Text("fup_Notes", 2000)},
                         32)
                  .Group(FieldGroup::kNarrative)
                  .Describe("Reintegration follow-ups after return."),
              Code("rep_Status", "repatriation_status").Column().Default("Planned").Managed(),
              Text("rep_CancelReason", 1000).Group(FieldGroup::kNarrative).Managed(),
          },
          [](const json& r, const CheckContext& ctx, std::vector<FieldError>& errors) {
            if (Has(r, "rep_OutstandingDebtAmount") && !Has(r, "rep_OutstandingDebtCurrency")) {
              errors.push_back({"rep_OutstandingDebtCurrency", "required_with", "an amount needs a currency"});
            }
            DateOrder(r, "rep_DepartureDate", "rep_ArrivalDate", errors);
            NotInFuture(r, ctx, "rep_DepartureDate", errors);
            NotInFuture(r, ctx, "rep_ArrivalDate", errors);
            if (StringOr(r, "rep_Direction") == "Inbound" && StringOr(r, "rep_DestinationCountry") != "LA" &&
                Has(r, "rep_DestinationCountry")) {
              errors.push_back({"rep_DestinationCountry", "consistent", "an inbound return goes to Laos (LA)"});
            }
            if (StringOr(r, "rep_Direction") == "Outbound" && StringOr(r, "rep_DestinationCountry") == "LA") {
              errors.push_back({"rep_DestinationCountry", "consistent", "an outbound return leaves Laos"});
            }
          },
          false,
          ""};
}

// An organisation named inside a list (a suspect, a company involved). Lists
// cannot hold foreign keys, so the record service checks that the id names
// an organisation on every write (rule "reference").
FieldSpec OrganisationIdIn() {
  return String("organisation_id", 36)
      .Pattern("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
      .Describe("Id of an organisation (/organisations).");
}

ResourceSpec Investigations() {
  return {"investigations",
          "investigations",
          "Investigation",
          "A police case: offences, suspects (people or organisations with their HTCDS role in the process) "
          "and the companies involved, including a company a contract was sold to. open -> investigating -> "
          "sent to prosecution -> resolved | closed without action. Victims are linked through "
          "investigation-victims.",
          {
              String("inv_Reference", 64).Required().Describe("The police file number."),
              Ref("agency_id", "agencies").Managed().Describe("The investigating agency (the caller's)."),
              CodeSet("inv_Offences", "offence", 16).Required().Filterable(),
              Date("inv_OpenedOn").Default("today"),
              Text("inv_Summary", 10000).Group(FieldGroup::kInvestigation),
              ObjectList("inv_Suspects",
                         {Code("sus_Kind", "suspect_kind").Required(), String("sus_Name"), String("sus_NameLatin"),
                          OrganisationIdIn(), CodeSet("sus_Roles", "perpetrator_role", 15),
                          Code("sus_Citizenship", "country"), Text("sus_Notes", 2000)},
                         64)
                  .Group(FieldGroup::kInvestigation),
              ObjectList("inv_Organisations",
                         {OrganisationIdIn().Required(), Code("org_Involvement", "organisation_involvement").Required(),
                          Text("org_Notes", 2000)},
                         32)
                  .Group(FieldGroup::kInvestigation)
                  .Describe("Employers and companies involved, e.g. the company a contract was sold to."),
              String("inv_ProsecutionReference", 64).Group(FieldGroup::kInvestigation),
              Code("inv_Status", "investigation_status").Column().Default("Open").Managed(),
              Date("inv_ResolvedOn").Managed(),
              Text("inv_Outcome", 5000).Group(FieldGroup::kInvestigation).Managed(),
          },
          [](const json& r, const CheckContext& ctx, std::vector<FieldError>& errors) {
            NotInFuture(r, ctx, "inv_OpenedOn", errors);
            auto it = r.find("inv_Suspects");
            if (it == r.end() || !it->is_array()) return;
            for (size_t i = 0; i < it->size(); ++i) {
              const json& s = (*it)[i];
              const std::string at = "inv_Suspects[" + std::to_string(i) + "]";
              if (StringOr(s, "sus_Kind") == "Organisation" && !Has(s, "organisation_id")) {
                errors.push_back({at + ".organisation_id", "required_with", "an organisation suspect names it"});
              }
              if (StringOr(s, "sus_Kind") == "Person" && !Has(s, "sus_Name") && !Has(s, "sus_NameLatin")) {
                errors.push_back({at + ".sus_Name", "required_with", "a person suspect has a name"});
              }
            }
          },
          false,
          ""};
}

ResourceSpec InvestigationVictims() {
  return {"investigation-victims",
          "investigation_victims",
          "Investigation victim",
          "Links a victim's case to an investigation. A victim counts as resolved when an investigation "
          "covering them is resolved.",
          {
              Ref("investigation_id", "investigations").Required(),
              Ref("case_id", "cases").Required(),
              Text("ivv_Notes", 2000).Group(FieldGroup::kInvestigation),
          },
          nullptr,
          false,
          ""};
}

// ---- issue 7: taskforces, the plan of action and directives -------------
// Not personal data: a plan, its meetings and directives between agencies
// name agencies and users, never a victim. Who may change them (members of
// the taskforce, its chair, the issuing or the receiving agency) is decided
// by app/taskforce_service.cpp, which the record service consults on every
// write of these resources.

// The id of a record named inside a list (lists cannot hold foreign keys:
// the taskforce service checks that it names an existing record).
FieldSpec IdIn(std::string name, std::string what) {
  return String(std::move(name), 36)
      .Pattern("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
      .Describe("Id of " + std::move(what) + ".");
}

ResourceSpec Taskforces() {
  return {"taskforces",
          "taskforces",
          "Taskforce",
          "A body of several agencies that draws up and follows a plan of action (e.g. the Bokeo provincial "
          "anti-trafficking taskforce). Its chair agency manages the membership; members edit its meetings "
          "and plan.",
          {
              String("tfc_Code", 32).Unique().Required().Pattern("[A-Z0-9][A-Z0-9-]*"),
              String("tfc_NameLo").Required(),
              String("tfc_NameEn").Required(),
              Text("tfc_Mandate", 4000),
              Ref("location_id", "locations"),
              Ref("chair_agency_id", "agencies").Required().Describe("The chair: its users manage the members."),
              IdIn("tfc_ChairUserId", "the user who chairs (optional)"),
              Date("tfc_PlanStart"),
              Date("tfc_PlanEnd"),
          },
          [](const json& r, const CheckContext&, std::vector<FieldError>& errors) {
            DateOrder(r, "tfc_PlanStart", "tfc_PlanEnd", errors);
          },
          false,
          ""};
}

ResourceSpec TaskforceMembers() {
  return {"taskforce-members",
          "taskforce_members",
          "Taskforce member",
          "An agency (all its users) or one user of an agency that belongs to a taskforce. Only the chair adds, "
          "changes or removes members.",
          {
              Ref("taskforce_id", "taskforces").Required(),
              Ref("agency_id", "agencies").Required(),
              IdIn("tfm_UserId", "a user of the agency: only that user is a member, not the whole agency").Column(),
              String("tfm_Function", 200).Describe("e.g. secretariat, district focal point."),
          },
          nullptr,
          false,
          ""};
}

ResourceSpec TaskforceMeetings() {
  return {"taskforce-meetings",
          "taskforce_meetings",
          "Taskforce meeting",
          "A meeting of a taskforce: date, place, attendees, decisions, minutes and follow-up actions. POST "
          "/taskforce-meetings/{id}/follow-ups/{index}/activity turns a follow-up into a plan activity and links "
          "it back.",
          {
              Ref("taskforce_id", "taskforces").Required(),
              Date("mtg_Date").Required().Filterable(),
              String("mtg_Place", 200),
              ObjectList("mtg_Attendees", {IdIn("agency_id", "an agency").Required(), String("att_Name", 200)}, 64),
              StringList("mtg_Decisions", 2000, 64),
              Text("mtg_Minutes", 20000),
              ObjectList("mtg_FollowUps",
                         {String("fup_Action", 1000).Required(), IdIn("agency_id", "the responsible agency"),
                          Date("fup_Due"), IdIn("activity_id", "the plan activity made from it (set by the server)")},
                         64),
          },
          nullptr,
          false,
          ""};
}

ResourceSpec PlanObjectives() {
  return {"plan-objectives",
          "plan_objectives",
          "Plan objective",
          "An objective of a taskforce's plan of action, with the problems it addresses.",
          {
              Ref("taskforce_id", "taskforces").Required(),
              String("obj_Code", 16).Required().Describe("e.g. O1"),
              String("obj_Title", 300).Required(),
              Text("obj_Description", 4000),
              CodeSet("obj_Problems", "taskforce_problem", 8),
          },
          nullptr,
          false,
          ""};
}

ResourceSpec PlanActivities() {
  return {
      "plan-activities",
      "plan_activities",
      "Plan activity",
      "An activity under an objective: responsible and partner agencies, dates, status, budget and dated "
      "progress updates. An activity past its end date and not done shows as Late (effective_status in "
      "/taskforces/{id}/plan).",
      {
          Ref("objective_id", "plan-objectives").Required(),
          Ref("taskforce_id", "taskforces").Required().Describe("The objective's taskforce."),
          String("act_Title", 300).Required(),
          Text("act_Description", 4000),
          Ref("responsible_agency_id", "agencies").Required(),
          StringList("act_PartnerAgencyIds", 36, 16).Describe("Ids of partner agencies."),
          Date("act_StartDate").Required(),
          Date("act_EndDate").Required().Filterable(),
          Code("act_Status", "activity_status").Default("NotStarted").Column(),
          Number("act_BudgetAmount", 0, 1e15),
          Code("act_BudgetCurrency", "currency"),
          ObjectList("act_Progress",
                     {Date("prg_Date").Required(), Text("prg_Note", 2000).Required(), Integer("prg_Percent", 0, 100)},
                     100),
          Ref("meeting_id", "taskforce-meetings").Describe("The meeting whose follow-up it comes from."),
          Integer("act_FollowUpIndex", 0, 63),
      },
      [](const json& r, const CheckContext&, std::vector<FieldError>& errors) {
        DateOrder(r, "act_StartDate", "act_EndDate", errors);
        if (Has(r, "act_BudgetAmount") && !Has(r, "act_BudgetCurrency")) {
          errors.push_back({"act_BudgetCurrency", "required_with", "a budget needs a currency"});
        }
      },
      false,
      ""};
}

ResourceSpec PlanIndicators() {
  return {"plan-indicators",
          "plan_indicators",
          "Plan indicator",
          "An indicator of an objective: baseline, target and current value. The current value is entered by "
          "hand (ind_Source Manual) or computed from the live statistics by a named query (ind_Source Query, "
          "ind_Query), so the plan shows progress without retyping numbers.",
          {
              Ref("objective_id", "plan-objectives").Required(),
              Ref("taskforce_id", "taskforces").Required(),
              String("ind_Name", 300).Required(),
              String("ind_Unit", 32).Describe("persons, %, ..."),
              Number("ind_Baseline", -1e15, 1e15),
              Number("ind_Target", -1e15, 1e15).Required(),
              Code("ind_Source", "indicator_source").Default("Manual"),
              Code("ind_Query", "indicator_query"),
              String("ind_Location", 32).Pattern("[A-Z0-9][A-Z0-9-]*").Describe("loc_Code the query counts in."),
              Date("ind_PeriodFrom").Describe("Start of the period a query counts (default: 1 January this year)."),
              Date("ind_PeriodTo").Describe("First day not counted (default: none, up to today)."),
              Number("ind_CurrentValue", -1e15, 1e15).Describe("Entered by hand (Manual only)."),
              Date("ind_CurrentAsOf"),
          },
          [](const json& r, const CheckContext&, std::vector<FieldError>& errors) {
            const bool query = StringOr(r, "ind_Source") == "Query";
            if (query && !Has(r, "ind_Query")) {
              errors.push_back({"ind_Query", "required_with", "a computed indicator names its query"});
            }
            if (query && !Has(r, "ind_Location")) {
              errors.push_back({"ind_Location", "required_with", "a computed indicator names its location"});
            }
            if (query && Has(r, "ind_CurrentValue")) {
              errors.push_back({"ind_CurrentValue", "computed", "the value of a computed indicator is not typed"});
            }
            DateOrder(r, "ind_PeriodFrom", "ind_PeriodTo", errors);
            if (!query && Has(r, "ind_Query")) {
              errors.push_back({"ind_Query", "consistent", "only a Query indicator names a query"});
            }
          },
          false,
          ""};
}

ResourceSpec Directives() {
  return {"directives",
          "directives",
          "Directive",
          "An instruction from one agency to others (e.g. the commission, through the Ministry of Public "
          "Security, to the provincial police and the District Management Committees). Recipients are "
          "directive-recipients; each answers for itself.",
          {
              Ref("issuing_agency_id", "agencies").Describe("The issuing agency (the caller's, set by the server)."),
              Ref("taskforce_id", "taskforces"),
              String("dir_Reference", 64),
              String("dir_Subject", 300).Required(),
              Text("dir_Text", 20000).Required(),
              Date("dir_IssuedOn").Default("today"),
              Date("dir_DueDate").Required().Filterable(),
              Code("dir_Priority", "directive_priority").Default("Normal").Filterable(),
          },
          [](const json& r, const CheckContext&, std::vector<FieldError>& errors) {
            DateOrder(r, "dir_IssuedOn", "dir_DueDate", errors);
          },
          false,
          ""};
}

ResourceSpec DirectiveRecipients() {
  return {"directive-recipients",
          "directive_recipients",
          "Directive recipient",
          "One recipient agency of a directive and its answer: Sent -> Acknowledged -> InProgress -> Done, with "
          "dated progress notes. The issuing agency adds and removes recipients; only the recipient agency "
          "changes its status and notes.",
          {
              Ref("directive_id", "directives").Required(),
              Ref("agency_id", "agencies").Required(),
              Code("drc_Status", "directive_recipient_status").Default("Sent").Column(),
              ObjectList("drc_Progress", {Date("prg_Date").Required(), Text("prg_Note", 2000).Required()}, 100),
              String("drc_AcknowledgedAt", 32).Managed(),
              String("drc_DoneAt", 32).Managed(),
          },
          nullptr,
          false,
          ""};
}
// ---- end issue 7 -----------------------------------------------------------

std::vector<ResourceSpec> Build() {
  return {Locations(), Agencies(), Organisations(), Personal(Persons(), ""), Personal(Cases(), ""),
          Personal(TraffickingEvents(), "case_id"), Personal(EmploymentEpisodes(), "case_id"),
          Personal(Claims(), "case_id"), Personal(ImmigrationStatuses(), "case_id"), Personal(Assistance(), "case_id"),
          Personal(Consents(), "case_id"), Personal(Screenings(), "case_id"), Personal(Referrals(), "case_id"),
          Personal(Transfers(), "case_id"), Personal(Repatriations(), "case_id"), Personal(Investigations(), ""),
          Personal(InvestigationVictims(), "case_id"),
          // issue 7
          Taskforces(), TaskforceMembers(), TaskforceMeetings(), PlanObjectives(), PlanActivities(), PlanIndicators(),
          Directives(), DirectiveRecipients()};
}

}  // namespace

const char* FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kString: return "string";
    case FieldType::kText: return "text";
    case FieldType::kCode: return "code";
    case FieldType::kCodeSet: return "code_set";
    case FieldType::kInteger: return "integer";
    case FieldType::kNumber: return "number";
    case FieldType::kDate: return "date";
    case FieldType::kBoolean: return "boolean";
    case FieldType::kRef: return "ref";
    case FieldType::kStringList: return "string_list";
    case FieldType::kObject: return "object";
    case FieldType::kObjectList: return "object_list";
  }
  return "string";
}

FieldSpec String(std::string name, size_t max_length) {
  FieldSpec f;
  f.name = std::move(name);
  f.type = FieldType::kString;
  f.max_length = max_length;
  return f;
}
FieldSpec Text(std::string name, size_t max_length) {
  FieldSpec f = String(std::move(name), max_length);
  f.type = FieldType::kText;
  return f;
}
FieldSpec Code(std::string name, std::string codelist) {
  FieldSpec f;
  f.name = std::move(name);
  f.type = FieldType::kCode;
  f.codelist = std::move(codelist);
  return f;
}
FieldSpec CodeSet(std::string name, std::string codelist, size_t max_items) {
  FieldSpec f = Code(std::move(name), std::move(codelist));
  f.type = FieldType::kCodeSet;
  f.max_items = max_items;
  return f;
}
FieldSpec Integer(std::string name, double min, double max) {
  FieldSpec f;
  f.name = std::move(name);
  f.type = FieldType::kInteger;
  f.min = min;
  f.max = max;
  return f;
}
FieldSpec Number(std::string name, double min, double max) {
  FieldSpec f = Integer(std::move(name), min, max);
  f.type = FieldType::kNumber;
  return f;
}
FieldSpec Date(std::string name) {
  FieldSpec f;
  f.name = std::move(name);
  f.type = FieldType::kDate;
  return f;
}
FieldSpec Boolean(std::string name) {
  FieldSpec f;
  f.name = std::move(name);
  f.type = FieldType::kBoolean;
  return f;
}
FieldSpec Ref(std::string name, std::string resource) {
  FieldSpec f;
  f.name = std::move(name);
  f.type = FieldType::kRef;
  f.ref = std::move(resource);
  // Every reference is a column with a foreign key, so storage itself
  // refuses a dangling reference and a delete of a record still referred to.
  f.column = true;
  f.filterable = true;
  return f;
}
FieldSpec StringList(std::string name, size_t max_length, size_t max_items) {
  FieldSpec f = String(std::move(name), max_length);
  f.type = FieldType::kStringList;
  f.max_items = max_items;
  return f;
}
FieldSpec Object(std::string name, std::vector<FieldSpec> fields) {
  FieldSpec f;
  f.name = std::move(name);
  f.type = FieldType::kObject;
  f.fields = std::move(fields);
  return f;
}
FieldSpec ObjectList(std::string name, std::vector<FieldSpec> fields, size_t max_items) {
  FieldSpec f = Object(std::move(name), std::move(fields));
  f.type = FieldType::kObjectList;
  f.max_items = max_items;
  return f;
}

const FieldSpec* ResourceSpec::FindField(std::string_view field_name) const {
  for (const auto& f : fields) {
    if (f.name == field_name) return &f;
  }
  return nullptr;
}

bool ResourceSpec::HasSealedFields() const {
  for (const FieldSpec& f : fields) {
    if (f.group != FieldGroup::kGeneral) return true;
  }
  return false;
}

std::vector<std::string> ResourceSpec::ColumnNames() const {
  std::vector<std::string> out;
  for (const auto& f : fields) {
    if (f.column) out.push_back(f.name);
  }
  return out;
}

const std::vector<ResourceSpec>& Resources() {
  static const std::vector<ResourceSpec> kResources = Build();
  return kResources;
}

const ResourceSpec* FindResource(std::string_view name) {
  for (const auto& r : Resources()) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

}  // namespace ctims::domain
