#pragma once

// Helpers shared by the access suites: HTTP calls with a session, error
// inspection, and records made in-process as a chosen user and agency (the
// set-up path; what is under test always goes over HTTP).

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/test_server.hpp"
#include "app/principal.hpp"
#include "app/record_service.hpp"
#include "domain/schema.hpp"

namespace ctims::access_test {

using api_test::Describe;
using api_test::json;
using api_test::kJson;
using api_test::Reply;
using api_test::Send;
using api_test::Session;
using api_test::TestServer;

// One request as `session` (cookie and CSRF token) to the fixture's server.
inline Reply Call(TestServer& server, const Session& session, const std::string& method, const std::string& path,
                  const std::optional<json>& body = std::nullopt) {
  return Send(server.port(), method, path, body ? body->dump() : "", body ? kJson : "", session.Headers());
}

inline std::string Url(const std::string& resource, const std::string& id = "") {
  return "/api/v1/" + resource + (id.empty() ? "" : "/" + id);
}

// The error code of an error reply ("" when the body has none).
inline std::string ErrorCode(const Reply& r) {
  const json j = r.Json();
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) return "";
  return j["error"].value("code", "");
}

// True when the error reply names {path, rule} among its field errors.
inline bool HasFieldRule(const Reply& r, const std::string& path, const std::string& rule) {
  const json j = r.Json();
  if (!j.is_object() || !j.contains("error") || !j["error"].contains("fields")) return false;
  for (const auto& f : j["error"]["fields"]) {
    if (f.value("path", "") == path && f.value("rule", "") == rule) return true;
  }
  return false;
}

// True when some field error of the reply has `rule`.
inline bool HasRule(const Reply& r, const std::string& rule) {
  const json j = r.Json();
  if (!j.is_object() || !j.contains("error") || !j["error"].contains("fields")) return false;
  for (const auto& f : j["error"]["fields"]) {
    if (f.value("rule", "") == rule) return true;
  }
  return false;
}

// A principal acting as user `user_id` of agency `agency_id` with every
// record permission and field group: how the tests place records (owner,
// agency, protection) without depending on the roles under test.
inline app::Principal ActingAs(const std::string& user_id, const std::string& agency_id) {
  app::Principal p = app::SystemPrincipal();
  p.user_id = user_id;
  p.username = "setup-" + user_id;
  p.agency_id = agency_id;
  return p;
}

// Creates a record in-process; fails the test (and returns "") when refused.
inline std::string CreateAs(TestServer& server, const app::Principal& who, const std::string& resource,
                            const json& body) {
  auto r = server.service().Create(*domain::FindResource(resource), body, who);
  if (!r.ok()) {
    ADD_FAILURE() << "set-up: create " << resource << " as " << who.user_id << ": " << r.status().ToString() << " "
                  << body.dump();
    return "";
  }
  return (*r)["id"].get<std::string>();
}

// The record with every field, as `who` sees it (by default the operator,
// who does not reach protected cases: pass their agency's principal), or
// null when missing.
inline json SystemView(TestServer& server, const std::string& resource, const std::string& id,
                       const app::Principal& who = app::SystemPrincipal()) {
  auto r = server.service().Get(*domain::FindResource(resource), id, who);
  return r.ok() ? *r : json();
}

// Id -> version of every stored record of `resource` that `who` reaches.
inline std::map<std::string, std::int64_t> SystemVersions(TestServer& server, const std::string& resource,
                                                          const app::Principal& who = app::SystemPrincipal()) {
  std::map<std::string, std::int64_t> out;
  app::ListRequest request;
  request.limit = "500";
  for (int page = 0; page < 1000; ++page) {
    auto r = server.service().List(*domain::FindResource(resource), request, who);
    if (!r.ok()) {
      ADD_FAILURE() << "system list " << resource << ": " << r.status().ToString();
      return out;
    }
    for (const auto& item : (*r)["items"]) out[item["id"].get<std::string>()] = item["version"].get<std::int64_t>();
    if ((*r)["next_cursor"].is_null()) break;
    request.cursor = (*r)["next_cursor"].get<std::string>();
  }
  return out;
}

// Ids of every stored record of `resource` (operator view).
inline std::set<std::string> SystemIds(TestServer& server, const std::string& resource,
                                       const app::Principal& who = app::SystemPrincipal()) {
  std::set<std::string> out;
  for (const auto& [id, version] : SystemVersions(server, resource, who)) out.insert(id);
  return out;
}

// The id of the seeded record of `resource` whose column `field` is `code`.
inline std::string SystemIdByCode(TestServer& server, const std::string& resource, const std::string& field,
                                  const std::string& code) {
  app::ListRequest request;
  request.filters = {{field, code}};
  auto r = server.service().List(*domain::FindResource(resource), request, app::SystemPrincipal());
  if (!r.ok() || (*r)["items"].size() != 1) {
    ADD_FAILURE() << "set-up: no single " << resource << " with " << field << "=" << code;
    return "";
  }
  return (*r)["items"][0]["id"].get<std::string>();
}

// Every item of a list over HTTP, following cursors. `status` gets the first
// non-200 status (or 200).
inline std::vector<json> ListAll(TestServer& server, const Session& session, const std::string& resource, int* status,
                                 std::string* raw_bodies = nullptr) {
  std::vector<json> out;
  std::string cursor;
  *status = 200;
  for (int page = 0; page < 1000; ++page) {
    std::string path = Url(resource) + "?limit=500";
    if (!cursor.empty()) path += "&cursor=" + cursor;
    Reply r = Call(server, session, "GET", path);
    if (raw_bodies != nullptr) raw_bodies->append(r.body);
    if (r.status != 200) {
      *status = r.status;
      return out;
    }
    json j = r.Json();
    for (auto& item : j["items"]) out.push_back(item);
    if (j["next_cursor"].is_null()) return out;
    cursor = j["next_cursor"].get<std::string>();
  }
  ADD_FAILURE() << "list of " << resource << " never ended";
  return out;
}

}  // namespace ctims::access_test
