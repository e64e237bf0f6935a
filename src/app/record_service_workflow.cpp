// The referral mechanism (issue 4): the workflow part of RecordService.
// Creates and updates of workflow resources pass through BeforeCreate /
// AfterCreate / BeforeUpdate; transitions run the domain's state machines
// (domain/workflow.hpp) and the effects of each step in one transaction.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>

#include "app/audit_log.hpp"
#include "app/field_cipher.hpp"
#include "app/record_service.hpp"
#include "app/record_service_util.hpp"
#include "core/id.hpp"
#include "domain/diff.hpp"
#include "domain/screening.hpp"
#include "domain/validation.hpp"
#include "domain/workflow.hpp"

namespace ctims::app {
using namespace detail;  // NOLINT(google-build-using-namespace): the service's own helpers

namespace {

const domain::ResourceSpec& Spec(std::string_view name) {
  return *domain::FindResource(name);
}

std::string Str(const json& record, const char* key) {
  auto it = record.find(key);
  return (it != record.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

// Who may take an action on a record of a two-party workflow.
enum class Party { kReach, kReceiver, kSender };

Party PartyFor(std::string_view resource, std::string_view action) {
  if (resource == "referrals" || resource == "transfers") {
    if (action == "accept" || action == "decline" || action == "complete") return Party::kReceiver;
    if (action == "revoke") return Party::kSender;
  }
  return Party::kReach;
}

// A required one-line-or-paragraph reason in a transition payload.
Status RequireReason(const json& body, const char* key, std::size_t min, std::size_t max, std::string& out) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_string() || CodePoints(it->get<std::string>()) < min ||
      CodePoints(it->get<std::string>()) > max) {
    return Status::InvalidArgument(
        std::string("this step needs ") + key,
        {{key, "required", "a text of " + std::to_string(min) + " to " + std::to_string(max) + " characters"}});
  }
  out = it->get<std::string>();
  return Status::Ok();
}

Status OptionalText(const json& body, const char* key, std::size_t max, std::string& out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return Status::Ok();
  if (!it->is_string() || CodePoints(it->get<std::string>()) > max) {
    return Status::InvalidArgument(std::string("bad ") + key,
                                   {{key, "type", "a text of at most " + std::to_string(max) + " characters"}});
  }
  out = it->get<std::string>();
  return Status::Ok();
}

Status OptionalCode(const json& body, const char* key, const domain::CodeLists& lists, const char* list,
                    std::string& out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return Status::Ok();
  const auto* codes = lists.Find(list);
  if (!it->is_string() || codes == nullptr || !codes->Contains(it->get<std::string>())) {
    return Status::InvalidArgument(std::string("bad ") + key,
                                   {{key, "codelist", std::string("not a code of list ") + list}});
  }
  out = it->get<std::string>();
  return Status::Ok();
}

Status OptionalDate(const json& body, const char* key, std::string& out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return Status::Ok();
  if (!it->is_string() || !core::IsValidDate(it->get<std::string>())) {
    return Status::InvalidArgument(std::string("bad ") + key,
                                   {{key, "date", "not a real calendar date in the form YYYY-MM-DD"}});
  }
  out = it->get<std::string>();
  return Status::Ok();
}

// Only the members an action takes (and "version") may be sent.
Status OnlyMembers(const json& body, std::initializer_list<const char*> allowed) {
  std::vector<FieldError> errors;
  for (const auto& item : body.items()) {
    const std::string& key = item.key();
    if (key == "version") continue;
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
      errors.push_back({key, "unknown_field", "this step takes no such member"});
    }
  }
  if (!errors.empty()) return Status::InvalidArgument("unknown members for this step", std::move(errors));
  return Status::Ok();
}

Status Precondition(const std::string& field, const std::string& message) {
  return Status::Conflict(message, {{field, "precondition", message}});
}

// The deciding organisation a screening decision is recorded under, from the
// deciding agency's type (HTCDS vic_TraffickingStatusDecisionMakingOrg).
std::string DecisionOrgFor(const std::string& org_type) {
  if (org_type == "LawEnforcement") return "Police";
  if (org_type == "NGO") return "NGO";
  if (org_type == "LegalService") return "CourtOrProsecution";
  return "NonPoliceGovernmentalOrganization";
}

void ApplySuggestion(json& record) {
  std::vector<domain::IndicatorAnswer> answers;
  auto it = record.find("scr_Indicators");
  if (it != record.end() && it->is_array()) {
    for (const auto& a : *it) answers.push_back({Str(a, "ind_Code"), Str(a, "ind_Answer")});
  }
  const domain::ScreeningSuggestion s = domain::SuggestTraffickingStatus(answers);
  record["scr_Assessment"] = s.assessment;
  if (s.trafficking_status.empty()) {
    record.erase("scr_SuggestedStatus");
  } else {
    record["scr_SuggestedStatus"] = s.trafficking_status;
  }
  if (s.basis.empty()) {
    record.erase("scr_SuggestionBasis");
  } else {
    record["scr_SuggestionBasis"] = s.basis;
  }
  if (s.ilo_forced_labour.empty()) {
    record.erase("scr_IloIndicators");
  } else {
    record["scr_IloIndicators"] = s.ilo_forced_labour;
  }
  record["scr_Explanation"] = s.explanation;
}

}  // namespace

// ---- one transition in progress ---------------------------------------------

struct RecordService::Step {
  const domain::ResourceSpec& spec;
  const domain::StateMachine& machine;
  std::string action;
  const json& body;
  const Principal& caller;
  StoreTransaction& tx;
  const Reach& reach;
  StoredRecord current;
  json before;
  json after;
  std::string from;
  std::string to;
  std::string now;    // timestamp
  std::string today;  // date
};

