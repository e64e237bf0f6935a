#include "http/server.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "core/id.hpp"
#include "core/log.hpp"
#include "domain/schema.hpp"
#include "domain/workflow.hpp"
#include "http/auth_json.hpp"
#include "http/error_mapping.hpp"
#include "http/openapi.hpp"
#include "http/static_files.hpp"

#ifndef CTIMS_VERSION
#define CTIMS_VERSION "0.0.0"
#endif

namespace ctims::http {
namespace {

using nlohmann::json;

constexpr int kMaxJsonDepth = 32;
constexpr const char* kJson = "application/json";

void SendJson(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, kJson);
}

void SendError(httplib::Response& res, const core::Status& status) {
  SendJson(res, HttpStatusFor(status.code()), ErrorBody(status));
}

void SendError(httplib::Response& res, int http_status, std::string_view code, std::string_view message,
               const std::vector<core::FieldError>& fields = {}) {
  SendJson(res, http_status, ErrorBody(code, message, fields));
}

// Deep nesting would make the JSON library recurse without bound; no ctims
// document is deeper than a few levels.
bool TooDeep(const std::string& body) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

// True for application/json (and, for PATCH, application/merge-patch+json),
// compared case-insensitively with parameters such as charset ignored.
bool IsJsonMediaType(std::string type, bool allow_merge_patch) {
  const auto semi = type.find(';');
  if (semi != std::string::npos) type.resize(semi);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type == kJson || (allow_merge_patch && type == "application/merge-patch+json");
}

// Bodies beyond the limit are read and thrown away, up to this many times the
// limit, so that a client still sending gets its 413 instead of a reset
// connection; past that the connection is closed.
constexpr std::size_t kDrainFactor = 16;

// Reads the request body through `reader` into `out`, keeping at most
// `limit` bytes: cpp-httplib enforces its payload limit only on bodies with a
// Content-Length, and closes the connection under a client still writing.
// Answers 413 (or 400 for a broken body) itself and returns false then.
bool ReadBody(const httplib::ContentReader& reader, std::size_t limit, httplib::Response& res, std::string& out) {
  std::size_t total = 0;
  const bool complete = reader([&](const char* data, std::size_t length) {
    total += length;
    if (total <= limit) out.append(data, length);
    return total <= limit * kDrainFactor;
  });
  if (total > limit) {
    out.clear();
    if (!complete) res.set_header("Connection", "close");
    SendError(res, 413, "payload_too_large", "the body is larger than " + std::to_string(limit) + " bytes",
              {{"", "max_bytes", std::to_string(limit)}});
    return false;
  }
  if (!complete) {
    res.set_header("Connection", "close");
    SendError(res, 400, "invalid_body", "the request body could not be read completely", {{"", "incomplete", ""}});
    return false;
  }
  return true;
}

// Parses a JSON request body, answering the client itself on failure.
bool ParseBody(const std::string& body, httplib::Response& res, json& out) {
  if (TooDeep(body)) {
    SendError(res, 400, "invalid_json", "the JSON document is nested too deeply",
              {{"", "max_depth", "at most " + std::to_string(kMaxJsonDepth) + " levels"}});
    return false;
  }
  out = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) {
    SendError(res, 400, "invalid_json", "the body is not valid JSON (UTF-8)", {{"", "json", "malformed JSON"}});
    return false;
  }
  return true;
}

bool ParseVersion(std::string text, std::int64_t& out) {
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
  if (text.rfind("W/", 0) == 0) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && out > 0;
}

// The expected version from If-Match or ?version=; answers 400 itself when
// one is present but malformed.
bool ExpectedVersion(const httplib::Request& req, httplib::Response& res, std::optional<std::int64_t>& out) {
  std::int64_t v = 0;
  if (req.has_header("If-Match")) {
    if (!ParseVersion(req.get_header_value("If-Match"), v)) {
      SendError(res, 400, "invalid_argument", "If-Match must be the record's version, e.g. \"3\"",
                {{"If-Match", "format", "a positive integer version"}});
      return false;
    }
    out = v;
  }
  if (req.has_param("version")) {
    if (!ParseVersion(req.get_param_value("version"), v)) {
      SendError(res, 400, "invalid_argument", "version must be a positive integer",
                {{"version", "format", "a positive integer"}});
      return false;
    }
    if (out && *out != v) {
      SendError(res, 400, "invalid_argument", "If-Match and ?version= differ", {{"version", "mismatch", ""}});
      return false;
    }
    out = v;
  }
  return true;
}

// The client's address for sign-in throttling and the audit log. A request
// from a trusted proxy (nginx in front of several ctims processes) names the
// client in X-Forwarded-For, each proxy appending the address it received
// from: walk it from the right past the trusted proxies; the first other
// address is the client. Anything else (a client's own X-Forwarded-For, an
// address that does not parse) is ignored, so a client cannot choose the
// address it is throttled and audited under.
std::string ClientAddress(const httplib::Request& req, const std::vector<std::string>& trusted) {
  auto is_trusted = [&](const std::string& a) { return std::find(trusted.begin(), trusted.end(), a) != trusted.end(); };
  if (trusted.empty() || !is_trusted(req.remote_addr)) return req.remote_addr;
  std::vector<std::string> hops;
  const std::size_t n = req.get_header_value_count("X-Forwarded-For");
  for (std::size_t i = 0; i < n; ++i) {
    const std::string value = req.get_header_value("X-Forwarded-For", i);
    std::string_view header = value;
    while (!header.empty()) {
      const auto comma = header.find(',');
      std::string_view hop = header.substr(0, comma);
      header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
      while (!hop.empty() && hop.front() == ' ') hop.remove_prefix(1);
      while (!hop.empty() && hop.back() == ' ') hop.remove_suffix(1);
      hops.emplace_back(hop);
    }
  }
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (!IsIpAddress(*it)) return req.remote_addr;
    if (!is_trusted(*it)) return *it;
  }
  return req.remote_addr;
}

// The value of cookie `name` in the request's Cookie headers, or "".
std::string CookieValue(const httplib::Request& req, std::string_view name) {
  const std::size_t n = req.get_header_value_count("Cookie");
  for (std::size_t i = 0; i < n; ++i) {
    const std::string value = req.get_header_value("Cookie", i);
    std::string_view header = value;
    while (!header.empty()) {
      const auto semi = header.find(';');
      std::string_view pair = header.substr(0, semi);
      header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      const auto eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
    }
  }
  return {};
}

