#include "domain/codelists.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>

namespace ctims::domain {

std::span<const core::EmbeddedFile> EmbeddedCodeLists();  // generated

CodeList::CodeList(std::string name, std::string source, std::vector<CodeItem> items)
    : name_(std::move(name)), source_(std::move(source)), items_(std::move(items)) {
  for (const auto& item : items_) codes_.insert(item.code);
}

core::Result<std::shared_ptr<const CodeLists>> CodeLists::Parse(std::span<const core::EmbeddedFile> files) {
  auto out = std::make_shared<CodeLists>();
  for (const auto& file : files) {
    const std::string fname(file.name);
    auto doc = nlohmann::json::parse(file.contents, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("name") || !doc["name"].is_string() ||
        !doc.contains("items") || !doc["items"].is_array()) {
      return core::Status::InvalidArgument("code list " + fname + " is not of the expected shape");
    }
    std::vector<CodeItem> items;
    std::unordered_set<std::string> seen;
    for (const auto& it : doc["items"]) {
      if (!it.is_object() || !it.contains("code") || !it["code"].is_string() || !it.contains("labels") ||
          !it["labels"].is_object()) {
        return core::Status::InvalidArgument("code list " + fname + " has a malformed item");
      }
      CodeItem item;
      item.code = it["code"].get<std::string>();
      for (const auto& [lang, label] : it["labels"].items()) {
        if (!label.is_string()) return core::Status::InvalidArgument("code list " + fname + ": label not a string");
        item.labels[lang] = label.get<std::string>();
      }
      if (!item.labels.contains("lo") || !item.labels.contains("en")) {
        return core::Status::InvalidArgument("code list " + fname + ": " + item.code + " lacks a lo or en label");
      }
      if (!seen.insert(item.code).second) {
        return core::Status::InvalidArgument("code list " + fname + ": duplicate code " + item.code);
      }
      items.push_back(std::move(item));
    }
    std::string name = doc["name"].get<std::string>();
    std::string source = doc.value("source", "");
    if (out->lists_.contains(name)) return core::Status::InvalidArgument("duplicate code list " + name);
    out->lists_.emplace(name, CodeList(name, std::move(source), std::move(items)));
  }
  return std::shared_ptr<const CodeLists>(std::move(out));
}

const CodeLists& CodeLists::Builtin() {
  static const std::shared_ptr<const CodeLists> kLists = [] {
    auto parsed = Parse(EmbeddedCodeLists());
    if (!parsed.ok()) {
      std::fprintf(stderr, "built-in code lists are invalid: %s\n", parsed.status().ToString().c_str());
      std::abort();
    }
    return std::move(parsed).value();
  }();
  return *kLists;
}

const CodeList* CodeLists::Find(std::string_view name) const {
  auto it = lists_.find(name);
  return it == lists_.end() ? nullptr : &it->second;
}

std::vector<std::string> CodeLists::Names() const {
  std::vector<std::string> out;
  out.reserve(lists_.size());
  for (const auto& [name, list] : lists_) out.push_back(name);
  return out;
}

}  // namespace ctims::domain
