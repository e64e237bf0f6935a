// RecordService's person search and duplicate review (issue 8): the use
// cases over app/person_search.hpp's index and scoring, authorised and
// audited like every other use case of the service.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "app/audit_log.hpp"
#include "app/field_cipher.hpp"
#include "app/person_search.hpp"
#include "app/record_helpers.hpp"
#include "app/record_service.hpp"
#include "app/record_service_util.hpp"
#include "core/id.hpp"
#include "domain/field_group.hpp"

namespace ctims::app {
using namespace detail;  // NOLINT(google-build-using-namespace): the service's own helpers
using core::FieldError;
using core::Result;
using core::Status;
using nlohmann::json;

namespace {

// Pairs scoring at least this are proposed as possible duplicates.
constexpr double kDuplicateThreshold = 0.85;
// Search results below this are noise (unrelated names score under 0.6).
constexpr double kSearchThreshold = 0.6;
constexpr std::size_t kDefaultSearchLimit = 10;
constexpr std::size_t kMaxSearchLimit = 50;
constexpr std::size_t kMaxQueryCodePoints = 200;
constexpr std::size_t kMaxProposals = 10;

bool ParseInt(const std::string& text, int& out) {
  if (text.empty() || text.size() > 9) return false;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && p == end;
}

// The pair's JSON for the queue: no names unless `names` (filled by the caller).
json PairJson(const DuplicatePair& p) {
  json explanation = json::parse(p.explanation, nullptr, /*allow_exceptions=*/false);
  return {{"id", p.id},
          {"version", p.version},
          {"person_a", p.person_a},
          {"person_b", p.person_b},
          {"score", p.score},
          {"explanation", explanation.is_discarded() ? json::object() : explanation},
          {"source", p.source},
          {"status", p.status},
          {"created_at", p.created_at},
          {"reviewed_by", p.reviewed_by.empty() ? json() : json(p.reviewed_by)},
          {"reviewed_at", p.reviewed_at.empty() ? json() : json(p.reviewed_at)}};
}

}  // namespace

Result<json> RecordService::SearchPersons(const std::vector<std::pair<std::string, std::string>>& params,
                                          const Principal& caller) {
  const domain::ResourceSpec& spec = PersonsSpec();
  auto run = [&]() -> Result<json> {
    CTIMS_RETURN_IF_ERROR(CheckAction(caller, spec, "list"));
    if (!caller.role.CanRead(domain::FieldGroup::kIdentity)) {
      return Status::PermissionDenied("searching by name needs the identity field group",
                                      {{"q", "field_group", "your role may not read names"}});
    }
    std::vector<FieldError> errors;
    std::optional<std::string> q;
    std::string sex;
    std::string citizenship;
    std::optional<int> birth_year;
    std::optional<int> tolerance;
    std::size_t limit = kDefaultSearchLimit;
    std::set<std::string> seen;
    for (const auto& [name, value] : params) {
      if (!seen.insert(name).second) {
        errors.push_back({name, "repeated", "give " + name + " once"});
        continue;
      }
      if (name == "q") {
        const std::size_t n = CodePoints(value);
        if (n == 0 || n > kMaxQueryCodePoints || HasControl(value)) {
          errors.push_back({"q", "length", "q must be 1 to 200 characters without control characters"});
        } else {
          q = value;
        }
      } else if (name == "sex") {
        const auto* list = codelists_.Find("sex");
        if (list == nullptr || !list->Contains(value)) {
          errors.push_back({"sex", "codelist", "not a code of list sex"});
        } else {
          sex = value;
        }
      } else if (name == "citizenship") {
        const auto* list = codelists_.Find("country");
        if (list == nullptr || !list->Contains(value)) {
          errors.push_back({"citizenship", "codelist", "not a code of list country"});
        } else {
          citizenship = value;
        }
      } else if (name == "birth_year") {
        int y = 0;
        if (!ParseInt(value, y) || y < 1900 || y > 2100) {
          errors.push_back({"birth_year", "range", "birth_year must be a year from 1900 to 2100"});
        } else {
          birth_year = y;
        }
      } else if (name == "birth_year_tolerance") {
        int t = 0;
        if (!ParseInt(value, t) || t < 0 || t > 20) {
          errors.push_back({"birth_year_tolerance", "range", "birth_year_tolerance must be an integer from 0 to 20"});
        } else {
          tolerance = t;
        }
      } else if (name == "limit") {
        std::size_t n = 0;
        if (!ParseSize(value, n) || n < 1 || n > kMaxSearchLimit) {
          errors.push_back({"limit", "range", "limit must be an integer from 1 to 50"});
        } else {
          limit = n;
        }
      } else {
        errors.push_back({name, "unknown_parameter",
                          "search takes q, sex, birth_year, birth_year_tolerance, "
                          "citizenship and limit"});
      }
    }
    if (!q && !seen.contains("q")) errors.push_back({"q", "required", "the name to search for"});
    if (tolerance && !birth_year && !seen.contains("birth_year")) {
      errors.push_back({"birth_year_tolerance", "required_with", "birth_year_tolerance needs birth_year"});
    }
    std::vector<std::string> keys;
    if (q) {
      keys = NameKeysOf({*q});
      if (keys.empty()) errors.push_back({"q", "no_letters", "q has no letters to search for"});
    }
    if (!errors.empty()) return Status::InvalidArgument("bad search parameters", std::move(errors));
    if (options_.cipher == nullptr) return Status::Unavailable("person search needs the key file");

    const TableDef table = TableFor(spec);
    std::vector<PersonTokenHit> hits;
    {
      CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kRead));
      CTIMS_ASSIGN_OR_RETURN(const Reach reach, ResolveReach(*tx, caller));
      // Without filters only the kMaxScoredCandidates sharing the most keys
      // can be scored (ScoreShortlist ranks them as the store does): opening
      // more would be wasted decryption.
      CandidateOptions retrieval;
      if (sex.empty() && citizenship.empty() && !birth_year) retrieval.max_candidates = kMaxScoredCandidates;
      CTIMS_ASSIGN_OR_RETURN(hits,
                             RetrieveCandidates(*tx, table, options_.cipher->ring(), keys, reach.filter, retrieval));
    }
    PersonProbe probe;
    probe.names = {*q};
    // Open the candidates, apply the filters, then compare names only for the
    // most promising (ScoreShortlist: the cheap pass first).
    std::vector<std::size_t> kept;  // index into hits
    std::vector<json> persons;
    std::vector<PersonProbe> candidates;
    std::vector<int> shared;
    for (std::size_t h = 0; h < hits.size(); ++h) {
      CTIMS_ASSIGN_OR_RETURN(json person, Fields(spec, table, hits[h].record, options_.cipher));
      PersonProbe candidate = ProbeOf(person);
      if (!sex.empty() && candidate.sex != sex) continue;
      if (!citizenship.empty() && std::find(candidate.citizenship.begin(), candidate.citizenship.end(), citizenship) ==
                                      candidate.citizenship.end()) {
        continue;
      }
      if (birth_year) {
        const int tol = tolerance.value_or(0) + (candidate.birth_year_estimated ? 1 : 0);
        if (!candidate.birth_year || std::abs(*candidate.birth_year - *birth_year) > tol) continue;
      }
      kept.push_back(h);
      persons.push_back(std::move(person));
      candidates.push_back(std::move(candidate));
      shared.push_back(hits[h].shared);
    }
    json out = {{"items", json::array()}};
    std::vector<std::string> ids;
    for (auto& scored : ScoreShortlist(probe, candidates, shared)) {
      if (scored.score.score < kSearchThreshold || out["items"].size() == limit) break;
      const PersonTokenHit& hit = hits[kept[scored.index]];
      json summary = WithMeta(std::move(persons[scored.index]), hit.record);
      StripUnreadable(spec, caller.role, summary);
      ids.push_back(hit.record.id);
      out["items"].push_back({{"id", hit.record.id},
                              {"score", std::round(scored.score.score * 1000) / 1000},
                              {"reason", std::move(scored.score.reason)},
                              {"shared_keys", hit.shared},
                              {"person", std::move(summary)}});
    }
    CTIMS_RETURN_IF_ERROR(AuditRecord(caller, "search", spec.name, std::move(ids), "ok"));
    return out;
  };
  auto r = run();
  if (!r.ok()) AuditFailure(caller, "search", spec, "", r.status());
  return r;
}