bool IsStateChanging(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

void SetEtag(httplib::Response& res, const json& record) {
  res.set_header("ETag", "\"" + std::to_string(record.value("version", 0)) + "\"");
}

// Splits "/api/v1/cases/x" into {"api", "v1", "cases", "x"}. An empty
// segment (double or trailing slash) makes the path match no route.
std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// Matches request paths against the route table's templates segment by
// segment ("{...}" matches any one segment): no regular expressions on the
// hot path, and the table the OpenAPI document is made from is the only
// source of truth.
class Router {
 public:
  explicit Router(const std::vector<Route>& routes) : routes_(routes) {
    templates_.reserve(routes_.size());
    for (std::size_t i = 0; i < routes_.size(); ++i) {
      templates_.push_back(Segments(routes_[i].path));  // views into routes_, which outlive the router
      index_[Key(routes_[i].method, templates_.back())].push_back(i);
    }
  }

  // Index of the route for `method` and `path`, with its "{...}" segments
  // in `params`; -1 when none matches.
  int Find(const std::string& method, std::string_view path, std::vector<std::string>& params) const {
    const auto segs = Segments(path);
    auto it = index_.find(Key(method, segs));
    if (it == index_.end()) return -1;
    for (std::size_t i : it->second) {
      if (Match(templates_[i], segs, params)) return static_cast<int>(i);
    }
    return -1;
  }

  // Methods that have a route for `path` (for 405 and Allow).
  std::set<std::string> MethodsFor(std::string_view path) const {
    std::set<std::string> out;
    const auto segs = Segments(path);
    std::vector<std::string> params;
    for (std::size_t i = 0; i < routes_.size(); ++i) {
      if (Match(templates_[i], segs, params)) out.insert(routes_[i].method);
    }
    return out;
  }

 private:
  static std::string Key(const std::string& method, const std::vector<std::string_view>& segs) {
    std::string key = method + "|" + std::to_string(segs.size());
    if (segs.size() > 2) key.append("|").append(segs[2]);
    return key;
  }
  static bool Match(const std::vector<std::string_view>& t, const std::vector<std::string_view>& segs,
                    std::vector<std::string>& params) {
    if (t.size() != segs.size()) return false;
    params.clear();
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (segs[i].empty()) return false;
      if (t[i].size() > 1 && t[i].front() == '{') {
        params.emplace_back(segs[i]);
      } else if (t[i] != segs[i]) {
        return false;
      }
    }
    return true;
  }

  const std::vector<Route>& routes_;
  std::vector<std::vector<std::string_view>> templates_;  // parallel to routes_
  std::unordered_map<std::string, std::vector<std::size_t>> index_;
};

}  // namespace

bool IsIpAddress(const std::string& text) {
  in6_addr buf{};
  return inet_pton(AF_INET, text.c_str(), &buf) == 1 || inet_pton(AF_INET6, text.c_str(), &buf) == 1;
}

bool IsLoopback(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  in_addr addr{};
  if (inet_pton(AF_INET, host.c_str(), &addr) == 1) {
    return (ntohl(addr.s_addr) >> 24) == 127;
  }
  return false;
}

std::vector<Route> ApiRoutes() {
  std::vector<Route> routes = {
      {"GET", "/api/v1/health", "health", "", false, "Liveness and schema version"},
      {"GET", "/api/v1/openapi.json", "openapi", "", false, "This document"},
      {"GET", "/api/v1/codelists", "codelists", "", false, "Names of all code lists"},
      {"GET", "/api/v1/codelists/{name}", "codelist", "", false, "One code list with Lao, English and other labels"},
      {"POST", "/api/v1/session", "sign_in", "", false,
       "Sign in with username, password and (when enrolled) a TOTP code; sets the session cookie"},
      {"GET", "/api/v1/session", "session", "", true, "Who am I: the user, the role's permissions, the CSRF token"},
      {"DELETE", "/api/v1/session", "sign_out", "", true, "Sign out: the session ends at once"},
      {"POST", "/api/v1/session/totp", "totp_begin", "", true,
       "Start enrolling a TOTP second factor; returns the secret once"},
      {"POST", "/api/v1/session/totp/confirm", "totp_confirm", "", true,
       "Confirm the TOTP enrolment with a current code"},
      {"PUT", "/api/v1/session/password", "password", "", true, "Change your own password"},
      {"GET", "/api/v1/users", "users_list", "", true, "Users (administrators)"},
      {"POST", "/api/v1/users", "user_create", "", true, "Create a user (administrators)"},
      {"PATCH", "/api/v1/users/{id}", "user_update", "", true,
       "Change a user: name, role, agency, disabled, password reset, TOTP reset (administrators)"},
      {"GET", "/api/v1/roles", "roles_list", "", true, "Roles with their permissions, scope and field groups"},
      {"PUT", "/api/v1/roles/{code}", "role_put", "", true, "Create or replace a custom role (administrators)"},
      {"POST", "/api/v1/cases/{id}/break-glass", "break_glass", "", true,
       "Break the glass: state a reason to reach a protected case for a limited time (audited)"},
      {"GET", "/api/v1/cases/{id}/access-grants", "access_grants", "", true,
       "Break-the-glass grants on a case, for its owning agency"},
      {"GET", "/api/v1/referrals/inbox", "inbox", "referrals", true,
       "Referrals addressed to my agency (?status=, ?overdue=true, ?limit=, ?cursor=); each says if it is overdue"},
      {"GET", "/api/v1/referrals/outbox", "outbox", "referrals", true, "Referrals my agency sent"},
      {"GET", "/api/v1/transfers/inbox", "inbox", "transfers", true, "Case transfers offered to my agency"},
      {"GET", "/api/v1/transfers/outbox", "outbox", "transfers", true, "Case transfers my agency offered"},
      {"GET", "/api/v1/tasks", "tasks", "", true,
       "My and my agency's open tasks, earliest due first (?assignee=me|agency, ?overdue=true, ?closed=true)"},
      {"POST", "/api/v1/tasks/{id}/transitions/{action}", "task_transition", "", true,
       "complete or cancel a task (body: {\"version\"})"},
      {"GET", "/api/v1/notifications", "notifications", "", true, "My notifications, newest first (?unread=true)"},
      {"POST", "/api/v1/notifications/{id}/read", "notification_read", "", true, "Mark a notification read"},
      {"GET", "/api/v1/reports/assistance", "report_assistance", "", true,
       "The assistance report (?location=LA-BK&from=&to=, period [from, to)): lead-agency and assisted-by views, "
       "resolved by the police, breakdowns, monthly trend"},
      {"GET", "/api/v1/reports/sdg-16-2-2", "report_sdg", "", true,
       "SDG 16.2.2: detected victims by sex x age group x form of exploitation (?location=&from=&to=)"},
      {"GET", "/api/v1/reports/flows", "report_flows", "", true,
       "Referrals by agency pair and state, repatriations by destination and state, investigations by state "
       "(?location=&from=&to=)"},
      // ---- issue 7: taskforces, plans of action, directives ----
      {"GET", "/api/v1/taskforces/{id}/plan", "taskforce_plan", "taskforces", true,
       "The plan of action: members, objectives with activities (effective_status: Late when past the end date "
       "and not done) and indicators (current_value typed or computed by a named query from the live "
       "statistics, progress towards the target), meetings and directives"},
      {"GET", "/api/v1/taskforces/{id}/plan.xlsx", "taskforce_plan_xlsx", "taskforces", true,
       "The plan of action as an XLSX workbook (sheets Objectives, Activities, Indicators, Meetings, Members)"},
      {"GET", "/api/v1/taskforces/{id}/plan/print", "taskforce_plan_print", "taskforces", true,
       "The plan of action as a printable HTML page (server-rendered, no script)"},
      {"POST", "/api/v1/taskforce-meetings/{id}/follow-ups/{index}/activity", "followup_activity", "taskforce-meetings",
       true,
       "Turn follow-up {index} of the meeting into a plan activity and link it back (body: {\"objective_id\", "
       "optional responsible_agency_id, act_StartDate, act_EndDate})"},
      {"GET", "/api/v1/directives/inbox", "directive_inbox", "directives", true,
       "Directives my agency received, with my agency's answer; each says if it is overdue"},
      {"GET", "/api/v1/directives/outbox", "directive_outbox", "directives", true,
       "Directives my agency issued, with every recipient's status; overdue per recipient and per directive"},
      {"GET", "/api/v1/dashboard/overdue", "dashboard_overdue", "", true,
       "Overdue plan activities of my agency's taskforces or in its charge, and overdue directives received and "
       "issued"},
      // ---- end issue 7 ----
      // issue 5 exports
      {"GET", "/api/v1/exports/ctdc-microdata", "export_ctdc", "", true,
       "CTDC-layout microdata of the assistance report's persons, k-anonymised (k = 11) "
       "(?location=&from=&to=&format=csv|xlsx)"},
      {"POST", "/api/v1/exports/htcds-cases", "export_htcds", "", true,
       "HTCDS case export (personal data): the cases you may list and their persons as HTCDS JSON and XLSX in a "
       "ZIP encrypted with AES-256 (body: {\"password\" (12+ characters), \"filters\": {case list filters}})"},
      // ==== person search and duplicate review (issue 8) ====
      {"GET", "/api/v1/persons/search", "person_search", "", true,
       "Find persons by name in any script or spelling (?q=, sex, birth_year, birth_year_tolerance, citizenship, "
       "limit): ranked candidates within your reach, each with a score and the reason"},
      {"GET", "/api/v1/person-duplicates", "duplicates_list", "", true,
       "The review queue of possible duplicate persons (?status=open|merged|not_same|settled, limit, cursor)"},
      {"POST", "/api/v1/person-duplicates/{id}/{action}", "duplicate_review", "", true,
       "Decide on a proposed pair (permission persons:merge): merge (body: {\"keep\": one of the pair's person "
       "ids, optional \"version\"}: moves the other's cases and shares to the kept person and marks the other "
       "merged; returns the merge), not_same, reopen (body: {\"version\"}). A pair listed on persons it was not "
       "proposed for (a side was merged) records merge and not_same on the pair of the persons shown, created "
       "if needed (returned by not_same, duplicate_id of the merge), and stays open; 409 superseded when the "
       "queue lists another pair for those persons"},
      {"GET", "/api/v1/person-merges", "merges_list", "", true,
       "Merges of persons you reach, oldest first (?person= kept or merged person id, limit, cursor)"},
      {"POST", "/api/v1/person-merges/{id}/undo", "merge_undo", "", true,
       "Undo a merge (permission persons:merge; body: {} or {\"version\"}): puts back exactly the references it "
       "moved, un-marks the merged person and reopens the pair"},
      // ==== end of issue 8 ====
  };
  for (const auto& r : domain::Resources()) {
    const std::string base = "/api/v1/" + r.name;
    routes.push_back({"GET", base, "list", r.name, true, ""});
    routes.push_back({"POST", base, "create", r.name, true, ""});
    routes.push_back({"GET", base + "/{id}", "read", r.name, true, ""});
    routes.push_back({"PATCH", base + "/{id}", "update", r.name, true, ""});
    routes.push_back({"DELETE", base + "/{id}", "delete", r.name, true, ""});
    routes.push_back({"GET", base + "/{id}/history", "history", r.name, true, ""});
    if (const auto* machine = domain::FindMachine(r.name); machine != nullptr) {
      std::string actions;
      for (const auto& t : machine->transitions) actions += (actions.empty() ? "" : ", ") + t.action;
      routes.push_back({"POST", base + "/{id}/transitions/{action}", "transition", r.name, true,
                        "Workflow step (body: {\"version\", ...}): " + actions});
    }
  }
  return routes;
}

