#pragma once

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/principal.hpp"
#include "app/record_store.hpp"
#include "core/clock.hpp"
#include "core/status.hpp"
#include "domain/codelists.hpp"
#include "domain/schema.hpp"

namespace ctims::app {

class AuditLog;
class FieldCipher;
class RecordWritePolicy;

struct ListRequest {
  std::vector<std::pair<std::string, std::string>> filters;  // query parameters other than limit/cursor
  std::optional<std::string> limit;                          // as given by the client
  std::optional<std::string> cursor;
};

// Maximum and default page sizes for lists.
inline constexpr std::size_t kMaxPageSize = 500;
inline constexpr std::size_t kDefaultPageSize = 50;

struct RecordServiceOptions {
  // How long a break-the-glass grant on a protected case lasts (issue 3 §5).
  std::chrono::seconds grant_duration = std::chrono::hours(3);
  // How long an agency's location path is cached (jurisdiction scope). An
  // agency moved to another location reaches its new jurisdiction after this.
  std::chrono::seconds path_cache_ttl = std::chrono::seconds(60);
  // Every write of any resource, and every read, list and history of a
  // personal one, is audited (issue 3 §6): writes in their own transaction,
  // reads before they are answered (a read that cannot be audited fails).
  // Refusals and failures are audited too. nullptr only in unit tests.
  AuditLog* audit = nullptr;
  // Seals protected fields at rest, in records and their history (issue 3
  // §7). nullptr only in unit tests and development databases.
  const FieldCipher* cipher = nullptr;
  // A referral or transfer not answered within this time is overdue (issue 4
  // §3); its AnswerReferral/AnswerTransfer task is due then.
  std::chrono::seconds referral_answer_time = std::chrono::hours(48);
  // Reintegration follow-up after a return is due this long after it
  // (issue 4 §7), and a supervisor's approval within approval_time.
  std::chrono::seconds return_follow_up_time = std::chrono::hours(24 * 30);
  std::chrono::seconds approval_time = std::chrono::hours(72);
  // Task-due notifications go out this long before a task is due.
  std::chrono::seconds task_due_notice = std::chrono::hours(24);
  // issue 7: resource-specific write rules (taskforces, directives),
  // consulted on every write; nullptr: none. Must outlive the service.
  RecordWritePolicy* policy = nullptr;
};

// Queries of the referral inbox and outbox and of the task list.
struct InboxRequest {
  bool outbox = false;  // what my agency sent rather than received
  std::optional<std::string> status;
  bool overdue_only = false;
  std::optional<std::string> limit;
  std::optional<std::string> cursor;
};
struct TaskRequest {
  std::string assignee = "me";  // "me": mine and my agency's; "agency": my agency's only
  bool overdue_only = false;
  bool include_closed = false;
};

// The case-registry use cases: create, read, update, delete, list and history
// of every resource in domain::Resources(), each authorised for the calling
// Principal here, in the app layer (issue 3 §3), whatever the transport:
//
// - The role must allow (resource, action), else kPermissionDenied (403). A
//   session that must enrol a second factor first is refused the same way.
// - Personal resources (ResourceSpec::personal) are reached only within the
//   role's scope: own records, the own agency's, the jurisdiction's (the
//   location subtree of the agency's location) or all. A record outside it is
//   answered exactly like a missing one (kNotFound), lists never contain it
//   (the store filters in its query) and a reference to it is "no record
//   with this id". A protected case (cas_Protected) and everything under it
//   is reached only by its owning agency or under a break-the-glass grant.
// - Responses leave out fields whose group the role may not read (also in
//   history changes); a write naming a field whose group the role may not
//   write is refused with kPermissionDenied, a field error per field (rule
//   "field_group"), and nothing is written.
// - A new record must land in the caller's scope (rule "scope").
//
// Each write is one transaction that also records the field-level diff in
// the history, so a write is all-or-nothing. Records are JSON objects with the
// resource's fields plus "id", "version", "created_at" and "updated_at".
//
// Errors: kInvalidArgument with field errors for bad input (nothing written);
// kNotFound for unknown or unreachable ids; kConflict for a stale version, a
// delete of a record others refer to, or a new link to a merged person (rule
// "merged" on the linking field, issue 8 §4); kAlreadyExists for a taken unique code;
// kPermissionDenied as above; kUnavailable when the database is busy.
// Thread-safe; holds references to `store`, `codelists` and `clock`, which
// must outlive it.
class RecordService {
 public:
  RecordService(Store& store, const domain::CodeLists& codelists, const core::Clock& clock,
                RecordServiceOptions options = {});

