// RecordService's merge of duplicate persons and its undo (issue 8 §4): "a
// reviewer merges (with full history, nothing lost) ...; a merge can be
// undone". Nothing is deleted: the merged person stays, marked, and every
// reference that moved is listed in its person_merges row so that undo puts
// back exactly those.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/audit_log.hpp"
#include "app/field_cipher.hpp"
#include "app/person_search.hpp"
#include "app/record_helpers.hpp"
#include "app/record_service.hpp"
#include "app/record_service_util.hpp"
#include "core/id.hpp"

namespace ctims::app {
using namespace detail;  // NOLINT(google-build-using-namespace): the service's own helpers
using core::FieldError;
using core::Result;
using core::Status;
using nlohmann::json;

namespace {

// Bounds the look-up of pairs re-pointed onto one pair of live ends
// (RecordService::QueueRepresentative): pairs of persons merged into either.
constexpr std::size_t kMaxRepointLookups = 64;

json MergeJson(const PersonMerge& m) {
  json moved = json::parse(m.moved, nullptr, /*allow_exceptions=*/false);
  return {{"id", m.id},
          {"version", m.version},
          {"kept_id", m.kept_id},
          {"merged_id", m.merged_id},
          {"duplicate_id", m.duplicate_id.empty() ? json() : json(m.duplicate_id)},
          {"moved", moved.is_array() ? moved : json::array()},
          {"merged_by", m.merged_by},
          {"merged_at", m.merged_at},
          {"undone", !m.undone_at.empty()},
          {"undone_by", m.undone_by.empty() ? json() : json(m.undone_by)},
          {"undone_at", m.undone_at.empty() ? json() : json(m.undone_at)}};
}

// The persons already merged into `person_id` (merged_into names it), in id
// order. Every person of a chain names the last person of the chain: a merge
// re-points those merged into the person it hides.
Result<std::vector<StoredRecord>> MergedInto(StoreTransaction& tx, const std::string& person_id) {
  return RecordsWhere(tx, PersonsSpec(), "merged_into", person_id);
}

}  // namespace

Status RecordService::IndexMergedNamesInTx(StoreTransaction& tx, const std::string& kept_id) {
  if (options_.cipher == nullptr) return Status::Ok();
  const auto& spec = PersonsSpec();
  const TableDef table = TableFor(spec);
  std::vector<std::pair<std::string, std::int64_t>> rows;
  // Chains included: every person of a chain names its last person.
  CTIMS_ASSIGN_OR_RETURN(auto merged, MergedInto(tx, kept_id));
  for (const auto& m : merged) {
    CTIMS_ASSIGN_OR_RETURN(json person, Fields(spec, table, m, options_.cipher));
    AppendPersonTokenRows(options_.cipher->ring(), kept_id, person, rows);
  }
  if (rows.empty()) return Status::Ok();
  return tx.AddPersonNameTokens(rows);
}

Status RecordService::RefreshPersonProtection(StoreTransaction& tx, const std::string& person_id) {
  const TableDef table = TableFor(PersonsSpec());
  CTIMS_ASSIGN_OR_RETURN(auto person, tx.Get(table, person_id));
  if (!person) return Status::Ok();
  CTIMS_ASSIGN_OR_RETURN(auto cases, CasesOfPerson(tx, person_id));
  AccessTag tag = person->access;
  tag.is_protected = false;
  tag.case_id.clear();
  for (const auto& c : cases) {
    if (c.access.is_protected) {
      tag.is_protected = true;
      tag.case_id = c.id;
      break;
    }
  }
  if (tag == person->access) return Status::Ok();
  return tx.SetAccess(table, person_id, tag);
}

Result<std::optional<RecordService::ReviewPair>> RecordService::ReadLivePair(StoreTransaction& tx, const Reach& reach,
                                                                             const DuplicatePair& pair) {
  const auto& spec = PersonsSpec();
  const TableDef persons = TableFor(spec);
  // The side itself when live, else the person its merged_into names: a
  // merge re-points the persons merged into the one it hides, so one step
  // reaches the live end. Whether the caller may see it is asked of the live
  // end, the person the reviewer would act on.
  auto live_end = [&](const std::string& id) -> Result<std::optional<StoredRecord>> {
    CTIMS_ASSIGN_OR_RETURN(auto side, tx.Get(persons, id));
    if (!side) return side;
    if (auto into = ColumnValue(persons, *side, "merged_into"); into) return ReadReachable(tx, spec, *into, reach);
    return ReadReachable(tx, spec, id, reach);
  };
  std::optional<ReviewPair> out;
  CTIMS_ASSIGN_OR_RETURN(auto a, live_end(pair.person_a));
  if (!a) return out;
  CTIMS_ASSIGN_OR_RETURN(auto b, live_end(pair.person_b));
  if (!b) return out;
  out = ReviewPair{pair, std::move(*a), std::move(*b)};
  return out;
}

Result<RecordService::ReviewPair> RecordService::LoadReviewPair(StoreTransaction& tx, const Reach& reach,
                                                                const std::string& pair_id,
                                                                std::optional<std::int64_t> expected,
                                                                std::string_view action) {
  if (!core::IsCanonicalId(pair_id)) return Status::NotFound("no duplicate pair with this id");
  CTIMS_ASSIGN_OR_RETURN(auto pair, tx.GetDuplicatePair(pair_id));
  if (!pair) return Status::NotFound("no duplicate pair with this id");
  CTIMS_ASSIGN_OR_RETURN(auto review, ReadLivePair(tx, reach, *pair));
  if (!review) return Status::NotFound("no duplicate pair with this id");
  if (expected && *expected != pair->version) return StaleVersion("the pair", pair->version);
  const std::string from = action == "reopen" ? "not_same" : "open";
  if (pair->status != from) {
    return Status::Conflict("the pair is " + pair->status,
                            {{"status", "state", "the pair must be " + from + " to " + std::string(action)}});
  }
  if (review->Settled()) {
    return Status::Conflict("the pair is settled", {{"status", "settled",
                                                     "both persons of the pair were merged into person " +
                                                         review->a.id + "; undo that merge to review the pair again"}});
  }
  if (action != "reopen" && review->Repointed()) {
    CTIMS_ASSIGN_OR_RETURN(DuplicatePair shown, QueueRepresentative(tx, *review));
    if (shown.id != pair->id) {
      return Status::Conflict(
          "the pair is superseded",
          {{"status", "superseded",
            "a person of the pair was merged: the queue shows persons " + review->a.id + " and " + review->b.id +
                " as pair " + shown.id + " (" + shown.status + "); review pair " + shown.id + " instead"}});
    }
  }
  return std::move(*review);
}

Result<DuplicatePair> RecordService::QueueRepresentative(StoreTransaction& tx, const ReviewPair& review) {
  if (!review.Repointed() || review.Settled()) return review.pair;
  CTIMS_ASSIGN_OR_RETURN(auto on_ends, tx.FindDuplicatePair(review.a.id, review.b.id));
  if (on_ends) return *on_ends;
  // Other pairs re-pointed onto the same live ends name a live end or a
  // person merged into it (merged_into always names the live end of a
  // chain) on each side.
  CTIMS_ASSIGN_OR_RETURN(auto into_a, MergedInto(tx, review.a.id));
  CTIMS_ASSIGN_OR_RETURN(auto into_b, MergedInto(tx, review.b.id));
  if ((into_a.size() + 1) * (into_b.size() + 1) > kMaxRepointLookups) return review.pair;
  std::vector<std::string> side_a = {review.a.id};
  std::vector<std::string> side_b = {review.b.id};
  for (const auto& r : into_a) side_a.push_back(r.id);
  for (const auto& r : into_b) side_b.push_back(r.id);
  DuplicatePair lowest = review.pair;
  for (const auto& u : side_a) {
    for (const auto& v : side_b) {
      if (u == review.a.id && v == review.b.id) continue;  // looked up above
      CTIMS_ASSIGN_OR_RETURN(auto other, tx.FindDuplicatePair(u, v));
      if (other && other->status == "open" && other->id < lowest.id) lowest = std::move(*other);
    }
  }
  return lowest;
}

Result<DuplicatePair> RecordService::DecidePair(StoreTransaction& tx, const ReviewPair& review,
                                                const std::string& status, std::string_view action,
                                                const std::string& user_id, const std::string& now) {
  if (!review.Repointed()) return SetPairStatus(tx, review.pair, status, action, user_id, now);
  CTIMS_ASSIGN_OR_RETURN(auto on_ends, tx.FindDuplicatePair(review.a.id, review.b.id));
  if (!on_ends) {
    DuplicatePair created;
    created.id = core::NewId(clock_);
    created.person_a = std::min(review.a.id, review.b.id);
    created.person_b = std::max(review.a.id, review.b.id);
    created.score = review.pair.score;
    created.explanation = review.pair.explanation;
    created.source = "review";
    created.created_at = now;
    CTIMS_ASSIGN_OR_RETURN(bool inserted, tx.InsertDuplicatePair(created));
    if (!inserted) return Status::Conflict("the pair changed since it was read");
    // Where the pair came from: the re-pointed pair the reviewer decided on.
    const json changes = json::array({{{"path", "reviewed_as"}, {"from", nullptr}, {"to", review.pair.id}}});
    CTIMS_RETURN_IF_ERROR(tx.AppendHistory(
        {0, "person-duplicates", created.id, created.version, "create", user_id, now, changes.dump(), {}}));
    on_ends = std::move(created);
  } else if (on_ends->status != "open") {
    return Status::Conflict("the pair is superseded", {{"status", "superseded",
                                                        "pair " + on_ends->id + " on the same persons is " +
                                                            on_ends->status + "; review it instead"}});
  }
  return SetPairStatus(tx, *on_ends, status, action, user_id, now);
}

Result<json> RecordService::MergeDuplicate(const std::string& pair_id, const json& body, const Principal& caller) {
  auto r = MergeImpl(pair_id, body, caller);
  if (!r.ok()) AuditFailure(caller, "merge", PersonsSpec(), pair_id, r.status());
  return r;
}

Result<json> RecordService::MergeImpl(const std::string& pair_id, const json& body, const Principal& caller) {
  const auto& spec = PersonsSpec();
  CTIMS_RETURN_IF_ERROR(CheckAction(caller, spec, "merge"));
  CTIMS_RETURN_IF_ERROR(CheckBodyMembers(body, {"keep", "version"}));
  if (!body.contains("keep")) {
    return Status::InvalidArgument("say which person to keep", {{"keep", "required", "the id of one of the pair"}});
  }
  if (!body["keep"].is_string() || !core::IsCanonicalId(body["keep"].get<std::string>())) {
    return Status::InvalidArgument("keep is not a person id", {{"keep", "id_format", "not a record id"}});
  }
  const std::string keep = body["keep"].get<std::string>();
  std::optional<std::int64_t> expected;
  if (body.contains("version")) {
    CTIMS_ASSIGN_OR_RETURN(expected, ExpectedVersion(body, std::nullopt));
  }

  const TableDef persons = TableFor(spec);
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kWrite));
  CTIMS_ASSIGN_OR_RETURN(const Reach reach, ResolveReach(*tx, caller));
  CTIMS_ASSIGN_OR_RETURN(ReviewPair review, LoadReviewPair(*tx, reach, pair_id, expected, "merge"));
  const DuplicatePair& pair = review.pair;
  // `keep` names a side as the queue shows it (its live end) or as it was
  // proposed; either way the live end is kept.
  const bool keep_a = keep == review.a.id || keep == pair.person_a;
  if (!keep_a && keep != review.b.id && keep != pair.person_b) {
    return Status::InvalidArgument("keep one of the pair", {{"keep", "pair_member", "person_a or person_b"}});
  }
  const StoredRecord& kept = keep_a ? review.a : review.b;
  const StoredRecord& merged = keep_a ? review.b : review.a;
  for (const StoredRecord* p : {&kept, &merged}) {
    if (ColumnValue(persons, *p, "merged_into")) {
      return Status::Conflict("a person of the pair was merged already",
                              {{"keep", "merged", "person " + p->id + " was merged into another"}});
    }
  }
  const std::string now = Now();
  json moved = json::array();

  // Re-points `field` of each of `records` (of `rspec`) from the merged to
  // the kept person, through its history, and lists it in `moved`.
  auto repoint = [&](const domain::ResourceSpec& rspec, const std::vector<StoredRecord>& records,
                     const std::string& field) -> Status {
    const TableDef table = TableFor(rspec);
    for (const auto& r : records) {
      CTIMS_ASSIGN_OR_RETURN(json before, Fields(rspec, table, r, options_.cipher));
      json after = before;
      after[field] = kept.id;
      CTIMS_RETURN_IF_ERROR(WriteInTx(*tx, rspec, r, before, after, "merge_person", caller).status());
      moved.push_back({{"table", rspec.table}, {"id", r.id}, {"field", field}, {"from", merged.id}});
    }
    return Status::Ok();
  };
  // 1. The cases, each through its history.
  CTIMS_ASSIGN_OR_RETURN(auto merged_cases, CasesOfPerson(*tx, merged.id));
  CTIMS_RETURN_IF_ERROR(repoint(CasesSpec(), merged_cases, "person_id"));
  // 2. The shares, which give agencies their reach over the person.
  CTIMS_ASSIGN_OR_RETURN(auto shares, tx->ListSharesOfPerson(merged.id));
  for (const auto& s : shares) {
    CTIMS_RETURN_IF_ERROR(tx->RepointShare(s.id, merged.id, kept.id));
    moved.push_back({{"table", "case_shares"}, {"id", s.id}, {"field", "person_id"}, {"from", merged.id}});
  }
  // 3. Persons merged earlier into the merged one follow it (a chain): GET
  // and ?merged_into= lead straight to the person that is still live.
  CTIMS_ASSIGN_OR_RETURN(auto earlier, MergedInto(*tx, merged.id));
  CTIMS_RETURN_IF_ERROR(repoint(spec, earlier, "merged_into"));
  // 4. The merged person, marked; its names (and those of the persons merged
  // into it) now find the kept one.
  CTIMS_ASSIGN_OR_RETURN(json merged_before, Fields(spec, persons, merged, options_.cipher));
  json merged_after = merged_before;
  merged_after["merged_into"] = kept.id;
  merged_after["merged_at"] = now;
  merged_after["merged_by"] = caller.user_id;
  CTIMS_RETURN_IF_ERROR(WriteInTx(*tx, spec, merged, merged_before, merged_after, "merged", caller).status());
  if (options_.cipher != nullptr) CTIMS_RETURN_IF_ERROR(tx->DeletePersonNameTokens(merged.id));
  CTIMS_RETURN_IF_ERROR(IndexMergedNamesInTx(*tx, kept.id));
  CTIMS_RETURN_IF_ERROR(RefreshPersonProtection(*tx, kept.id));
  CTIMS_RETURN_IF_ERROR(RefreshPersonProtection(*tx, merged.id));

  // 5. The pair (a re-pointed one records the merge on its live ends), and
  // the record of what moved.
  CTIMS_ASSIGN_OR_RETURN(DuplicatePair decided, DecidePair(*tx, review, "merged", "merge", caller.user_id, now));
  PersonMerge m;
  m.id = core::NewId(clock_);
  m.kept_id = kept.id;
  m.merged_id = merged.id;
  m.duplicate_id = decided.id;
  m.moved = moved.dump();
  m.merged_by = caller.user_id;
  m.merged_at = now;
  if (Status s = tx->InsertPersonMerge(m); !s.ok()) {
    if (s.code() == core::StatusCode::kAlreadyExists) {
      return Status::Conflict("the person was merged already", {{"keep", "merged", "merged by another merge"}});
    }
    return s;
  }
  if (options_.audit != nullptr) {
    CTIMS_RETURN_IF_ERROR(
        options_.audit->Append(*tx, EventFor(caller, "merge", "person-merges", {m.id, kept.id, merged.id}, "ok")));
  }
  CTIMS_RETURN_IF_ERROR(tx->Commit());
  return MergeJson(m);
}