class HttpServer::Impl {
 public:
  Impl(app::RecordService& service, app::AuthService& auth, app::Store& store, ServerOptions options)
      : service_(service), auth_(auth), store_(store), options_(std::move(options)), routes_(ApiRoutes()) {
    openapi_ = OpenApiDocument(routes_, service_.codelists(), CTIMS_VERSION).dump();
    json index = json::array();
    for (const auto& name : service_.codelists().Names()) {
      const auto* list = service_.codelists().Find(name);
      json items = json::array();
      for (const auto& item : list->items()) items.push_back({{"code", item.code}, {"labels", item.labels}});
      codelists_[name] = json{{"name", name}, {"source", list->source()}, {"items", std::move(items)}}.dump();
      index.push_back({{"name", name}, {"source", list->source()}, {"count", list->items().size()}});
    }
    codelist_index_ = json{{"items", std::move(index)}}.dump();
    if (!options_.web_root.empty()) {
      auto web = StaticFiles::Open(options_.web_root);
      if (web.ok()) {
        web_.emplace(std::move(*web));
      } else {
        web_status_ = web.status();
      }
    }
    Configure();
  }

  static std::unique_ptr<httplib::Server> MakeServer(const ServerOptions& options) {
    if (options.tls_cert_file.empty()) return std::make_unique<httplib::Server>();
    return std::make_unique<httplib::SSLServer>(options.tls_cert_file.c_str(), options.tls_key_file.c_str());
  }

  core::Status Bind() {
    if (!web_status_.ok()) return web_status_;
    if (!server_.is_valid()) {
      return core::Status::Unavailable("cannot use the TLS certificate or key (" + options_.tls_cert_file + ", " +
                                       options_.tls_key_file + ")");
    }
    // cpp-httplib's default socket options add SO_REUSEPORT, which lets a
    // second server bind the same port and silently split the traffic
    // between two databases; keep only SO_REUSEADDR and remember the socket.
    server_.set_socket_options([this](socket_t fd) {
      const int yes = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      listen_fd_ = fd;
    });
    if (options_.port == 0) {
      port_ = server_.bind_to_any_port(options_.host);
    } else {
      port_ = server_.bind_to_port(options_.host, options_.port) ? options_.port : -1;
    }
    if (port_ <= 0) {
      return core::Status::Unavailable("cannot listen on " + options_.host + ":" + std::to_string(options_.port));
    }
    // Debian's compiled cpp-httplib listens with a backlog of 5: 64 clients
    // connecting at once overflow it and wait for TCP retransmits (1-3 s).
    // Linux lets a second listen() raise the backlog of a listening socket.
    if (listen_fd_ >= 0) ::listen(listen_fd_, SOMAXCONN);
    return core::Status::Ok();
  }
  void Run() { server_.listen_after_bind(); }
  void Stop() { server_.stop(); }
  int port() const { return port_; }