Result<json> RecordService::ProposeDuplicatesInTx(StoreTransaction& tx, const Reach& reach, const std::string& id,
                                                  const json& person, std::string_view source) {
  json out = json::array();
  if (options_.cipher == nullptr) return out;
  const domain::ResourceSpec& spec = PersonsSpec();
  const TableDef table = TableFor(spec);
  const PersonProbe probe = ProbeOf(person);
  CTIMS_ASSIGN_OR_RETURN(auto hits,
                         RetrieveCandidates(tx, table, options_.cipher->ring(), NameKeysOf(probe.names), reach.filter));
  struct Proposal {
    CandidateScore score;
    std::string id;
  };
  std::vector<const PersonTokenHit*> others;
  std::vector<PersonProbe> candidates;
  std::vector<int> shared;
  for (const auto& hit : hits) {
    if (hit.record.id == id) continue;
    CTIMS_ASSIGN_OR_RETURN(json other, Fields(spec, table, hit.record, options_.cipher));
    others.push_back(&hit);
    candidates.push_back(ProbeOf(other));
    shared.push_back(hit.shared);
  }
  // The cheap pass first: names are compared for the most promising only.
  std::vector<Proposal> proposals;
  for (auto& scored : ScoreShortlist(probe, candidates, shared)) {
    if (scored.score.score < kDuplicateThreshold || proposals.size() == kMaxProposals) break;
    proposals.push_back({std::move(scored.score), others[scored.index]->record.id});
  }
  const std::string now = Now();
  for (auto& p : proposals) {
    DuplicatePair pair;
    pair.id = core::NewId(clock_);
    pair.person_a = std::min(id, p.id);
    pair.person_b = std::max(id, p.id);
    pair.score = std::round(p.score.score * 1000) / 1000;
    pair.explanation = p.score.explanation;
    pair.source = std::string(source);
    pair.created_at = now;
    CTIMS_ASSIGN_OR_RETURN(bool inserted, tx.InsertDuplicatePair(pair));
    json item = {{"id", p.id}, {"score", pair.score}};
    // The reason quotes names: only for a caller who may read them.
    if (reach.caller->role.CanRead(domain::FieldGroup::kIdentity)) item["reason"] = p.score.reason;
    if (inserted) item["pair_id"] = pair.id;
    out.push_back(std::move(item));
  }
  return out;
}

