#pragma once

// Issue 5 §6: the assistance and SDG 16.2.2 reports over 1,000,000 persons
// in well under a second on a warm server. ReportFacts keeps, in memory,
// the few integer-coded facts per case and person those reports count
// (app/report_service.hpp states the rules), not filtered by any period, so
// that any [from, to) is answered by one tight scan instead of joins over
// every table and JSON bodies per request:
// - per person: sex, first citizenship, birth date (opened from its sealed
//   member once, held in this process's memory only, never written, logged
//   or returned) or estimated age and the date it was estimated;
// - per case: person, current owner, opening date, forms of exploitation,
//   trafficking status; under it, its assistance (agency, date), its accepted
//   transfers (answer date, sender) and its links to investigations;
// - per investigation: the date it was resolved, when it is.
//
// Freshness: every write of those records appends a record_history entry
// (app/record_service.cpp). Before answering, Refresh() reads the entries
// after the last one seen and reloads only the records they name, in one
// read transaction. So a write through any server on the same database is
// seen by the next report. PostgreSQL hands out history seqs before its
// transactions commit, so a smaller seq can become visible after a larger
// one: Refresh() therefore re-reads a trailing window of kSeqWindow seqs
// below the highest seen and applies the ones it has not applied yet. A
// transaction that stays uncommitted while more than kSeqWindow later
// entries commit would be missed until the next full rebuild (Invalidate(),
// or a restart); report writes are single short transactions, far below it.
// More than kRebuildAbove new entries at once rebuild everything instead.
//
// Exactness: the facts answer only when they can reproduce the in-app
// counting byte for byte. A record they cannot encode (an id that is not a
// canonical UUID, a date member that is not YYYY-MM-DD) makes them decline
// (Count() returns nullopt) and the report service takes its SQL path.
//
// Thread-safety: thread-safe. Refreshes are serialised by a mutex; counts
// run under a shared lock of the facts, updates under an exclusive one; a
// full rebuild is built aside and swapped in, so counts go on meanwhile.
// Holds references to `store` and `cipher` (which must outlive it).
//
// Errors are values: the store's kUnavailable / kInternal pass through;
// nothing is half-applied (a failed refresh leaves the facts as they were
// and the next one retries).

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "app/record_store.hpp"
#include "core/status.hpp"

namespace ctims::app {

class FieldCipher;

// What the assistance and SDG reports count, before disclosure control and
// rendering (app/report_service.cpp renders it). Agency indexes are those of
// ReportScope::agencies.
struct ReportTally {
  // Lead-agency view, per agency.
  std::vector<std::int64_t> persons, women, resolved;
  std::vector<std::set<std::string>> nationalities;
  std::set<std::string> all_nationalities, resolved_nationalities;
  std::int64_t resolved_women = 0;
  // dimension -> key -> persons; a key is present only when counted.
  std::map<std::string, std::map<std::string, std::int64_t>> dims;
  std::map<std::string, std::int64_t> exploitation_types;  // overlapping
  std::map<std::string, std::int64_t> new_by_month;        // "YYYY-MM" or "before"
  std::map<std::string, std::int64_t> assisted_by_month;   // distinct persons
  // Assisted-by view: distinct persons, women, nationalities.
  std::vector<std::int64_t> ab_persons, ab_women, ab_nationalities;  // per agency
  std::map<std::string, std::array<std::int64_t, 3>> ab_types;       // type -> persons, women, nationalities
  std::array<std::int64_t, 3> ab_total = {0, 0, 0};
  // SDG 16.2.2: sex (Female, Male, Other) x age (Child, Adult, Unknown) x
  // form (SexualExploitation, ForcedLabour, Other, Unknown).
  std::int64_t sdg[3][3][4] = {};
};

// The agencies of one request as the report service read them, and its period.
struct ReportScope {
  struct Agency {
    std::string id;
    std::string type;      // "DistrictManagementCommittee" or org_Type
    std::string district;  // district code (dims "district")
    bool in_location = false;
  };
  std::vector<Agency> agencies;
  std::string from;  // "" since the beginning
  std::string to;
};

// CTDC ageBroad band of an age ("Unknown" for none), and the SDG form of
// exploitation of a case's types: shared by both counting paths.
std::string ReportAgeBand(std::optional<int> age);
std::string ReportExploitationForm(const std::vector<std::string>& types);
// Age in whole years on `on` of someone born `born` (YYYY-MM-DD both).
std::optional<int> ReportAgeOn(const std::string& born, const std::string& on);

class ReportFacts {
 public:
  static constexpr std::int64_t kSeqWindow = 512;
  static constexpr std::size_t kRebuildAbove = 20000;

  ReportFacts(Store& store, const FieldCipher* cipher);
  ~ReportFacts();
  ReportFacts(const ReportFacts&) = delete;
  ReportFacts& operator=(const ReportFacts&) = delete;

  // Brings the facts up to date with the database (builds them on first
  // use). Errors: the store's.
  core::Status Refresh();
  // Refresh(), then the tally of `scope`; nullopt when the facts cannot
  // answer exactly (see "Exactness").
  core::Result<std::optional<ReportTally>> Count(const ReportScope& scope);
  // Drops everything: the next Refresh() rebuilds from the database.
  void Invalidate();

  struct Stats {
    std::size_t persons = 0, cases = 0, assistance = 0, transfers = 0, investigations = 0;
    std::int64_t last_seq = 0;
    std::int64_t rebuilds = 0;
    std::int64_t records_reloaded = 0;
    bool exact = false;
  };
  Stats stats() const;

  struct State;  // the facts (report_facts.cpp)

 private:
  core::Status Rebuild(StoreTransaction& tx);

  Store& store_;
  const FieldCipher* cipher_;
  std::mutex refresh_mu_;
  mutable std::shared_mutex data_mu_;
  std::unique_ptr<State> state_;    // guarded by data_mu_ (written under refresh_mu_ too)
  std::set<std::int64_t> applied_;  // seqs applied in (last_seq - kSeqWindow, last_seq]; refresh_mu_
  std::int64_t rebuilds_ = 0;
  std::int64_t reloaded_ = 0;
};

}  // namespace ctims::app
