#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace ctims::core {

// What went wrong, in terms every layer understands. The HTTP layer maps each
// code to one status (http/error_mapping.cpp); nothing else does.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // client input breaks a rule; see field_errors()
  kNotFound,          // no such record (or not visible to the caller)
  kConflict,          // stale version, or a state that forbids the change
  kAlreadyExists,     // a unique key is taken
  kPayloadTooLarge,   // request body over the configured limit
  kUnauthenticated,   // no valid session
  kPermissionDenied,  // authenticated, but not allowed
  kUnavailable,       // transient: database busy, shutting down
  kInternal,          // a bug or an environment failure; never client input
};

// Returns a stable snake_case name for `code`, used in JSON error bodies.
const char* StatusCodeName(StatusCode code);

// One rule broken by one field of client input. `path` is a JSON-pointer-like
// dotted path ("prs_IdentityDocuments[1].doc_Number"); `rule` is a stable
// machine-readable name ("required", "codelist", "max_length", ...).
struct FieldError {
  std::string path;
  std::string rule;
  std::string message;

  bool operator==(const FieldError&) const = default;
};

// The outcome of an operation that returns no value. Cheap to copy when OK.
// Not thread-safe to mutate; safe to share const.
class Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message, std::vector<FieldError> fields = {})
      : code_(code), message_(std::move(message)), fields_(std::move(fields)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string message, std::vector<FieldError> fields = {}) {
    return {StatusCode::kInvalidArgument, std::move(message), std::move(fields)};
  }
  static Status NotFound(std::string message) { return {StatusCode::kNotFound, std::move(message)}; }
  static Status Conflict(std::string message, std::vector<FieldError> fields = {}) {
    return {StatusCode::kConflict, std::move(message), std::move(fields)};
  }
  static Status AlreadyExists(std::string message, std::vector<FieldError> fields = {}) {
    return {StatusCode::kAlreadyExists, std::move(message), std::move(fields)};
  }
  static Status Unauthenticated(std::string message) { return {StatusCode::kUnauthenticated, std::move(message)}; }
  static Status PermissionDenied(std::string message, std::vector<FieldError> fields = {}) {
    return {StatusCode::kPermissionDenied, std::move(message), std::move(fields)};
  }
  static Status Unavailable(std::string message) { return {StatusCode::kUnavailable, std::move(message)}; }
  static Status Internal(std::string message) { return {StatusCode::kInternal, std::move(message)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::vector<FieldError>& field_errors() const { return fields_; }
  // For a refused workflow transition (kConflict): the actions allowed from
  // the record's current state (possibly none). Clients show them.
  const std::optional<std::vector<std::string>>& allowed_actions() const { return allowed_; }
  Status WithAllowedActions(std::vector<std::string> actions) && {
    allowed_ = std::move(actions);
    return std::move(*this);
  }

  // Human-readable "code: message" for logs and CLI output. Never contains
  // record contents: messages are written by us, not copied from input.
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::vector<FieldError> fields_;
  std::optional<std::vector<std::string>> allowed_;
};

// A value or the Status explaining its absence. Accessing value() of an error
// Result is a programming error (asserts in debug builds).
template <typename T>
class Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(data_).ok() && "Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(data_);
  }
  T& value() & {
    assert(ok());
    return std::get<T>(data_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(data_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(data_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace ctims::core

// Propagates a non-OK Status from an expression returning Status.
#define CTIMS_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::ctims::core::Status ctims_status_ = (expr);  \
    if (!ctims_status_.ok()) return ctims_status_; \
  } while (false)

#define CTIMS_CONCAT_INNER_(a, b) a##b
#define CTIMS_CONCAT_(a, b) CTIMS_CONCAT_INNER_(a, b)

// Assigns the value of a Result expression to `lhs`, or returns its Status.
#define CTIMS_ASSIGN_OR_RETURN(lhs, expr)                                                                   \
  auto CTIMS_CONCAT_(ctims_result_, __LINE__) = (expr);                                                     \
  if (!CTIMS_CONCAT_(ctims_result_, __LINE__).ok()) return CTIMS_CONCAT_(ctims_result_, __LINE__).status(); \
  lhs = std::move(CTIMS_CONCAT_(ctims_result_, __LINE__)).value()  // NOLINT(bugprone-macro-parentheses)