  core::Result<nlohmann::json> Create(const domain::ResourceSpec& spec, const nlohmann::json& body,
                                      const Principal& caller);
  core::Result<nlohmann::json> Get(const domain::ResourceSpec& spec, const std::string& id, const Principal& caller);
  // The same record as Get(), already serialised. When the role reads every
  // field group of the resource, the stored body is spliced with the metadata
  // and column fields without parsing it (the hot read path of the API).
  // Members are not in alphabetical order.
  struct RecordText {
    std::string json;
    std::int64_t version = 0;
  };
  core::Result<RecordText> GetText(const domain::ResourceSpec& spec, const std::string& id, const Principal& caller);
  // `patch` is an RFC 7386 merge patch. The expected version comes from
  // `expected_version` (If-Match) or the patch's "version" member; one is
  // required. An update that changes nothing returns the record unchanged.
  core::Result<nlohmann::json> Update(const domain::ResourceSpec& spec, const std::string& id,
                                      const nlohmann::json& patch, std::optional<std::int64_t> expected_version,
                                      const Principal& caller);
  core::Status Delete(const domain::ResourceSpec& spec, const std::string& id,
                      std::optional<std::int64_t> expected_version, const Principal& caller);
  // {"items": [...], "next_cursor": "<id>" | null}
  core::Result<nlohmann::json> List(const domain::ResourceSpec& spec, const ListRequest& request,
                                    const Principal& caller);
  // {"items": [{"version","action","actor","at","changes"}...]}, oldest first.
  core::Result<nlohmann::json> History(const domain::ResourceSpec& spec, const std::string& id,
                                       const Principal& caller);

  // Break the glass (issue 3 §5): the caller, outside the protected case's
  // agency but with ("cases", "break_glass") and the case in scope, states a
  // reason (20 to 1000 characters) and may reach the case and everything
  // under it for RecordServiceOptions::grant_duration. Returns {"case_id",
  // "expires_at"}. kNotFound when the case is missing or out of scope;
  // kConflict (rule "not_protected") when the case is not protected or the
  // caller is in its agency; kPermissionDenied without the permission.
  core::Result<nlohmann::json> BreakGlass(const std::string& case_id, const std::string& reason,
                                          const Principal& caller);
  // The grants on a case, for its owning agency (anyone else: kNotFound):
  // {"items": [{"user_id","reason","granted_at","expires_at","active"}]}.
  core::Result<nlohmann::json> Grants(const std::string& case_id, const Principal& caller);

  // ---- the referral mechanism (issue 4) ----------------------------------
  // Runs transition `action` of the resource's state machine
  // (domain/workflow.hpp) on record `id`. `body` carries "version" (required,
  // like an update) and the action's own members (a reason, a date, ...).
  // Who may act: the role must allow (resource, action); accept, decline and
  // complete of a referral or transfer belong to the receiving agency,
  // revoke to the sending one; every other action needs the record in the
  // caller's reach. The record, its history (action = the transition) and
  // the audit log change in one transaction with the step's effects: the
  // case's trafficking status on a screening decision, the case's owner on
  // an accepted transfer, a share of the case on an accepted referral, and
  // the tasks and notifications of the step.
  // Errors: kNotFound (no transitions for the resource, unknown id, out of
  // reach); kInvalidArgument (unknown action, bad payload: field errors);
  // kConflict with allowed_actions() when the state forbids the action, or
  // when a precondition fails (rule "precondition", naming the field);
  // kPermissionDenied.
  core::Result<nlohmann::json> Transition(const domain::ResourceSpec& spec, const std::string& id,
                                          const std::string& action, const nlohmann::json& body,
                                          const Principal& caller);
  // Referrals (`spec` referrals) or transfers addressed to (inbox) or sent by
  // (outbox) the caller's agency: {"items": [... each with "overdue"],
  // "next_cursor"}. The receiving agency sees the request, not the case,
  // until it accepts.
  core::Result<nlohmann::json> Inbox(const domain::ResourceSpec& spec, const InboxRequest& request,
                                     const Principal& caller);
  // Open (or all) tasks of the caller and the caller's agency, earliest due
  // first, each with "overdue".
  core::Result<nlohmann::json> Tasks(const TaskRequest& request, const Principal& caller);
  // complete | cancel a task addressed to the caller or the caller's agency.
  core::Result<nlohmann::json> TaskTransition(const std::string& id, const std::string& action,
                                              const nlohmann::json& body, const Principal& caller);
  // The caller's notifications, newest first (at most 200), after creating
  // the TaskDue notifications that have come due (idempotent: several
  // servers create each once).
  core::Result<nlohmann::json> Notifications(bool unread_only, const Principal& caller);
  core::Status MarkNotificationRead(const std::string& id, const Principal& caller);