Result<StoredRecord> RecordService::WriteInTx(StoreTransaction& tx, const domain::ResourceSpec& spec,
                                              const StoredRecord& current, const json& before, const json& after,
                                              std::string_view action, const Principal& caller) {
  const TableDef table = TableFor(spec);
  CTIMS_ASSIGN_OR_RETURN(StoredRecord stored, ToStored(spec, table, after, current.id, options_.cipher));
  stored.version = current.version + 1;
  stored.created_at = current.created_at;
  stored.updated_at = Now();
  stored.access = current.access;
  if (spec.name == "cases") {
    CTIMS_ASSIGN_OR_RETURN(stored.access, TagFor(spec, after, stored.id, tx, caller, &current.access));
  }
  CTIMS_RETURN_IF_ERROR(tx.Update(table, stored, current.version));
  if (spec.name == "cases" && !(stored.access == current.access)) {
    CTIMS_RETURN_IF_ERROR(PropagateCaseAccess(tx, after, stored.access));
  }
  CTIMS_ASSIGN_OR_RETURN(std::string history,
                         ChangesText(spec, stored.id, stored.version, domain::Diff(before, after), options_.cipher));
  CTIMS_RETURN_IF_ERROR(tx.AppendHistory({0, spec.name, stored.id, stored.version, std::string(action), caller.user_id,
                                          stored.updated_at, std::move(history), stored.access}));
  CTIMS_RETURN_IF_ERROR(AuditInTx(tx, caller, action, spec.name, stored.id));
  return stored;
}

Status RecordService::Notify(StoreTransaction& tx, Notification n) {
  n.id = core::NewId(clock_);
  if (n.created_at.empty()) n.created_at = Now();
  if (n.dedupe_key.empty()) n.dedupe_key = n.kind + ":" + n.record_id + ":" + n.id;
  return tx.InsertNotification(n).status();
}

Status RecordService::AddTask(StoreTransaction& tx, WorkTask task) {
  task.id = core::NewId(clock_);
  task.created_at = Now();
  return tx.InsertTask(task);
}

// A case's current record, read by the workflow inside its transaction
// (authorisation was done on the step's own record).
static Result<std::pair<StoredRecord, json>> LoadCase(StoreTransaction& tx, const std::string& case_id,
                                                      const FieldCipher* cipher) {
  const auto& spec = Spec("cases");
  const TableDef table = TableFor(spec);
  CTIMS_ASSIGN_OR_RETURN(auto row, tx.Get(table, case_id));
  if (!row) return Status::Internal("case vanished inside the transaction");
  CTIMS_ASSIGN_OR_RETURN(json fields, Fields(spec, table, *row, cipher));
  return std::make_pair(std::move(*row), std::move(fields));
}

// The consent a referral or transfer relies on: the case's Referral consent
// that is Given (not refused or withdrawn). Empty when none.
static Result<std::string> ReferralConsent(StoreTransaction& tx, const std::string& case_id) {
  const TableDef table = TableFor(Spec("consents"));
  ListQuery q;
  q.filters.push_back({Filter::Kind::kColumn, "case_id", case_id});
  q.filters.push_back({Filter::Kind::kBody, "cns_Purpose", "Referral"});
  q.filters.push_back({Filter::Kind::kBody, "cns_Status", "Given"});
  q.limit = 1;
  q.access = AccessFilter{};
  q.access->include_protected = true;
  CTIMS_ASSIGN_OR_RETURN(auto rows, tx.List(table, q));
  return rows.empty() ? std::string() : rows.front().id;
}

// Organisations named inside an investigation's lists must exist.
static Status CheckNestedOrganisations(const json& record, StoreTransaction& tx) {
  const TableDef organisations = TableFor(Spec("organisations"));
  std::vector<FieldError> errors;
  for (const char* list : {"inv_Suspects", "inv_Organisations"}) {
    auto it = record.find(list);
    if (it == record.end() || !it->is_array()) continue;
    for (std::size_t i = 0; i < it->size(); ++i) {
      const std::string id = Str((*it)[i], "organisation_id");
      if (id.empty()) continue;
      CTIMS_ASSIGN_OR_RETURN(bool found, tx.Exists(organisations, id));
      if (!found) {
        errors.push_back({std::string(list) + "[" + std::to_string(i) + "].organisation_id", "reference",
                          "no Organisation with this id"});
      }
    }
  }
  if (!errors.empty()) return Status::InvalidArgument("references to missing records", std::move(errors));
  return Status::Ok();
}

