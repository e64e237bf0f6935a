#include "app/taskforce_policy.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>

#include "app/record_service.hpp"
#include "app/record_service_util.hpp"
#include "core/id.hpp"

namespace ctims::app {
namespace {

using core::FieldError;
using core::Result;
using core::Status;
using nlohmann::json;

std::string Str(const json& record, const char* key) {
  if (!record.is_object()) return {};
  auto it = record.find(key);
  return (it != record.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

const domain::ResourceSpec& Spec(const char* name) {
  return *domain::FindResource(name);
}

// The record `id` of `resource` as JSON (no sealed fields in these
// resources), or null when it does not exist.
Result<json> Load(StoreTransaction& tx, const char* resource, const std::string& id) {
  if (id.empty() || !core::IsCanonicalId(id)) return json();
  const auto& spec = Spec(resource);
  const TableDef table = TableFor(spec);
  CTIMS_ASSIGN_OR_RETURN(auto stored, tx.Get(table, id));
  if (!stored) return json();
  return detail::Fields(spec, table, *stored, nullptr);
}

// Every record of `resource` whose column `column` is `value`.
Result<std::vector<json>> ListBy(StoreTransaction& tx, const char* resource, const char* column,
                                 const std::string& value) {
  const auto& spec = Spec(resource);
  const TableDef table = TableFor(spec);
  ListQuery q;
  q.filters.push_back({Filter::Kind::kColumn, column, value});
  q.limit = kMaxPageSize;
  std::vector<json> out;
  while (true) {
    CTIMS_ASSIGN_OR_RETURN(auto page, tx.List(table, q));
    for (const auto& row : page) {
      CTIMS_ASSIGN_OR_RETURN(json r, detail::Fields(spec, table, row, nullptr));
      r["id"] = row.id;
      out.push_back(std::move(r));
    }
    if (page.size() < q.limit) break;
    q.after_id = page.back().id;
  }
  return out;
}

Status Denied(const std::string& field, const std::string& rule, const std::string& message) {
  return Status::PermissionDenied(message, {{field, rule, message}});
}

Status Invalid(const std::string& field, const std::string& rule, const std::string& message) {
  return Status::InvalidArgument(message, {{field, rule, message}});
}

Result<bool> IsChair(const json& taskforce, const Principal& caller) {
  if (caller.operator_access) return true;
  if (!taskforce.is_object()) return false;
  const std::string chair_user = Str(taskforce, "tfc_ChairUserId");
  if (!chair_user.empty()) return chair_user == caller.user_id;
  return !caller.agency_id.empty() && Str(taskforce, "chair_agency_id") == caller.agency_id;
}

// A field that names the parent record must not change on update.
Status Immutable(const json& before, const json& after, const char* field) {
  if (before.is_object() && after.is_object() && Str(before, field) != Str(after, field)) {
    return Invalid(field, "immutable", std::string(field) + " cannot change; create a new record instead");
  }
  return Status::Ok();
}

// Ids of agencies named inside a list of objects (member `key`) or strings.
Status CheckAgencyIds(StoreTransaction& tx, const json& record, const char* list, const char* key,
                      std::vector<FieldError>& errors) {
  auto it = record.find(list);
  if (it == record.end() || !it->is_array()) return Status::Ok();
  const TableDef agencies = TableFor(Spec("agencies"));
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& item = (*it)[i];
    const std::string id = key == nullptr ? (item.is_string() ? item.get<std::string>() : "") : Str(item, key);
    if (id.empty()) continue;
    const std::string path = std::string(list) + "[" + std::to_string(i) + "]" + (key ? std::string(".") + key : "");
    bool found = false;
    if (core::IsCanonicalId(id)) {
      CTIMS_ASSIGN_OR_RETURN(found, tx.Exists(agencies, id));
    }
    if (!found) errors.push_back({path, "reference", "no Agency with this id"});
  }
  return Status::Ok();
}

constexpr std::array<const char*, 4> kRecipientStates = {"Sent", "Acknowledged", "InProgress", "Done"};
int StateRank(const std::string& s) {
  for (std::size_t i = 0; i < kRecipientStates.size(); ++i) {
    if (s == kRecipientStates[i]) return static_cast<int>(i);
  }
  return 0;
}

}  // namespace

std::string EndOfDay(const std::string& date) {
  return date + "T23:59:59.999Z";
}

Result<bool> IsTaskforceMember(StoreTransaction& tx, const std::string& taskforce_id, const Principal& caller) {
  if (caller.operator_access) return true;
  CTIMS_ASSIGN_OR_RETURN(json taskforce, Load(tx, "taskforces", taskforce_id));
  if (taskforce.is_null()) return false;
  if (!caller.agency_id.empty() && Str(taskforce, "chair_agency_id") == caller.agency_id) return true;
  if (!caller.user_id.empty() && Str(taskforce, "tfc_ChairUserId") == caller.user_id) return true;
  CTIMS_ASSIGN_OR_RETURN(auto members, ListBy(tx, "taskforce-members", "taskforce_id", taskforce_id));
  for (const auto& m : members) {
    const std::string user = Str(m, "tfm_UserId");
    if (user.empty() ? (!caller.agency_id.empty() && Str(m, "agency_id") == caller.agency_id)
                     : user == caller.user_id) {
      return true;
    }
  }
  return false;
}

Status TaskforcePolicy::BeforeWrite(StoreTransaction& tx, const domain::ResourceSpec& spec, const std::string& id,
                                    const json& before, json* after_ptr, const Principal& caller) {
  const std::string& name = spec.name;
  const json after = after_ptr != nullptr ? *after_ptr : json();
  const json& current = after_ptr != nullptr ? after : before;  // the record as it will be, or as it was

  if (name == "taskforces") {
    if (before.is_null()) {
      if (!caller.operator_access && Str(after, "chair_agency_id") != caller.agency_id) {
        return Denied("chair_agency_id", "scope", "a taskforce is created with your agency as its chair");
      }
      return Status::Ok();
    }
    CTIMS_ASSIGN_OR_RETURN(bool chair, IsChair(before, caller));
    if (!chair) return Denied("chair_agency_id", "chair", "only the taskforce's chair changes it");
    return Status::Ok();
  }

  if (name == "taskforce-members") {
    CTIMS_RETURN_IF_ERROR(Immutable(before, after, "taskforce_id"));
    CTIMS_ASSIGN_OR_RETURN(json taskforce, Load(tx, "taskforces", Str(current, "taskforce_id")));
    CTIMS_ASSIGN_OR_RETURN(bool chair, IsChair(taskforce, caller));
    if (!chair) return Denied("taskforce_id", "chair", "only the taskforce's chair manages its members");
    return Status::Ok();
  }

  if (name == "taskforce-meetings" || name == "plan-objectives" || name == "plan-activities" ||
      name == "plan-indicators") {
    CTIMS_RETURN_IF_ERROR(Immutable(before, after, "taskforce_id"));
    const std::string taskforce_id = Str(current, "taskforce_id");
    CTIMS_ASSIGN_OR_RETURN(bool member, IsTaskforceMember(tx, taskforce_id, caller));
    if (!member) return Denied("taskforce_id", "member", "only members of the taskforce edit its records");
    if (after_ptr == nullptr) return Status::Ok();
    std::vector<FieldError> errors;
    if (name == "plan-activities" || name == "plan-indicators") {
      CTIMS_ASSIGN_OR_RETURN(json objective, Load(tx, "plan-objectives", Str(after, "objective_id")));
      if (objective.is_object() && Str(objective, "taskforce_id") != taskforce_id) {
        errors.push_back({"taskforce_id", "consistent", "the objective belongs to another taskforce"});
      }
    }
    if (name == "plan-activities") {
      CTIMS_RETURN_IF_ERROR(CheckAgencyIds(tx, after, "act_PartnerAgencyIds", nullptr, errors));
      const std::string meeting_id = Str(after, "meeting_id");
      if (!meeting_id.empty()) {
        CTIMS_ASSIGN_OR_RETURN(json meeting, Load(tx, "taskforce-meetings", meeting_id));
        if (meeting.is_object() && Str(meeting, "taskforce_id") != taskforce_id) {
          errors.push_back({"meeting_id", "consistent", "the meeting belongs to another taskforce"});
        }
      }
    }
    if (name == "taskforce-meetings") {
      CTIMS_RETURN_IF_ERROR(CheckAgencyIds(tx, after, "mtg_Attendees", "agency_id", errors));
      CTIMS_RETURN_IF_ERROR(CheckAgencyIds(tx, after, "mtg_FollowUps", "agency_id", errors));
      // A follow-up's activity_id is set by turning it into an activity
      // (TaskforceService::FollowUpToActivity): it may only name the
      // activity made from this meeting's follow-up at the same index.
      const json& fups = after.contains("mtg_FollowUps") ? after["mtg_FollowUps"] : json::array();
      const json old = before.is_object() && before.contains("mtg_FollowUps") ? before["mtg_FollowUps"] : json::array();
      for (std::size_t i = 0; i < fups.size(); ++i) {
        const std::string activity_id = Str(fups[i], "activity_id");
        if (activity_id.empty()) continue;
        if (i < old.size() && Str(old[i], "activity_id") == activity_id) continue;
        CTIMS_ASSIGN_OR_RETURN(json activity, Load(tx, "plan-activities", activity_id));
        const bool linked = activity.is_object() && Str(activity, "meeting_id") == id &&
                            activity.value("act_FollowUpIndex", -1) == static_cast<int>(i);
        if (!linked) {
          errors.push_back({"mtg_FollowUps[" + std::to_string(i) + "].activity_id", "link",
                            "names only the activity made from this follow-up"});
        }
      }
    }
    if (!errors.empty()) return Status::InvalidArgument("inconsistent plan record", std::move(errors));
    return Status::Ok();
  }

  if (name == "directives") {
    if (before.is_null()) {
      json& a = *after_ptr;
      if (Str(a, "issuing_agency_id").empty()) {
        if (caller.agency_id.empty()) return Invalid("issuing_agency_id", "required", "name the issuing agency");
        a["issuing_agency_id"] = caller.agency_id;
      } else if (!caller.operator_access && Str(a, "issuing_agency_id") != caller.agency_id) {
        return Denied("issuing_agency_id", "scope", "a directive is issued by your own agency");
      }
      return Status::Ok();
    }
    CTIMS_RETURN_IF_ERROR(Immutable(before, after, "issuing_agency_id"));
    if (!caller.operator_access && Str(before, "issuing_agency_id") != caller.agency_id) {
      return Denied("issuing_agency_id", "issuer_only", "only the issuing agency changes a directive");
    }
    return Status::Ok();
  }

  if (name == "directive-recipients") {
    CTIMS_RETURN_IF_ERROR(Immutable(before, after, "directive_id"));
    CTIMS_RETURN_IF_ERROR(Immutable(before, after, "agency_id"));
    CTIMS_ASSIGN_OR_RETURN(json directive, Load(tx, "directives", Str(current, "directive_id")));
    const bool issuer = caller.operator_access ||
                        (!caller.agency_id.empty() && Str(directive, "issuing_agency_id") == caller.agency_id);
    const bool recipient =
        caller.operator_access || (!caller.agency_id.empty() && Str(current, "agency_id") == caller.agency_id);
    if (after_ptr == nullptr || before.is_null()) {
      if (!issuer) return Denied("directive_id", "issuer_only", "only the issuing agency adds or removes recipients");
      if (after_ptr == nullptr) return Status::Ok();
      json& a = *after_ptr;
      if (!caller.operator_access && (Str(a, "drc_Status") != "Sent" || a.contains("drc_Progress"))) {
        return Denied("drc_Status", "recipient_only", "only the recipient reports its status and progress");
      }
      CTIMS_ASSIGN_OR_RETURN(auto others, ListBy(tx, "directive-recipients", "directive_id", Str(a, "directive_id")));
      for (const auto& o : others) {
        if (Str(o, "agency_id") == Str(a, "agency_id")) {
          return Status::AlreadyExists("the agency already receives this directive",
                                       {{"agency_id", "unique", "already a recipient"}});
        }
      }
    } else {
      json& a = *after_ptr;
      const bool answer_changed = Str(before, "drc_Status") != Str(a, "drc_Status") ||
                                  before.value("drc_Progress", json()) != a.value("drc_Progress", json());
      if (answer_changed && !recipient) {
        return Denied("drc_Status", "recipient_only", "only the recipient agency reports its status and progress");
      }
      if (StateRank(Str(a, "drc_Status")) < StateRank(Str(before, "drc_Status"))) {
        return Invalid("drc_Status", "transition",
                       "the status moves forward only: Sent, Acknowledged, InProgress, Done");
      }
    }
    json& a = *after_ptr;
    const std::string now = core::FormatTimestamp(clock_.Now());
    const int rank = StateRank(Str(a, "drc_Status"));
    if (rank >= 1 && Str(a, "drc_AcknowledgedAt").empty()) a["drc_AcknowledgedAt"] = now;
    if (rank >= 3 && Str(a, "drc_DoneAt").empty()) a["drc_DoneAt"] = now;
    return Status::Ok();
  }
  return Status::Ok();
}

Status TaskforcePolicy::AfterWrite(StoreTransaction& tx, const domain::ResourceSpec& spec, const std::string& id,
                                   const json& before, const json& after, const Principal& caller) {
  const bool activity = spec.name == "plan-activities";
  if (!activity && spec.name != "directive-recipients") return Status::Ok();
  const char* kind = activity ? "CompleteActivity" : "ActOnDirective";
  const char* status_field = activity ? "act_Status" : "drc_Status";
  const char* agency_field = activity ? "responsible_agency_id" : "agency_id";
  const std::string now = core::FormatTimestamp(clock_.Now());
  auto due_of = [&](const json& r) -> Result<std::string> {
    if (activity) return Str(r, "act_EndDate");
    CTIMS_ASSIGN_OR_RETURN(json directive, Load(tx, "directives", Str(r, "directive_id")));
    return Str(directive, "dir_DueDate");
  };
  const bool was_open = before.is_object() && Str(before, status_field) != "Done";
  const bool is_open = after.is_object() && Str(after, status_field) != "Done";
  std::string due_before, due_after;
  if (was_open) {
    CTIMS_ASSIGN_OR_RETURN(due_before, due_of(before));
  }
  if (is_open) {
    CTIMS_ASSIGN_OR_RETURN(due_after, due_of(after));
  }
  const bool same =
      was_open && is_open && Str(before, agency_field) == Str(after, agency_field) && due_before == due_after;
  if (same) return Status::Ok();
  if (was_open) {
    const bool done = after.is_object() && !is_open;
    CTIMS_RETURN_IF_ERROR(
        tx.CloseTasks(spec.name, id, kind, done ? "Done" : "Cancelled", now, caller.user_id).status());
  }
  if (is_open && !due_after.empty()) {
    WorkTask task;
    task.id = core::NewId(clock_);
    task.kind = kind;
    task.agency_id = Str(after, agency_field);
    task.resource = spec.name;
    task.record_id = id;
    task.due_at = EndOfDay(due_after);
    task.created_at = now;
    CTIMS_RETURN_IF_ERROR(tx.InsertTask(task));
  }
  return Status::Ok();
}

}  // namespace ctims::app
