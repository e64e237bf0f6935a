#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/audit_log.hpp"
#include "app/auth_service.hpp"
#include "app/export_service.hpp"
#include "app/record_service.hpp"
#include "app/record_store.hpp"
#include "app/report_service.hpp"
#include "app/taskforce_service.hpp"
#include "core/status.hpp"
#include "domain/codelists.hpp"

namespace ctims::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                       // 0: any free port (tests)
  std::size_t max_body_bytes = 1 << 20;  // larger bodies get 413
  std::size_t threads = 128;             // one per open keep-alive connection
  bool access_log = false;               // one line per request (no query strings)
  // The session cookie gets the Secure attribute (set when TLS is on, by the
  // server itself or by a terminating proxy in front of it).
  bool secure_cookies = false;
  // TLS: PEM certificate chain and private key files. Both empty: plain HTTP
  // (loopback, or behind a TLS-terminating proxy).
  std::string tls_cert_file;
  std::string tls_key_file;
  // The built web application (build/web): GET of any path outside /api/
  // serves its files (http/static_files.hpp). Empty: the API only.
  std::string web_root;
  // Security events the transport sees (sign-in and sign-out, CSRF refusals,
  // account and role changes) go here; record use cases audit themselves.
  // nullptr only in tests of the transport.
  app::AuditLog* audit = nullptr;
  // Addresses of reverse proxies (nginx) whose X-Forwarded-For names the
  // client; empty: the peer's address is the client's (see ClientAddress in
  // server.cpp).
  std::vector<std::string> trusted_proxies;
  // Statistics (issue 5): /api/v1/reports/... answer 404 without it.
  app::ReportService* reports = nullptr;
  // Taskforces, plans of action and directives (issue 7): their own routes
  // (plan, inbox/outbox, overdue, follow-up to activity) answer 404 without
  // it. The plan's XLSX and printable page are rendered by these functions
  // (the export layer, wired by main: http does not link it); without them
  // those two routes answer 404.
  app::TaskforceService* taskforce = nullptr;
  std::function<core::Result<std::string>(const nlohmann::json& plan)> plan_xlsx;
  std::function<std::string(const nlohmann::json& plan)> plan_html;
  // Report exports (issue 5 §5): ?format= other than json answers 404
  // without it.
  app::ExportService* exports = nullptr;
};

// The session cookie: HttpOnly, SameSite=Strict, Path=/api.
inline constexpr const char* kSessionCookie = "ctims_session";
// The header a client echoes the session's CSRF token in on every
// state-changing request (POST, PUT, PATCH, DELETE).
inline constexpr const char* kCsrfHeader = "X-CSRF-Token";

// One route of the JSON API: its method and path template. The server routes
// by this table and the OpenAPI document is generated from it, so a route
// cannot exist without being documented.
struct Route {
  std::string method;         // "GET", "POST", "PATCH", "DELETE"
  std::string path;           // OpenAPI template, matched segment by segment: "/api/v1/persons/{id}"
  std::string operation;      // "list", "create", "read", "update", "delete", "history", or a fixed name
  std::string resource;       // resource name for resource routes, else empty
  bool authenticated = true;  // false only for sign-in, health, the API document and code lists
  std::string summary;        // for fixed routes in the OpenAPI document
};

// Every route the server answers, in registration order.
std::vector<Route> ApiRoutes();

// The JSON API over HTTP/1.1 (cpp-httplib): routes, JSON mapping, limits and
// the one error shape. Configured for throughput: TCP_NODELAY, long-lived
// keep-alive connections, and a thread per connection up to `threads`.
// Holds references to `service` and `store`; they must outlive the server.
class HttpServer {
 public:
  // Every route but the public ones needs a session (cookie kSessionCookie,
  // else 401) and, for state-changing methods, the session's CSRF token in
  // kCsrfHeader (else 403); the use cases then authorise the principal.
  HttpServer(app::RecordService& service, app::AuthService& auth, app::Store& store, ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the listening socket. kUnavailable when the address is taken or
  // invalid. After success, port() is the bound port.
  core::Status Bind();
  // Serves until Stop() is called (from any thread). Returns when stopped.
  void Run();
  void Stop();
  int port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// True when `host` is a loopback address (127.0.0.0/8, ::1, localhost).
bool IsLoopback(const std::string& host);

// True when `text` is a literal IPv4 or IPv6 address (no brackets, no port).
bool IsIpAddress(const std::string& text);

}  // namespace ctims::http