Status RecordService::BeforeCreate(const domain::ResourceSpec& spec, json& record, StoreTransaction& tx,
                                   const Reach& reach, const Principal& caller) {
  (void)reach;
  const std::string now = Now();
  if (spec.name == "screenings") {
    if (!record.contains("agency_id") && !caller.agency_id.empty()) record["agency_id"] = caller.agency_id;
    record["scr_RecordedBy"] = caller.user_id;
    ApplySuggestion(record);
    return Status::Ok();
  }
  if (spec.name == "investigations") {
    CTIMS_RETURN_IF_ERROR(CheckNestedOrganisations(record, tx));
    if (caller.agency_id.empty()) {
      return Status::PermissionDenied("an investigation belongs to an agency",
                                      {{"agency_id", "scope", "your account has no agency"}});
    }
    record["agency_id"] = caller.agency_id;
    return Status::Ok();
  }
  if (spec.name != "referrals" && spec.name != "transfers") return Status::Ok();

  const bool referral = spec.name == "referrals";
  const char* p = referral ? "ref_" : "trf_";
  const std::string case_id = Str(record, "case_id");
  CTIMS_ASSIGN_OR_RETURN(auto kase, LoadCase(tx, case_id, options_.cipher));
  const std::string owner = Str(kase.second, "owner_agency_id");
  std::string from = caller.agency_id;
  if (!referral) {
    // Only the owning agency hands its case over.
    if (caller.agency_id != owner) {
      return Status::PermissionDenied("only the agency that owns the case may transfer it",
                                      {{"case_id", "owner_only", "your agency does not own this case"}});
    }
    from = owner;
  }
  if (from.empty()) {
    return Status::PermissionDenied("a referral comes from an agency",
                                    {{"from_agency_id", "scope", "your account has no agency"}});
  }
  if (Str(record, "to_agency_id") == from) {
    return Status::InvalidArgument("an agency does not refer to itself",
                                   {{"to_agency_id", "different", "name another agency"}});
  }
  const std::string status = Str(kase.second, "cas_Status");
  if (status == "Closed" || status == "ClosedReferred") {
    return Precondition("case_id", "the case is closed");
  }
  // One pending request per case and receiving agency (per case for
  // transfers): a second would race the first.
  {
    ListQuery q;
    q.filters.push_back({Filter::Kind::kColumn, "case_id", case_id});
    q.filters.push_back({Filter::Kind::kColumn, referral ? "ref_Status" : "trf_Status", "Requested"});
    if (referral) q.filters.push_back({Filter::Kind::kColumn, "to_agency_id", Str(record, "to_agency_id")});
    q.limit = 1;
    q.access = AccessFilter{};
    q.access->include_protected = true;
    CTIMS_ASSIGN_OR_RETURN(auto pending, tx.List(TableFor(spec), q));
    if (!pending.empty()) {
      return Status::Conflict("a request is already pending",
                              {{referral ? "to_agency_id" : "case_id", "duplicate",
                                "answer or revoke the pending " + spec.title + " first"}});
    }
  }
  // Consent before sharing (issue 4 §3, DESIGN §5), or an audited override.
  CTIMS_ASSIGN_OR_RETURN(std::string consent, ReferralConsent(tx, case_id));
  const std::string override_field = std::string(p) + "ConsentOverrideReason";
  if (!consent.empty()) {
    record["consent_id"] = consent;
    record[std::string(p) + "ConsentOverridden"] = false;
  } else if (record.contains(override_field)) {
    if (!caller.Allows(spec.name, "override_consent")) {
      return Status::PermissionDenied("your role may not refer without consent",
                                      {{override_field, "permission", "needs the override_consent permission"}});
    }
    if (CodePoints(Str(record, override_field.c_str())) < 20) {
      return Status::InvalidArgument("state why consent is overridden",
                                     {{override_field, "length", "at least 20 characters"}});
    }
    record[std::string(p) + "ConsentOverridden"] = true;
  } else {
    return Status::Conflict(
        "no recorded consent to referral for this case",
        {{"consent_id", "consent_required", "record a Referral consent with status Given, or give " + override_field}});
  }
  record["from_agency_id"] = from;
  record[std::string(p) + "RequestedBy"] = caller.user_id;
  record[std::string(p) + "RequestedAt"] = now;
  if (referral) record["ref_DueAt"] = core::FormatTimestamp(clock_.Now() + options_.referral_answer_time);
  return Status::Ok();
}

Status RecordService::AfterCreate(const domain::ResourceSpec& spec, const json& record, const std::string& id,
                                  StoreTransaction& tx, const Principal& caller) {
  const std::string case_id = Str(record, "case_id");
  if (spec.name == "referrals" || spec.name == "transfers") {
    const bool referral = spec.name == "referrals";
    if (record.value(referral ? "ref_ConsentOverridden" : "trf_ConsentOverridden", false)) {
      CTIMS_RETURN_IF_ERROR(AuditInTx(tx, caller, "consent_override", spec.name, id));
    }
    WorkTask task;
    task.kind = referral ? "AnswerReferral" : "AnswerTransfer";
    task.agency_id = Str(record, "to_agency_id");
    task.case_id = case_id;
    task.resource = spec.name;
    task.record_id = id;
    task.due_at = core::FormatTimestamp(clock_.Now() + options_.referral_answer_time);
    CTIMS_RETURN_IF_ERROR(AddTask(tx, task));
    Notification n;
    n.kind = referral ? "ReferralReceived" : "TransferReceived";
    n.agency_id = task.agency_id;
    n.audience = spec.name + ":accept";
    n.case_id = case_id;
    n.resource = spec.name;
    n.record_id = id;
    n.dedupe_key = n.kind + ":" + id;
    return Notify(tx, n);
  }
  if (spec.name == "screenings") {
    CTIMS_ASSIGN_OR_RETURN(auto kase, LoadCase(tx, case_id, options_.cipher));
    WorkTask task;
    task.kind = "ConfirmScreening";
    task.agency_id = Str(kase.second, "owner_agency_id");
    task.case_id = case_id;
    task.resource = spec.name;
    task.record_id = id;
    task.due_at = core::FormatTimestamp(clock_.Now() + options_.approval_time);
    CTIMS_RETURN_IF_ERROR(AddTask(tx, task));
    Notification n;
    n.kind = "ApprovalRequested";
    n.agency_id = task.agency_id;
    n.audience = "screenings:confirm";
    n.case_id = case_id;
    n.resource = spec.name;
    n.record_id = id;
    n.dedupe_key = "ApprovalRequested:" + id;
    return Notify(tx, n);
  }
  return Status::Ok();
}

Status RecordService::BeforeUpdate(const domain::ResourceSpec& spec, const json& before, json& after,
                                   StoreTransaction& tx) {
  const auto* machine = domain::FindMachine(spec.name);
  if (machine != nullptr) {
    const std::string state = Str(before, machine->state_field.c_str());
    if (!machine->IsEditable(state)) {
      const std::string message = "a " + machine->name + " in state " + state + " can no longer be edited";
      return Status::Conflict(message, {{machine->state_field, "locked", message}})
          .WithAllowedActions(machine->AllowedActions(state));
    }
  }
  if (spec.name == "screenings") ApplySuggestion(after);
  if (spec.name == "investigations") return CheckNestedOrganisations(after, tx);
  return Status::Ok();
}

// ---- transitions ----------------------------------------------------------------

