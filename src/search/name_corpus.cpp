#include "search/name_corpus.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iterator>
#include <span>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "search/fuzzy.hpp"

namespace ctims::search {

namespace {

// A syllable (or Han character, or Vietnamese word) and its Latin spellings,
// the customary one first. Our own inventories of sounds common in names of
// each language; no list of real persons' names was used.
struct Syllable {
  const char* native;
  std::vector<const char*> latin;
};

using Inventory = std::vector<Syllable>;

const Inventory& LaoSyllables() {
  static const Inventory k = {
      {"ສົມ", {"som"}},
      {"ພອນ", {"phone", "phon", "pone"}},
      {"ບຸນ", {"boun", "bun", "boon"}},
      {"ມີ", {"mee", "mi", "my"}},
      {"ແກ້ວ", {"keo", "kaew", "keow"}},
      {"ສີ", {"si", "sy", "see"}},
      {"ທອງ", {"thong", "tong"}},
      {"ຈັນ", {"chanh", "chan", "jan"}},
      {"ດາ", {"da"}},
      {"ວັນ", {"vanh", "van", "wan"}},
      {"ໄຊ", {"xay", "sai", "say"}},
      {"ພູ", {"phou", "phu", "pu"}},
      {"ນາ", {"na"}},
      {"ຄຳ", {"kham", "kam"}},
      {"ສຸກ", {"souk", "suk", "sook"}},
      {"ວົງ", {"vong", "wong"}},
      {"ແສງ", {"saeng", "seng", "sang"}},
      {"ມະ", {"ma"}},
      {"ລີ", {"ly", "li", "lee"}},
      {"ໄພ", {"phay", "phai", "pai"}},
      {"ເພັດ", {"phet", "pheth", "pet"}},
      {"ດວງ", {"douang", "duang"}},
      {"ຈັກ", {"chack", "chak", "jak"}},
      {"ພົມ", {"phom", "pom"}},
      {"ສຸ", {"sou", "su"}},
      {"ລາດ", {"lath", "lat"}},
      {"ສິດ", {"sith", "sit"}},
      {"ທິ", {"thi", "ti"}},
      {"ຄູນ", {"khoun", "khun", "kun"}},
      {"ວິ", {"vi", "wi"}},
      {"ມາ", {"ma"}},
      {"ລາ", {"la"}},
      {"ນີ", {"ni", "ny"}},
      {"ແພງ", {"phaeng", "pheng"}},
      {"ຊາ", {"xa", "sa"}},
      {"ວັດ", {"vat", "wat", "vath"}},
      {"ທະ", {"tha", "ta"}},
      {"ບົວ", {"bua", "boua"}},
      {"ຫອມ", {"hom", "home"}},
  };
  return k;
}

const Inventory& ThaiSyllables() {
  static const Inventory k = {
      {"สม", {"som"}},
      {"ชาย", {"chai", "chay"}},
      {"ใจ", {"jai", "chai"}},
      {"ดี", {"di", "dee"}},
      {"ศรี", {"si", "sri", "see"}},
      {"สุข", {"suk", "sook"}},
      {"บุญ", {"bun", "boon", "boun"}},
      {"มา", {"ma"}},
      {"วัน", {"wan", "van"}},
      {"ทอง", {"thong", "tong"}},
      {"ชัย", {"chai", "chay"}},
      {"พร", {"phon", "phorn", "pon"}},
      {"นิ", {"ni"}},
      {"ดา", {"da"}},
      {"รัก", {"rak"}},
      {"แก้ว", {"kaeo", "kaew", "keo"}},
      {"ประ", {"pra"}},
      {"กิจ", {"kit", "kij"}},
      {"จัน", {"chan", "jan"}},
      {"เพ็ญ", {"phen", "pen"}},
      {"สุ", {"su", "soo"}},
      {"ภา", {"pha", "pa"}},
      {"ทิ", {"thi", "ti"}},
      {"พง", {"phong", "pong"}},
      {"แสง", {"saeng", "seng"}},
      {"เดช", {"det", "dech"}},
      {"ยา", {"ya"}},
      {"ลี", {"li", "lee"}},
      {"ชม", {"chom", "jom"}},
      {"บาง", {"bang"}},
      {"แดง", {"daeng", "deng"}},
      {"ขาว", {"khao", "kao"}},
      {"นาค", {"nak", "naak"}},
      {"มณี", {"mani", "manee"}},
      {"วงศ์", {"wong", "vong"}},
      {"พันธ์", {"phan", "pan"}},
  };
  return k;
}

const Inventory& BurmeseSyllables() {
  static const Inventory k = {
      {"မောင်", {"maung"}},
      {"အောင်", {"aung"}},
      {"ကျော်", {"kyaw"}},
      {"ဇော်", {"zaw", "zo"}},
      {"မင်း", {"min", "minn"}},
      {"ထွန်း", {"htun", "tun", "htoon"}},
      {"ဝင်း", {"win", "winn"}},
      {"သန်း", {"than", "tan"}},
      {"စိုး", {"soe", "so"}},
      {"မြင့်", {"myint"}},
      {"လှ", {"hla"}},
      {"နွယ်", {"nwe", "nway"}},
      {"ခင်", {"khin", "kin"}},
      {"ဆန်း", {"hsan", "san"}},
      {"ဖြိုး", {"phyo", "pyo"}},
      {"သူ", {"thu", "tu"}},
      {"ရွှေ", {"shwe", "shway"}},
      {"မြ", {"mya"}},
      {"တင်", {"tin", "tinn"}},
      {"ကို", {"ko", "koe"}},
      {"နိုင်", {"naing"}},
      {"ထက်", {"htet", "tet"}},
      {"အေး", {"aye"}},
      {"မိုး", {"moe", "mo"}},
      {"ဇင်", {"zin", "zinn"}},
      {"ဟန်", {"han"}},
      {"လင်း", {"lin", "linn"}},
      {"သက်", {"thet", "tet"}},
      {"ချို", {"cho"}},
      {"ညို", {"nyo"}},
  };
  return k;
}

// Khmer: family names (one syllable) and given-name syllables.
const Inventory& KhmerFamily() {
  static const Inventory k = {
      {"ហ៊ុន", {"hun", "houn"}}, {"សុខ", {"sok"}},     {"ចាន់", {"chan", "chann"}}, {"គឹម", {"kim"}},
      {"ហេង", {"heng"}},       {"លី", {"ly", "li"}}, {"កែវ", {"keo", "kaev"}},   {"ឈុន", {"chhun", "chun"}},
      {"ម៉ៅ", {"mao"}},         {"ទេព", {"tep"}},    {"ស៊ុន", {"sun", "soun"}},    {"ពៅ", {"pov"}},
  };
  return k;
}

const Inventory& KhmerGiven() {
  static const Inventory k = {
      {"សែន", {"sen", "saen"}}, {"ដា", {"da"}},      {"រ៉ា", {"ra"}},      {"វណ្ណា", {"vanna", "vana"}},
      {"ស្រី", {"srey", "srei"}}, {"ណា", {"na"}},      {"រី", {"ry", "ri"}}, {"ធី", {"thy", "thi"}},
      {"សាន", {"san"}},         {"នី", {"ny", "ni"}}, {"មុំ", {"mom"}},      {"ពិ", {"pi"}},
      {"សុខ", {"sok"}},          {"ចាន់", {"chan"}},   {"ហេង", {"heng"}},   {"ថា", {"tha"}},
  };
  return k;
}

const Inventory& ChineseFamily() {
  static const Inventory k = {
      {"张", {"zhang", "chang"}},
      {"王", {"wang"}},
      {"李", {"li", "lee"}},
      {"刘", {"liu"}},
      {"陈", {"chen"}},
      {"杨", {"yang"}},
      {"黄", {"huang"}},
      {"赵", {"zhao"}},
      {"周", {"zhou", "chou"}},
      {"吴", {"wu"}},
      {"徐", {"xu"}},
      {"孙", {"sun"}},
      {"马", {"ma"}},
      {"朱", {"zhu"}},
      {"胡", {"hu"}},
      {"林", {"lin"}},
      {"郭", {"guo", "kuo"}},
      {"何", {"he"}},
      {"高", {"gao", "kao"}},
      {"罗", {"luo", "lo"}},
      {"郑", {"zheng", "cheng"}},
      {"梁", {"liang"}},
      {"谢", {"xie"}},
      {"宋", {"song"}},
      {"唐", {"tang"}},
      {"许", {"xu"}},
      {"韩", {"han"}},
      {"冯", {"feng"}},
  };
  return k;
}

const Inventory& ChineseGiven() {
  static const Inventory k = {
      {"伟", {"wei"}},   {"芳", {"fang"}}, {"娜", {"na"}},   {"敏", {"min"}},  {"静", {"jing"}}, {"丽", {"li"}},
      {"强", {"qiang"}}, {"磊", {"lei"}},  {"军", {"jun"}},  {"勇", {"yong"}}, {"艳", {"yan"}},  {"杰", {"jie"}},
      {"涛", {"tao"}},   {"明", {"ming"}}, {"超", {"chao"}}, {"秀", {"xiu"}},  {"霞", {"xia"}},  {"平", {"ping"}},
      {"刚", {"gang"}},  {"华", {"hua"}},  {"英", {"ying"}}, {"玲", {"ling"}}, {"建", {"jian"}}, {"国", {"guo"}},
      {"辉", {"hui"}},   {"飞", {"fei"}},  {"鹏", {"peng"}}, {"波", {"bo"}},   {"斌", {"bin"}},  {"宇", {"yu"}},
      {"浩", {"hao"}},   {"凯", {"kai"}},  {"晨", {"chen"}}, {"婷", {"ting"}}, {"雪", {"xue"}},  {"梅", {"mei"}},
      {"琳", {"lin"}},   {"佳", {"jia"}},  {"欣", {"xin"}},  {"东", {"dong"}}, {"海", {"hai"}},  {"龙", {"long"}},
  };
  return k;
}

const Inventory& VietFamily() {
  static const Inventory k = {
      {"Nguyễn", {"nguyen"}}, {"Trần", {"tran"}},   {"Lê", {"le"}}, {"Phạm", {"pham"}},
      {"Hoàng", {"hoang"}},   {"Huỳnh", {"huynh"}}, {"Võ", {"vo"}}, {"Đặng", {"dang"}},
      {"Bùi", {"bui"}},       {"Đỗ", {"do"}},       {"Hồ", {"ho"}}, {"Ngô", {"ngo"}},
  };
  return k;
}

const Inventory& VietMiddle() {
  static const Inventory k = {
      {"Văn", {"van"}}, {"Thị", {"thi"}}, {"Đức", {"duc"}}, {"Minh", {"minh"}}, {"Ngọc", {"ngoc"}}, {"Hữu", {"huu"}},
  };
  return k;
}

const Inventory& VietGiven() {
  static const Inventory k = {
      {"An", {"an"}},         {"Bình", {"binh"}}, {"Hùng", {"hung"}},   {"Lan", {"lan"}},     {"Hương", {"huong"}},
      {"Phương", {"phuong"}}, {"Tuấn", {"tuan"}}, {"Dũng", {"dung"}},   {"Thảo", {"thao"}},   {"Quang", {"quang"}},
      {"Hải", {"hai"}},       {"Linh", {"linh"}}, {"Trang", {"trang"}}, {"Khánh", {"khanh"}}, {"Thủy", {"thuy"}},
      {"Long", {"long"}},     {"Sơn", {"son"}},   {"Mai", {"mai"}},     {"Nam", {"nam"}},     {"Phúc", {"phuc"}},
  };
  return k;
}

// SplitMix64: the same numbers everywhere.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::size_t Below(std::size_t n) { return static_cast<std::size_t>(Next() % n); }
  bool Chance(double p) { return static_cast<double>(Next() >> 11) / 9007199254740992.0 < p; }

