#include "domain/workflow.hpp"

#include <algorithm>

namespace ctims::domain {
namespace {

using core::Result;
using core::Status;

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string Join(const std::vector<std::string>& items) {
  if (items.empty()) return "none";
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

// "a referral", "an investigation".
std::string WithArticle(const std::string& noun) {
  const bool vowel = !noun.empty() && std::string_view("aeiou").find(noun[0]) != std::string_view::npos;
  return (vowel ? "an " : "a ") + noun;
}

std::vector<StateMachine> BuildMachines() {
  std::vector<StateMachine> machines;
  machines.push_back({
      .name = "case",
      .resource = "cases",
      .state_field = "cas_Status",
      .initial = "Active",
      .states = {"Active", "FollowUp", "ClosureRequested", "Closed", "ClosedReferred"},
      .editable = {"Active", "FollowUp", "ClosureRequested"},
      .transitions =
          {
              {"follow_up", {"Active"}, {"FollowUp"}},
              {"reactivate", {"FollowUp"}, {"Active"}},
              {"request_closure", {"Active", "FollowUp"}, {"ClosureRequested"}},
              // The closure reason decides between the two (a case referred elsewhere
              // closes as ClosedReferred).
              {"approve_closure", {"ClosureRequested"}, {"Closed", "ClosedReferred"}},
              {"reject_closure", {"ClosureRequested"}, {"Active"}},
              {"reopen", {"Closed", "ClosedReferred"}, {"Active"}},
          },
  });
  machines.push_back({
      .name = "screening",
      .resource = "screenings",
      .state_field = "scr_Status",
      .initial = "Submitted",
      .states = {"Submitted", "Confirmed", "Overridden"},
      .editable = {"Submitted"},
      .transitions =
          {
              {"confirm", {"Submitted"}, {"Confirmed"}},
              {"override", {"Submitted"}, {"Overridden"}},
          },
  });
  machines.push_back({
      .name = "referral",
      .resource = "referrals",
      .state_field = "ref_Status",
      .initial = "Requested",
      .states = {"Requested", "Accepted", "Declined", "Revoked", "Completed"},
      .editable = {"Requested"},
      .transitions =
          {
              {"accept", {"Requested"}, {"Accepted"}},
              {"decline", {"Requested"}, {"Declined"}},
              {"revoke", {"Requested"}, {"Revoked"}},
              {"complete", {"Accepted"}, {"Completed"}},
          },
  });
  machines.push_back({
      .name = "transfer",
      .resource = "transfers",
      .state_field = "trf_Status",
      .initial = "Requested",
      .states = {"Requested", "Accepted", "Declined", "Revoked"},
      .editable = {"Requested"},
      .transitions =
          {
              {"accept", {"Requested"}, {"Accepted"}},
              {"decline", {"Requested"}, {"Declined"}},
              {"revoke", {"Requested"}, {"Revoked"}},
          },
  });
  machines.push_back({
      .name = "repatriation",
      .resource = "repatriations",
      .state_field = "rep_Status",
      .initial = "Planned",
      .states = {"Planned", "DocumentsReady", "Departed", "Received", "FollowedUp", "Cancelled"},
      // Every state but Cancelled: follow-up notes keep accruing after the return.
      .editable = {"Planned", "DocumentsReady", "Departed", "Received", "FollowedUp"},
      .transitions =
          {
              {"documents_ready", {"Planned"}, {"DocumentsReady"}},
              {"depart", {"DocumentsReady"}, {"Departed"}},
              {"receive", {"Departed"}, {"Received"}},
              {"follow_up", {"Received"}, {"FollowedUp"}},
              {"cancel", {"Planned", "DocumentsReady"}, {"Cancelled"}},
          },
  });
  machines.push_back({
      .name = "investigation",
      .resource = "investigations",
      .state_field = "inv_Status",
      .initial = "Open",
      .states = {"Open", "Investigating", "SentToProsecution", "Resolved", "ClosedWithoutAction"},
      .editable = {"Open", "Investigating", "SentToProsecution"},
      .transitions =
          {
              {"start", {"Open"}, {"Investigating"}},
              {"send_to_prosecution", {"Investigating"}, {"SentToProsecution"}},
              {"resolve", {"SentToProsecution"}, {"Resolved"}},
              {"close_without_action", {"Open", "Investigating", "SentToProsecution"}, {"ClosedWithoutAction"}},
          },
  });
  machines.push_back({
      .name = "task",
      .resource = "tasks",
      .state_field = "tsk_Status",
      .initial = "Open",
      .states = {"Open", "Done", "Cancelled"},
      .editable = {"Open"},
      .transitions =
          {
              {"complete", {"Open"}, {"Done"}},
              {"cancel", {"Open"}, {"Cancelled"}},
          },
  });
  return machines;
}

}  // namespace

bool StateMachine::HasState(std::string_view state) const {
  return Contains(states, state);
}

bool StateMachine::IsTerminal(std::string_view state) const {
  return HasState(state) && AllowedActions(state).empty();
}

bool StateMachine::IsEditable(std::string_view state) const {
  return Contains(editable, state);
}

std::vector<std::string> StateMachine::AllowedActions(std::string_view state) const {
  std::vector<std::string> actions;
  for (const auto& t : transitions) {
    if (Contains(t.from, state)) actions.push_back(t.action);
  }
  return actions;
}

Result<std::string> StateMachine::Next(std::string_view state, std::string_view action) const {
  auto t = std::find_if(transitions.begin(), transitions.end(),
                        [&](const TransitionSpec& spec) { return spec.action == action; });
  if (t == transitions.end()) {
    // The client's action is not repeated: messages are ours, not input.
    std::vector<std::string> known;
    for (const auto& spec : transitions) known.push_back(spec.action);
    std::string message = "the " + name + " workflow has no such action (actions: " + Join(known) + ")";
    return Status::InvalidArgument(message, {{"action", "unknown_action", message}});
  }
  if (!Contains(t->from, state)) {
    std::string message;
    if (HasState(state)) {
      message = "cannot " + t->action + " " + WithArticle(name) + " in state " + std::string(state) +
                " (allowed: " + Join(AllowedActions(state)) + ")";
    } else {
      message = state_field + " is not " + WithArticle(name) + " state (allowed: none)";
    }
    return Status::Conflict(message, {{state_field, "transition", message}});
  }
  if (t->to.size() != 1) {
    return Status::Internal(name + " action " + t->action + " has several targets; check the chosen one with Allows");
  }
  return t->to.front();
}

bool StateMachine::Allows(std::string_view from, std::string_view action, std::string_view to) const {
  return std::any_of(transitions.begin(), transitions.end(), [&](const TransitionSpec& t) {
    return t.action == action && Contains(t.from, from) && Contains(t.to, to);
  });
}

const std::vector<StateMachine>& StateMachines() {
  static const std::vector<StateMachine> kMachines = BuildMachines();
  return kMachines;
}

const StateMachine* FindMachine(std::string_view resource) {
  for (const auto& m : StateMachines()) {
    if (m.resource == resource) return &m;
  }
  return nullptr;
}

const StateMachine* FindMachineByName(std::string_view name) {
  for (const auto& m : StateMachines()) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

}  // namespace ctims::domain
