#include "app/dedupe.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "app/audit_log.hpp"
#include "app/field_cipher.hpp"
#include "app/person_search.hpp"
#include "app/record_service.hpp"
#include "app/record_service_util.hpp"
#include "core/id.hpp"
#include "search/person_match.hpp"

namespace ctims::app {
using core::Result;
using core::Status;
using nlohmann::json;

namespace {

// A person as dedupe compares it: sex, birth year, citizenship and
// documents (its names dropped from the probe), and its names romanised
// once, as indexes into the run's NameTable.
struct Person {
  std::string id;
  PersonProbe probe;
  std::vector<std::uint32_t> names;
};

// Every distinct prepared name of the run, once. A large register repeats
// full names (namesakes, and a person's own name across agencies' records),
// so persons share their prepared names: less memory, and a comparison of
// two names can be remembered by their indexes (NameScoreCache).
class NameTable {
 public:
  std::uint32_t Add(search::PreparedName name, std::uint64_t fingerprint) {
    auto [it, added] = by_fingerprint_.try_emplace(fingerprint, static_cast<std::uint32_t>(names_.size()));
    if (!added && names_[it->second] == name) return it->second;
    // New, or another name with the same fingerprint (kept apart: the table
    // maps the fingerprint to the first one only).
    names_.push_back(std::move(name));
    return static_cast<std::uint32_t>(names_.size() - 1);
  }
  const search::PreparedName& operator[](std::uint32_t i) const { return names_[i]; }
  std::size_t size() const { return names_.size(); }

 private:
  std::vector<search::PreparedName> names_;
  std::unordered_map<std::uint64_t, std::uint32_t> by_fingerprint_;
};

// MatchPrepared of two table names, remembered: a direct-mapped cache of
// 2^20 (name, name) scores per thread (16 MiB, bounded whatever the size of
// the register), exact (the full pair is stored and checked). Namesakes
// make the same pair of names come back many times.
class NameScoreCache {
 public:
  explicit NameScoreCache(const NameTable& table) : table_(table), slots_(kSlots) {}
  double Score(std::uint32_t a, std::uint32_t b) {
    const std::uint64_t key = (static_cast<std::uint64_t>(a) << 32) | b;
    Slot& slot = slots_[(key * 0x9e3779b97f4a7c15ULL) >> (64 - kBits)];
    if (slot.key != key) {
      slot.key = key;
      slot.score = search::MatchPrepared(table_[a], table_[b]);
      ++computed_;
    } else {
      ++remembered_;
    }
    return slot.score;
  }
  std::int64_t computed() const { return computed_; }
  std::int64_t remembered() const { return remembered_; }

 private:
  static constexpr int kBits = 20;
  static constexpr std::size_t kSlots = std::size_t{1} << kBits;
  struct Slot {
    std::uint64_t key = ~std::uint64_t{0};  // no pair: name indexes stay below 2^32 - 1
    double score = 0;
  };
  const NameTable& table_;
  std::vector<Slot> slots_;
  std::int64_t computed_ = 0;
  std::int64_t remembered_ = 0;
};

// A compared pair until the model is fitted: the two persons and the
// pattern of its agreement levels (search::PersonPatternCode), 12 bytes.
struct Compared {
  std::uint32_t a;
  std::uint32_t b;
  std::uint16_t pattern;
};

// A proposed pair: the score and its explanation (codes and numbers), not
// the reason (it quotes names and nothing here shows it).
struct Found {
  std::uint32_t a;
  std::uint32_t b;
  double score;
  std::string explanation;
};

// The best name score of two prepared persons, as ScorePrepared's
// name_score, for NameLevel only: it stops at the first pair of names
// reaching kNameSameScore, the top level, so the level is that of the full
// maximum. Most compared pairs of a large register share a full name
// exactly, and the remaining pairs of their names (native script, each
// Latin spelling) need not be compared.
double BestNameScore(const Person& a, const Person& b, NameScoreCache& cache) {
  double best = 0;
  for (std::uint32_t x : a.names) {
    for (std::uint32_t y : b.names) {
      best = std::max(best, cache.Score(x, y));
      if (best >= search::kNameSameScore) return best;
    }
  }
  return best;
}

// Threads that stay for the whole run and do one job at a time with the
// caller. Spawning a thread per page (1,000 pages at 1,000,000 persons)
// made every page's worker clone its own ICU transliterators again
// (search::Romanize keeps one per thread), and clone and destroy them.
class Crew {
 public:
  explicit Crew(unsigned extra) {
    for (unsigned t = 0; t < extra; ++t) threads_.emplace_back([this] { Loop(); });
  }
  Crew(const Crew&) = delete;
  Crew& operator=(const Crew&) = delete;
  ~Crew() {
    {
      const std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      ++generation_;
    }
    start_.notify_all();
    for (auto& t : threads_) t.join();
  }
  // Runs job(slot) on every crew thread (slots 1..extra) and on the caller
  // (slot 0); returns when all have returned. Not reentrant.
  void Run(const std::function<void(unsigned)>& job) {
    {
      const std::lock_guard<std::mutex> lock(mu_);
      job_ = &job;
      pending_ = threads_.size();
      ++generation_;
    }
    start_.notify_all();
    job(0);
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return pending_ == 0; });
  }