Result<json> RecordService::DuplicateQueue(const std::vector<std::pair<std::string, std::string>>& params,
                                           const Principal& caller) {
  const domain::ResourceSpec& spec = PersonsSpec();
  auto run = [&]() -> Result<json> {
    CTIMS_RETURN_IF_ERROR(CheckAction(caller, spec, "list"));
    std::vector<FieldError> errors;
    std::string status = "open";
    std::string after;
    std::size_t limit = kDefaultPageSize;
    for (const auto& [name, value] : params) {
      if (name == "status") {
        if (value != "open" && value != "merged" && value != "not_same" && value != "settled") {
          errors.push_back({"status", "enum", "status must be open, merged, not_same or settled"});
        } else {
          status = value;
        }
      } else if (name == "limit") {
        ParseLimit(value, limit, errors);
      } else if (name == "cursor") {
        ParseCursor(value, after, errors);
      } else {
        errors.push_back({name, "unknown_parameter", "the queue takes status, limit and cursor"});
      }
    }
    if (!errors.empty()) return Status::InvalidArgument("bad queue parameters", std::move(errors));
    const TableDef table = TableFor(spec);
    const bool names = caller.role.CanRead(domain::FieldGroup::kIdentity);
    json out = {{"items", json::array()}, {"next_cursor", nullptr}};
    std::vector<std::string> ids;
    CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kRead));
    CTIMS_ASSIGN_OR_RETURN(const Reach reach, ResolveReach(*tx, caller));
    // Undecided pairs (stored "open") follow merges on read (ReadLivePair):
    // each side is shown as its live end, and a pair whose sides now share
    // one is "settled", listed apart. Nothing is rewritten, so undoing the
    // merge gives the pair its persons back. Decided pairs are history and
    // show the persons they were decided on. Pairs with a person out of
    // reach are skipped; pages are read until `limit` visible pairs are
    // found or the queue ends.
    const bool undecided = status == "open" || status == "settled";
    // A re-pointed open pair is listed only when it is the one the queue
    // shows for its live ends (QueueRepresentative): not when a pair is
    // stored on exactly those ends, nor behind another re-pointed pair of
    // lower id. `hidden_ends`: live ends already found to be shown by
    // another pair in this request.
    std::set<std::pair<std::string, std::string>> hidden_ends;
    for (;;) {
      CTIMS_ASSIGN_OR_RETURN(auto page, tx->ListDuplicatePairs(undecided ? "open" : status, after, 200));
      for (const auto& pair : page) {
        after = pair.id;
        json item = PairJson(pair);
        item["proposed_persons"] = json::array({pair.person_a, pair.person_b});
        std::optional<StoredRecord> a;
        std::optional<StoredRecord> b;
        if (undecided) {
          CTIMS_ASSIGN_OR_RETURN(auto live, ReadLivePair(*tx, reach, pair));
          if (!live || live->Settled() != (status == "settled")) continue;
          if (status == "open" && live->Repointed()) {
            const std::pair<std::string, std::string> key = std::minmax(live->a.id, live->b.id);
            if (hidden_ends.contains(key)) continue;
            CTIMS_ASSIGN_OR_RETURN(DuplicatePair shown, QueueRepresentative(*tx, *live));
            // Pairs come in id order: once another pair stands for these
            // ends, it does for every later one.
            if (shown.id != pair.id) {
              hidden_ends.insert(key);
              continue;
            }
          }
          a = std::move(live->a);
          b = std::move(live->b);
          item["person_a"] = a->id;
          item["person_b"] = b->id;
          if (status == "settled") {
            item["status"] = "settled";
            item["settled_into"] = a->id;
          }
        } else {
          CTIMS_ASSIGN_OR_RETURN(a, ReadReachable(*tx, spec, pair.person_a, reach));
          if (!a) continue;
          CTIMS_ASSIGN_OR_RETURN(b, ReadReachable(*tx, spec, pair.person_b, reach));
          if (!b) continue;
        }
        CTIMS_ASSIGN_OR_RETURN(json pa, Fields(spec, table, *a, options_.cipher));
        CTIMS_ASSIGN_OR_RETURN(json pb, Fields(spec, table, *b, options_.cipher));
        // A settled pair compares a person with itself: no reason to give.
        if (names && a->id != b->id) item["reason"] = ScoreCandidate(ProbeOf(pa), ProbeOf(pb)).reason;
        json sa = WithMeta(std::move(pa), *a);
        json sb = WithMeta(std::move(pb), *b);
        StripUnreadable(spec, caller.role, sa);
        StripUnreadable(spec, caller.role, sb);
        item["persons"] = json::array({std::move(sa), std::move(sb)});
        ids.push_back(pair.id);
        out["items"].push_back(std::move(item));
        if (out["items"].size() == limit) {
          out["next_cursor"] = pair.id;
          break;
        }
      }
      if (out["items"].size() == limit || page.size() < 200) break;
    }
    tx.reset();
    CTIMS_RETURN_IF_ERROR(AuditRecord(caller, "list", "person-duplicates", std::move(ids), "ok"));
    return out;
  };
  auto r = run();
  if (!r.ok()) AuditFailure(caller, "list", spec, "", r.status());
  return r;
}

