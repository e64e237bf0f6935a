#include "domain/diff.hpp"

#include <nlohmann/json.hpp>

#include <set>
#include <string>

namespace ctims::domain {
namespace {

using nlohmann::json;

void DiffInto(const json& a, const json& b, const std::string& prefix, json& out) {
  std::set<std::string> keys;
  if (a.is_object()) {
    for (const auto& [k, v] : a.items()) keys.insert(k);
  }
  if (b.is_object()) {
    for (const auto& [k, v] : b.items()) keys.insert(k);
  }
  for (const auto& k : keys) {
    const json& va = (a.is_object() && a.contains(k)) ? a.at(k) : json();
    const json& vb = (b.is_object() && b.contains(k)) ? b.at(k) : json();
    if (va == vb) continue;
    const std::string path = prefix.empty() ? k : prefix + "." + k;
    if ((va.is_object() || va.is_null()) && (vb.is_object() || vb.is_null()) && (va.is_object() || vb.is_object())) {
      DiffInto(va, vb, path, out);
    } else {
      out.push_back({{"path", path}, {"from", va}, {"to", vb}});
    }
  }
}

}  // namespace

json Diff(const json& before, const json& after) {
  json out = json::array();
  DiffInto(before, after, "", out);
  return out;
}

}  // namespace ctims::domain