 private:
  void Loop() {
    unsigned slot = 0;
    {
      const std::lock_guard<std::mutex> lock(mu_);
      slot = static_cast<unsigned>(++slots_);
    }
    std::uint64_t seen = 0;
    for (;;) {
      const std::function<void(unsigned)>* job = nullptr;
      {
        std::unique_lock<std::mutex> lock(mu_);
        start_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stop_) return;
        job = job_;
      }
      (*job)(slot);
      const std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::mutex mu_;
  std::condition_variable start_;
  std::condition_variable done_;
  const std::function<void(unsigned)>* job_ = nullptr;
  std::uint64_t generation_ = 0;
  std::size_t pending_ = 0;
  std::size_t slots_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

double Round(double x, double unit) {
  return std::round(x / unit) * unit;
}

// The explanation of every pair of one pattern under `model`: per field its
// level and weight, the pair's weight, the prior and the model's name.
std::string ExplainPattern(const search::PersonMatchModel& model, std::uint16_t pattern) {
  search::PersonComparison comparison;
  comparison.levels = search::PersonPatternLevels(pattern);
  const search::PersonScore score = model.Score(comparison);
  json e = json::object();
  for (const search::FieldExplanation& f : score.fields) {
    e[f.field] = {{"level", f.level}, {"weight", Round(f.weight, 0.001)}};
  }
  e["weight"] = Round(score.weight, 0.001);
  e["prior"] = Round(model.model().params().prior, 1e-6);
  e["model"] = "fs-em-v1";
  return e.dump();
}

// Blocks of persons sharing a key, as compressed rows: the persons of block
// k are members[start[k] .. start[k+1]), the blocks of person i are
// person_blocks[person_start[i] .. person_start[i+1]). Keys are held as
// 64-bit hashes while the blocks are built (two different keys landing in
// one block only add candidates that the cheap pass and the scoring judge).
struct Blocks {
  std::vector<std::uint32_t> start;
  std::vector<std::uint32_t> members;
  std::vector<std::uint32_t> person_start;
  std::vector<std::uint32_t> person_blocks;
};

Blocks BuildBlocks(std::vector<std::pair<std::uint64_t, std::uint32_t>>& key_person, std::size_t persons) {
  std::sort(key_person.begin(), key_person.end());
  key_person.erase(std::unique(key_person.begin(), key_person.end()), key_person.end());
  Blocks b;
  b.members.reserve(key_person.size());
  std::vector<std::uint32_t> block_of(key_person.size());
  std::vector<std::uint32_t> count(persons + 1, 0);
  for (std::size_t i = 0; i < key_person.size(); ++i) {
    if (i == 0 || key_person[i].first != key_person[i - 1].first) {
      b.start.push_back(static_cast<std::uint32_t>(i));
    }
    block_of[i] = static_cast<std::uint32_t>(b.start.size() - 1);
    b.members.push_back(key_person[i].second);
    ++count[key_person[i].second + 1];
  }
  b.start.push_back(static_cast<std::uint32_t>(key_person.size()));
  for (std::size_t i = 1; i <= persons; ++i) count[i] += count[i - 1];
  b.person_start = count;
  b.person_blocks.resize(key_person.size());
  for (std::size_t i = 0; i < key_person.size(); ++i) b.person_blocks[count[key_person[i].second]++] = block_of[i];
  std::vector<std::pair<std::uint64_t, std::uint32_t>>().swap(key_person);
  return b;
}

}  // namespace

Result<DedupeReport> RunDedupe(Store& store, const FieldCipher& cipher, const core::Clock& clock,
                               const DedupeOptions& options, const Principal& caller) {
  const auto* spec = domain::FindResource("persons");
  if (spec == nullptr) return Status::Internal("no persons resource");
  const TableDef table = TableFor(*spec);
  DedupeReport report;
  auto phase_start = std::chrono::steady_clock::now();
  auto lap = [&phase_start] {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - phase_start).count();
    phase_start = now;
    return seconds;
  };
  const unsigned threads = std::max(1u, options.threads);
  Crew crew(threads - 1);
  if (options.threshold && !(*options.threshold >= 0 && *options.threshold <= 1)) {
    return Status::InvalidArgument("threshold: a posterior probability in [0, 1]");
  }

