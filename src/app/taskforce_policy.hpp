#pragma once

// Who may change the records of issue 7 (taskforces, their plan of action
// and meetings, directives), beyond the role's (resource, action)
// permissions that RecordService checks first:
//
// - A taskforce is created with the caller's agency as its chair
//   (chair_agency_id; rule "scope"). Only the chair changes or deletes it and
//   adds, changes or removes its members (taskforce-members). The chair is
//   the user tfc_ChairUserId when set, else every user of the chair agency.
// - Members edit the taskforce's meetings, objectives, activities and
//   indicators: the chair agency, a member agency (taskforce-members
//   without tfm_UserId: all its users) or a member user. Anyone else gets
//   kPermissionDenied (field taskforce_id, rule "member"). A record does not
//   move to another taskforce (rule "immutable"); an activity or indicator
//   belongs to its objective's taskforce (rule "consistent").
// - A directive is issued by the caller's agency (issuing_agency_id, rule
//   "scope"); only that agency edits, deletes it and adds or removes its
//   recipients. Only the recipient agency changes a recipient's status and
//   progress notes (rule "recipient_only"); the status moves forward
//   Sent -> Acknowledged -> InProgress -> Done (rule "transition"), and the
//   server stamps drc_AcknowledgedAt and drc_DoneAt.
// - Ids named inside lists (attendees, partner agencies, follow-ups) must
//   name existing records (rule "reference"); a follow-up's activity_id only
//   names the activity made from that very follow-up (rule "link").
//
// Side effects in the write's transaction, through the workflow's task
// mechanism (issue 4): a recipient gets an ActOnDirective task due at the
// end of the directive's due date, a responsible agency a CompleteActivity
// task due at the end of the activity's end date; both close when done and
// are cancelled when the record goes. Overdue tasks show in GET /tasks and
// become TaskDue notifications.
//
// The operator (SystemPrincipal: the demo, seeding) passes every rule but the
// consistency ones. Thread-safe; holds a reference to `clock`.

#include "app/record_policy.hpp"
#include "core/clock.hpp"

namespace ctims::app {

class TaskforcePolicy final : public RecordWritePolicy {
 public:
  explicit TaskforcePolicy(const core::Clock& clock) : clock_(clock) {}

  core::Status BeforeWrite(StoreTransaction& tx, const domain::ResourceSpec& spec, const std::string& id,
                           const nlohmann::json& before, nlohmann::json* after, const Principal& caller) override;
  core::Status AfterWrite(StoreTransaction& tx, const domain::ResourceSpec& spec, const std::string& id,
                          const nlohmann::json& before, const nlohmann::json& after, const Principal& caller) override;

 private:
  const core::Clock& clock_;
};

// True when `caller` is a member of taskforce `taskforce_id` (chair agency,
// member agency or member user), read inside `tx`. kNotFound-free: a missing
// taskforce is "not a member".
core::Result<bool> IsTaskforceMember(StoreTransaction& tx, const std::string& taskforce_id, const Principal& caller);

// The end of a due date as a task due time: "YYYY-MM-DDT23:59:59.999Z".
std::string EndOfDay(const std::string& date);

}  // namespace ctims::app
