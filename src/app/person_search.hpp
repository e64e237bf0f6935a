#pragma once

// Person search across scripts over an encrypted index (issue 8).
//
// Names are sealed at rest (field_cipher.hpp), so the database cannot hold a
// searchable copy of them. Instead every phonetic key of a person's names
// (search::FuzzyKeys of the full written name, of each Latin name and of
// each alias) is stored as a blind-index token: the first 64 bits of
// core::BlindIndex(ring, kPersonNameKeyPurpose, key), an HMAC-SHA-256 under
// the key file's index key (which never rotates), as a signed integer in
// table person_name_keys. A search turns the query into keys and tokens,
// looks the tokens up (an index lookup per token; tokens carried by more
// than max_key_frequency persons are skipped: they would only add noise and
// work), takes the persons sharing the most tokens within the caller's reach
// (the store applies the AccessFilter in its query), opens their names in
// memory and ranks them with ScoreCandidate.
//
// What the table reveals to someone holding the database file but not the
// key file: which persons share a phonetic key (a "similar name" graph), how
// many keys each person has, and how common each key is. No spelling, no
// key in clear. With the key file too, names can be guessed offline; the key
// file is what protects everything else as well. Truncation to 64 bits
// changes none of this (a collision only adds a candidate that scores low).
//
// Thread-safety: free functions, stateless; safe from any thread.

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/record_store.hpp"
#include "core/keyring.hpp"
#include "core/status.hpp"
#include "search/fuzzy.hpp"
#include "search/linkage.hpp"

namespace ctims::app {

class FieldCipher;

// The BlindIndex purpose of person name keys: equal keys of another index
// (document numbers, say) give other tokens.
inline constexpr std::string_view kPersonNameKeyPurpose = "person.name_key";

// The name forms of a person record (plaintext JSON, as RecordService holds
// it): the full name as written (prs_FirstName, prs_MiddleName,
// prs_SecondName joined by spaces), then every prs_LatinNames and
// prs_Aliases entry. Empty forms are left out.
std::vector<std::string> PersonNameForms(const nlohmann::json& person);

// The distinct search::FuzzyKeys of all `forms`, sorted.
std::vector<std::string> NameKeysOf(const std::vector<std::string>& forms);

// The token stored for `key`.
std::int64_t NameKeyToken(const core::KeyRing& ring, std::string_view key);

// (person id, token) rows for a person record (plaintext), appended to `rows`.
void AppendPersonTokenRows(const core::KeyRing& ring, const std::string& person_id, const nlohmann::json& person,
                           std::vector<std::pair<std::string, std::int64_t>>& rows);

// The index rows of a bulk load (`ctims demo`), written after the batch's
// persons. Not thread-safe.
class PersonTokenBatch {
 public:
  // Collects the rows of record `id` when `resource` is "persons" and there
  // is a cipher (plaintext `record`).
  void Add(const FieldCipher* cipher, std::string_view resource, const std::string& id, const nlohmann::json& record);
  // Writes and forgets the collected rows.
  core::Status Flush(StoreTransaction& tx);