  // 1. Every person's prepared probe (names opened and romanised once per
  // run, on every thread) and its keys.
  std::vector<Person> persons;
  NameTable name_table;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> key_person;  // (key hash, person)
  {
    // Every name text of the run and its index in name_table (the texts
    // stay in memory until the persons are read, never beyond RunDedupe).
    constexpr std::uint32_t kUnprepared = ~std::uint32_t{0};
    std::unordered_map<std::string, std::uint32_t> name_by_text;
    std::vector<std::uint64_t> keys;
    ListQuery query;
    query.limit = 1000;
    query.access = AccessFilter{};
    query.access->include_protected = true;
    // Merged persons (issue 8 §4) are not compared: their names now find the
    // kept one. Left out here, not by a kColumnIsNull filter in the query:
    // SQLite answers `merged_into IS NULL ... ORDER BY id` from the
    // merged_into index and sorts every live person for each page, which
    // made the load quadratic (1,000 pages of 1,000,000 rows at 1,000,000
    // persons).
    //
    // The next page is read on its own thread while this one is opened and
    // prepared: reading (SQLite, one thread) and preparing (both cores)
    // overlap instead of taking turns.
    auto fetch = [&store, &table](const ListQuery& q) -> Result<std::vector<StoredRecord>> {
      CTIMS_ASSIGN_OR_RETURN(auto tx, store.Begin(TxMode::kRead));
      return tx->List(table, q);
    };
    Result<std::vector<StoredRecord>> fetched = fetch(query);
    for (;;) {
      if (!fetched.ok()) return fetched.status();
      std::vector<StoredRecord> page = std::move(*fetched);
      const bool last = page.size() < query.limit;
      std::optional<Result<std::vector<StoredRecord>>> upcoming;
      std::thread reader;
      if (!last) {
        query.after_id = page.back().id;
        reader = std::thread([&upcoming, &fetch, query] { upcoming.emplace(fetch(query)); });
      }
      // a. Open each person (both cores): its fields, its names as text.
      std::vector<Person> batch(page.size());
      std::atomic<std::size_t> next{0};
      std::atomic<bool> failed{false};
      crew.Run([&](unsigned /*slot*/) {
        for (std::size_t i = next++; i < page.size(); i = next++) {
          if (detail::ColumnValue(table, page[i], "merged_into")) continue;
          auto fields = detail::Fields(*spec, table, page[i], &cipher);
          if (!fields.ok()) {
            failed = true;
            continue;
          }
          batch[i].id = page[i].id;
          batch[i].probe = ProbeOf(*fields);
        }
      });
      if (reader.joinable()) reader.join();
      if (failed) return Status::Internal("a person's fields do not open");
      // b. Each name written as one seen before takes that one's prepared
      // form; only names new to the run are romanised (c, both cores). A
      // large register repeats full names: namesakes, one person's name
      // in several agencies' records.
      // Entries of name_by_text (stable: the map's nodes do not move): each
      // person's names in order, and the new ones.
      using NameEntry = std::pair<const std::string, std::uint32_t>;
      std::vector<std::vector<NameEntry*>> entries(batch.size());
      std::vector<NameEntry*> fresh;
      for (std::size_t i = 0; i < batch.size(); ++i) {
        for (const std::string& n : batch[i].probe.names) {
          auto [it, added] = name_by_text.try_emplace(n, kUnprepared);
          entries[i].push_back(&*it);
          if (added) fresh.push_back(&*it);
        }
      }
      std::vector<search::PreparedName> prepared(fresh.size());
      next = 0;
      crew.Run([&](unsigned /*slot*/) {
        for (std::size_t i = next++; i < fresh.size(); i = next++) prepared[i] = search::PrepareName(fresh[i]->first);
      });
      for (std::size_t i = 0; i < fresh.size(); ++i) {
        const std::uint64_t fingerprint = prepared[i].Fingerprint();
        fresh[i]->second = name_table.Add(std::move(prepared[i]), fingerprint);
      }
      // d. Each person's names as table indexes, in order, and its index
      // keys (NameKeysOf): every name's FuzzyKeys.
      for (std::size_t i = 0; i < batch.size(); ++i) {
        Person& person = batch[i];
        if (person.id.empty()) continue;  // merged
        const auto index = static_cast<std::uint32_t>(persons.size());
        keys.clear();
        for (const NameEntry* entry : entries[i]) {
          const std::uint32_t name = entry->second;
          person.names.push_back(name);
          keys.insert(keys.end(), name_table[name].key_hashes().begin(), name_table[name].key_hashes().end());
        }
        std::sort(keys.begin(), keys.end());
        keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
        for (std::uint64_t k : keys) key_person.emplace_back(k, index);
        // The person's names are not kept: nothing below shows them.
        std::vector<std::string>().swap(person.probe.names);
        persons.push_back(std::move(person));
      }
      if (last) break;
      fetched = std::move(*upcoming);
    }
  }
  report.persons = static_cast<std::int64_t>(persons.size());
  report.distinct_names = static_cast<std::int64_t>(name_table.size());
  report.load_seconds = lap();

