#pragma once

// Test-only: the record half of an in-memory store, shared by the fakes in
// the app layer's unit tests. The suites under tests/ use real databases.

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/record_store.hpp"

namespace ctims::app::testing {

// Records and history held in maps.
struct InMemoryRecords {
  std::map<std::string, std::map<std::string, StoredRecord>> tables;
  std::vector<HistoryEntry> history;
  std::vector<AccessGrant> grants;
  std::map<std::int64_t, AuditRow> audit;  // by seq
  std::vector<CaseShare> shares;
  std::map<std::string, WorkTask> tasks;
  std::vector<Notification> notifications;
  std::map<std::pair<std::string, std::string>, std::string> notification_reads;  // (id, user) -> at
  std::set<std::pair<std::int64_t, std::string>> name_tokens;                     // (token, person id): issue 8
  std::map<std::string, DuplicatePair> duplicates;                                // by id: issue 8
  std::map<std::string, PersonMerge> merges;                                      // by id: issue 8
};

// Implements StoreTransaction's record operations over `records()`, for a
// transaction class `Base` (StoreTransaction or one derived from it). Column
// filters are supported; body filters are not (the app tests need none).
template <typename Base>
class InMemoryRecordOps : public Base {
 public:
  core::Result<std::optional<StoredRecord>> Get(const TableDef& t, std::string_view id) override {
    auto& table = records().tables[t.table];
    auto it = table.find(std::string(id));
    if (it == table.end()) return std::optional<StoredRecord>();
    return std::optional<StoredRecord>(it->second);
  }
  core::Result<bool> Exists(const TableDef& t, std::string_view id) override {
    return records().tables[t.table].contains(std::string(id));
  }
  core::Result<std::vector<StoredRecord>> List(const TableDef& t, const ListQuery& q) override {
    std::vector<StoredRecord> out;
    for (const auto& [id, r] : records().tables[t.table]) {
      bool match = id > q.after_id;
      if (t.personal) {
        if (!q.access) return core::Status::Internal("list of a personal table without an access filter");
        match = match && Passes(*q.access, r.access, id);
      }
      for (const auto& f : q.filters) {
        auto col = std::find(t.columns.begin(), t.columns.end(), f.field);
        if (col == t.columns.end()) return core::Status::Internal("filter");
        const auto& value = r.columns[static_cast<std::size_t>(col - t.columns.begin())];
        if (f.kind == Filter::Kind::kColumnIsNull) {
          match = match && !value;
          continue;
        }
        if (f.kind != Filter::Kind::kColumn) return core::Status::Internal("filter");
        match = match && value == f.value;
      }
      if (match && out.size() < q.limit) out.push_back(r);
    }
    return out;
  }
  core::Status Insert(const TableDef& t, const StoredRecord& r) override {
    if (!writable()) return core::Status::Internal("read tx");
    records().tables[t.table][r.id] = r;
    return core::Status::Ok();
  }
  core::Status Update(const TableDef& t, const StoredRecord& r, std::int64_t expected) override {
    if (!writable()) return core::Status::Internal("read tx");
    auto& table = records().tables[t.table];
    if (!table.contains(r.id)) return core::Status::NotFound("no record");
    if (table[r.id].version != expected) return core::Status::Conflict("stale");
    table[r.id] = r;
    return core::Status::Ok();
  }
  core::Status Delete(const TableDef& t, std::string_view id, std::int64_t expected) override {
    if (!writable()) return core::Status::Internal("read tx");
    auto& table = records().tables[t.table];
    auto it = table.find(std::string(id));
    if (it == table.end()) return core::Status::NotFound("no record");
    if (it->second.version != expected) return core::Status::Conflict("stale");
    table.erase(it);
    return core::Status::Ok();
  }
  core::Status SetAccess(const TableDef& t, std::string_view id, const AccessTag& tag) override {
    if (!writable()) return core::Status::Internal("read tx");
    auto& table = records().tables[t.table];
    auto it = table.find(std::string(id));
    if (it == table.end()) return core::Status::NotFound("no record");
    it->second.access = tag;
    return core::Status::Ok();
  }
  core::Status SetAccessByCase(const TableDef& t, std::string_view case_id, const AccessTag& tag) override {
    if (!writable()) return core::Status::Internal("read tx");
    auto col = std::find(t.columns.begin(), t.columns.end(), t.case_column);
    if (col == t.columns.end()) return core::Status::Internal("no case column");
    for (auto& [id, r] : records().tables[t.table]) {
      if (r.columns[static_cast<std::size_t>(col - t.columns.begin())] == std::string(case_id)) r.access = tag;
    }
    return core::Status::Ok();
  }
  core::Status InsertGrant(const AccessGrant& g) override {
    if (!writable()) return core::Status::Internal("read tx");
    records().grants.push_back(g);
    return core::Status::Ok();
  }
  core::Result<bool> HasGrant(std::string_view user, std::string_view case_id, std::string_view now) override {
    for (const auto& g : records().grants) {
      if (g.user_id == user && g.case_id == case_id && g.expires_at > now) return true;
    }
    return false;
  }
  core::Result<std::vector<AccessGrant>> ListGrants(std::string_view case_id) override {
    std::vector<AccessGrant> out;
    for (auto it = records().grants.rbegin(); it != records().grants.rend(); ++it) {
      if (it->case_id == case_id) out.push_back(*it);
    }
    return out;
  }
  core::Status AppendHistory(const HistoryEntry& e) override {
    if (!writable()) return core::Status::Internal("read tx");
    records().history.push_back(e);
    records().history.back().seq = static_cast<std::int64_t>(records().history.size());  // as a store assigns it
    return core::Status::Ok();
  }
  core::Result<std::vector<HistoryEntry>> History(std::string_view resource, std::string_view id) override {
    std::vector<HistoryEntry> out;
    for (const auto& e : records().history) {
      if (e.resource == resource && e.record_id == id) out.push_back(e);
    }
    return out;
  }
  core::Status AppendAudit(const AuditRow& row) override {
    if (!writable()) return core::Status::Internal("read tx");
    if (!records().audit.emplace(row.seq, row).second) return core::Status::Conflict("audit seq taken");
    return core::Status::Ok();
  }
  core::Result<std::optional<AuditRow>> LastAudit() override {
    if (records().audit.empty()) return std::optional<AuditRow>();
    return std::optional<AuditRow>(records().audit.rbegin()->second);
  }
  core::Result<std::vector<AuditRow>> ReadAudit(std::int64_t after_seq, std::size_t limit) override {
    std::vector<AuditRow> out;
    for (auto it = records().audit.upper_bound(after_seq); it != records().audit.end() && out.size() < limit; ++it) {
      out.push_back(it->second);
    }
    return out;
  }