  const domain::CodeLists& codelists() const { return codelists_; }

  // ==== person search and duplicate review (issue 8; person_search_service.cpp) ====
  // GET /persons/search: query parameters q (required), sex, birth_year,
  // birth_year_tolerance, citizenship, limit. Ranked candidates within the
  // caller's reach: {"items": [{"id", "score", "reason", "explanation",
  // "shared_keys", "person"}]}. Needs ("persons", "list") and the identity
  // field group; audited ("search", result ids; never the query).
  // kInvalidArgument naming the parameter and rule.
  core::Result<nlohmann::json> SearchPersons(const std::vector<std::pair<std::string, std::string>>& params,
                                             const Principal& caller);
  // The duplicate review queue: pairs whose two persons the caller reaches,
  // with both persons and the names' match reason. Parameters status (open |
  // merged | not_same), limit, cursor. Needs ("persons", "list").
  core::Result<nlohmann::json> DuplicateQueue(const std::vector<std::pair<std::string, std::string>>& params,
                                              const Principal& caller);
  // A reviewer's decision on pair `id`: action "not_same" (closes it),
  // "reopen". body {"version"}. Needs ("persons", "merge"). History is
  // recorded on both persons; audited.
  core::Result<nlohmann::json> ReviewDuplicate(const std::string& id, const std::string& action,
                                               const nlohmann::json& body, const Principal& caller);
  // ---- merge and undo (issue 8 §4; person_merge_service.cpp) ----
  // Action "merge" of ReviewDuplicate: body {"keep": "<person id>" (one of
  // the pair), "version"?}. In one transaction: every case and case share of
  // the other person is re-pointed to the kept one (cases through their
  // history, action "merge_person"), and so is every person merged earlier
  // into it (merged_into always names the live end of a chain); the other
  // person is marked merged (merged_into, merged_at, merged_by; history
  // action "merged"), leaves lists and search, and its name keys (and those
  // of the persons merged into it) find the kept person; a person_merges row
  // lists exactly what moved; the pair becomes "merged"; audited with ids
  // only. Needs ("persons", "merge") and both persons in reach (else
  // kNotFound). kInvalidArgument (keep missing or not of the pair, unknown
  // member); kConflict (stale version, pair not open, a person already
  // merged). Returns the merge (MergeJson).
  core::Result<nlohmann::json> MergeDuplicate(const std::string& pair_id, const nlohmann::json& body,
                                              const Principal& caller);
  // Undoes merge `id` (body {} or {"version"}): re-points exactly the
  // recorded references back, un-marks the merged person, restores both
  // persons' name keys, reopens the pair; history and audit as above.
  // kConflict when already undone (rule "undone" on undone_at) or when a
  // recorded reference was since deleted (rule "deleted") or moved to
  // another person (rule "moved"), the field naming "moved[i]", or when the
  // kept person was since merged into another (rule "merged_later" on
  // "kept_id": undo that later merge first); nothing changes then. Undoing
  // B→C of a chain A→B→C leaves A→B standing (A points at B again).
  core::Result<nlohmann::json> UndoMerge(const std::string& id, const nlohmann::json& body, const Principal& caller);
  // Merges whose both persons the caller reaches, in id order: parameters
  // person (kept or merged id), limit, cursor. Needs ("persons", "list").
  core::Result<nlohmann::json> ListMerges(const std::vector<std::pair<std::string, std::string>>& params,
                                          const Principal& caller);
  // ==== end of person search and duplicate review (issue 8) ====