Result<json> RecordService::TransitionImpl(const domain::ResourceSpec& spec, const std::string& id,
                                           const std::string& action, const json& body, const Principal& caller) {
  const auto* machine = domain::FindMachine(spec.name);
  if (machine == nullptr || machine->resource == "tasks") {
    return Status::NotFound(spec.title + " records have no workflow");
  }
  CTIMS_RETURN_IF_ERROR(RequireFullSession(caller));
  const auto& actions = machine->transitions;
  if (std::none_of(actions.begin(), actions.end(), [&](const auto& t) { return t.action == action; })) {
    // Next() words the error and lists the machine's actions.
    return machine->Next(machine->initial, action).status();
  }
  if (!caller.Allows(spec.name, action)) return Denied(spec, action);
  if (!body.is_object()) return Status::InvalidArgument("expected a JSON object", {{"", "type", "object"}});
  if (!core::IsCanonicalId(id)) return NotFoundIn(spec);
  CTIMS_ASSIGN_OR_RETURN(std::int64_t expected, ExpectedVersion(body, std::nullopt));

  const TableDef table = TableFor(spec);
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kWrite));
  CTIMS_ASSIGN_OR_RETURN(const Reach reach, ResolveReach(*tx, caller));
  CTIMS_ASSIGN_OR_RETURN(auto current, tx->Get(table, id));
  if (!current) return NotFoundIn(spec);
  CTIMS_ASSIGN_OR_RETURN(bool reachable, CanReach(*tx, reach, current->access, current->id));
  CTIMS_ASSIGN_OR_RETURN(json before, Fields(spec, table, *current, options_.cipher));
  switch (PartyFor(spec.name, action)) {
    case Party::kReach:
      if (!reachable) return NotFoundIn(spec);
      break;
    case Party::kReceiver:
      if (caller.agency_id.empty() || Str(before, "to_agency_id") != caller.agency_id) {
        if (!reachable) return NotFoundIn(spec);
        return Status::PermissionDenied("only the receiving agency may " + action + " this " + spec.title,
                                        {{"to_agency_id", "party", "your agency is not the receiving agency"}});
      }
      break;
    case Party::kSender:
      if (!reachable) return NotFoundIn(spec);
      if (Str(before, "from_agency_id") != caller.agency_id) {
        return Status::PermissionDenied("only the sending agency may " + action + " this " + spec.title,
                                        {{"from_agency_id", "party", "your agency is not the sending agency"}});
      }
      break;
  }
  if (current->version != expected) {
    return Status::Conflict("stale version: the record is at version " + std::to_string(current->version),
                            {{"version", "stale", "current version is " + std::to_string(current->version)}});
  }
  const std::string from = Str(before, machine->state_field.c_str());
  std::string to;
  const bool several =
      std::any_of(actions.begin(), actions.end(), [&](const auto& t) { return t.action == action && t.to.size() > 1; });
  {
    // The state must allow the action; for an action with several targets
    // Next() says so with kInternal once the state is right, and ApplyStep
    // picks the target.
    auto next = machine->Next(from, action);
    if (next.ok()) {
      to = *next;
    } else if (next.status().code() == core::StatusCode::kConflict) {
      return Status(next.status()).WithAllowedActions(machine->AllowedActions(from));
    } else if (!several) {
      return next.status();
    }
  }

  Step step{spec,     *machine, action, body, caller, *tx,   reach,
            *current, before,   before, from, to,     Now(), core::FormatDate(clock_.Now())};
  CTIMS_RETURN_IF_ERROR(ApplyStep(step));
  if (step.to.empty() || !machine->Allows(from, action, step.to)) {
    return Status::Internal("transition target not allowed by the machine");
  }
  step.after[machine->state_field] = step.to;
  CTIMS_RETURN_IF_ERROR(ValidateRecord(spec, step.after, codelists_, Context()));
  domain::DropNulls(step.after);
  CTIMS_ASSIGN_OR_RETURN(StoredRecord stored, WriteInTx(*tx, spec, *current, before, step.after, action, caller));
  step.current = stored;
  CTIMS_RETURN_IF_ERROR(AfterStep(step));
  CTIMS_RETURN_IF_ERROR(tx->Commit());
  json out = WithMeta(std::move(step.after), stored);
  StripUnreadable(spec, caller.role, out);
  return out;
}

