// Issue 8: the FEBRL linkage pipeline (blocking, comparison, EM without
// labels, expected-F1 threshold) on synthetic FEBRL-like records, corrupted
// the way FEBRL's generator does (typos, missing values, digit changes,
// swapped names). CI has no copy of the FEBRL files; bench-febrl runs the
// same code on them.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "febrl_linkage_lib.hpp"

namespace ctims::bench {
namespace {

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  std::string Word(int syllables) {
    static const char* const kOnsets[] = {"b", "br", "c", "ch", "d",  "f",  "g", "h",  "j", "k", "l", "m",
                                          "n", "p",  "r", "s",  "sh", "st", "t", "tr", "v", "w", "y", "z"};
    static const char* const kNuclei[] = {"a", "e", "i", "o", "u", "ai", "ea", "ie", "ou"};
    static const char* const kCodas[] = {"", "", "n", "r", "l", "s", "th", "ck", "m", "t"};
    std::string w;
    for (int i = 0; i < syllables; ++i) {
      w += kOnsets[Pick(std::size(kOnsets))];
      w += kNuclei[Pick(std::size(kNuclei))];
      w += kCodas[Pick(std::size(kCodas))];
    }
    return w;
  }
  std::string Digits(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + Pick(10)));
    return s;
  }
  std::size_t Pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  FebrlRecord Original(int entity) {
    FebrlRecord r;
    r.rec_id = "rec-" + std::to_string(entity) + "-org";
    r.entity = entity;
    // Names from small pools, as in real data: many people share a name.
    r.given_name = given_pool_[Pick(given_pool_.size())];
    r.surname = surname_pool_[Pick(surname_pool_.size())];
    r.street_number = std::to_string(1 + Pick(300));
    r.address_1 = Word(2) + " street";
    r.suburb = suburb_pool_[Pick(suburb_pool_.size())];
    r.postcode = std::to_string(2000 + Pick(6000));
    static const char* const kStates[] = {"nsw", "vic", "qld", "sa", "wa", "tas", "act", "nt"};
    r.state = kStates[Pick(std::size(kStates))];
    r.date_of_birth = std::to_string(1920 + Pick(85)) + Two(1 + Pick(12)) + Two(1 + Pick(28));
    r.soc_sec_id = Digits(7);
    return r;
  }

  // Up to three corruptions, like FEBRL's duplicates.
  FebrlRecord Duplicate(const FebrlRecord& org, int k) {
    FebrlRecord r = org;
    r.rec_id = "rec-" + std::to_string(org.entity) + "-dup-" + std::to_string(k);
    const int corruptions = 1 + static_cast<int>(Pick(3));
    for (int c = 0; c < corruptions; ++c) {
      std::string* fields[] = {&r.given_name, &r.surname,  &r.street_number, &r.address_1,
                               &r.suburb,     &r.postcode, &r.date_of_birth, &r.soc_sec_id};
      std::string& f = *fields[Pick(std::size(fields))];
      switch (Pick(5)) {
        case 0: f.clear(); break;
        case 1:
          if (!f.empty()) f[Pick(f.size())] = f[0] >= '0' && f[0] <= '9' ? '0' + Pick(10) : 'a' + Pick(26);
          break;
        case 2:
          if (f.size() > 2) f.erase(Pick(f.size()), 1);
          break;
        case 3:
          if (f.size() > 2) {
            const std::size_t i = Pick(f.size() - 1);
            std::swap(f[i], f[i + 1]);
          }
          break;
        default: std::swap(r.given_name, r.surname); break;
      }
    }
    return r;
  }

  void MakePools() {
    for (int i = 0; i < 300; ++i) given_pool_.push_back(Word(1 + static_cast<int>(Pick(2))));
    for (int i = 0; i < 800; ++i) surname_pool_.push_back(Word(2));
    for (int i = 0; i < 200; ++i) suburb_pool_.push_back(Word(2));
  }

 private:
  static std::string Two(std::size_t n) { return (n < 10 ? "0" : "") + std::to_string(n); }
  std::mt19937_64 rng_;
  std::vector<std::string> given_pool_, surname_pool_, suburb_pool_;
};

TEST(Issue8FebrlLinkage, LinksTwoFilesOfCorruptedCopies) {
  Generator gen(20261128);
  gen.MakePools();
  std::vector<FebrlRecord> a;
  std::vector<FebrlRecord> b;
  for (int e = 0; e < 2000; ++e) {
    a.push_back(gen.Original(e));
    b.push_back(gen.Duplicate(a.back(), 0));
  }
  const LinkageResult r = RunFebrlLinkage(a, b, false);
  EXPECT_EQ(r.true_pairs, 2000u);
  EXPECT_GE(r.pairs_completeness, 0.98);
  EXPECT_GE(r.reduction_ratio, 0.95);
  EXPECT_GE(r.precision, 0.95) << r.model;
  EXPECT_GE(r.recall, 0.93) << r.model;
  EXPECT_GE(r.f1, 0.95) << r.model;
}

TEST(Issue8FebrlLinkage, DeduplicatesOneFile) {
  Generator gen(7);
  gen.MakePools();
  std::vector<FebrlRecord> records;
  for (int e = 0; e < 1000; ++e) {
    records.push_back(gen.Original(e));
    const FebrlRecord org = records.back();
    const int dups = static_cast<int>(gen.Pick(4));
    for (int k = 0; k < dups; ++k) records.push_back(gen.Duplicate(org, k));
  }
  const LinkageResult r = RunFebrlLinkage(records, records, true);
  EXPECT_GT(r.true_pairs, 1000u);
  EXPECT_GE(r.pairs_completeness, 0.95);
  EXPECT_GE(r.f1, 0.90) << r.model;
}

TEST(Issue8FebrlLinkage, EntityComesFromRecId) {
  EXPECT_EQ(EntityOf("rec-1070-org"), 1070);
  EXPECT_EQ(EntityOf("rec-552-dup-3"), 552);
  EXPECT_EQ(EntityOf("rec-x-org"), -1);
  EXPECT_EQ(EntityOf("rec-12"), -1);
}

}  // namespace
}  // namespace ctims::bench