 private:
  struct Reach;  // the caller's resolved scope
  struct Step;   // one transition in progress (record_service_workflow.cpp)
  core::Result<nlohmann::json> TransitionImpl(const domain::ResourceSpec& spec, const std::string& id,
                                              const std::string& action, const nlohmann::json& body,
                                              const Principal& caller);
  // The workflow's part of a create (fills managed fields, checks consent)
  // and what follows it in the same transaction (tasks, notifications).
  core::Status BeforeCreate(const domain::ResourceSpec& spec, nlohmann::json& record, StoreTransaction& tx,
                            const Reach& reach, const Principal& caller);
  core::Status AfterCreate(const domain::ResourceSpec& spec, const nlohmann::json& record, const std::string& id,
                           StoreTransaction& tx, const Principal& caller);
  core::Status BeforeUpdate(const domain::ResourceSpec& spec, const nlohmann::json& before, nlohmann::json& after,
                            StoreTransaction& tx);
  core::Status ApplyStep(Step& step);
  core::Status AfterStep(Step& step);
  // Rewrites a record inside `tx` on behalf of the workflow (authorisation
  // done by the caller): new version, history entry `action`, audit.
  core::Result<StoredRecord> WriteInTx(StoreTransaction& tx, const domain::ResourceSpec& spec,
                                       const StoredRecord& current, const nlohmann::json& before,
                                       const nlohmann::json& after, std::string_view action, const Principal& caller);
  core::Status Notify(StoreTransaction& tx, Notification n);
  // ==== issue 8 (person_search_service.cpp) ====
  // Proposes persons in `reach` that may be the person `id` (plaintext
  // `person`): enters each pair in the review queue (source "registration"
  // or "referral") and returns [{"id", "score", "reason", "pair_id"}].
  core::Result<nlohmann::json> ProposeDuplicatesInTx(StoreTransaction& tx, const Reach& reach, const std::string& id,
                                                     const nlohmann::json& person, std::string_view source);
  // Adds to the name index of `kept_id` the keys of every person whose
  // merged_into names it, chains included (so a rename of the kept person
  // keeps them).
  core::Status IndexMergedNamesInTx(StoreTransaction& tx, const std::string& kept_id);
  // Sets the person's protection from its cases (protected while any is).
  core::Status RefreshPersonProtection(StoreTransaction& tx, const std::string& person_id);
  // A review pair with both its persons (record_helpers.hpp).
  struct ReviewPair;
  // `pair` with the live end of each side: a merged person stands for the
  // person its merged_into names (always the live end of a chain), so the
  // queue follows merges and their undo without rewriting pairs. nullopt
  // when the caller does not reach both live ends.
  core::Result<std::optional<ReviewPair>> ReadLivePair(StoreTransaction& tx, const Reach& reach,
                                                       const DuplicatePair& pair);
  // Loads review pair `pair_id` for `action` ("merge", "not_same" or
  // "reopen") with the live ends of its sides (ReadLivePair): kNotFound
  // unless it exists and the caller reaches both live ends; kConflict when
  // `expected` is given and stale (rule "stale"), when the pair is not in
  // the status the action starts from (rule "state": "not_same" for reopen,
  // "open" otherwise), or when both sides now have the same live end (rule
  // "settled"). The one check of a pair before a reviewer's decision.
  core::Result<ReviewPair> LoadReviewPair(StoreTransaction& tx, const Reach& reach, const std::string& pair_id,
                                          std::optional<std::int64_t> expected, std::string_view action);
  // The pair the open queue shows for the live ends of `review` (a
  // re-pointed pair stands for its live ends): the pair stored on exactly
  // those ends (any status) if there is one, else the open pair of lowest id
  // among those re-pointed onto them (`review.pair` included), looked for
  // among pairs of the live ends and the persons merged into them (at most
  // 64 lookups, else `review.pair`). `review.pair` itself
  // when it is not re-pointed. Another pair means `review.pair` is hidden
  // from the open queue and its review is refused (rule "superseded").
  core::Result<DuplicatePair> QueueRepresentative(StoreTransaction& tx, const ReviewPair& review);
  // Records a reviewer's decision `status` ("not_same" or "merged") on
  // `review`: on the pair itself, or for a re-pointed pair on the pair of
  // its live ends, inserted (source "review", score and explanation copied)
  // unless stored and open; the re-pointed pair stays open, so undoing the
  // merge that re-pointed it gives its persons back undecided. Returns the
  // pair that holds the decision, as stored.
  core::Result<DuplicatePair> DecidePair(StoreTransaction& tx, const ReviewPair& review, const std::string& status,
                                         std::string_view action, const std::string& user_id, const std::string& now);
  core::Result<nlohmann::json> MergeImpl(const std::string& pair_id, const nlohmann::json& body,
                                         const Principal& caller);
  core::Result<nlohmann::json> UndoMergeImpl(const std::string& id, const nlohmann::json& body,
                                             const Principal& caller);
  // ==== end of issue 8 ====
  core::Status AddTask(StoreTransaction& tx, WorkTask task);