// Checks the payload and preconditions of a step and sets what it changes on
// the record itself (step.after, and step.to where the action has several
// targets).
Status RecordService::ApplyStep(Step& step) {
  const std::string& r = step.spec.name;
  const std::string& a = step.action;
  const json& body = step.body;
  json& after = step.after;

  if (r == "cases") {
    if (a == "request_closure") {
      CTIMS_RETURN_IF_ERROR(OnlyMembers(body, {"closure_reason", "note"}));
      std::string reason;
      std::string note;
      CTIMS_RETURN_IF_ERROR(OptionalCode(body, "closure_reason", codelists_, "closure_reason", reason));
      if (reason.empty()) {
        return Status::InvalidArgument("closing a case needs a reason",
                                       {{"closure_reason", "required", "a code of list closure_reason"}});
      }
      CTIMS_RETURN_IF_ERROR(OptionalText(body, "note", 5000, note));
      after["cas_ClosureReason"] = reason;
      if (note.empty()) {
        after.erase("cas_ReasonForCaseClosure");
      } else {
        after["cas_ReasonForCaseClosure"] = note;
      }
      after["cas_ClosureRequestedBy"] = step.caller.user_id;
      return Status::Ok();
    }
    if (a == "approve_closure") {
      CTIMS_RETURN_IF_ERROR(OnlyMembers(body, {}));
      // Nothing may be left hanging: pending referrals and transfers are
      // answered or revoked first.
      for (const char* res : {"referrals", "transfers"}) {
        ListQuery q;
        q.filters.push_back({Filter::Kind::kColumn, "case_id", step.current.id});
        q.filters.push_back(
            {Filter::Kind::kColumn, std::string(res) == "referrals" ? "ref_Status" : "trf_Status", "Requested"});
        q.limit = 1;
        q.access = AccessFilter{};
        q.access->include_protected = true;
        CTIMS_ASSIGN_OR_RETURN(auto pending, step.tx.List(TableFor(Spec(res)), q));
        if (!pending.empty()) {
          return Precondition(res, std::string("a pending ") + Spec(res).title + " must be answered or revoked first");
        }
      }
      const std::string reason = Str(after, "cas_ClosureReason");
      step.to = (reason == "ReferredToOtherAgency" || reason == "TransferredOwnership") ? "ClosedReferred" : "Closed";
      after["cas_ClosedOn"] = step.today;
      return Status::Ok();
    }
    if (a == "reject_closure" || a == "reopen") {
      CTIMS_RETURN_IF_ERROR(OnlyMembers(body, {}));
      for (const char* k :
           {"cas_ClosureReason", "cas_ReasonForCaseClosure", "cas_ClosureRequestedBy", "cas_ClosedOn"}) {
        after.erase(k);
      }
      return Status::Ok();
    }
    return OnlyMembers(body, {});  // follow_up, reactivate
  }

  if (r == "screenings") {
    std::string org;
    CTIMS_RETURN_IF_ERROR(OnlyMembers(body, {"trafficking_status", "reason", "decision_org"}));
    CTIMS_RETURN_IF_ERROR(OptionalCode(body, "decision_org", codelists_, "trafficking_status_decision_org", org));
    if (org.empty()) {
      CTIMS_ASSIGN_OR_RETURN(auto agency, step.tx.Get(TableFor(Spec("agencies")), step.caller.agency_id));
      std::string type;
      if (agency) {
        CTIMS_ASSIGN_OR_RETURN(json fields, Fields(Spec("agencies"), TableFor(Spec("agencies")), *agency, nullptr));
        type = Str(fields, "org_Type");
      }
      org = DecisionOrgFor(type);
    }
    if (a == "confirm") {
      if (body.contains("trafficking_status")) {
        return Status::InvalidArgument("confirm takes the suggestion; override to decide otherwise",
                                       {{"trafficking_status", "unknown_field", "use override"}});
      }
      const std::string suggested = Str(after, "scr_SuggestedStatus");
      if (suggested.empty()) {
        return Precondition("scr_SuggestedStatus",
                            "the indicators give no suggestion to confirm; override with a status and a reason");
      }
      after["scr_DecidedStatus"] = suggested;
      std::string reason;
      CTIMS_RETURN_IF_ERROR(OptionalText(body, "reason", 2000, reason));
      if (!reason.empty()) after["scr_DecisionReason"] = reason;
    } else {  // override
      std::string status;
      std::string reason;
      CTIMS_RETURN_IF_ERROR(OptionalCode(body, "trafficking_status", codelists_, "trafficking_status", status));
      if (status.empty()) {
        return Status::InvalidArgument("an override names the status",
                                       {{"trafficking_status", "required", "a code of list trafficking_status"}});
      }
      CTIMS_RETURN_IF_ERROR(RequireReason(body, "reason", 10, 2000, reason));
      after["scr_DecidedStatus"] = status;
      after["scr_DecisionReason"] = reason;
    }
    after["scr_DecisionOrg"] = org;
    after["scr_DecidedBy"] = step.caller.user_id;
    after["scr_DecidedAt"] = step.now;
    return Status::Ok();
  }

  if (r == "referrals" || r == "transfers") {
    const char* p = r == "referrals" ? "ref_" : "trf_";
    if (a == "decline") {
      std::string reason;
      CTIMS_RETURN_IF_ERROR(OnlyMembers(body, {"reason"}));
      CTIMS_RETURN_IF_ERROR(RequireReason(body, "reason", 5, 1000, reason));
      after[std::string(p) + "DeclineReason"] = reason;
    } else if (a == "complete") {
      std::string outcome;
      CTIMS_RETURN_IF_ERROR(OnlyMembers(body, {"outcome"}));
      CTIMS_RETURN_IF_ERROR(OptionalText(body, "outcome", 2000, outcome));
      if (!outcome.empty()) after["ref_Outcome"] = outcome;
      after["ref_CompletedAt"] = step.now;
      return Status::Ok();
    } else {
      CTIMS_RETURN_IF_ERROR(OnlyMembers(body, {}));
    }
    if (a == "accept" && r == "transfers") {
      CTIMS_ASSIGN_OR_RETURN(auto kase, LoadCase(step.tx, Str(after, "case_id"), options_.cipher));
      if (Str(kase.second, "owner_agency_id") != Str(after, "from_agency_id")) {
        return Precondition("case_id", "the case changed owner since the transfer was requested");
      }
    }
    after[std::string(p) + "AnsweredBy"] = step.caller.user_id;
    after[std::string(p) + "AnsweredAt"] = step.now;
    return Status::Ok();
  }

  if (r == "repatriations") {
    if (a == "documents_ready") {
      CTIMS_RETURN_IF_ERROR(OnlyMembers(body, {}));
      const std::string docs = Str(after, "rep_TravelDocumentStatus");
      if (docs != "Issued" && docs != "NotRequired") {
        return Precondition("rep_TravelDocumentStatus", "travel documents must be Issued (or NotRequired) first");
      }
      return Status::Ok();
    }
    if (a == "depart") {
      std::string date = step.today;
      CTIMS_RETURN_IF_ERROR(OnlyMembers(body, {"departure_date"}));
      CTIMS_RETURN_IF_ERROR(OptionalDate(body, "departure_date", date));
      if (Str(after, "rep_BorderCrossingPoint").empty()) {
        return Precondition("rep_BorderCrossingPoint", "record the border crossing point before departure");
      }
      after["rep_DepartureDate"] = date;
      return Status::Ok();
    }
    if (a == "receive") {
      std::string date = step.today;
      CTIMS_RETURN_IF_ERROR(OnlyMembers(body, {"arrival_date"}));
      CTIMS_RETURN_IF_ERROR(OptionalDate(body, "arrival_date", date));
      if (Str(after, "receiving_organisation_id").empty()) {
        return Precondition("receiving_organisation_id", "record the receiving organisation first");
      }
      after["rep_ArrivalDate"] = date;
      return Status::Ok();
    }
    if (a == "follow_up") {
      CTIMS_RETURN_IF_ERROR(OnlyMembers(body, {}));
      auto it = after.find("rep_FollowUps");
      if (it == after.end() || !it->is_array() || it->empty()) {
        return Precondition("rep_FollowUps", "record at least one follow-up visit first");
      }
      return Status::Ok();
    }
    std::string reason;  // cancel
    CTIMS_RETURN_IF_ERROR(OnlyMembers(body, {"reason"}));
    CTIMS_RETURN_IF_ERROR(RequireReason(body, "reason", 5, 1000, reason));
    after["rep_CancelReason"] = reason;
    return Status::Ok();
  }

  if (r == "investigations") {
    if (a == "send_to_prosecution") {
      std::string ref;
      CTIMS_RETURN_IF_ERROR(OnlyMembers(body, {"prosecution_reference"}));
      CTIMS_RETURN_IF_ERROR(OptionalText(body, "prosecution_reference", 64, ref));
      if (!ref.empty()) after["inv_ProsecutionReference"] = ref;
      return Status::Ok();
    }
    if (a == "resolve") {
      std::string outcome;
      CTIMS_RETURN_IF_ERROR(OnlyMembers(body, {"outcome"}));
      CTIMS_RETURN_IF_ERROR(OptionalText(body, "outcome", 5000, outcome));
      if (!outcome.empty()) after["inv_Outcome"] = outcome;
      after["inv_ResolvedOn"] = step.today;
      return Status::Ok();
    }
    if (a == "close_without_action") {
      std::string reason;
      CTIMS_RETURN_IF_ERROR(OnlyMembers(body, {"reason"}));
      CTIMS_RETURN_IF_ERROR(RequireReason(body, "reason", 5, 5000, reason));
      after["inv_Outcome"] = reason;
      return Status::Ok();
    }
    return OnlyMembers(body, {});  // start
  }
  return OnlyMembers(body, {});
}

