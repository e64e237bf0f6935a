#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/embedded_file.hpp"
#include "core/status.hpp"

namespace ctims::domain {

struct CodeItem {
  std::string code;                           // stable system value
  std::map<std::string, std::string> labels;  // ISO 639-1 language -> label
};

// A named list of codes (HTCDS picklists, ISO 3166, ISO 639, ctims's own).
// Immutable after construction; safe to share across threads.
class CodeList {
 public:
  CodeList(std::string name, std::string source, std::vector<CodeItem> items);

  const std::string& name() const { return name_; }
  const std::string& source() const { return source_; }
  const std::vector<CodeItem>& items() const { return items_; }
  bool Contains(std::string_view code) const { return codes_.contains(std::string(code)); }

 private:
  std::string name_;
  std::string source_;
  std::vector<CodeItem> items_;
  std::unordered_set<std::string> codes_;
};

// All code lists, keyed by name. Immutable; thread-safe to read.
class CodeLists {
 public:
  // Parses code-list files ({"name","source","items":[{"code","labels"}]}).
  // Fails with kInvalidArgument naming the file when one is malformed, has a
  // duplicate code or lacks a Lao or English label.
  static core::Result<std::shared_ptr<const CodeLists>> Parse(std::span<const core::EmbeddedFile> files);

  // The lists compiled into the binary from data/codelists/. Aborts at start
  // if they are malformed (a build defect, caught by the unit tests).
  static const CodeLists& Builtin();

  const CodeList* Find(std::string_view name) const;
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, CodeList, std::less<>> lists_;
};

}  // namespace ctims::domain