  core::Result<nlohmann::json> CreateImpl(const domain::ResourceSpec& spec, const nlohmann::json& body,
                                          const Principal& caller);
  core::Result<nlohmann::json> GetImpl(const domain::ResourceSpec& spec, const std::string& id,
                                       const Principal& caller);
  core::Result<RecordText> GetTextImpl(const domain::ResourceSpec& spec, const std::string& id,
                                       const Principal& caller);
  core::Result<nlohmann::json> UpdateImpl(const domain::ResourceSpec& spec, const std::string& id,
                                          const nlohmann::json& patch, std::optional<std::int64_t> expected_version,
                                          const Principal& caller);
  core::Status DeleteImpl(const domain::ResourceSpec& spec, const std::string& id,
                          std::optional<std::int64_t> expected_version, const Principal& caller);
  core::Result<nlohmann::json> ListImpl(const domain::ResourceSpec& spec, const ListRequest& request,
                                        const Principal& caller);
  core::Result<nlohmann::json> HistoryImpl(const domain::ResourceSpec& spec, const std::string& id,
                                           const Principal& caller);
  core::Result<nlohmann::json> BreakGlassImpl(const std::string& case_id, const std::string& reason,
                                              const Principal& caller);
  core::Result<nlohmann::json> GrantsImpl(const std::string& case_id, const Principal& caller);

  core::Status AuditInTx(StoreTransaction& tx, const Principal& caller, std::string_view action,
                         const std::string& resource, const std::string& id);
  core::Status AuditRecord(const Principal& caller, std::string_view action, const std::string& resource,
                           std::vector<std::string> ids, std::string_view outcome);
  core::Status AuditRecord(const Principal& caller, std::string_view action, const std::string& resource,
                           const std::string& id, std::string_view outcome);
  void AuditFailure(const Principal& caller, std::string_view action, const domain::ResourceSpec& spec,
                    const std::string& id, const core::Status& status);

  core::Result<Reach> ResolveReach(StoreTransaction& tx, const Principal& caller);
  core::Result<std::string> AgencyPath(StoreTransaction& tx, const std::string& agency_id);
  core::Result<bool> CanReach(StoreTransaction& tx, const Reach& reach, const AccessTag& tag,
                              std::string_view record_id);
  core::Result<std::optional<StoredRecord>> ReadReachable(StoreTransaction& tx, const domain::ResourceSpec& spec,
                                                          const std::string& id, const Reach& reach);
  core::Status CheckReferences(const domain::ResourceSpec& spec, const nlohmann::json& record,
                               const nlohmann::json& before, StoreTransaction& tx, const Reach& reach);
  core::Result<AccessTag> TagFor(const domain::ResourceSpec& spec, const nlohmann::json& record, const std::string& id,
                                 StoreTransaction& tx, const Principal& caller, const AccessTag* current);
  core::Status PropagateCaseAccess(StoreTransaction& tx, const nlohmann::json& case_record, const AccessTag& tag);
  domain::CheckContext Context() const;
  std::string Now() const;

  Store& store_;
  const domain::CodeLists& codelists_;
  const core::Clock& clock_;
  RecordServiceOptions options_;

  struct CachedPath {
    std::string path;
    core::TimePoint fetched;
  };
  std::mutex path_mu_;
  std::map<std::string, CachedPath> path_cache_;  // agency id -> location path
};

// The storage layout of a resource (its table, column fields and access).
TableDef TableFor(const domain::ResourceSpec& spec);

}  // namespace ctims::app