  // ---- maintenance (key rotation) ----
  core::Status RewriteBody(const TableDef& t, std::string_view id, std::int64_t version,
                           std::string_view body) override {
    if (!writable()) return core::Status::Internal("read tx");
    auto& table = records().tables[t.table];
    auto it = table.find(std::string(id));
    if (it == table.end()) return core::Status::NotFound("no record");
    if (it->second.version != version) return core::Status::Conflict("stale");
    it->second.body = std::string(body);
    return core::Status::Ok();
  }
  core::Result<std::vector<HistoryEntry>> ListHistory(std::int64_t after_seq, std::size_t limit) override {
    std::vector<HistoryEntry> out;
    for (const auto& e : records().history) {  // appended in seq order
      if (e.seq > after_seq && out.size() < limit) out.push_back(e);
    }
    return out;
  }
  core::Status RewriteHistoryChanges(std::int64_t seq, std::string_view changes) override {
    if (!writable()) return core::Status::Internal("read tx");
    for (auto& e : records().history) {
      if (e.seq == seq) {
        e.changes = std::string(changes);
        return core::Status::Ok();
      }
    }
    return core::Status::NotFound("no history entry");
  }

  core::Status InsertShare(const CaseShare& share) override {
    if (!writable()) return core::Status::Internal("read tx");
    for (const auto& s : records().shares) {
      if (s.agency_id == share.agency_id && s.case_id == share.case_id && s.source_id == share.source_id) {
        return core::Status::Ok();
      }
    }
    records().shares.push_back(share);
    return core::Status::Ok();
  }
  core::Result<bool> HasShare(std::string_view agency, std::string_view case_id, std::string_view person) override {
    for (const auto& s : records().shares) {
      if (s.agency_id != agency) continue;
      if ((!case_id.empty() && s.case_id == case_id) || (!person.empty() && s.person_id == person)) return true;
    }
    return false;
  }
  core::Result<std::vector<CaseShare>> ListShares(std::string_view case_id) override {
    std::vector<CaseShare> out;
    for (const auto& s : records().shares) {
      if (s.case_id == case_id) out.push_back(s);
    }
    return out;
  }
  core::Status InsertTask(const WorkTask& task) override {
    if (!writable()) return core::Status::Internal("read tx");
    records().tasks[task.id] = task;
    return core::Status::Ok();
  }
  core::Result<std::optional<WorkTask>> GetTask(std::string_view id) override {
    auto it = records().tasks.find(std::string(id));
    if (it == records().tasks.end()) return std::optional<WorkTask>();
    return std::optional<WorkTask>(it->second);
  }
  core::Status UpdateTask(const WorkTask& task, std::int64_t expected_version) override {
    if (!writable()) return core::Status::Internal("read tx");
    auto it = records().tasks.find(task.id);
    if (it == records().tasks.end()) return core::Status::NotFound("no task");
    if (it->second.version != expected_version) return core::Status::Conflict("stale task");
    it->second = task;
    return core::Status::Ok();
  }
  core::Result<std::vector<WorkTask>> ListTasks(const TaskQuery& q) override {
    std::vector<WorkTask> out;
    for (const auto& [id, t] : records().tasks) {
      const bool mine =
          (!q.agency_id.empty() && t.agency_id == q.agency_id) || (!q.user_id.empty() && t.user_id == q.user_id);
      if (!mine || (q.open_only && t.status != "Open")) continue;
      if (!q.due_before.empty() && !(t.due_at < q.due_before)) continue;
      out.push_back(t);
    }
    std::sort(out.begin(), out.end(), [](const WorkTask& a, const WorkTask& b) {
      return a.due_at != b.due_at ? a.due_at < b.due_at : a.id < b.id;
    });
    if (out.size() > q.limit) out.resize(q.limit);
    return out;
  }
  core::Result<int> CloseTasks(std::string_view resource, std::string_view record_id, std::string_view kind,
                               std::string_view status, std::string_view at, std::string_view by) override {
    if (!writable()) return core::Status::Internal("read tx");
    int n = 0;
    for (auto& [id, t] : records().tasks) {
      if (t.resource != resource || t.record_id != record_id || t.status != "Open") continue;
      if (!kind.empty() && t.kind != kind) continue;
      t.status = std::string(status);
      t.closed_at = std::string(at);
      t.closed_by = std::string(by);
      ++t.version;
      ++n;
    }
    return n;
  }
  core::Result<bool> InsertNotification(const Notification& n) override {
    if (!writable()) return core::Status::Internal("read tx");
    for (const auto& e : records().notifications) {
      if (e.dedupe_key == n.dedupe_key) return false;
    }
    records().notifications.push_back(n);
    return true;
  }
  core::Result<std::vector<Notification>> ListNotifications(std::string_view user, std::string_view agency,
                                                            std::size_t limit) override {
    std::vector<Notification> out;
    for (auto it = records().notifications.rbegin(); it != records().notifications.rend(); ++it) {
      const bool to_me = (!user.empty() && it->user_id == user) || (!agency.empty() && it->agency_id == agency);
      if (!to_me) continue;
      Notification n = *it;
      n.read = records().notification_reads.contains({n.id, std::string(user)});
      out.push_back(std::move(n));
      if (out.size() >= limit) break;
    }
    return out;
  }
  core::Status MarkNotificationRead(std::string_view id, std::string_view user, std::string_view at) override {
    if (!writable()) return core::Status::Internal("read tx");
    for (const auto& e : records().notifications) {
      if (e.id == id) {
        records().notification_reads.emplace(std::make_pair(std::string(id), std::string(user)), std::string(at));
        return core::Status::Ok();
      }
    }
    return core::Status::NotFound("no notification");
  }