 private:
  std::vector<std::pair<std::string, std::int64_t>> rows_;
};

// Replaces the index rows of person `person_id` with those of `person`
// (plaintext) inside `tx` (a write transaction). Without a cipher (unit
// tests, development databases without a key file) there is no index key
// and nothing is written. `fresh`: the person is new, no rows to remove.
core::Status IndexPersonInTx(StoreTransaction& tx, const FieldCipher* cipher, const std::string& person_id,
                             const nlohmann::json& person, bool fresh);

// Rebuilds the whole index from the stored persons (`ctims search reindex`):
// removes every row, then opens every person (protected ones too) and writes
// its rows, 500 persons per write transaction. Returns the number of persons
// and rows. Safe to run again; a run stopped half-way is finished by
// running it again.
struct ReindexReport {
  std::int64_t persons = 0;
  std::int64_t tokens = 0;
};
core::Result<ReindexReport> ReindexPersonNames(Store& store, const FieldCipher& cipher);

// How candidates are retrieved.
struct CandidateOptions {
  // Tokens carried by more persons than this are skipped (unless every token
  // of the query is that common: then the rarest two are kept).
  std::size_t max_key_frequency = 2000;
  // At most this many candidates are opened and scored.
  std::size_t max_candidates = 200;
};

// Persons within `access` sharing tokens with `keys`, most shared first.
core::Result<std::vector<PersonTokenHit>> RetrieveCandidates(StoreTransaction& tx, const TableDef& persons,
                                                             const core::KeyRing& ring,
                                                             const std::vector<std::string>& keys,
                                                             const AccessFilter& access,
                                                             const CandidateOptions& options = {});

// What is known of a person to compare with another: names and the
// attributes duplicate detection weighs.
struct PersonProbe {
  std::vector<std::string> names;  // PersonNameForms
  std::string sex;                 // code, "" unknown
  std::optional<int> birth_year;   // from prs_Birthdate, else estimated age
  bool birth_year_estimated = false;
  std::string birthdate;  // YYYY-MM-DD, "" unknown
  std::vector<std::string> citizenship;
  std::vector<std::string> documents;  // normalised document numbers
};

// The probe of a person record (plaintext).
PersonProbe ProbeOf(const nlohmann::json& person);

// The score of a candidate against a probe, in [0, 1], and why.
struct CandidateScore {
  double score = 0;
  double name_score = 0;
  // Which name forms matched how (search::MatchNames' reason): quotes the
  // names, for the screen of someone who may read them; never logged or
  // stored.
  std::string reason;
  // Per-field agreement ({"name": 0.93, "sex": "agree", "birth_year":
  // "disagree", ...}): codes and numbers only, safe to store in clear.
  std::string explanation;  // JSON object text
};

// The one scoring function of search and duplicate detection: the best
// search::MatchNames over the name forms of both, adjusted by the other
// fields when both sides know them (sex, birth year, citizenship, document
// numbers). When the linkage model (search/person_match.hpp) lands, this is
// the function that switches to it.
CandidateScore ScoreCandidate(const PersonProbe& probe, const PersonProbe& candidate);

// A probe made ready for many comparisons: every name romanised once
// (search::PrepareName), which is most of ScoreCandidate's cost when it is
// repeated per pair. `probe.names` may be cleared by a caller that needs no
// reason (dedupe does, to save memory). Immutable once made; safe to share
// between threads.
struct PreparedProbe {
  PersonProbe probe;
  std::vector<search::PreparedName> names;  // one per probe.names entry, in order
};
PreparedProbe PrepareProbe(PersonProbe probe);

// ScoreCandidate on prepared probes: the same score and explanation (to the
// last bit). `explain`: build the explanation (JSON text, some microseconds:
// dedupe asks only for pairs above its threshold). `with_reason`: also the
// reason, from search::MatchNames on the best-matching pair of names only
// (both probes must still hold their names). Thread-safe.
CandidateScore ScorePrepared(const PreparedProbe& probe, const PreparedProbe& candidate, bool explain = true,
                             bool with_reason = false);

// The agreement levels of two prepared probes, one per field of
// search::PersonMatchModel (name, birth, sex, citizenship, document), by the
// search:: level rules (search::NameLevel, BirthLevel, SexLevel,
// OverlapLevel: the rules of search::ComparePersons). `name_score`: the
// best name score of the pair (ScorePrepared's name_score); the name is
// missing when either probe has no name. Sex "Unknown" counts as not known.
// No name is compared here (a few hundred nanoseconds). Thread-safe.
search::ComparisonVector ProbeLevels(const PreparedProbe& a, const PreparedProbe& b, double name_score);
// The same on the probes alone, for a caller holding the prepared names
// apart (`ctims dedupe` shares them between persons): the name level is
// set from `name_score` when given, missing when not.
search::ComparisonVector ProbeLevels(const PersonProbe& a, const PersonProbe& b, std::optional<double> name_score);

// The cheap first pass of search, the duplicate check and `ctims dedupe`
// (issue 8 §5): how promising a candidate is before the name comparison,
// which costs tens to hundreds of microseconds a pair (search::MatchNames
// romanises both names). `shared`: how many name keys the candidate shares
// with the probe. Each shared key counts one; a sex or birth year that rules
// the pair out (both known and different; years more than 1 apart, 3 when
// estimated) counts -2 each, so a candidate needs two more shared keys to
// outrank one that fits; a shared document number counts +4. No name is
// compared. Thread-safe.
double PreScore(const PersonProbe& probe, const PersonProbe& candidate, int shared);

// How many candidates get the full ScoreCandidate after PreScore: the
// search, the duplicate check and dedupe score no more than this many per
// probe. With realistic names the right person is the one sharing the most
// keys (issue8_search_test, bench/person_search.sh recall).
inline constexpr std::size_t kMaxScoredCandidates = 30;

// A candidate after the full comparison: its index in the caller's list.
struct ScoredCandidate {
  std::size_t index = 0;
  CandidateScore score;
};

// Ranks `candidates` (shared[i]: keys candidate i shares with the probe) by
// PreScore, scores the best `max_scored` with ScoreCandidate and returns
// them by score, best first (ties: more shared keys, then list order).
// `shared` has one entry per candidate. Thread-safe.
std::vector<ScoredCandidate> ScoreShortlist(const PersonProbe& probe, const std::vector<PersonProbe>& candidates,
                                            const std::vector<int>& shared,
                                            std::size_t max_scored = kMaxScoredCandidates);

}  // namespace ctims::app
