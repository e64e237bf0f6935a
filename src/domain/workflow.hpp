#pragma once

// Explicit workflow state machines (issue 4). Pure data and rules, no I/O:
// the app layer moves a record from one state to the next only through an
// action named here, so every status change is deliberate, permitted and
// auditable, and the generic update can never jump a record past a step
// (a case straight from Active to Closed, a referral back from Declined).
//
// Each machine governs one resource of domain::Resources() and one coded
// field of it (the "state field", e.g. ref_Status). States and actions are
// stable strings: states are the codes stored in that field, actions appear
// in URLs and audit entries. Nothing here checks who may act; that is
// access.hpp's business.

#include <string>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace ctims::domain {

// One transition: `action` moves a record from any state in `from` to one of
// `to`. Almost always one target; when there are several (the case's
// approve_closure: Closed or ClosedReferred) the app chooses from the record
// (the closure reason) and checks its choice with StateMachine::Allows.
struct TransitionSpec {
  std::string action;
  std::vector<std::string> from;
  std::vector<std::string> to;
};

struct StateMachine {
  std::string name;                   // "referral"
  std::string resource;               // resource (URL segment) whose records it governs: "referrals"
  std::string state_field;            // "ref_Status"
  std::string initial;                // state of a new record
  std::vector<std::string> states;    // all states, in display order
  std::vector<std::string> editable;  // states in which the generic update may change the record's other fields
  std::vector<TransitionSpec> transitions;

  bool HasState(std::string_view state) const;
  // No action leaves it. A state that can be reopened (the case's Closed) is
  // not terminal, however final it looks. False for unknown states.
  bool IsTerminal(std::string_view state) const;
  // Outside these states a record is frozen except through transitions: what
  // was decided (a declined referral, a closed case) stays as it was decided.
  bool IsEditable(std::string_view state) const;
  // Actions allowed from `state`, in declaration order (empty for terminal
  // and unknown states). What a client may offer the user as next steps.
  std::vector<std::string> AllowedActions(std::string_view state) const;
  // The single target of `action` from `state`.
  // - kInvalidArgument, FieldError {"action", "unknown_action", ...}, when the
  //   machine has no such action at all (the client asked for nonsense);
  // - kConflict, one FieldError {state_field, "transition", message}, when
  //   the action exists but not from `state` (the record is in the wrong
  //   state: someone else acted first, or the client is stale). The message
  //   names the state and lists the allowed actions ("allowed: a, b" or
  //   "allowed: none"). An unknown state is a conflict with no allowed
  //   actions; its value is not echoed (it is not ours to repeat);
  // - kInternal when the action has several targets: the caller must pick
  //   one and check it with Allows.
  core::Result<std::string> Next(std::string_view state, std::string_view action) const;
  // True when `action` may move `from` to `to`.
  bool Allows(std::string_view from, std::string_view action, std::string_view to) const;
};

// Every machine, built once, immutable, thread-safe to read. One machine per
// resource; names unique.
const std::vector<StateMachine>& StateMachines();

// The machine governing `resource`, or nullptr (the resource has no workflow).
const StateMachine* FindMachine(std::string_view resource);

// The machine named `name` ("case", "referral", ...), or nullptr.
const StateMachine* FindMachineByName(std::string_view name);

}  // namespace ctims::domain