 private:
  void Configure() {
    const std::size_t threads = options_.threads;
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server_.set_tcp_nodelay(true);
    server_.set_keep_alive_max_count(1000000);
    server_.set_keep_alive_timeout(10);
    server_.set_read_timeout(10);
    server_.set_write_timeout(10);
    // ReadBody() enforces max_body_bytes; cpp-httplib only stops bodies so
    // large that draining them is not worth it.
    server_.set_payload_max_length(options_.max_body_bytes * kDrainFactor);

    // Every body we accept is JSON. Checked before the body is read, so a
    // wrong type costs the server nothing.
    server_.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      if (req.method != "POST" && req.method != "PATCH" && req.method != "PUT") {
        return httplib::Server::HandlerResponse::Unhandled;
      }
      if (IsJsonMediaType(req.get_header_value("Content-Type"), req.method == "PATCH")) {
        return httplib::Server::HandlerResponse::Unhandled;
      }
      res.set_header("Connection", "close");
      SendError(res, 415, "unsupported_media_type", "send the body as application/json",
                {{"Content-Type", "media_type", "expected application/json"}});
      return httplib::Server::HandlerResponse::Handled;
    });
    const bool tls = !options_.tls_cert_file.empty();
    server_.set_post_routing_handler([tls](const httplib::Request&, httplib::Response& res) {
      if (tls) res.set_header("Strict-Transport-Security", "max-age=31536000");
      // The web app's files set their own caching and policy (ServeWeb).
      if (!res.has_header("Cache-Control")) res.set_header("Cache-Control", "no-store");
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_header("Referrer-Policy", "no-referrer");
      if (!res.has_header("Content-Security-Policy")) {
        res.set_header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
      }
    });
    // Responses httplib makes itself (413, unmatched routes) get our shape.
    httplib::Server::HandlerWithResponse on_error = [this](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      if (res.status == 413) {
        SendError(res, 413, "payload_too_large",
                  "the body is larger than " + std::to_string(options_.max_body_bytes) + " bytes",
                  {{"", "max_bytes", std::to_string(options_.max_body_bytes)}});
      } else if (res.status == 404) {
        RouteNotFound(req, res);
      } else {
        SendError(res, res.status, "http_error", "the request could not be served");
      }
      return httplib::Server::HandlerResponse::Handled;
    };
    server_.set_error_handler(std::move(on_error));
    server_.set_exception_handler([](const httplib::Request&, httplib::Response& res, const std::exception_ptr& ep) {
      std::string what = "unknown exception";
      try {
        if (ep) std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      core::Log(core::LogLevel::kError, "unhandled exception in a handler: " + what);
      SendError(res, 500, "internal", "internal error; the event was logged");
    });
    if (options_.access_log) {
      server_.set_logger([](const httplib::Request& req, const httplib::Response& res) {
        core::Log(core::LogLevel::kInfo, req.method + " " + req.path + " " + std::to_string(res.status));
      });
    }

    for (const auto& route : routes_) handlers_.push_back(MakeHandler(route));
    // One handler per method; Dispatch() finds the route. Bodies are read
    // only by the routes that take one (ReadBody), so a request that ends
    // in an error before its body was read closes its connection.
    for (const char* method : {"GET", "DELETE", "OPTIONS"}) {
      httplib::Server::Handler h = [this](const httplib::Request& req, httplib::Response& res) {
        Dispatch(req, res, nullptr);
      };
      if (std::string_view(method) == "GET") {
        server_.Get(".*", std::move(h));
      } else if (std::string_view(method) == "DELETE") {
        server_.Delete(".*", std::move(h));
      } else {
        server_.Options(".*", std::move(h));
      }
    }
    for (const char* method : {"POST", "PATCH", "PUT"}) {
      httplib::Server::HandlerWithContentReader h = [this](const httplib::Request& req, httplib::Response& res,
                                                           const httplib::ContentReader& reader) {
        Dispatch(req, res, &reader);
      };
      if (std::string_view(method) == "POST") {
        server_.Post(".*", std::move(h));
      } else if (std::string_view(method) == "PATCH") {
        server_.Patch(".*", std::move(h));
      } else {
        server_.Put(".*", std::move(h));
      }
    }
  }

  // What one route does: the request, the route's "{...}" values, and the
  // body reader (null for methods without a body).
  using RouteHandler = std::function<void(const httplib::Request&, httplib::Response&, const std::vector<std::string>&,
                                          const httplib::ContentReader*, const app::Principal*)>;

  void Dispatch(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader* reader) {
    if (web_ && req.method == "GET" && req.path.rfind("/api/", 0) != 0) return ServeWeb(req, res);
    std::vector<std::string> params;
    const int index = router_.Find(req.method, req.path, params);
    if (index < 0) {
      RouteNotFound(req, res);
      if (reader != nullptr) res.set_header("Connection", "close");  // its body was never read
      return;
    }
    const Route& route = routes_[static_cast<std::size_t>(index)];
    if (!route.authenticated) {
      handlers_[static_cast<std::size_t>(index)](req, res, params, reader, nullptr);
      return;
    }
    const std::string client = ClientAddress(req, options_.trusted_proxies);
    auto principal = auth_.Authenticate(CookieValue(req, kSessionCookie), client);
    if (!principal.ok()) {
      if (reader != nullptr) res.set_header("Connection", "close");  // its body was never read
      if (principal.status().code() == core::StatusCode::kUnauthenticated) {
        return SendError(res, 401, "unauthenticated", "sign in first (POST /api/v1/session)");
      }
      return Fail(res, principal.status());
    }
    principal->client_ip = client;
    if (IsStateChanging(req.method) && !app::AuthService::CheckCsrf(*principal, req.get_header_value(kCsrfHeader))) {
      if (reader != nullptr) res.set_header("Connection", "close");
      Audit(&*principal, "denied", route.resource.empty() ? "request" : route.resource, "", "csrf");
      return SendError(res, 403, "csrf", std::string("send the session's CSRF token in ") + kCsrfHeader,
                       {{kCsrfHeader, "csrf", "missing or wrong"}});
    }
    handlers_[static_cast<std::size_t>(index)](req, res, params, reader, &*principal);
  }

  // The web application (--web-root): files, or index.html for app routes.
  void ServeWeb(const httplib::Request& req, httplib::Response& res) const {
    StaticAnswer answer = web_->Get(req.path);
    res.status = answer.status;
    res.set_header("Cache-Control", answer.cache_control);
    res.set_header("Content-Security-Policy", kWebContentSecurityPolicy);
    res.set_header("Cross-Origin-Opener-Policy", "same-origin");
    res.set_header("Content-Type", answer.content_type);
    res.body = std::move(answer.body);
  }

  void RouteNotFound(const httplib::Request& req, httplib::Response& res) {
    const std::set<std::string> allowed = router_.MethodsFor(req.path);
    if (allowed.empty()) {
      SendError(res, 404, "route_not_found", "no such endpoint; see /api/v1/openapi.json");
      return;
    }
    std::string allow;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    res.set_header("Allow", allow);
    SendError(res, 405, "method_not_allowed", "use one of: " + allow);
  }

  RouteHandler MakeHandler(const Route& route) {
    const domain::ResourceSpec* spec = route.resource.empty() ? nullptr : domain::FindResource(route.resource);
    const std::string& op = route.operation;
    using Params = std::vector<std::string>;
    using Reader = const httplib::ContentReader*;
    using Who = const app::Principal*;
    if (op == "health") {
      return [this](const httplib::Request&, httplib::Response& res, const Params&, Reader, Who) { Health(res); };
    }
    if (op == "openapi") {
      return [this](const httplib::Request&, httplib::Response& res, const Params&, Reader, Who) {
        SendJson(res, 200, openapi_);
      };
    }
    if (op == "codelists") {
      return [this](const httplib::Request&, httplib::Response& res, const Params&, Reader, Who) {
        SendJson(res, 200, codelist_index_);
      };
    }
    if (op == "codelist") {
      return [this](const httplib::Request&, httplib::Response& res, const Params& p, Reader, Who) {
        auto it = codelists_.find(p[0]);
        if (it == codelists_.end()) return SendError(res, 404, "not_found", "no code list with this name");
        SendJson(res, 200, it->second);
      };
    }
    if (op == "list") {
      return [this, spec](const httplib::Request& req, httplib::Response& res, const Params&, Reader, Who who) {
        List(*spec, req, res, *who);
      };
    }
    if (op == "create" || op == "update") {
      const bool create = op == "create";
      return [this, spec, create](const httplib::Request& req, httplib::Response& res, const Params& p, Reader reader,
                                  Who who) {
        std::string body;
        if (reader == nullptr || !ReadBody(*reader, options_.max_body_bytes, res, body)) return;
        if (create) {
          Create(*spec, body, res, *who);
        } else {
          Update(*spec, req, p[0], body, res, *who);
        }
      };
    }
    if (op == "read") {
      return [this, spec](const httplib::Request&, httplib::Response& res, const Params& p, Reader, Who who) {
        auto r = service_.GetText(*spec, p[0], *who);
        if (!r.ok()) return Fail(res, r.status());
        res.set_header("ETag", "\"" + std::to_string(r->version) + "\"");
        SendJson(res, 200, r->json);
      };
    }
    if (op == "delete") {
      return [this, spec](const httplib::Request& req, httplib::Response& res, const Params& p, Reader, Who who) {
        std::optional<std::int64_t> version;
        if (!ExpectedVersion(req, res, version)) return;
        auto s = service_.Delete(*spec, p[0], version, *who);
        if (!s.ok()) return Fail(res, s);
        res.status = 204;
      };
    }
    if (op == "history") {
      return [this, spec](const httplib::Request&, httplib::Response& res, const Params& p, Reader, Who who) {
        auto r = service_.History(*spec, p[0], *who);
        if (!r.ok()) return Fail(res, r.status());
        SendJson(res, 200, r->dump());
      };
    }
    if (RouteHandler h = MakeWorkflowHandler(route, spec); h) return h;
    if (RouteHandler h = MakeReportHandler(route); h) return h;
    if (RouteHandler h = MakeTaskforceHandler(route); h) return h;  // issue 7
    if (RouteHandler h = MakePersonSearchHandler(route); h) return h;
    if (RouteHandler h = MakeAuthHandler(route); h) return AuditedAuthHandler(route, std::move(h));
    core::Log(core::LogLevel::kError, "route without a handler: " + route.method + " " + route.path);
    std::abort();
  }

  void Fail(httplib::Response& res, const core::Status& status) {
    if (status.code() == core::StatusCode::kInternal || status.code() == core::StatusCode::kUnavailable) {
      core::Log(core::LogLevel::kError, status.ToString());
    }
    SendError(res, status);
  }

  void Health(httplib::Response& res) {
    auto version = store_.SchemaVersion();
    const bool ok = version.ok() && *version == store_.LatestSchemaVersion();
    json body = {{"status", ok ? "ok" : "degraded"},
                 {"version", CTIMS_VERSION},
                 {"storage", store_.BackendName()},
                 {"schema_version", version.ok() ? *version : -1},
                 {"schema_version_expected", store_.LatestSchemaVersion()}};
    SendJson(res, ok ? 200 : 503, body.dump());
  }

  // Reads and parses a JSON body for the identity routes; false when it
  // answered the client itself.
  bool JsonBody(const httplib::ContentReader* reader, httplib::Response& res, json& out) {
    std::string raw;
    if (reader == nullptr || !ReadBody(*reader, options_.max_body_bytes, res, raw)) return false;
    return ParseBody(raw, res, out);
  }

  std::string CookieAttributes() const {
    return std::string("; Path=/api; HttpOnly; SameSite=Strict") + (options_.secure_cookies ? "; Secure" : "");
  }

  // Records a security event (no-op without an audit log). Failures to audit
  // are logged: the response has already been decided by then.
  void Audit(const app::Principal* who, std::string_view action, const std::string& resource, const std::string& id,
             std::string_view outcome) {
    if (options_.audit == nullptr) return;
    app::AuditEvent e;
    if (who != nullptr) {
      e.user_id = who->user_id;
      e.role = who->role.code;
      e.agency_id = who->agency_id;
      e.client_ip = who->client_ip;
    }
    e.action = std::string(action);
    e.resource = resource;
    if (!id.empty()) e.record_ids.push_back(id);
    e.outcome = std::string(outcome);
    if (auto s = options_.audit->Record(e); !s.ok()) core::Log(core::LogLevel::kError, "audit: " + s.ToString());
  }

  static const char* OutcomeOfStatus(int status) {
    if (status < 300) return "ok";
    switch (status) {
      case 400: return "invalid";
      case 401: return "unauthenticated";
      case 403: return "denied";
      case 404: return "not_found";
      case 409: return "conflict";
      default: return "error";
    }
  }

  // Account, role and session changes and reads of accounts are audited
  // with their outcome. (Sign-in audits itself with the real outcome; break
  // the glass and grants are audited by the record service.)
  RouteHandler AuditedAuthHandler(const Route& route, RouteHandler handler) {
    static const std::map<std::string, std::pair<const char*, const char*>, std::less<>> kEvents = {
        {"sign_out", {"sign_out", "session"}},
        {"totp_begin", {"totp_enrol", "session"}},
        {"totp_confirm", {"totp_confirm", "session"}},
        {"password", {"password_change", "session"}},
        {"users_list", {"list", "users"}},
        {"user_create", {"user_change", "users"}},
        {"user_update", {"user_change", "users"}},
        {"role_put", {"role_change", "roles"}},
    };
    auto it = kEvents.find(route.operation);
    if (it == kEvents.end()) return handler;
    const std::string action = it->second.first;
    const std::string resource = it->second.second;
    const bool has_id = route.path.find("{id}") != std::string::npos;
    return [this, handler = std::move(handler), action, resource, has_id](
               const httplib::Request& req, httplib::Response& res, const std::vector<std::string>& p,
               const httplib::ContentReader* reader, const app::Principal* who) {
      handler(req, res, p, reader, who);
      std::string id = has_id && !p.empty() && core::IsCanonicalId(p[0]) ? p[0] : "";
      if (action == "user_change" && id.empty() && res.status == 201) {
        id = json::parse(res.body, nullptr, false).value("id", std::string());
      }
      Audit(who, action, resource, id, OutcomeOfStatus(res.status));
    };
  }

  // Sessions, users, roles and break-the-glass (issue 3).
  RouteHandler MakeAuthHandler(const Route& route) {
    using Params = std::vector<std::string>;
    using Reader = const httplib::ContentReader*;
    using Who = const app::Principal*;
    using Req = const httplib::Request&;
    using Res = httplib::Response&;
    const std::string& op = route.operation;
    if (op == "sign_in") {
      return [this](Req req, Res res, const Params&, Reader reader, Who) {
        json body;
        if (!JsonBody(reader, res, body)) return;
        auto request = ParseSignIn(body);
        if (!request.ok()) return Fail(res, request.status());
        request->client_ip = ClientAddress(req, options_.trusted_proxies);
        app::SignInAudit audit;
        auto result = auth_.SignIn(*request, &audit);
        if (options_.audit != nullptr) {
          app::AuditEvent e;
          e.user_id = audit.user_id;  // empty for an unknown username (which is never logged)
          e.role = audit.role_code;
          e.agency_id = audit.agency_id;
          e.client_ip = request->client_ip;
          e.action = "sign_in";
          e.resource = "session";
          e.outcome = app::SignInOutcomeName(audit.outcome);
          if (auto s = options_.audit->Record(e); !s.ok()) {
            // An unaudited sign-in must not succeed.
            if (result.ok()) (void)auth_.SignOut(result->token);
            return Fail(res, s);
          }
        }
        if (!result.ok()) return Fail(res, result.status());
        res.set_header("Set-Cookie", std::string(kSessionCookie) + "=" + result->token + CookieAttributes());
        json out = {{"user", UserJson(result->user)},
                    {"role", RoleJson(result->role)},
                    {"csrf_token", result->csrf_token},
                    {"second_factor_required", result->second_factor_required},
                    {"totp_enrolment_required", result->totp_enrolment_required}};
        SendJson(res, 201, out.dump());
      };
    }
    if (op == "session") {
      return [](Req, Res res, const Params&, Reader, Who who) { SendJson(res, 200, SessionJson(*who).dump()); };
    }
    if (op == "sign_out") {
      return [this](Req req, Res res, const Params&, Reader, Who) {
        if (auto s = auth_.SignOut(CookieValue(req, kSessionCookie)); !s.ok()) return Fail(res, s);
        res.set_header("Set-Cookie", std::string(kSessionCookie) + "=; Max-Age=0" + CookieAttributes());
        res.status = 204;
      };
    }
    if (op == "totp_begin") {
      return [this](Req, Res res, const Params&, Reader reader, Who who) {
        json body;
        if (!JsonBody(reader, res, body)) return;
        if (!body.is_object() || !body.empty()) {
          return SendError(res, 400, "invalid_argument", "send an empty object", {{"", "type", "{}"}});
        }
        auto r = auth_.BeginTotpEnrolment(*who);
        if (!r.ok()) return Fail(res, r.status());
        SendJson(res, 201, json{{"otpauth_uri", r->otpauth_uri}, {"secret", r->secret_base32}}.dump());
      };
    }
    if (op == "totp_confirm") {
      return [this](Req, Res res, const Params&, Reader reader, Who who) {
        json body;
        if (!JsonBody(reader, res, body)) return;
        auto code = ParseSingleString(body, "code");
        if (!code.ok()) return Fail(res, code.status());
        if (auto s = auth_.ConfirmTotpEnrolment(*who, *code); !s.ok()) return Fail(res, s);
        res.status = 204;
      };
    }
    if (op == "password") {
      return [this](Req, Res res, const Params&, Reader reader, Who who) {
        json body;
        if (!JsonBody(reader, res, body)) return;
        auto change = ParsePasswordChange(body);
        if (!change.ok()) return Fail(res, change.status());
        if (auto s = auth_.ChangeOwnPassword(*who, change->current, change->next); !s.ok()) return Fail(res, s);
        res.status = 204;
      };
    }
    if (op == "users_list") {
      return [this](Req, Res res, const Params&, Reader, Who who) {
        auto users = auth_.ListUsersAs(*who);
        if (!users.ok()) return Fail(res, users.status());
        json items = json::array();
        for (const auto& u : *users) items.push_back(UserJson(u));
        SendJson(res, 200, json{{"items", std::move(items)}}.dump());
      };
    }
    if (op == "user_create") {
      return [this](Req, Res res, const Params&, Reader reader, Who who) {
        json body;
        if (!JsonBody(reader, res, body)) return;
        auto user = ParseNewUser(body);
        if (!user.ok()) return Fail(res, user.status());
        auto created = auth_.CreateUserAs(*who, *user);
        if (!created.ok()) return Fail(res, created.status());
        res.set_header("Location", "/api/v1/users/" + created->id);
        SendJson(res, 201, UserJson(*created).dump());
      };
    }
    if (op == "user_update") {
      return [this](Req req, Res res, const Params& p, Reader reader, Who who) {
        json body;
        if (!JsonBody(reader, res, body)) return;
        auto changes = ParseUserChanges(body);
        if (!changes.ok()) return Fail(res, changes.status());
        std::optional<std::int64_t> version;
        if (!ExpectedVersion(req, res, version)) return;
        if (version && !changes->expected_version) changes->expected_version = version;
        auto updated = auth_.UpdateUser(*who, p[0], *changes);
        if (!updated.ok()) return Fail(res, updated.status());
        SendJson(res, 200, UserJson(*updated).dump());
      };
    }
    if (op == "roles_list") {
      return [this](Req, Res res, const Params&, Reader, Who who) {
        if (auto s = app::RequireFullSession(*who); !s.ok()) return Fail(res, s);
        auto roles = auth_.ListRoles();
        if (!roles.ok()) return Fail(res, roles.status());
        json items = json::array();
        for (const auto& r : *roles) items.push_back(RoleJson(r));
        SendJson(res, 200, json{{"items", std::move(items)}}.dump());
      };
    }
    if (op == "role_put") {
      return [this](Req, Res res, const Params& p, Reader reader, Who who) {
        json body;
        if (!JsonBody(reader, res, body)) return;
        if (!body.is_object() || body.value("code", std::string()) != p[0]) {
          return SendError(res, 400, "invalid_argument", "the body's code must be the one in the path",
                           {{"code", "mismatch", "same as the path"}});
        }
        auto role = auth_.PutRole(*who, body.dump());
        if (!role.ok()) return Fail(res, role.status());
        SendJson(res, 200, RoleJson(*role).dump());
      };
    }
    if (op == "break_glass") {
      return [this](Req, Res res, const Params& p, Reader reader, Who who) {
        json body;
        if (!JsonBody(reader, res, body)) return;
        auto reason = ParseSingleString(body, "reason");
        if (!reason.ok()) return Fail(res, reason.status());
        auto grant = service_.BreakGlass(p[0], *reason, *who);
        if (!grant.ok()) return Fail(res, grant.status());
        SendJson(res, 201, grant->dump());
      };
    }
    if (op == "access_grants") {
      return [this](Req, Res res, const Params& p, Reader, Who who) {
        auto grants = service_.Grants(p[0], *who);
        if (!grants.ok()) return Fail(res, grants.status());
        SendJson(res, 200, grants->dump());
      };
    }
    return nullptr;
  }

  // Statistics (issue 5): aggregates only, authorised and audited by the
  // report service.
  RouteHandler MakeReportHandler(const Route& route) {
    const std::string op = route.operation;
    if (op == "export_htcds") {
      return [this](const httplib::Request&, httplib::Response& res, const std::vector<std::string>&,
                    const httplib::ContentReader* reader, const app::Principal* who) {
        if (options_.exports == nullptr) return SendError(res, 404, "not_found", "exports are not enabled");
        json body;
        if (!JsonBody(reader, res, body)) return;
        app::HtcdsExportRequest request;
        std::vector<core::FieldError> errors;
        if (!body.is_object()) {
          errors.push_back({"", "type", "a JSON object"});
        } else {
          for (auto it = body.begin(); it != body.end(); ++it) {
            if (it.key() == "password") {
              if (it->is_string()) {
                request.password = it->get<std::string>();
              } else {
                errors.push_back({"password", "type", "a string"});
              }
            } else if (it.key() == "filters") {
              if (!it->is_object()) {
                errors.push_back({"filters", "type", "an object of case list filters"});
                continue;
              }
              for (auto f = it->begin(); f != it->end(); ++f) {
                if (f->is_string()) {
                  request.filters.emplace_back(f.key(), f->get<std::string>());
                } else {
                  errors.push_back({"filters/" + f.key(), "type", "a string"});
                }
              }
            } else {
              errors.push_back({it.key(), "unknown_field", "only password and filters"});
            }
          }
        }
        if (!errors.empty()) return SendError(res, 400, "invalid_argument", "bad export request", errors);
        auto file = options_.exports->Htcds(request, *who);
        if (!file.ok()) return Fail(res, file.status());
        res.status = 200;
        res.set_header("Content-Disposition", "attachment; filename=\"" + file->filename + "\"");
        res.set_header("Cache-Control", "no-store");
        res.set_content(file->body, file->content_type);
      };
    }
    if (op != "report_assistance" && op != "report_sdg" && op != "report_flows" && op != "export_ctdc") {
      return nullptr;
    }
    return [this, op](const httplib::Request& req, httplib::Response& res, const std::vector<std::string>&,
                      const httplib::ContentReader*, const app::Principal* who) {
      if (options_.reports == nullptr) return SendError(res, 404, "not_found", "reports are not enabled");
      app::ReportRequest request;
      // issue 5 exports: ?format=csv|xlsx|hxl|dhis2|adx (json: the report
      // itself) and ?table= are the export's, the rest the report's.
      app::ExportOptions export_options;
      std::vector<core::FieldError> export_errors;
      for (const auto& [key, value] : req.params) {
        if (key == "format" || key == "table") {
          std::string& slot = key == "format" ? export_options.format : export_options.table;
          if (!slot.empty()) export_errors.push_back({key, "duplicate", "give " + key + " once"});
          slot = value;
        } else {
          request.params.emplace_back(key, value);
        }
      }
      if (!export_errors.empty())
        return SendError(res, 400, "invalid_argument", "bad export parameters", export_errors);
      if (op == "export_ctdc" && export_options.format.empty()) export_options.format = "csv";
      if (op == "export_ctdc" && export_options.format == "json") export_options.format = "invalid";
      if (export_options.format == "json" && !export_options.table.empty()) {
        return SendError(res, 400, "invalid_argument", "bad export parameters",
                         {{"table", "one_of", "table goes with format=csv or hxl"}});
      }
      if (!export_options.format.empty() && export_options.format != "json") {
        if (options_.exports == nullptr) return SendError(res, 404, "not_found", "exports are not enabled");
        const std::string name = op == "report_assistance" ? "assistance"
                                 : op == "report_sdg"      ? "sdg-16-2-2"
                                 : op == "export_ctdc"     ? "ctdc-microdata"
                                                           : "flows";
        auto file = options_.exports->Report(name, request, export_options, *who);
        if (!file.ok()) return Fail(res, file.status());
        res.status = 200;
        res.set_header("Content-Disposition", "attachment; filename=\"" + file->filename + "\"");
        res.set_header("Cache-Control", "no-store");
        for (const auto& [note, cells] : file->notes) {
          std::string joined;
          for (const auto& c : cells) joined += (joined.empty() ? "" : ",") + c;
          res.set_header("X-Ctims-" + note + "-Count", std::to_string(cells.size()));
          if (!joined.empty()) res.set_header("X-Ctims-" + note, joined);
        }
        res.set_content(file->body, file->content_type);
        return;
      }
      // issue 5 exports end
      auto r = op == "report_assistance" ? options_.reports->Assistance(request, *who)
               : op == "report_sdg"      ? options_.reports->Sdg(request, *who)
                                         : options_.reports->Flows(request, *who);
      if (!r.ok()) return Fail(res, r.status());
      SendJson(res, 200, r->dump());
    };
  }

  // ---- issue 7: taskforces, plans of action, directives ----
  RouteHandler MakeTaskforceHandler(const Route& route) {
    const std::string op = route.operation;
    using Params = std::vector<std::string>;
    using Reader = const httplib::ContentReader*;
    using Who = const app::Principal*;
    if (op != "taskforce_plan" && op != "taskforce_plan_xlsx" && op != "taskforce_plan_print" &&
        op != "followup_activity" && op != "directive_inbox" && op != "directive_outbox" && op != "dashboard_overdue") {
      return nullptr;
    }
    return [this, op](const httplib::Request& req, httplib::Response& res, const Params& p, Reader reader, Who who) {
      if (options_.taskforce == nullptr) return SendError(res, 404, "not_found", "taskforces are not enabled");
      if (op != "followup_activity" && !req.params.empty()) {
        return SendError(res, 400, "invalid_argument", "this endpoint takes no query parameters",
                         {{req.params.begin()->first, "unknown_parameter", "not accepted here"}});
      }
      if (op == "followup_activity") {
        json body;
        if (!JsonBody(reader, res, body)) return;
        auto r = options_.taskforce->FollowUpToActivity(p[0], p[1], body, *who);
        if (!r.ok()) return Fail(res, r.status());
        return SendJson(res, 201, r->dump());
      }
      if (op == "directive_inbox" || op == "directive_outbox") {
        auto r = options_.taskforce->Directives(op == "directive_outbox", *who);
        if (!r.ok()) return Fail(res, r.status());
        return SendJson(res, 200, r->dump());
      }
      if (op == "dashboard_overdue") {
        auto r = options_.taskforce->Overdue(*who);
        if (!r.ok()) return Fail(res, r.status());
        return SendJson(res, 200, r->dump());
      }
      auto plan = options_.taskforce->Plan(p[0], *who);
      if (!plan.ok()) return Fail(res, plan.status());
      if (op == "taskforce_plan") return SendJson(res, 200, plan->dump());
      if (op == "taskforce_plan_xlsx") {
        if (!options_.plan_xlsx) return SendError(res, 404, "not_found", "exports are not enabled");
        auto bytes = options_.plan_xlsx(*plan);
        if (!bytes.ok()) return Fail(res, bytes.status());
        Audit(who, "export", "taskforces", p[0], "ok");
        res.status = 200;
        res.set_header("Content-Disposition", "attachment; filename=\"plan-of-action.xlsx\"");
        res.set_content(*bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        return;
      }
      if (!options_.plan_html) return SendError(res, 404, "not_found", "exports are not enabled");
      Audit(who, "export", "taskforces", p[0], "ok");
      res.status = 200;
      // A document of its own: inline styles only, no script, no other origin.
      res.set_header("Content-Security-Policy",
                     "default-src 'none'; style-src 'unsafe-inline'; font-src 'self'; frame-ancestors 'none'");
      res.set_content(options_.plan_html(*plan), "text/html; charset=utf-8");
    };
  }
  // ---- end issue 7 ----

  // ==== person search and duplicate review (issue 8) ====
  RouteHandler MakePersonSearchHandler(const Route& route) {
    const std::string op = route.operation;
    using Params = std::vector<std::string>;
    using Reader = const httplib::ContentReader*;
    using Who = const app::Principal*;
    if (op == "person_search" || op == "duplicates_list") {
      const bool search = op == "person_search";
      return [this, search](const httplib::Request& req, httplib::Response& res, const Params&, Reader, Who who) {
        std::vector<std::pair<std::string, std::string>> params(req.params.begin(), req.params.end());
        auto r = search ? service_.SearchPersons(params, *who) : service_.DuplicateQueue(params, *who);
        if (!r.ok()) return Fail(res, r.status());
        SendJson(res, 200, r->dump());
      };
    }
    if (op == "duplicate_review") {
      return [this](const httplib::Request&, httplib::Response& res, const Params& p, Reader reader, Who who) {
        json body;
        if (!JsonBody(reader, res, body)) return;
        auto r = service_.ReviewDuplicate(p[0], p[1], body, *who);
        if (!r.ok()) return Fail(res, r.status());
        SendJson(res, 200, r->dump());
      };
    }
    if (op == "merges_list") {
      return [this](const httplib::Request& req, httplib::Response& res, const Params&, Reader, Who who) {
        std::vector<std::pair<std::string, std::string>> params(req.params.begin(), req.params.end());
        auto r = service_.ListMerges(params, *who);
        if (!r.ok()) return Fail(res, r.status());
        SendJson(res, 200, r->dump());
      };
    }
    if (op == "merge_undo") {
      return [this](const httplib::Request&, httplib::Response& res, const Params& p, Reader reader, Who who) {
        json body;
        if (!JsonBody(reader, res, body)) return;
        auto r = service_.UndoMerge(p[0], body, *who);
        if (!r.ok()) return Fail(res, r.status());
        SendJson(res, 200, r->dump());
      };
    }
    return nullptr;
  }
  // ==== end of issue 8 ====

  // The referral mechanism's routes (issue 4).
  RouteHandler MakeWorkflowHandler(const Route& route, const domain::ResourceSpec* spec) {
    const std::string& op = route.operation;
    using Params = std::vector<std::string>;
    using Reader = const httplib::ContentReader*;
    using Who = const app::Principal*;
    if (op == "transition") {
      return [this, spec](const httplib::Request&, httplib::Response& res, const Params& p, Reader reader, Who who) {
        json body;
        if (!JsonBody(reader, res, body)) return;
        auto r = service_.Transition(*spec, p[0], p[1], body, *who);
        if (!r.ok()) return Fail(res, r.status());
        SetEtag(res, *r);
        SendJson(res, 200, r->dump());
      };
    }
    if (op == "inbox" || op == "outbox") {
      const bool outbox = op == "outbox";
      return [this, spec, outbox](const httplib::Request& req, httplib::Response& res, const Params&, Reader, Who who) {
        app::InboxRequest ir;
        ir.outbox = outbox;
        std::vector<core::FieldError> errors;
        for (const auto& [key, value] : req.params) {
          if (key == "status") {
            ir.status = value;
          } else if (key == "overdue") {
            if (value != "true" && value != "false") errors.push_back({key, "boolean", "true or false"});
            ir.overdue_only = value == "true";
          } else if (key == "limit") {
            ir.limit = value;
          } else if (key == "cursor") {
            ir.cursor = value;
          } else {
            errors.push_back({key, "unknown_filter", "the inbox takes status, overdue, limit and cursor"});
          }
        }
        if (!errors.empty()) return SendError(res, 400, "invalid_argument", "bad query parameters", errors);
        auto r = service_.Inbox(*spec, ir, *who);
        if (!r.ok()) return Fail(res, r.status());
        SendJson(res, 200, r->dump());
      };
    }
    if (op == "tasks") {
      return [this](const httplib::Request& req, httplib::Response& res, const Params&, Reader, Who who) {
        app::TaskRequest tr;
        std::vector<core::FieldError> errors;
        for (const auto& [key, value] : req.params) {
          if (key == "assignee") {
            tr.assignee = value;
          } else if (key == "overdue" || key == "closed") {
            if (value != "true" && value != "false") errors.push_back({key, "boolean", "true or false"});
            (key == "overdue" ? tr.overdue_only : tr.include_closed) = value == "true";
          } else {
            errors.push_back({key, "unknown_filter", "tasks take assignee, overdue and closed"});
          }
        }
        if (!errors.empty()) return SendError(res, 400, "invalid_argument", "bad query parameters", errors);
        auto r = service_.Tasks(tr, *who);
        if (!r.ok()) return Fail(res, r.status());
        SendJson(res, 200, r->dump());
      };
    }
    if (op == "task_transition") {
      return [this](const httplib::Request&, httplib::Response& res, const Params& p, Reader reader, Who who) {
        json body;
        if (!JsonBody(reader, res, body)) return;
        auto r = service_.TaskTransition(p[0], p[1], body, *who);
        if (!r.ok()) return Fail(res, r.status());
        SendJson(res, 200, r->dump());
      };
    }
    if (op == "notifications") {
      return [this](const httplib::Request& req, httplib::Response& res, const Params&, Reader, Who who) {
        bool unread = false;
        for (const auto& [key, value] : req.params) {
          if (key != "unread" || (value != "true" && value != "false")) {
            return SendError(res, 400, "invalid_argument", "bad query parameters",
                             {{key, "unknown_filter", "notifications take unread=true|false"}});
          }
          unread = value == "true";
        }
        auto r = service_.Notifications(unread, *who);
        if (!r.ok()) return Fail(res, r.status());
        SendJson(res, 200, r->dump());
      };
    }
    if (op == "notification_read") {
      return [this](const httplib::Request&, httplib::Response& res, const Params& p, Reader, Who who) {
        auto s = service_.MarkNotificationRead(p[0], *who);
        if (!s.ok()) return Fail(res, s);
        res.status = 204;
      };
    }
    return nullptr;
  }

  void List(const domain::ResourceSpec& spec, const httplib::Request& req, httplib::Response& res,
            const app::Principal& who) {
    app::ListRequest lr;
    std::set<std::string> seen;
    for (const auto& [key, value] : req.params) {
      if (!seen.insert(key).second) {
        return SendError(res, 400, "invalid_argument", "a query parameter is repeated", {{key, "duplicate", ""}});
      }
      if (key == "limit") {
        lr.limit = value;
      } else if (key == "cursor") {
        lr.cursor = value;
      } else {
        lr.filters.emplace_back(key, value);
      }
    }
    auto r = service_.List(spec, lr, who);
    if (!r.ok()) return Fail(res, r.status());
    SendJson(res, 200, r->dump());
  }

  void Create(const domain::ResourceSpec& spec, const std::string& raw, httplib::Response& res,
              const app::Principal& who) {
    json body;
    if (!ParseBody(raw, res, body)) return;
    auto r = service_.Create(spec, body, who);
    if (!r.ok()) return Fail(res, r.status());
    res.set_header("Location", "/api/v1/" + spec.name + "/" + (*r)["id"].get<std::string>());
    SetEtag(res, *r);
    SendJson(res, 201, r->dump());
  }

  void Update(const domain::ResourceSpec& spec, const httplib::Request& req, const std::string& id,
              const std::string& raw, httplib::Response& res, const app::Principal& who) {
    json body;
    if (!ParseBody(raw, res, body)) return;
    std::optional<std::int64_t> version;
    if (!ExpectedVersion(req, res, version)) return;
    auto r = service_.Update(spec, id, body, version, who);
    if (!r.ok()) return Fail(res, r.status());
    SetEtag(res, *r);
    SendJson(res, 200, r->dump());
  }

  app::RecordService& service_;
  app::AuthService& auth_;
  app::Store& store_;
  ServerOptions options_;
  std::optional<StaticFiles> web_;  // --web-root
  core::Status web_status_;
  std::vector<Route> routes_;
  Router router_{routes_};
  std::vector<RouteHandler> handlers_;  // parallel to routes_
  std::string openapi_;
  std::string codelist_index_;
  std::map<std::string, std::string, std::less<>> codelists_;
  // An SSLServer when TLS is configured (cpp-httplib over OpenSSL).
  std::unique_ptr<httplib::Server> owned_server_ = MakeServer(options_);
  httplib::Server& server_ = *owned_server_;
  int port_ = -1;
  socket_t listen_fd_ = -1;
};

HttpServer::HttpServer(app::RecordService& service, app::AuthService& auth, app::Store& store, ServerOptions options)
    : impl_(std::make_unique<Impl>(service, auth, store, std::move(options))) {}
HttpServer::~HttpServer() = default;
core::Status HttpServer::Bind() {
  return impl_->Bind();
}
void HttpServer::Run() {
  impl_->Run();
}
void HttpServer::Stop() {
  impl_->Stop();
}
int HttpServer::port() const {
  return impl_->port();
}

}  // namespace ctims::http