  // 2. Blocks: the persons of each key.
  const Blocks blocks = BuildBlocks(key_person, persons.size());
  auto block_size = [&](std::uint32_t k) { return blocks.start[k + 1] - blocks.start[k]; };
  auto key_count = [&](std::uint32_t i) { return blocks.person_start[i + 1] - blocks.person_start[i]; };
  report.block_seconds = lap();

  // 3. Each person against its best partners after it (each pair once): the
  // cheap pass (shared keys of blocks small enough, their overlap, PreScore)
  // picks at most max_candidates_per_person, and only those are compared:
  // the best name score (BestNameScore) and every field's agreement level
  // (ProbeLevels), kept as a pattern code and counted.
  std::vector<std::vector<Compared>> compared_pairs(threads);
  std::vector<std::array<std::int64_t, search::kPersonPatternCount>> pattern_counts(threads);
  for (auto& counts : pattern_counts) counts.fill(0);
  std::atomic<std::int64_t> compared{0};
  std::atomic<std::int64_t> skipped{0};
  std::atomic<std::int64_t> names_computed{0};
  std::atomic<std::int64_t> names_remembered{0};
  std::atomic<std::uint32_t> next{0};
  constexpr std::uint32_t kChunk = 64;
  auto work = [&](unsigned slot) {
    // Shared-key counts by partner: a dense array (reset through `touched`)
    // instead of a hash map, one per thread.
    std::vector<std::uint16_t> shared(persons.size(), 0);
    std::vector<std::uint32_t> touched;
    struct Partner {
      double pre;
      std::uint32_t j;
    };
    std::vector<Partner> ranked;
    NameScoreCache name_scores(name_table);
    std::int64_t my_compared = 0;
    std::int64_t my_skipped = 0;
    const auto n = static_cast<std::uint32_t>(persons.size());
    for (std::uint32_t first = next.fetch_add(kChunk); first < n; first = next.fetch_add(kChunk)) {
      for (std::uint32_t i = first; i < std::min(n, first + kChunk); ++i) {
        touched.clear();
        for (std::uint32_t p = blocks.person_start[i]; p < blocks.person_start[i + 1]; ++p) {
          const std::uint32_t k = blocks.person_blocks[p];
          const std::uint32_t size = block_size(k);
          if (size < 2 || size > options.max_block) continue;
          for (std::uint32_t m = blocks.start[k]; m < blocks.start[k + 1]; ++m) {
            const std::uint32_t j = blocks.members[m];
            if (j <= i) continue;
            if (shared[j]++ == 0) touched.push_back(j);
          }
        }
        ranked.clear();
        const PersonProbe& pi = persons[i].probe;
        for (std::uint32_t j : touched) {
          const int c = shared[j];
          shared[j] = 0;
          // Overlap of the two key sets (shared / the smaller set): a given or
          // a family name alone shares a few of a person's keys, two spellings
          // of one name most of the smaller set (however many other names the
          // other person has).
          const double overlap =
              c / static_cast<double>(std::max<std::uint32_t>(1, std::min(key_count(i), key_count(j))));
          if (overlap < options.min_key_overlap) {
            ++my_skipped;
            continue;
          }
          ranked.push_back({PreScore(pi, persons[j].probe, c) + overlap, j});
        }
        const std::size_t keep = std::min(ranked.size(), options.max_candidates_per_person);
        std::partial_sort(
            ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep), ranked.end(),
            [](const Partner& x, const Partner& y) { return x.pre != y.pre ? x.pre > y.pre : x.j < y.j; });
        my_skipped += static_cast<std::int64_t>(ranked.size() - keep);
        for (std::size_t r = 0; r < keep; ++r) {
          const std::uint32_t j = ranked[r].j;
          const double name_score = BestNameScore(persons[i], persons[j], name_scores);
          ++my_compared;
          const bool named = !persons[i].names.empty() && !persons[j].names.empty();
          const std::uint16_t pattern = search::PersonPatternCode(ProbeLevels(
              persons[i].probe, persons[j].probe, named ? std::optional<double>(name_score) : std::nullopt));
          ++pattern_counts[slot][pattern];
          compared_pairs[slot].push_back({i, j, pattern});
        }
      }
    }
    compared += my_compared;
    skipped += my_skipped;
    names_computed += name_scores.computed();
    names_remembered += name_scores.remembered();
  };
  crew.Run(work);
  report.skipped = skipped;
  report.compared = compared;
  report.name_comparisons = names_computed;
  report.name_comparisons_remembered = names_remembered;
  report.score_seconds = lap();

  // 3b. The model, fitted by EM on the compared pairs' pattern counts (a few
  // hundred patterns however many pairs), then each pattern's posterior
  // probability, decision and explanation, and the proposed pairs.
  search::PersonMatchModel model;
  {
    std::vector<search::CountedComparison> patterns;
    for (std::size_t code = 0; code < search::kPersonPatternCount; ++code) {
      std::int64_t count = 0;
      for (const auto& counts : pattern_counts) count += counts[code];
      if (count > 0) {
        patterns.push_back({search::PersonPatternLevels(static_cast<std::uint16_t>(code)), static_cast<double>(count)});
      }
    }
    search::PersonMatchModel fitted = model;
    auto em = patterns.empty() ? core::Result<search::EmReport>(Status::InvalidArgument("no compared pairs"))
                               : fitted.Fit(std::span<const search::CountedComparison>(patterns));
    if (!em.ok()) {
      report.fit_problem = patterns.empty() ? "no_pairs" : "em_failed";
    } else {
      report.em_iterations = em->iterations;
      report.em_converged = em->converged;
      report.fit_problem = fitted.FitProblem(*em);
      if (report.fit_problem.empty()) {
        model = std::move(fitted);
        report.fitted = true;
      }
    }
  }
  report.params = model.model().params();
  report.threshold_weight = model.threshold();
  report.threshold_probability = model.model().Probability(model.threshold());
  report.min_probability = options.threshold;
  if (!report.min_probability && report.fitted) report.min_probability = kReviewProbability;
  std::vector<std::vector<Found>> found(threads);
  {
    std::array<double, search::kPersonPatternCount> probability{};
    std::array<bool, search::kPersonPatternCount> proposed{};
    std::vector<std::string> explanation(search::kPersonPatternCount);
    for (std::size_t code = 0; code < search::kPersonPatternCount; ++code) {
      const double weight = model.model().Weight(search::PersonPatternLevels(static_cast<std::uint16_t>(code)));
      probability[code] = model.model().Probability(weight);
      proposed[code] =
          report.min_probability ? probability[code] >= *report.min_probability : weight >= model.threshold();
      if (proposed[code]) explanation[code] = ExplainPattern(model, static_cast<std::uint16_t>(code));
    }
    for (std::size_t t = 0; t < threads; ++t) {
      for (const Compared& c : compared_pairs[t]) {
        if (proposed[c.pattern]) found[t].push_back({c.a, c.b, probability[c.pattern], explanation[c.pattern]});
      }
      std::vector<Compared>().swap(compared_pairs[t]);
    }
  }
  report.fit_seconds = lap();

  // 4. The queue. Pairs are written in (person_a, person_b) order with ids
  // made in that order, so the UNIQUE (person_a, person_b), id and (status,
  // id) indexes grow at their right edge instead of at random places (at
  // 1,000,000 persons the random inserts were half of the run);
  // kPairsPerWrite pairs per write transaction keep the commits few, and a
  // registration waits for the write lock one such transaction at most
  // (50,000 per transaction was not faster at 1,000,000 persons: the time
  // is SQLite's index inserts, not the commits).
  constexpr std::size_t kPairsPerWrite = 10000;
  const std::string now = core::FormatTimestamp(clock.Now());
  std::vector<Found> all;
  {
    std::size_t total = 0;
    for (const auto& slot : found) total += slot.size();
    all.reserve(total);
    for (auto& slot : found) {
      for (auto& f : slot) {
        // person_a < person_b by id, as the queue stores them.
        if (persons[f.b].id < persons[f.a].id) std::swap(f.a, f.b);
        all.push_back(std::move(f));
      }
      std::vector<Found>().swap(slot);
    }
  }
  // Persons were read in id order, so index order is id order (and if a
  // backend's collation disagrees, only the locality suffers).
  std::sort(all.begin(), all.end(), [](const Found& x, const Found& y) { return x.a != y.a ? x.a < y.a : x.b < y.b; });
  report.proposed = static_cast<std::int64_t>(all.size());
  for (std::size_t start = 0; start < all.size(); start += kPairsPerWrite) {
    CTIMS_ASSIGN_OR_RETURN(auto tx, store.Begin(TxMode::kWrite));
    for (std::size_t i = start; i < std::min(all.size(), start + kPairsPerWrite); ++i) {
      Found& f = all[i];
      DuplicatePair p;
      p.id = core::NewId(clock);
      p.person_a = persons[f.a].id;
      p.person_b = persons[f.b].id;
      p.score = std::round(f.score * 1000) / 1000;
      p.explanation = std::move(f.explanation);
      p.source = "batch";
      p.created_at = now;
      CTIMS_ASSIGN_OR_RETURN(bool inserted, tx->InsertDuplicatePair(p));
      report.inserted += inserted ? 1 : 0;
    }
    CTIMS_RETURN_IF_ERROR(tx->Commit());
    ++report.write_transactions;
  }
  report.write_seconds = lap();
  if (options.audit != nullptr) {
    AuditEvent e;
    e.user_id = caller.user_id;
    e.role = caller.role.code;
    e.agency_id = caller.agency_id;
    e.client_ip = caller.client_ip;
    e.action = "dedupe";
    e.resource = "person-duplicates";
    e.outcome = "ok";
    CTIMS_RETURN_IF_ERROR(options.audit->Record(e));
  }
  return report;
}

}  // namespace ctims::app
