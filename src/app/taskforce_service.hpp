#pragma once

// Issue 7: the views and actions over taskforces, plans of action and
// directives that are more than one record. Each reads through
// RecordService with the caller's principal, so the role's permissions,
// audit and history apply exactly as on the generic routes; the write rules
// are in taskforce_policy.hpp.
//
// Errors: those of RecordService (kPermissionDenied, kNotFound,
// kInvalidArgument with field errors, kConflict), and of ReportService for
// computed indicators (a report the role may not see leaves the indicator's
// value null with "error").
// Thread-safe; holds references to its arguments, which must outlive it.

#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <string>

#include "app/principal.hpp"
#include "app/record_service.hpp"
#include "app/report_service.hpp"
#include "core/clock.hpp"
#include "core/status.hpp"

namespace ctims::app {

class TaskforceService {
 public:
  // `reports` may be nullptr: computed indicators are then null with an error.
  TaskforceService(RecordService& records, ReportService* reports, const core::Clock& clock)
      : records_(records), reports_(reports), clock_(clock) {}

  // The whole plan of taskforce `id`: {"taskforce", "members", "objectives":
  // [{..., "activities": [...], "indicators": [...]}], "meetings",
  // "directives", "as_of"}. Each activity has "effective_status" (Late when
  // its end date has passed and it is not Done) and "late"; each indicator
  // has "current_value" (typed, or computed by its named query through the
  // report service, with "definition") and "progress" (share of the way from
  // baseline to target, 0..1, null when it cannot be computed).
  core::Result<nlohmann::json> Plan(const std::string& id, const Principal& caller);

  // Directives received by (inbox) or issued by (outbox) the caller's agency,
  // newest due date last: {"items": [{"directive", "recipients": [... each
  // with "overdue"], "overdue"}]}. Inbox items carry only the caller's own
  // recipient record.
  core::Result<nlohmann::json> Directives(bool outbox, const Principal& caller);

  // The dashboard's overdue items for the caller's agency:
  // {"overdue_activities": [...], "overdue_directives_received": [...],
  //  "overdue_directives_issued": [...], "as_of"}. An activity counts when
  // the caller's agency is responsible for it or is a member of its
  // taskforce; a directive when its due date has passed and a recipient
  // (the caller's agency, for received ones) is not Done.
  core::Result<nlohmann::json> Overdue(const Principal& caller);

  // Turns follow-up `index` of meeting `meeting_id` into a plan activity
  // under body.objective_id and links it back (mtg_FollowUps[index].
  // activity_id). Body: {"objective_id", optional "responsible_agency_id"
  // (else the follow-up's agency), "act_StartDate" (else the meeting date),
  // "act_EndDate" (else the follow-up's due date)}. Idempotent: an activity
  // already made from the follow-up is linked, not made again.
  // kConflict (rule "already_linked") when the follow-up is linked already;
  // kInvalidArgument naming the field for a bad index or body.
  core::Result<nlohmann::json> FollowUpToActivity(const std::string& meeting_id, const std::string& index,
                                                  const nlohmann::json& body, const Principal& caller);

 private:
  core::Result<nlohmann::json> ListAll(const char* resource, const std::string& field, const std::string& value,
                                       const Principal& caller);
  nlohmann::json ComputeIndicator(const nlohmann::json& indicator, const Principal& caller);

  RecordService& records_;
  ReportService* reports_;
  const core::Clock& clock_;
  // One report per (report, location) while a plan is computed: several
  // indicators read the same report.
  std::mutex cache_mu_;
  std::map<std::string, nlohmann::json> report_cache_;
};

// The plan of action's status of an activity today: its act_Status, or Late
// when act_EndDate is before `today` and it is not Done.
std::string EffectiveActivityStatus(const nlohmann::json& activity, const std::string& today);

}  // namespace ctims::app