  // ---- person search and duplicate review (issue 8) ----
  core::Status AddPersonNameTokens(const std::vector<std::pair<std::string, std::int64_t>>& rows) override {
    if (!writable()) return core::Status::Internal("read tx");
    for (const auto& [person, token] : rows) records().name_tokens.emplace(token, person);
    return core::Status::Ok();
  }
  core::Status DeletePersonNameTokens(std::string_view person_id) override {
    if (!writable()) return core::Status::Internal("read tx");
    std::erase_if(records().name_tokens, [&](const auto& row) { return person_id.empty() || row.second == person_id; });
    return core::Status::Ok();
  }
  core::Result<std::vector<std::int64_t>> CountPersonNameTokens(const std::vector<std::int64_t>& tokens,
                                                                std::size_t cap) override {
    std::vector<std::int64_t> out;
    for (std::int64_t t : tokens) {
      std::int64_t n = 0;
      for (auto it = records().name_tokens.lower_bound({t, ""}); it != records().name_tokens.end() && it->first == t;
           ++it) {
        if (static_cast<std::size_t>(n) > cap) break;
        ++n;
      }
      out.push_back(n);
    }
    return out;
  }
  core::Result<std::vector<PersonTokenHit>> FindPersonsByNameTokens(const TableDef& table,
                                                                    const std::vector<std::int64_t>& tokens,
                                                                    const AccessFilter& access,
                                                                    std::size_t limit) override {
    std::map<std::string, int> shared;
    for (std::int64_t t : std::set<std::int64_t>(tokens.begin(), tokens.end())) {
      for (auto it = records().name_tokens.lower_bound({t, ""}); it != records().name_tokens.end() && it->first == t;
           ++it) {
        ++shared[it->second];
      }
    }
    std::vector<PersonTokenHit> out;
    for (const auto& [id, n] : shared) {
      auto& persons = records().tables[table.table];
      auto it = persons.find(id);
      if (it == persons.end() || !Passes(access, it->second.access, id)) continue;
      out.push_back({it->second, n});
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.shared > b.shared; });
    if (out.size() > limit) out.resize(limit);
    return out;
  }
  core::Result<bool> InsertDuplicatePair(const DuplicatePair& pair) override {
    if (!writable()) return core::Status::Internal("read tx");
    if (!(pair.person_a < pair.person_b)) return core::Status::Internal("pair out of order");
    for (const auto& [id, p] : records().duplicates) {
      if (p.person_a == pair.person_a && p.person_b == pair.person_b) return false;
    }
    records().duplicates[pair.id] = pair;
    return true;
  }
  core::Result<std::optional<DuplicatePair>> GetDuplicatePair(std::string_view id) override {
    auto it = records().duplicates.find(std::string(id));
    if (it == records().duplicates.end()) return std::optional<DuplicatePair>();
    return std::optional<DuplicatePair>(it->second);
  }
  core::Result<std::optional<DuplicatePair>> FindDuplicatePair(std::string_view person_a,
                                                               std::string_view person_b) override {
    if (person_b < person_a) std::swap(person_a, person_b);
    for (const auto& [id, p] : records().duplicates) {
      if (p.person_a == person_a && p.person_b == person_b) return std::optional<DuplicatePair>(p);
    }
    return std::optional<DuplicatePair>();
  }
  core::Status UpdateDuplicatePair(const DuplicatePair& pair, std::int64_t expected_version) override {
    if (!writable()) return core::Status::Internal("read tx");
    auto it = records().duplicates.find(pair.id);
    if (it == records().duplicates.end()) return core::Status::NotFound("no pair");
    if (it->second.version != expected_version) return core::Status::Conflict("stale pair");
    it->second = pair;
    return core::Status::Ok();
  }
  core::Result<std::vector<DuplicatePair>> ListDuplicatePairs(std::string_view status, std::string_view after_id,
                                                              std::size_t limit) override {
    std::vector<DuplicatePair> out;
    for (auto it = records().duplicates.upper_bound(std::string(after_id));
         it != records().duplicates.end() && out.size() < limit; ++it) {
      if (status.empty() || it->second.status == status) out.push_back(it->second);
    }
    return out;
  }
  core::Status InsertPersonMerge(const PersonMerge& merge) override {
    if (!writable()) return core::Status::Internal("read tx");
    for (const auto& [id, m] : records().merges) {
      if (m.merged_id == merge.merged_id && m.undone_at.empty()) return core::Status::AlreadyExists("merged");
    }
    records().merges[merge.id] = merge;
    return core::Status::Ok();
  }
  core::Result<std::optional<PersonMerge>> GetPersonMerge(std::string_view id) override {
    auto it = records().merges.find(std::string(id));
    if (it == records().merges.end()) return std::optional<PersonMerge>();
    return std::optional<PersonMerge>(it->second);
  }
  core::Status UpdatePersonMerge(const PersonMerge& merge, std::int64_t expected_version) override {
    if (!writable()) return core::Status::Internal("read tx");
    auto it = records().merges.find(merge.id);
    if (it == records().merges.end()) return core::Status::NotFound("no merge");
    if (it->second.version != expected_version) return core::Status::Conflict("stale merge");
    it->second = merge;
    return core::Status::Ok();
  }
  core::Result<std::vector<PersonMerge>> ListPersonMerges(std::string_view person_id, std::string_view after_id,
                                                          std::size_t limit) override {
    std::vector<PersonMerge> out;
    for (auto it = records().merges.upper_bound(std::string(after_id));
         it != records().merges.end() && out.size() < limit; ++it) {
      if (person_id.empty() || it->second.kept_id == person_id || it->second.merged_id == person_id) {
        out.push_back(it->second);
      }
    }
    return out;
  }
  core::Result<std::vector<CaseShare>> ListSharesOfPerson(std::string_view person_id) override {
    std::vector<CaseShare> out;
    for (const auto& s : records().shares) {
      if (s.person_id == person_id) out.push_back(s);
    }
    std::sort(out.begin(), out.end(), [](const CaseShare& a, const CaseShare& b) { return a.id < b.id; });
    return out;
  }
  core::Status RepointShare(std::string_view share_id, std::string_view from, std::string_view to) override {
    if (!writable()) return core::Status::Internal("read tx");
    for (auto& s : records().shares) {
      if (s.id != share_id) continue;
      if (s.person_id != from) return core::Status::Conflict("share moved");
      s.person_id = std::string(to);
      return core::Status::Ok();
    }
    return core::Status::NotFound("no share");
  }

 protected:
  // AccessFilter's rule, as the SQL of a real store applies it.
  bool Passes(const AccessFilter& f, const AccessTag& tag, const std::string& id) {
    if (f.kind != AccessFilter::Kind::kAll) {
      auto shared = HasShare(f.viewer_agency, tag.case_id, id);
      if (shared.ok() && *shared) return true;
    }
    bool in = false;
    switch (f.kind) {
      case AccessFilter::Kind::kAll: in = true; break;
      case AccessFilter::Kind::kOwner: in = tag.owner_user == f.value; break;
      case AccessFilter::Kind::kAgency: in = tag.agency == f.value; break;
      case AccessFilter::Kind::kPath: in = tag.path.compare(0, f.value.size(), f.value) == 0; break;
    }
    if (!in) return false;
    if (f.include_protected || !tag.is_protected || tag.agency == f.viewer_agency) return true;
    auto granted = HasGrant(f.viewer_user, tag.case_id, f.now);
    return granted.ok() && *granted;
  }
  virtual InMemoryRecords& records() = 0;
  virtual bool writable() const = 0;
};

}  // namespace ctims::app::testing