// What a step changes beyond its record: the case, shares, tasks and
// notifications, in the step's transaction.
Status RecordService::AfterStep(Step& step) {
  const std::string& r = step.spec.name;
  const std::string& a = step.action;
  const std::string id = step.current.id;
  const std::string case_id = r == "cases" ? id : Str(step.after, "case_id");
  const auto close_tasks = [&](std::string_view resource, const std::string& record, std::string_view kind,
                               std::string_view status) {
    return step.tx.CloseTasks(resource, record, kind, status, step.now, step.caller.user_id).status();
  };

  if (r == "cases") {
    if (a == "request_closure") {
      WorkTask task;
      task.kind = "ApproveClosure";
      task.agency_id = Str(step.after, "owner_agency_id");
      task.case_id = id;
      task.resource = "cases";
      task.record_id = id;
      task.due_at = core::FormatTimestamp(clock_.Now() + options_.approval_time);
      CTIMS_RETURN_IF_ERROR(AddTask(step.tx, task));
      Notification n;
      n.kind = "ApprovalRequested";
      n.agency_id = task.agency_id;
      n.audience = "cases:approve_closure";
      n.case_id = id;
      n.resource = "cases";
      n.record_id = id;
      return Notify(step.tx, n);
    }
    if (a == "approve_closure" || a == "reject_closure") {
      CTIMS_RETURN_IF_ERROR(close_tasks("cases", id, "ApproveClosure", "Done"));
      Notification n;
      n.kind = "ApprovalAnswered";
      n.user_id = Str(step.before, "cas_ClosureRequestedBy");
      n.case_id = id;
      n.resource = "cases";
      n.record_id = id;
      if (n.user_id.empty()) return Status::Ok();
      return Notify(step.tx, n);
    }
    return Status::Ok();
  }

  if (r == "screenings") {
    // The decision becomes the case's trafficking status.
    CTIMS_ASSIGN_OR_RETURN(auto kase, LoadCase(step.tx, case_id, options_.cipher));
    json case_after = kase.second;
    case_after["vic_TraffickingStatus"] = step.after["scr_DecidedStatus"];
    case_after["vic_TraffickingStatusDecisionMakingOrg"] = step.after["scr_DecisionOrg"];
    if (case_after != kase.second) {
      CTIMS_RETURN_IF_ERROR(
          WriteInTx(step.tx, Spec("cases"), kase.first, kase.second, case_after, "screening_decision", step.caller)
              .status());
    }
    CTIMS_RETURN_IF_ERROR(close_tasks("screenings", id, "ConfirmScreening", "Done"));
    Notification n;
    n.kind = "ApprovalAnswered";
    n.user_id = Str(step.after, "scr_RecordedBy");
    n.case_id = case_id;
    n.resource = "screenings";
    n.record_id = id;
    return Notify(step.tx, n);
  }

  if (r == "referrals" || r == "transfers") {
    const bool referral = r == "referrals";
    const std::string to_agency = Str(step.after, "to_agency_id");
    const std::string from_agency = Str(step.after, "from_agency_id");
    if (a == "accept" || a == "decline" || a == "revoke") {
      CTIMS_RETURN_IF_ERROR(close_tasks(r, id, "", a == "revoke" ? "Cancelled" : "Done"));
    }
    if (a == "accept" && referral) {
      // The receiving agency now reaches the case under its own role.
      CTIMS_ASSIGN_OR_RETURN(auto kase, LoadCase(step.tx, case_id, options_.cipher));
      CaseShare share;
      share.id = core::NewId(clock_);
      share.case_id = case_id;
      share.person_id = Str(kase.second, "person_id");
      share.agency_id = to_agency;
      share.source = "referral";
      share.source_id = id;
      share.granted_at = step.now;
      CTIMS_RETURN_IF_ERROR(step.tx.InsertShare(share));
      // Issue 8: the receiving agency may know this person already.
      const auto& persons_spec = Spec("persons");
      CTIMS_ASSIGN_OR_RETURN(auto person, step.tx.Get(TableFor(persons_spec), share.person_id));
      if (person) {
        CTIMS_ASSIGN_OR_RETURN(json fields, Fields(persons_spec, TableFor(persons_spec), *person, options_.cipher));
        CTIMS_RETURN_IF_ERROR(ProposeDuplicatesInTx(step.tx, step.reach, person->id, fields, "referral").status());
      }
    }
    if (a == "accept" && !referral) {
      // Ownership moves: the case, everything under it and its person
      // (when the sending agency held it) now belong to the receiver.
      CTIMS_ASSIGN_OR_RETURN(auto kase, LoadCase(step.tx, case_id, options_.cipher));
      json case_after = kase.second;
      case_after["owner_agency_id"] = to_agency;
      CTIMS_RETURN_IF_ERROR(
          WriteInTx(step.tx, Spec("cases"), kase.first, kase.second, case_after, "transfer", step.caller).status());
      const TableDef persons = TableFor(Spec("persons"));
      CTIMS_ASSIGN_OR_RETURN(auto person, step.tx.Get(persons, Str(kase.second, "person_id")));
      if (person && person->access.agency == from_agency) {
        AccessTag tag = person->access;
        tag.agency = to_agency;
        CTIMS_ASSIGN_OR_RETURN(tag.path, AgencyPath(step.tx, to_agency));
        CTIMS_RETURN_IF_ERROR(step.tx.SetAccess(persons, person->id, tag));
      }
    }
    if (a == "revoke") return Status::Ok();
    Notification n;
    n.kind = referral ? "ReferralAnswered" : "TransferAnswered";
    n.agency_id = from_agency;
    n.audience = r + ":create";
    n.case_id = case_id;
    n.resource = r;
    n.record_id = id;
    n.dedupe_key = n.kind + ":" + a + ":" + id;
    return Notify(step.tx, n);
  }

  if (r == "repatriations") {
    if (a == "receive") {
      CTIMS_ASSIGN_OR_RETURN(auto kase, LoadCase(step.tx, case_id, options_.cipher));
      WorkTask task;
      task.kind = "FollowUpReturn";
      task.agency_id = Str(kase.second, "owner_agency_id");
      task.case_id = case_id;
      task.resource = "repatriations";
      task.record_id = id;
      task.due_at = core::FormatTimestamp(clock_.Now() + options_.return_follow_up_time);
      return AddTask(step.tx, task);
    }
    if (a == "follow_up") return close_tasks("repatriations", id, "FollowUpReturn", "Done");
    if (a == "cancel") return close_tasks("repatriations", id, "", "Cancelled");
  }
  return Status::Ok();
}