Result<json> RecordService::UndoMerge(const std::string& id, const json& body, const Principal& caller) {
  auto r = UndoMergeImpl(id, body, caller);
  if (!r.ok()) AuditFailure(caller, "undo_merge", PersonsSpec(), id, r.status());
  return r;
}

Result<json> RecordService::UndoMergeImpl(const std::string& id, const json& body, const Principal& caller) {
  const auto& spec = PersonsSpec();
  CTIMS_RETURN_IF_ERROR(CheckAction(caller, spec, "merge"));
  if (!body.is_null()) {
    CTIMS_RETURN_IF_ERROR(CheckBodyMembers(body, {"version"}));
  }
  std::optional<std::int64_t> expected;
  if (body.is_object() && body.contains("version")) {
    CTIMS_ASSIGN_OR_RETURN(expected, ExpectedVersion(body, std::nullopt));
  }
  if (!core::IsCanonicalId(id)) return Status::NotFound("no merge with this id");
  const TableDef persons = TableFor(spec);
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kWrite));
  CTIMS_ASSIGN_OR_RETURN(const Reach reach, ResolveReach(*tx, caller));
  CTIMS_ASSIGN_OR_RETURN(auto merge, tx->GetPersonMerge(id));
  if (!merge) return Status::NotFound("no merge with this id");
  CTIMS_ASSIGN_OR_RETURN(auto kept, ReadReachable(*tx, spec, merge->kept_id, reach));
  CTIMS_ASSIGN_OR_RETURN(auto merged, ReadReachable(*tx, spec, merge->merged_id, reach));
  if (!kept || !merged) return Status::NotFound("no merge with this id");
  if (expected && *expected != merge->version) return StaleVersion("the merge", merge->version);
  if (!merge->undone_at.empty()) {
    return Status::Conflict("the merge was undone already", {{"undone_at", "undone", "undone at " + merge->undone_at}});
  }
  // Undo runs back along a chain: while the kept person is itself merged
  // into another, what this merge moved has moved on with it.
  if (auto later = ColumnValue(persons, *kept, "merged_into"); later) {
    return Status::Conflict(
        "the merge cannot be undone before a later one",
        {{"kept_id", "merged_later",
          "person " + kept->id + " was merged into " + *later +
              " since; undo that merge first (GET /api/v1/person-merges?person=" + kept->id + ")"}});
  }
  json moved = json::parse(merge->moved, nullptr, /*allow_exceptions=*/false);
  if (!moved.is_array()) return Status::Internal("stored merge is not a JSON array");

  // 1. Every recorded case and person must still point at the kept person.
  const auto& cases_spec = CasesSpec();
  const TableDef cases = TableFor(cases_spec);
  std::vector<FieldError> errors;
  struct Back {
    const domain::ResourceSpec* spec;
    StoredRecord record;
  };
  std::vector<Back> back;
  for (std::size_t i = 0; i < moved.size(); ++i) {
    const std::string table = moved[i].value("table", std::string());
    const std::string rid = moved[i].value("id", std::string());
    const std::string at = "moved[" + std::to_string(i) + "]";
    const bool is_case = table == "cases";
    if (!is_case && table != "persons") continue;  // shares are checked as they are put back
    const domain::ResourceSpec& rspec = is_case ? cases_spec : spec;
    const TableDef& rtable = is_case ? cases : persons;
    const std::string noun = is_case ? "case " : "person ";
    CTIMS_ASSIGN_OR_RETURN(auto r, tx->Get(rtable, rid));
    if (!r) {
      errors.push_back({at, "deleted", noun + rid + " was deleted since the merge"});
    } else if (ColumnValue(rtable, *r, is_case ? "person_id" : "merged_into").value_or("") != merge->kept_id) {
      errors.push_back({at, "moved", noun + rid + " was moved to another person since the merge"});
    } else {
      back.push_back({&rspec, std::move(*r)});
    }
  }
  if (!errors.empty()) {
    return Status::Conflict("the merge cannot be undone: records changed since", std::move(errors));
  }
  // 2. Put them back.
  for (const auto& b : back) {
    const TableDef rtable = TableFor(*b.spec);
    CTIMS_ASSIGN_OR_RETURN(json before, Fields(*b.spec, rtable, b.record, options_.cipher));
    json after = before;
    after[b.spec == &cases_spec ? "person_id" : "merged_into"] = merge->merged_id;
    CTIMS_RETURN_IF_ERROR(WriteInTx(*tx, *b.spec, b.record, before, after, "unmerge_person", caller).status());
  }
  for (std::size_t i = 0; i < moved.size(); ++i) {
    if (moved[i].value("table", std::string()) != "case_shares") continue;
    const std::string rid = moved[i].value("id", std::string());
    Status s = tx->RepointShare(rid, merge->kept_id, merge->merged_id);
    const std::string at = "moved[" + std::to_string(i) + "]";
    if (s.code() == core::StatusCode::kNotFound) {
      return Status::Conflict("the merge cannot be undone: records changed since",
                              {{at, "deleted", "case share " + rid + " was deleted since the merge"}});
    }
    if (s.code() == core::StatusCode::kConflict) {
      return Status::Conflict("the merge cannot be undone: records changed since",
                              {{at, "moved", "case share " + rid + " was moved to another person since the merge"}});
    }
    CTIMS_RETURN_IF_ERROR(s);
  }
  // 3. The merged person, un-marked.
  CTIMS_ASSIGN_OR_RETURN(json merged_before, Fields(spec, persons, *merged, options_.cipher));
  json merged_after = merged_before;
  merged_after.erase("merged_into");
  merged_after.erase("merged_at");
  merged_after.erase("merged_by");
  CTIMS_RETURN_IF_ERROR(WriteInTx(*tx, spec, *merged, merged_before, merged_after, "unmerged", caller).status());
  // 4. The merge record, then both persons' name keys (each keeps those of
  // the persons still merged into it).
  PersonMerge done = *merge;
  done.version = merge->version + 1;
  done.undone_by = caller.user_id;
  done.undone_at = Now();
  CTIMS_RETURN_IF_ERROR(tx->UpdatePersonMerge(done, merge->version));
  CTIMS_ASSIGN_OR_RETURN(json kept_plain, Fields(spec, persons, *kept, options_.cipher));
  CTIMS_RETURN_IF_ERROR(IndexPersonInTx(*tx, options_.cipher, kept->id, kept_plain, /*fresh=*/false));
  CTIMS_RETURN_IF_ERROR(IndexMergedNamesInTx(*tx, kept->id));
  CTIMS_RETURN_IF_ERROR(IndexPersonInTx(*tx, options_.cipher, merged->id, merged_after, /*fresh=*/false));
  CTIMS_RETURN_IF_ERROR(IndexMergedNamesInTx(*tx, merged->id));
  CTIMS_RETURN_IF_ERROR(RefreshPersonProtection(*tx, kept->id));
  CTIMS_RETURN_IF_ERROR(RefreshPersonProtection(*tx, merged->id));
  // 5. The pair goes back to the queue.
  if (!merge->duplicate_id.empty()) {
    CTIMS_ASSIGN_OR_RETURN(auto pair, tx->GetDuplicatePair(merge->duplicate_id));
    if (pair && pair->status == "merged") {
      CTIMS_RETURN_IF_ERROR(SetPairStatus(*tx, *pair, "open", "undo_merge", caller.user_id, done.undone_at).status());
    }
  }
  if (options_.audit != nullptr) {
    CTIMS_RETURN_IF_ERROR(options_.audit->Append(
        *tx, EventFor(caller, "undo_merge", "person-merges", {done.id, done.kept_id, done.merged_id}, "ok")));
  }
  CTIMS_RETURN_IF_ERROR(tx->Commit());
  return MergeJson(done);
}