Result<json> RecordService::ReviewDuplicate(const std::string& id, const std::string& action, const json& body,
                                            const Principal& caller) {
  if (action == "merge") return MergeDuplicate(id, body, caller);  // person_merge_service.cpp
  const domain::ResourceSpec& spec = PersonsSpec();
  auto run = [&]() -> Result<json> {
    CTIMS_RETURN_IF_ERROR(CheckAction(caller, spec, "merge"));
    if (action != "not_same" && action != "reopen") {
      return Status::InvalidArgument("unknown review action",
                                     {{"action", "enum", "the review actions are merge, not_same and reopen"}});
    }
    CTIMS_RETURN_IF_ERROR(CheckBodyMembers(body, {"version"}));
    CTIMS_ASSIGN_OR_RETURN(std::int64_t expected, ExpectedVersion(body, std::nullopt));
    CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kWrite));
    CTIMS_ASSIGN_OR_RETURN(const Reach reach, ResolveReach(*tx, caller));
    CTIMS_ASSIGN_OR_RETURN(ReviewPair review, LoadReviewPair(*tx, reach, id, expected, action));
    // "not the same" is a judgement on the persons the queue shows: on a
    // re-pointed pair it goes to the pair of its live ends (DecidePair),
    // and the pair reopened is the pair decided on.
    const std::string now = Now();
    DuplicatePair updated;
    if (action == "not_same") {
      CTIMS_ASSIGN_OR_RETURN(updated, DecidePair(*tx, review, "not_same", action, caller.user_id, now));
    } else {
      CTIMS_ASSIGN_OR_RETURN(updated, SetPairStatus(*tx, review.pair, "open", action, caller.user_id, now));
    }
    if (options_.audit != nullptr) {
      std::vector<std::string> ids = {id};
      if (updated.id != id) ids.push_back(updated.id);
      CTIMS_RETURN_IF_ERROR(
          options_.audit->Append(*tx, EventFor(caller, action, "person-duplicates", std::move(ids), "ok")));
    }
    CTIMS_RETURN_IF_ERROR(tx->Commit());
    return PairJson(updated);
  };
  auto r = run();
  if (!r.ok()) AuditFailure(caller, action, spec, id, r.status());
  return r;
}

}  // namespace ctims::app