// ---- inbox, tasks, notifications ---------------------------------------------------

Result<json> RecordService::Inbox(const domain::ResourceSpec& spec, const InboxRequest& request,
                                  const Principal& caller) {
  CTIMS_RETURN_IF_ERROR(CheckAction(caller, spec, "list"));
  if (spec.name != "referrals" && spec.name != "transfers") return Status::NotFound("no inbox for " + spec.name);
  const char* state_field = spec.name == "referrals" ? "ref_Status" : "trf_Status";
  std::vector<FieldError> errors;
  std::size_t page = kDefaultPageSize;
  if (request.limit && (!ParseSize(*request.limit, page) || page < 1 || page > kMaxPageSize)) {
    errors.push_back({"limit", "range", "limit must be an integer from 1 to " + std::to_string(kMaxPageSize)});
  }
  if (request.cursor && !core::IsCanonicalId(*request.cursor)) {
    errors.push_back({"cursor", "format", "not a cursor returned by this list"});
  }
  const std::string list = spec.name == "referrals" ? "referral_status" : "transfer_status";
  if (request.status && (codelists_.Find(list) == nullptr || !codelists_.Find(list)->Contains(*request.status))) {
    errors.push_back({"status", "codelist", "not a code of list " + list});
  }
  if (!errors.empty()) return Status::InvalidArgument("bad list parameters", std::move(errors));
  if (caller.agency_id.empty()) return json{{"items", json::array()}, {"next_cursor", nullptr}};

  const TableDef table = TableFor(spec);
  const std::string now = Now();
  ListQuery query;
  query.filters.push_back(
      {Filter::Kind::kColumn, request.outbox ? "from_agency_id" : "to_agency_id", caller.agency_id});
  if (request.overdue_only) {
    query.filters.push_back({Filter::Kind::kColumn, state_field, "Requested"});
  } else if (request.status) {
    query.filters.push_back({Filter::Kind::kColumn, state_field, *request.status});
  }
  // The agency's own requests, whatever the case's scope or protection:
  // they are addressed to it (or sent by it).
  query.access = AccessFilter{};
  query.access->include_protected = true;
  query.after_id = request.cursor.value_or("");
  query.limit = page + 1;
  json items = json::array();
  std::optional<std::string> next;
  std::vector<std::string> ids;
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kRead));
  // Overdue is computed, so filter and keep reading pages until full.
  for (int rounds = 0; rounds < 100; ++rounds) {
    CTIMS_ASSIGN_OR_RETURN(auto rows, tx->List(table, query));
    for (std::size_t i = 0; i < rows.size(); ++i) {
      CTIMS_ASSIGN_OR_RETURN(json record, Fields(spec, table, rows[i], options_.cipher));
      const std::string due = Str(record, "ref_DueAt");
      const bool overdue = Str(record, state_field) == "Requested" && !due.empty() && due < now;
      if (request.overdue_only && !overdue) continue;
      if (items.size() == page) {
        next = ids.back();
        break;
      }
      json item = WithMeta(std::move(record), rows[i]);
      StripUnreadable(spec, caller.role, item);
      item["overdue"] = overdue;
      ids.push_back(rows[i].id);
      items.push_back(std::move(item));
    }
    if (next || rows.size() < query.limit) break;
    query.after_id = rows.back().id;
  }
  tx.reset();
  CTIMS_RETURN_IF_ERROR(AuditRecord(caller, request.outbox ? "outbox" : "inbox", spec.name, ids, "ok"));
  return json{{"items", std::move(items)}, {"next_cursor", next ? json(*next) : json(nullptr)}};
}

namespace {

json TaskJson(const WorkTask& t, const std::string& now) {
  return {{"id", t.id},
          {"version", t.version},
          {"kind", t.kind},
          {"status", t.status},
          {"agency_id", t.agency_id},
          {"user_id", t.user_id.empty() ? json(nullptr) : json(t.user_id)},
          {"case_id", t.case_id.empty() ? json(nullptr) : json(t.case_id)},
          {"resource", t.resource},
          {"record_id", t.record_id},
          {"due_at", t.due_at},
          {"created_at", t.created_at},
          {"closed_at", t.closed_at.empty() ? json(nullptr) : json(t.closed_at)},
          {"overdue", t.status == "Open" && t.due_at < now}};
}

}  // namespace

