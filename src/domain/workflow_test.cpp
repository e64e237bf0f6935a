#include "domain/workflow.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <set>
#include <string>
#include <vector>

#include "domain/schema.hpp"

namespace ctims::domain {
namespace {

using core::StatusCode;

// What issue 4 says each machine is, written out by hand: the tests compare
// the machines against these tables and never derive the expectation from
// the machine itself.
struct Triple {
  std::string from, action, to;
};
struct Expected {
  std::string name, resource, state_field, initial;
  std::vector<std::string> states;    // display order
  std::vector<std::string> actions;   // declaration order
  std::vector<Triple> allowed;        // every allowed (from, action, to), in declaration order
  std::vector<std::string> editable;  // in the machine's order
  std::vector<std::string> terminal;
};

const Expected kCase = {
    .name = "case",
    .resource = "cases",
    .state_field = "cas_Status",
    .initial = "Active",
    .states = {"Active", "FollowUp", "ClosureRequested", "Closed", "ClosedReferred"},
    .actions = {"follow_up", "reactivate", "request_closure", "approve_closure", "reject_closure", "reopen"},
    .allowed =
        {
            {"Active", "follow_up", "FollowUp"},
            {"FollowUp", "reactivate", "Active"},
            {"Active", "request_closure", "ClosureRequested"},
            {"FollowUp", "request_closure", "ClosureRequested"},
            {"ClosureRequested", "approve_closure", "Closed"},
            {"ClosureRequested", "approve_closure", "ClosedReferred"},
            {"ClosureRequested", "reject_closure", "Active"},
            {"Closed", "reopen", "Active"},
            {"ClosedReferred", "reopen", "Active"},
        },
    .editable = {"Active", "FollowUp", "ClosureRequested"},
    .terminal = {},  // Closed and ClosedReferred can be reopened
};

const Expected kScreening = {
    .name = "screening",
    .resource = "screenings",
    .state_field = "scr_Status",
    .initial = "Submitted",
    .states = {"Submitted", "Confirmed", "Overridden"},
    .actions = {"confirm", "override"},
    .allowed =
        {
            {"Submitted", "confirm", "Confirmed"},
            {"Submitted", "override", "Overridden"},
        },
    .editable = {"Submitted"},
    .terminal = {"Confirmed", "Overridden"},
};

const Expected kReferral = {
    .name = "referral",
    .resource = "referrals",
    .state_field = "ref_Status",
    .initial = "Requested",
    .states = {"Requested", "Accepted", "Declined", "Revoked", "Completed"},
    .actions = {"accept", "decline", "revoke", "complete"},
    .allowed =
        {
            {"Requested", "accept", "Accepted"},
            {"Requested", "decline", "Declined"},
            {"Requested", "revoke", "Revoked"},
            {"Accepted", "complete", "Completed"},
        },
    .editable = {"Requested"},
    .terminal = {"Declined", "Revoked", "Completed"},
};

const Expected kTransfer = {
    .name = "transfer",
    .resource = "transfers",
    .state_field = "trf_Status",
    .initial = "Requested",
    .states = {"Requested", "Accepted", "Declined", "Revoked"},
    .actions = {"accept", "decline", "revoke"},
    .allowed =
        {
            {"Requested", "accept", "Accepted"},
            {"Requested", "decline", "Declined"},
            {"Requested", "revoke", "Revoked"},
        },
    .editable = {"Requested"},
    .terminal = {"Accepted", "Declined", "Revoked"},
};

const Expected kRepatriation = {
    .name = "repatriation",
    .resource = "repatriations",
    .state_field = "rep_Status",
    .initial = "Planned",
    .states = {"Planned", "DocumentsReady", "Departed", "Received", "FollowedUp", "Cancelled"},
    .actions = {"documents_ready", "depart", "receive", "follow_up", "cancel"},
    .allowed =
        {
            {"Planned", "documents_ready", "DocumentsReady"},
            {"DocumentsReady", "depart", "Departed"},
            {"Departed", "receive", "Received"},
            {"Received", "follow_up", "FollowedUp"},
            {"Planned", "cancel", "Cancelled"},
            {"DocumentsReady", "cancel", "Cancelled"},
        },
    .editable = {"Planned", "DocumentsReady", "Departed", "Received", "FollowedUp"},
    .terminal = {"FollowedUp", "Cancelled"},
};

const Expected kInvestigation = {
    .name = "investigation",
    .resource = "investigations",
    .state_field = "inv_Status",
    .initial = "Open",
    .states = {"Open", "Investigating", "SentToProsecution", "Resolved", "ClosedWithoutAction"},
    .actions = {"start", "send_to_prosecution", "resolve", "close_without_action"},
    .allowed =
        {
            {"Open", "start", "Investigating"},
            {"Investigating", "send_to_prosecution", "SentToProsecution"},
            {"SentToProsecution", "resolve", "Resolved"},
            {"Open", "close_without_action", "ClosedWithoutAction"},
            {"Investigating", "close_without_action", "ClosedWithoutAction"},
            {"SentToProsecution", "close_without_action", "ClosedWithoutAction"},
        },
    .editable = {"Open", "Investigating", "SentToProsecution"},
    .terminal = {"Resolved", "ClosedWithoutAction"},
};

const Expected kTask = {
    .name = "task",
    .resource = "tasks",
    .state_field = "tsk_Status",
    .initial = "Open",
    .states = {"Open", "Done", "Cancelled"},
    .actions = {"complete", "cancel"},
    .allowed =
        {
            {"Open", "complete", "Done"},
            {"Open", "cancel", "Cancelled"},
        },
    .editable = {"Open"},
    .terminal = {"Done", "Cancelled"},
};

const Expected* const kAll[] = {&kCase, &kScreening, &kReferral, &kTransfer, &kRepatriation, &kInvestigation, &kTask};

bool In(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Actions the table allows from `state`, in table (= declaration) order.
std::vector<std::string> ExpectedActions(const Expected& e, const std::string& state) {
  std::vector<std::string> actions;
  for (const auto& t : e.allowed) {
    if (t.from == state && !In(actions, t.action)) actions.push_back(t.action);
  }
  return actions;
}

std::vector<std::string> ExpectedTargets(const Expected& e, const std::string& from, const std::string& action) {
  std::vector<std::string> targets;
  for (const auto& t : e.allowed) {
    if (t.from == from && t.action == action) targets.push_back(t.to);
  }
  return targets;
}

std::string JoinOrNone(const std::vector<std::string>& items) {
  if (items.empty()) return "none";
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const StateMachine& Machine(const Expected& e) {
  const StateMachine* m = FindMachineByName(e.name);
  EXPECT_NE(m, nullptr) << e.name;
  static const StateMachine kNone;
  return m != nullptr ? *m : kNone;
}

// The machine's description matches the table.
void CheckShape(const Expected& e) {
  SCOPED_TRACE(e.name);
  const StateMachine& m = Machine(e);
  EXPECT_EQ(m.resource, e.resource);
  EXPECT_EQ(m.state_field, e.state_field);
  EXPECT_EQ(m.initial, e.initial);
  EXPECT_EQ(m.states, e.states);
  EXPECT_EQ(m.editable, e.editable);
  std::vector<std::string> actions;
  for (const auto& t : m.transitions) actions.push_back(t.action);
  EXPECT_EQ(actions, e.actions);
  EXPECT_EQ(FindMachine(e.resource), &m);
}

// Every state × every action: the allowed pairs give exactly the expected
// targets, every other pair is a conflict naming the state and listing what
// is allowed from it.
void CheckTransitions(const Expected& e) {
  SCOPED_TRACE(e.name);
  const StateMachine& m = Machine(e);
  int allowed_seen = 0;
  for (const auto& state : e.states) {
    EXPECT_EQ(m.AllowedActions(state), ExpectedActions(e, state)) << state;
    for (const auto& action : e.actions) {
      SCOPED_TRACE(state + " --" + action + "->");
      const std::vector<std::string> targets = ExpectedTargets(e, state, action);
      allowed_seen += static_cast<int>(targets.size());
      for (const auto& to : e.states) EXPECT_EQ(m.Allows(state, action, to), In(targets, to)) << to;
      EXPECT_FALSE(m.Allows(state, action, "NoSuchState"));

      auto next = m.Next(state, action);
      if (targets.size() == 1) {
        ASSERT_TRUE(next.ok()) << next.status().ToString();
        EXPECT_EQ(*next, targets.front());
      } else if (targets.size() > 1) {
        EXPECT_EQ(next.status().code(), StatusCode::kInternal);
      } else {
        ASSERT_EQ(next.status().code(), StatusCode::kConflict);
        const std::string& message = next.status().message();
        EXPECT_NE(message.find(state), std::string::npos) << message;
        EXPECT_NE(message.find(action), std::string::npos) << message;
        EXPECT_TRUE(EndsWith(message, "(allowed: " + JoinOrNone(ExpectedActions(e, state)) + ")")) << message;
        EXPECT_EQ(next.status().field_errors(),
                  (std::vector<core::FieldError>{{e.state_field, "transition", message}}));
      }
    }
  }
  // Every triple of the table was visited, so none names a state or action
  // missing from the lists above.
  EXPECT_EQ(allowed_seen, static_cast<int>(e.allowed.size()));
}

void CheckEditableAndTerminal(const Expected& e) {
  SCOPED_TRACE(e.name);
  const StateMachine& m = Machine(e);
  for (const auto& state : e.states) {
    EXPECT_TRUE(m.HasState(state)) << state;
    EXPECT_EQ(m.IsEditable(state), In(e.editable, state)) << state;
    EXPECT_EQ(m.IsTerminal(state), In(e.terminal, state)) << state;
  }
}

void CheckAll(const Expected& e) {
  CheckShape(e);
  CheckTransitions(e);
  CheckEditableAndTerminal(e);
}

TEST(WorkflowTest, CaseMachine) {
  CheckAll(kCase);
}
TEST(WorkflowTest, ScreeningMachine) {
  CheckAll(kScreening);
}
TEST(WorkflowTest, ReferralMachine) {
  CheckAll(kReferral);
}
TEST(WorkflowTest, TransferMachine) {
  CheckAll(kTransfer);
}
TEST(WorkflowTest, RepatriationMachine) {
  CheckAll(kRepatriation);
}
TEST(WorkflowTest, InvestigationMachine) {
  CheckAll(kInvestigation);
}
TEST(WorkflowTest, TaskMachine) {
  CheckAll(kTask);
}

TEST(WorkflowTest, TheSevenMachinesOfIssue4) {
  std::vector<std::string> names;
  for (const auto& m : StateMachines()) names.push_back(m.name);
  std::vector<std::string> expected;
  for (const Expected* e : kAll) expected.push_back(e->name);
  EXPECT_EQ(names, expected);
}

TEST(WorkflowTest, ApproveClosureHasTwoTargetsChosenByTheCaller) {
  const StateMachine* m = FindMachineByName("case");
  ASSERT_NE(m, nullptr);
  auto next = m->Next("ClosureRequested", "approve_closure");
  EXPECT_EQ(next.status().code(), StatusCode::kInternal);
  EXPECT_TRUE(m->Allows("ClosureRequested", "approve_closure", "Closed"));
  EXPECT_TRUE(m->Allows("ClosureRequested", "approve_closure", "ClosedReferred"));
  EXPECT_FALSE(m->Allows("ClosureRequested", "approve_closure", "Active"));
  // From the wrong state it is still a conflict, not an internal error.
  EXPECT_EQ(m->Next("Active", "approve_closure").status().code(), StatusCode::kConflict);
}

TEST(WorkflowTest, ClosedCasesCanBeReopenedSoAreNotTerminal) {
  const StateMachine* m = FindMachineByName("case");
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(m->IsTerminal("Closed"));
  EXPECT_FALSE(m->IsTerminal("ClosedReferred"));
  EXPECT_FALSE(m->IsEditable("Closed"));
  EXPECT_FALSE(m->IsEditable("ClosedReferred"));
  auto next = m->Next("Closed", "reopen");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, "Active");
}

TEST(WorkflowTest, TheTerminalStatesOfIssue4) {
  const std::pair<const char*, const char*> kTerminal[] = {
      {"referral", "Declined"},
      {"referral", "Revoked"},
      {"referral", "Completed"},
      {"transfer", "Declined"},
      {"transfer", "Revoked"},
      {"investigation", "Resolved"},
      {"investigation", "ClosedWithoutAction"},
      {"repatriation", "Cancelled"},
      {"task", "Cancelled"},
      {"task", "Done"},
      {"screening", "Confirmed"},
      {"screening", "Overridden"},
  };
  for (const auto& [name, state] : kTerminal) {
    const StateMachine* m = FindMachineByName(name);
    ASSERT_NE(m, nullptr) << name;
    EXPECT_TRUE(m->IsTerminal(state)) << name << " " << state;
    EXPECT_TRUE(m->AllowedActions(state).empty()) << name << " " << state;
  }
}

TEST(WorkflowTest, UnknownActionIsInvalidArgumentAndNotEchoed) {
  for (const auto& m : StateMachines()) {
    SCOPED_TRACE(m.name);
    for (const std::string& state : {m.initial, std::string("NoSuchState"), std::string()}) {
      auto next = m.Next(state, "launch_missiles");
      ASSERT_EQ(next.status().code(), StatusCode::kInvalidArgument);
      ASSERT_EQ(next.status().field_errors().size(), 1u);
      EXPECT_EQ(next.status().field_errors()[0].path, "action");
      EXPECT_EQ(next.status().field_errors()[0].rule, "unknown_action");
      EXPECT_EQ(next.status().message().find("launch_missiles"), std::string::npos);
    }
    EXPECT_EQ(m.Next(m.initial, "").status().code(), StatusCode::kInvalidArgument);
    // Action names are case-sensitive: they are stable identifiers.
    EXPECT_EQ(m.Next(m.initial, "ACCEPT").status().code(), StatusCode::kInvalidArgument);
    EXPECT_FALSE(m.Allows(m.initial, "launch_missiles", m.initial));
  }
}

TEST(WorkflowTest, UnknownStateIsConflictWithNoAllowedActions) {
  for (const auto& m : StateMachines()) {
    SCOPED_TRACE(m.name);
    for (const std::string& state : {std::string("<script>"), std::string(), m.initial + " "}) {
      EXPECT_FALSE(m.HasState(state));
      EXPECT_TRUE(m.AllowedActions(state).empty());
      EXPECT_FALSE(m.IsTerminal(state));  // not a state at all
      EXPECT_FALSE(m.IsEditable(state));
      for (const auto& t : m.transitions) {
        auto next = m.Next(state, t.action);
        ASSERT_EQ(next.status().code(), StatusCode::kConflict) << t.action;
        const std::string& message = next.status().message();
        EXPECT_TRUE(EndsWith(message, "(allowed: none)")) << message;
        if (!state.empty()) {
          EXPECT_EQ(message.find(state), std::string::npos) << message;
        }
        EXPECT_EQ(next.status().field_errors(),
                  (std::vector<core::FieldError>{{m.state_field, "transition", message}}));
        for (const auto& to : m.states) EXPECT_FALSE(m.Allows(state, t.action, to));
      }
    }
  }
}

TEST(WorkflowTest, StateNamesAreCaseSensitive) {
  const StateMachine* m = FindMachineByName("referral");
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(m->HasState("requested"));
  EXPECT_EQ(m->Next("requested", "accept").status().code(), StatusCode::kConflict);
}

TEST(WorkflowTest, ConflictMessageListsAllowedActionsInDeclarationOrder) {
  const StateMachine* m = FindMachineByName("case");
  ASSERT_NE(m, nullptr);
  auto next = m->Next("Active", "reopen");
  ASSERT_EQ(next.status().code(), StatusCode::kConflict);
  EXPECT_EQ(next.status().message(), "cannot reopen a case in state Active (allowed: follow_up, request_closure)");
  next = FindMachineByName("investigation")->Next("Resolved", "start");
  EXPECT_EQ(next.status().message(), "cannot start an investigation in state Resolved (allowed: none)");
}

TEST(WorkflowTest, MachineInvariants) {
  std::set<std::string> names, resources;
  for (const auto& m : StateMachines()) {
    SCOPED_TRACE(m.name);
    EXPECT_TRUE(names.insert(m.name).second) << "duplicate name";
    EXPECT_TRUE(resources.insert(m.resource).second) << "duplicate resource";
    EXPECT_EQ(FindMachine(m.resource), &m);
    EXPECT_EQ(FindMachineByName(m.name), &m);
    EXPECT_FALSE(m.state_field.empty());

    EXPECT_TRUE(m.HasState(m.initial));
    EXPECT_EQ(std::set<std::string>(m.states.begin(), m.states.end()).size(), m.states.size()) << "duplicate state";
    for (const auto& s : m.editable) EXPECT_TRUE(m.HasState(s)) << "editable " << s;
    EXPECT_EQ(std::set<std::string>(m.editable.begin(), m.editable.end()).size(), m.editable.size());

    std::set<std::string> actions;
    for (const auto& t : m.transitions) {
      EXPECT_TRUE(actions.insert(t.action).second) << "duplicate action " << t.action;
      EXPECT_FALSE(t.from.empty()) << t.action;
      EXPECT_FALSE(t.to.empty()) << t.action;
      for (const auto& s : t.from) EXPECT_TRUE(m.HasState(s)) << t.action << " from " << s;
      for (const auto& s : t.to) EXPECT_TRUE(m.HasState(s)) << t.action << " to " << s;
    }

    // Every state is reachable from the initial one.
    std::set<std::string> reached = {m.initial};
    std::deque<std::string> queue = {m.initial};
    while (!queue.empty()) {
      const std::string state = queue.front();
      queue.pop_front();
      for (const auto& t : m.transitions) {
        if (!In(t.from, state)) continue;
        for (const auto& to : t.to) {
          if (reached.insert(to).second) queue.push_back(to);
        }
      }
    }
    for (const auto& s : m.states) EXPECT_TRUE(reached.contains(s)) << s << " unreachable";
  }
}

TEST(WorkflowTest, UnknownMachinesAreNull) {
  EXPECT_EQ(FindMachine("persons"), nullptr);
  EXPECT_EQ(FindMachine("case"), nullptr);  // a name, not a resource
  EXPECT_EQ(FindMachine(""), nullptr);
  EXPECT_EQ(FindMachineByName("cases"), nullptr);  // a resource, not a name
  EXPECT_EQ(FindMachineByName("Case"), nullptr);
  EXPECT_EQ(FindMachineByName(""), nullptr);
}

TEST(WorkflowTest, MachinesAreBuiltOnce) {
  EXPECT_EQ(&StateMachines(), &StateMachines());
}

// Where the schema already has the governed resource, the state field is a
// coded field whose default (if any) is the initial state. Resources not yet
// in the schema are skipped.
TEST(WorkflowTest, StateFieldsAgreeWithTheSchema) {
  for (const auto& m : StateMachines()) {
    const ResourceSpec* resource = FindResource(m.resource);
    if (resource == nullptr) continue;
    SCOPED_TRACE(m.resource);
    const FieldSpec* field = resource->FindField(m.state_field);
    ASSERT_NE(field, nullptr) << m.state_field;
    EXPECT_EQ(field->type, FieldType::kCode);
    if (!field->default_value.empty()) {
      EXPECT_EQ(field->default_value, m.initial);
    }
  }
}

}  // namespace
}  // namespace ctims::domain