 private:
  std::uint64_t state_;
};

// One word of a name: its syllables (indices into an inventory).
struct Word {
  const Inventory* inventory;
  std::vector<std::size_t> syllables;
};

// A name: words in native order; `family_first` says where the family name is
// (for swapping the order in variants).
struct Name {
  std::vector<Word> words;
  std::string native_separator;  // between native words ("" for Burmese and Chinese)
};

Word MakeWord(const Inventory& inv, std::size_t syllables, Rng& rng) {
  Word w{&inv, {}};
  for (std::size_t i = 0; i < syllables; ++i) w.syllables.push_back(rng.Below(inv.size()));
  return w;
}

Name MakeName(CorpusScript script, Rng& rng) {
  Name n;
  n.native_separator = " ";
  switch (script) {
    case CorpusScript::kLao:
      n.words = {MakeWord(LaoSyllables(), 2, rng), MakeWord(LaoSyllables(), 2 + rng.Below(2), rng)};
      break;
    case CorpusScript::kThai:
      n.words = {MakeWord(ThaiSyllables(), 2, rng), MakeWord(ThaiSyllables(), 2 + rng.Below(2), rng)};
      break;
    case CorpusScript::kBurmese: {
      // Every syllable is a word in Latin; native names are written solid.
      const std::size_t count = 2 + rng.Below(2);
      for (std::size_t i = 0; i < count; ++i) n.words.push_back(MakeWord(BurmeseSyllables(), 1, rng));
      n.native_separator = "";
      break;
    }
    case CorpusScript::kKhmer:
      n.words = {MakeWord(KhmerFamily(), 1, rng), MakeWord(KhmerGiven(), 1 + rng.Below(2), rng)};
      break;
    case CorpusScript::kChinese:
      n.words = {MakeWord(ChineseFamily(), 1, rng), MakeWord(ChineseGiven(), 1 + rng.Below(2), rng)};
      n.native_separator = "";
      break;
    case CorpusScript::kVietnamese:
      n.words = {MakeWord(VietFamily(), 1, rng), MakeWord(VietMiddle(), 1, rng), MakeWord(VietGiven(), 1, rng)};
      break;
  }
  return n;
}

std::string Native(const Name& n) {
  std::string out;
  for (const Word& w : n.words) {
    if (!out.empty()) out += n.native_separator;
    for (std::size_t s : w.syllables) out += (*w.inventory)[s].native;
  }
  return out;
}

std::string Capitalised(std::string w) {
  if (!w.empty()) w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
  return w;
}

std::string Upper(std::string w) {
  for (char& c : w) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return w;
}

// Latin words of a name; `alternatives` picks a non-customary spelling of a
// syllable with that probability.
std::vector<std::string> LatinWords(const Name& n, double alternatives, Rng& rng) {
  std::vector<std::string> words;
  for (const Word& w : n.words) {
    std::string word;
    for (std::size_t s : w.syllables) {
      const auto& latin = (*w.inventory)[s].latin;
      const std::size_t pick = latin.size() > 1 && rng.Chance(alternatives) ? 1 + rng.Below(latin.size() - 1) : 0;
      word += latin[pick];
    }
    words.push_back(word);
  }
  return words;
}

// Spelling conventions different agencies use for one sound.
struct Substitution {
  const char* from;
  const char* to;
};
constexpr Substitution kSubstitutions[] = {
    {"ph", "p"}, {"ph", "f"}, {"th", "t"}, {"kh", "k"}, {"ou", "u"}, {"ou", "oo"}, {"oo", "u"},
    {"x", "s"},  {"ck", "k"}, {"v", "w"},  {"w", "v"},  {"ee", "i"}, {"ch", "j"},  {"j", "ch"},
    {"n", "nn"}, {"nn", "n"}, {"t", "tt"}, {"y", "i"},  {"i", "y"},  {"ai", "ay"}, {"ay", "ai"},
};

bool ApplySubstitution(std::vector<std::string>& words, Rng& rng) {
  std::vector<std::pair<std::size_t, std::size_t>> sites;  // (word, substitution)
  for (std::size_t w = 0; w < words.size(); ++w) {
    for (std::size_t s = 0; s < std::size(kSubstitutions); ++s) {
      if (words[w].find(kSubstitutions[s].from) != std::string::npos) sites.emplace_back(w, s);
    }
  }
  if (sites.empty()) return false;
  const auto [w, s] = sites[rng.Below(sites.size())];
  const std::string from = kSubstitutions[s].from;
  std::string& word = words[w];
  // The last occurrence: word ends carry most of the variation (vanh/van).
  const std::size_t at = word.rfind(from);
  // A name's first letter changes with the spelling of its sound only
  // (ph/f), never i/y ("Yang" is not written "Iang").
  if (at == 0 && from.size() == 1) return false;
  word.replace(at, from.size(), kSubstitutions[s].to);
  return true;
}

// One edit: substitute, delete, insert or transpose a letter of a word of at
// least four letters.
bool ApplyTypo(std::vector<std::string>& words, Rng& rng) {
  std::vector<std::size_t> long_words;
  for (std::size_t w = 0; w < words.size(); ++w) {
    if (words[w].size() >= 4) long_words.push_back(w);
  }
  if (long_words.empty()) return false;
  std::string& word = words[long_words[rng.Below(long_words.size())]];
  // Not the first letter: clerks rarely get it wrong.
  const std::size_t at = 1 + rng.Below(word.size() - 1);
  const char letter = static_cast<char>('a' + rng.Below(26));
  switch (rng.Below(4)) {
    case 0: word[at] = letter; break;
    case 1: word.erase(at, 1); break;
    case 2: word.insert(at, 1, letter); break;
    default:
      if (at + 1 < word.size()) {
        std::swap(word[at], word[at + 1]);
      } else {
        std::swap(word[at - 1], word[at]);
      }
  }
  return true;
}

std::string Variant(const Name& n, CorpusScript script, Rng& rng) {
  std::vector<std::string> words = LatinWords(n, 0.6, rng);
  if (rng.Chance(0.5)) ApplySubstitution(words, rng);
  // Word splits and joins.
  if (script == CorpusScript::kBurmese || script == CorpusScript::kChinese) {
    // Burmese names are often written solid ("Maungmaung"); Chinese ones
    // less (the given name is one word already).
    if (words.size() >= 2 && rng.Chance(script == CorpusScript::kBurmese ? 0.3 : 0.15)) {
      const std::size_t at = rng.Below(words.size() - 1);
      words[at] += words[at + 1];
      words.erase(words.begin() + static_cast<std::ptrdiff_t>(at) + 1);
    }
  } else if ((script == CorpusScript::kLao || script == CorpusScript::kThai) && rng.Chance(0.15)) {
    // "Som Phone" for "Somphone": split the given name at its syllable.
    const Word& given = n.words[0];
    const std::string first = LatinWords(Name{{Word{given.inventory, {given.syllables[0]}}}, ""}, 0, rng)[0];
    if (words[0].starts_with(first) && words[0].size() > first.size()) {
      words.insert(words.begin() + 1, words[0].substr(first.size()));
      words[0] = first;
    }
  }
  // Family name written first or last; upper case on passports.
  const bool family_first =
      script == CorpusScript::kChinese || script == CorpusScript::kKhmer || script == CorpusScript::kVietnamese;
  std::size_t family = family_first ? 0 : words.size() - 1;
  if (words.size() >= 2 && rng.Chance(0.35)) {
    if (family_first) {
      std::rotate(words.begin(), words.begin() + 1, words.end());
      family = words.size() - 1;
    } else {
      std::rotate(words.rbegin(), words.rbegin() + 1, words.rend());
      family = 0;
    }
  }
  if (rng.Chance(0.3)) ApplyTypo(words, rng);
  std::string out;
  const bool upper_family = rng.Chance(0.3) && script != CorpusScript::kBurmese;
  for (std::size_t w = 0; w < words.size(); ++w) {
    if (!out.empty()) out += ' ';
    out += upper_family && w == family ? Upper(words[w]) : Capitalised(words[w]);
  }
  return out;
}

std::string Customary(const Name& n, Rng& rng) {
  std::string out;
  for (const std::string& w : LatinWords(n, 0, rng)) {
    if (!out.empty()) out += ' ';
    out += Capitalised(w);
  }
  return out;
}

std::string Lowered(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

const char* CorpusScriptName(CorpusScript script) {
  switch (script) {
    case CorpusScript::kLao: return "lao";
    case CorpusScript::kThai: return "thai";
    case CorpusScript::kBurmese: return "burmese";
    case CorpusScript::kKhmer: return "khmer";
    case CorpusScript::kChinese: return "chinese";
    case CorpusScript::kVietnamese: return "vietnamese";
  }
  return "unknown";
}

MadeUpName MakeUpName(CorpusScript script, bool female, std::uint64_t seed) {
  Rng rng(seed);
  // The corpus's shapes (MakeName), with longer given names where a short
  // one would make the small inventories repeat full names far more often
  // than a real caseload does.
  Name name;
  switch (script) {
    case CorpusScript::kBurmese: {
      // No family name: mostly three or four syllables.
      const std::size_t pick = rng.Below(20);
      const std::size_t count = pick < 2 ? 2 : pick < 13 ? 3 : 4;
      for (std::size_t i = 0; i < count; ++i) name.words.push_back(MakeWord(BurmeseSyllables(), 1, rng));
      break;
    }
    case CorpusScript::kChinese:
      // Two-character given names are the common case.
      name.words = {MakeWord(ChineseFamily(), 1, rng), MakeWord(ChineseGiven(), rng.Below(10) == 0 ? 1 : 2, rng)};
      break;
    case CorpusScript::kKhmer: name.words = {MakeWord(KhmerFamily(), 1, rng), MakeWord(KhmerGiven(), 2, rng)}; break;
    case CorpusScript::kVietnamese:
      // Family, middle (chosen below by sex) and one or two given words
      // ("Thu Hương").
      name.words = {MakeWord(VietFamily(), 1, rng), MakeWord(VietMiddle(), 1, rng), MakeWord(VietGiven(), 1, rng)};
      if (rng.Chance(0.5)) name.words.push_back(MakeWord(VietGiven(), 1, rng));
      break;
    default: name = MakeName(script, rng);
  }
  std::vector<std::string> latin = LatinWords(name, 0, rng);
  for (std::string& w : latin) w = Capitalised(std::move(w));
  auto native = [&](std::size_t w) {
    std::string out;
    for (std::size_t s : name.words[w].syllables) out += (*name.words[w].inventory)[s].native;
    return out;
  };
  MadeUpName out;
  switch (script) {
    case CorpusScript::kLao:
    case CorpusScript::kThai:
      out.given_native = native(0);
      out.family_native = native(1);
      out.given_latin = latin[0];
      out.family_latin = latin[1];
      break;
    case CorpusScript::kBurmese:
      for (std::size_t w = 0; w < name.words.size(); ++w) {
        out.given_native += native(w);
        if (!out.given_latin.empty()) out.given_latin += ' ';
        out.given_latin += latin[w];
      }
      break;
    case CorpusScript::kKhmer:
    case CorpusScript::kChinese:
      out.family_native = native(0);
      out.given_native = native(1);
      out.family_latin = latin[0];
      out.given_latin = latin[1];
      out.family_first = true;
      break;
    case CorpusScript::kVietnamese: {
      // The middle name marks sex: Thị, Ngọc for women; Văn, Đức, Hữu for
      // men; Minh for either (indices into VietMiddle()).
      static constexpr std::size_t kFemale[] = {1, 4, 3};
      static constexpr std::size_t kMale[] = {0, 2, 5, 3};
      const std::size_t middle = female ? kFemale[rng.Below(std::size(kFemale))] : kMale[rng.Below(std::size(kMale))];
      out.family_native = native(0);
      out.middle_native = VietMiddle()[middle].native;
      out.family_latin = latin[0];
      out.middle_latin = Capitalised(VietMiddle()[middle].latin[0]);
      for (std::size_t w = 2; w < name.words.size(); ++w) {
        if (w > 2) {
          out.given_native += ' ';
          out.given_latin += ' ';
        }
        out.given_native += native(w);
        out.given_latin += latin[w];
      }
      out.family_first = true;
      break;
    }
  }
  return out;
}

std::vector<CorpusPerson> GenerateNameCorpus(std::size_t persons_per_script, std::size_t variants_per_person,
                                             std::uint64_t seed) {
  Rng rng(seed);
  std::vector<CorpusPerson> out;
  out.reserve(persons_per_script * kCorpusScriptCount);
  std::vector<std::unordered_set<std::string>> seen(kCorpusScriptCount);
  for (std::size_t i = 0; i < persons_per_script; ++i) {
    for (std::size_t s = 0; s < kCorpusScriptCount; ++s) {
      const auto script = static_cast<CorpusScript>(s);
      Name name = MakeName(script, rng);
      // Distinct native names; small inventories (Chinese) may run out of
      // new names, then a repeat is accepted after a while.
      for (int attempt = 0; attempt < 50 && seen[s].contains(Native(name)); ++attempt) name = MakeName(script, rng);
      seen[s].insert(Native(name));
      CorpusPerson p;
      p.id = out.size();
      p.script = script;
      p.native = Native(name);
      p.latin = Customary(name, rng);
      std::unordered_set<std::string> have{Lowered(p.latin)};
      for (std::size_t attempt = 0; p.variants.size() < variants_per_person && attempt < 20 * variants_per_person;
           ++attempt) {
        std::string v = Variant(name, script, rng);
        if (have.insert(Lowered(v)).second) p.variants.push_back(std::move(v));
      }
      out.push_back(std::move(p));
    }
  }
  return out;
}

void NameIndex::Add(std::size_t id, std::string_view name) {
  const std::size_t record = names_.size();
  names_.emplace_back(name);
  ids_.push_back(id);
  for (std::string& key : FuzzyKeys(name)) postings_.emplace_back(std::move(key), record);
}

void NameIndex::Finish() {
  std::sort(postings_.begin(), postings_.end());
}

std::vector<std::pair<std::size_t, double>> NameIndex::Search(std::string_view query, std::size_t k,
                                                              std::size_t shortlist) const {
  std::unordered_map<std::size_t, double> votes;
  const double n = static_cast<double>(names_.size()) + 1;
  for (const std::string& key : FuzzyKeys(query)) {
    const auto lo = std::lower_bound(postings_.begin(), postings_.end(), std::pair<std::string, std::size_t>(key, 0));
    auto hi = lo;
    while (hi != postings_.end() && hi->first == key) ++hi;
    const double df = static_cast<double>(hi - lo);
    if (df == 0) continue;
    const double idf = std::log(n / df);
    for (auto it = lo; it != hi; ++it) votes[it->second] += idf;
  }
  std::vector<std::pair<std::size_t, double>> ranked(votes.begin(), votes.end());
  const auto by_score = [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  };
  if (ranked.size() > shortlist) {
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(shortlist), ranked.end(), by_score);
    ranked.resize(shortlist);
  }
  for (auto& [record, score] : ranked) score = NameSimilarity(query, names_[record]);
  std::sort(ranked.begin(), ranked.end(), by_score);
  if (ranked.size() > k) ranked.resize(k);
  for (auto& [record, score] : ranked) record = ids_[record];
  return ranked;
}

std::vector<RecallRow> MeasureRecall(const std::vector<CorpusPerson>& corpus, std::size_t k, unsigned threads) {
  NameIndex native_index;
  NameIndex latin_index;
  Rng rng(corpus.size());
  std::vector<std::string> indexed_latin;
  for (const CorpusPerson& p : corpus) {
    native_index.Add(p.id, p.native);
    std::string latin = p.latin;
    if (!p.variants.empty()) latin = p.variants[rng.Below(p.variants.size())];
    latin_index.Add(p.id, latin);
  }
  native_index.Finish();
  latin_index.Finish();

  struct Query {
    std::size_t person;  // index in corpus
    const std::string* text;
    bool latin;  // a Latin query against the native index
  };
  std::vector<Query> queries;
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    queries.push_back({i, &corpus[i].latin, true});
    for (const std::string& v : corpus[i].variants) queries.push_back({i, &v, true});
    queries.push_back({i, &corpus[i].native, false});
  }
  std::vector<char> hit(queries.size(), 0);
  const unsigned workers = std::max(1U, threads);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < workers; ++t) {
    pool.emplace_back([&, t] {
      for (std::size_t q = t; q < queries.size(); q += workers) {
        const NameIndex& index = queries[q].latin ? native_index : latin_index;
        for (const auto& [id, score] : index.Search(*queries[q].text, k)) {
          if (id == corpus[queries[q].person].id) hit[q] = 1;
        }
      }
    });
  }
  for (std::thread& t : pool) t.join();

  std::vector<RecallRow> rows(kCorpusScriptCount);
  for (std::size_t s = 0; s < kCorpusScriptCount; ++s) rows[s].script = static_cast<CorpusScript>(s);
  for (std::size_t q = 0; q < queries.size(); ++q) {
    RecallRow& row = rows[static_cast<std::size_t>(corpus[queries[q].person].script)];
    if (queries[q].latin) {
      ++row.latin_queries;
      row.latin_hits += hit[q];
    } else {
      ++row.native_queries;
      row.native_hits += hit[q];
    }
  }
  return rows;
}

}  // namespace ctims::search