Result<json> RecordService::Tasks(const TaskRequest& request, const Principal& caller) {
  CTIMS_RETURN_IF_ERROR(RequireFullSession(caller));
  if (request.assignee != "me" && request.assignee != "agency") {
    return Status::InvalidArgument("bad assignee", {{"assignee", "enum", "me or agency"}});
  }
  const std::string now = Now();
  TaskQuery q;
  q.agency_id = caller.agency_id;
  q.user_id = request.assignee == "me" ? caller.user_id : "";
  q.open_only = !request.include_closed;
  if (request.overdue_only) {
    q.open_only = true;
    q.due_before = now;
  }
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kRead));
  CTIMS_ASSIGN_OR_RETURN(auto tasks, tx->ListTasks(q));
  json items = json::array();
  for (const auto& t : tasks) {
    // "me": addressed to me, or to my agency and nobody in particular.
    if (request.assignee == "me" && !t.user_id.empty() && t.user_id != caller.user_id) continue;
    items.push_back(TaskJson(t, now));
  }
  return json{{"items", std::move(items)}};
}

Result<json> RecordService::TaskTransition(const std::string& id, const std::string& action, const json& body,
                                           const Principal& caller) {
  CTIMS_RETURN_IF_ERROR(RequireFullSession(caller));
  const auto* machine = domain::FindMachine("tasks");
  if (machine == nullptr) return Status::Internal("no task machine");
  if (!body.is_object()) return Status::InvalidArgument("expected a JSON object", {{"", "type", "object"}});
  CTIMS_RETURN_IF_ERROR(OnlyMembers(body, {}));
  CTIMS_ASSIGN_OR_RETURN(std::int64_t expected, ExpectedVersion(body, std::nullopt));
  if (!core::IsCanonicalId(id)) return Status::NotFound("no task with this id");
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kWrite));
  CTIMS_ASSIGN_OR_RETURN(auto task, tx->GetTask(id));
  const bool mine =
      task && ((!task->user_id.empty() && task->user_id == caller.user_id) ||
               (task->user_id.empty() && !caller.agency_id.empty() && task->agency_id == caller.agency_id));
  if (!mine) return Status::NotFound("no task with this id");
  auto next = machine->Next(task->status, action);
  if (!next.ok()) {
    Status s = next.status();
    if (s.code() == core::StatusCode::kConflict)
      return std::move(s).WithAllowedActions(machine->AllowedActions(task->status));
    return s;
  }
  if (task->version != expected) {
    return Status::Conflict("stale version: the task is at version " + std::to_string(task->version),
                            {{"version", "stale", "current version is " + std::to_string(task->version)}});
  }
  WorkTask updated = *task;
  updated.status = *next;
  updated.version = task->version + 1;
  updated.closed_at = Now();
  updated.closed_by = caller.user_id;
  CTIMS_RETURN_IF_ERROR(tx->UpdateTask(updated, expected));
  CTIMS_RETURN_IF_ERROR(AuditInTx(*tx, caller, action, "tasks", id));
  CTIMS_RETURN_IF_ERROR(tx->Commit());
  return TaskJson(updated, Now());
}

Result<json> RecordService::Notifications(bool unread_only, const Principal& caller) {
  CTIMS_RETURN_IF_ERROR(RequireFullSession(caller));
  const std::string now = Now();
  if (!caller.agency_id.empty()) {
    // Tasks coming due notify their agency once, whichever server sees it
    // first (dedupe_key is unique).
    TaskQuery q;
    q.agency_id = caller.agency_id;
    q.due_before = core::FormatTimestamp(clock_.Now() + options_.task_due_notice);
    CTIMS_ASSIGN_OR_RETURN(auto rtx, store_.Begin(TxMode::kRead));
    CTIMS_ASSIGN_OR_RETURN(auto due, rtx->ListTasks(q));
    rtx.reset();
    if (!due.empty()) {
      CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kWrite));
      for (const auto& t : due) {
        Notification n;
        n.kind = "TaskDue";
        n.user_id = t.user_id;
        n.agency_id = t.user_id.empty() ? t.agency_id : "";
        n.case_id = t.case_id;
        n.resource = "tasks";
        n.record_id = t.id;
        n.dedupe_key = "TaskDue:" + t.id;
        CTIMS_RETURN_IF_ERROR(Notify(*tx, n));
      }
      CTIMS_RETURN_IF_ERROR(tx->Commit());
    }
  }
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kRead));
  CTIMS_ASSIGN_OR_RETURN(auto rows, tx->ListNotifications(caller.user_id, caller.agency_id, 200));
  json items = json::array();
  for (const auto& n : rows) {
    if (!n.audience.empty()) {
      const auto colon = n.audience.find(':');
      if (colon == std::string::npos || !caller.Allows(n.audience.substr(0, colon), n.audience.substr(colon + 1))) {
        continue;
      }
    }
    if (unread_only && n.read) continue;
    items.push_back({{"id", n.id},
                     {"kind", n.kind},
                     {"case_id", n.case_id.empty() ? json(nullptr) : json(n.case_id)},
                     {"resource", n.resource},
                     {"record_id", n.record_id},
                     {"created_at", n.created_at},
                     {"read", n.read}});
  }
  return json{{"items", std::move(items)}};
}

Status RecordService::MarkNotificationRead(const std::string& id, const Principal& caller) {
  CTIMS_RETURN_IF_ERROR(RequireFullSession(caller));
  if (!core::IsCanonicalId(id)) return Status::NotFound("no notification with this id");
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kWrite));
  // Only one's own notifications: look it up among them.
  CTIMS_ASSIGN_OR_RETURN(auto rows, tx->ListNotifications(caller.user_id, caller.agency_id, 1000));
  if (std::none_of(rows.begin(), rows.end(), [&](const Notification& n) { return n.id == id; })) {
    return Status::NotFound("no notification with this id");
  }
  CTIMS_RETURN_IF_ERROR(tx->MarkNotificationRead(id, caller.user_id, Now()));
  return tx->Commit();
}

Result<json> RecordService::Transition(const domain::ResourceSpec& spec, const std::string& id,
                                       const std::string& action, const json& body, const Principal& caller) {
  auto r = TransitionImpl(spec, id, action, body, caller);
  if (!r.ok()) {
    // Only our own action names reach the log.
    const auto* machine = domain::FindMachine(spec.name);
    const bool known = machine != nullptr && std::any_of(machine->transitions.begin(), machine->transitions.end(),
                                                         [&](const auto& t) { return t.action == action; });
    AuditFailure(caller, known ? action : "transition", spec, id, r.status());
  }
  return r;
}

}  // namespace ctims::app