Result<json> RecordService::ListMerges(const std::vector<std::pair<std::string, std::string>>& params,
                                       const Principal& caller) {
  const auto& spec = PersonsSpec();
  auto run = [&]() -> Result<json> {
    CTIMS_RETURN_IF_ERROR(CheckAction(caller, spec, "list"));
    std::vector<FieldError> errors;
    std::string person;
    std::string after;
    std::size_t limit = kDefaultPageSize;
    for (const auto& [name, value] : params) {
      if (name == "person") {
        if (!core::IsCanonicalId(value)) {
          errors.push_back({"person", "id_format", "not a record id"});
        } else {
          person = value;
        }
      } else if (name == "limit") {
        ParseLimit(value, limit, errors);
      } else if (name == "cursor") {
        ParseCursor(value, after, errors);
      } else {
        errors.push_back({name, "unknown_parameter", "the merges list takes person, limit and cursor"});
      }
    }
    if (!errors.empty()) return Status::InvalidArgument("bad merge list parameters", std::move(errors));
    json out = {{"items", json::array()}, {"next_cursor", nullptr}};
    std::vector<std::string> ids;
    CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kRead));
    CTIMS_ASSIGN_OR_RETURN(const Reach reach, ResolveReach(*tx, caller));
    for (;;) {
      CTIMS_ASSIGN_OR_RETURN(auto page, tx->ListPersonMerges(person, after, 200));
      for (const auto& m : page) {
        after = m.id;
        CTIMS_ASSIGN_OR_RETURN(auto k, ReadReachable(*tx, spec, m.kept_id, reach));
        if (!k) continue;
        CTIMS_ASSIGN_OR_RETURN(auto g, ReadReachable(*tx, spec, m.merged_id, reach));
        if (!g) continue;
        ids.push_back(m.id);
        out["items"].push_back(MergeJson(m));
        if (out["items"].size() == limit) {
          out["next_cursor"] = m.id;
          break;
        }
      }
      if (out["items"].size() == limit || page.size() < 200) break;
    }
    tx.reset();
    CTIMS_RETURN_IF_ERROR(AuditRecord(caller, "list", "person-merges", std::move(ids), "ok"));
    return out;
  };
  auto r = run();
  if (!r.ok()) AuditFailure(caller, "list", spec, "", r.status());
  return r;
}

}  // namespace ctims::app
