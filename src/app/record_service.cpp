#include "app/record_service.hpp"

#include "app/record_service_util.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

#include "core/log.hpp"

#include "app/audit_log.hpp"
#include "app/field_cipher.hpp"
#include "app/person_search.hpp"
#include "app/record_helpers.hpp"
#include "app/record_policy.hpp"
#include "core/id.hpp"
#include "domain/diff.hpp"
#include "domain/validation.hpp"

namespace ctims::app {
using namespace detail;  // NOLINT(google-build-using-namespace): the service's own helpers
using core::FieldError;
using core::Result;
using core::Status;
using nlohmann::json;

TableDef TableFor(const domain::ResourceSpec& spec) {
  return {spec.table, spec.ColumnNames(), spec.personal, spec.case_field};
}

RecordService::RecordService(Store& store, const domain::CodeLists& codelists, const core::Clock& clock,
                             RecordServiceOptions options)
    : store_(store), codelists_(codelists), clock_(clock), options_(options) {}

domain::CheckContext RecordService::Context() const {
  return {core::FormatDate(clock_.Now())};
}

std::string RecordService::Now() const {
  return core::FormatTimestamp(clock_.Now());
}

Result<std::string> RecordService::AgencyPath(StoreTransaction& tx, const std::string& agency_id) {
  const core::TimePoint now = clock_.Now();
  {
    std::lock_guard lock(path_mu_);
    auto it = path_cache_.find(agency_id);
    if (it != path_cache_.end() && now >= it->second.fetched && now < it->second.fetched + options_.path_cache_ttl) {
      return it->second.path;
    }
  }
  const TableDef agencies = TableFor(*domain::FindResource("agencies"));
  const TableDef locations = TableFor(*domain::FindResource("locations"));
  std::string path;
  CTIMS_ASSIGN_OR_RETURN(auto agency, tx.Get(agencies, agency_id));
  std::optional<std::string> location = agency ? ColumnValue(agencies, *agency, "location_id") : std::nullopt;
  std::vector<std::string> chain;
  while (location && chain.size() < 16) {  // bounded: a cycle in the tree cannot hang a request
    chain.push_back(*location);
    CTIMS_ASSIGN_OR_RETURN(auto row, tx.Get(locations, *location));
    if (!row) break;
    location = ColumnValue(locations, *row, "parent_id");
  }
  if (!chain.empty()) {
    path = "/";
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) path += *it + "/";
  }
  std::lock_guard lock(path_mu_);
  if (path_cache_.size() > 10000) path_cache_.clear();
  path_cache_[agency_id] = {path, now};
  return path;
}

Result<RecordService::Reach> RecordService::ResolveReach(StoreTransaction& tx, const Principal& caller) {
  Reach reach;
  reach.caller = &caller;
  reach.now = Now();
  AccessFilter& f = reach.filter;
  f.viewer_user = caller.user_id;
  f.viewer_agency = caller.agency_id;
  f.now = reach.now;
  f.include_protected = caller.operator_access;
  switch (caller.role.scope) {
    case domain::Scope::kOwn:
      f.kind = AccessFilter::Kind::kOwner;
      f.value = caller.user_id;
      break;
    case domain::Scope::kAgency:
      f.kind = AccessFilter::Kind::kAgency;
      f.value = caller.agency_id;
      break;
    case domain::Scope::kJurisdiction: {
      CTIMS_ASSIGN_OR_RETURN(reach.path, AgencyPath(tx, caller.agency_id));
      // An agency placed nowhere has no jurisdiction beyond itself.
      f.kind = reach.path.empty() ? AccessFilter::Kind::kAgency : AccessFilter::Kind::kPath;
      f.value = reach.path.empty() ? caller.agency_id : reach.path;
      break;
    }
    case domain::Scope::kAll: f.kind = AccessFilter::Kind::kAll; break;
  }
  return reach;
}

// In scope ignoring protection.
static bool InScope(const AccessFilter& f, const AccessTag& tag) {
  switch (f.kind) {
    case AccessFilter::Kind::kAll: return true;
    case AccessFilter::Kind::kOwner: return !f.value.empty() && tag.owner_user == f.value;
    case AccessFilter::Kind::kAgency: return !f.value.empty() && tag.agency == f.value;
    case AccessFilter::Kind::kPath: return !f.value.empty() && StartsWith(tag.path, f.value);
  }
  return false;
}

Result<bool> RecordService::CanReach(StoreTransaction& tx, const Reach& reach, const AccessTag& tag,
                                     std::string_view record_id) {
  if (InScope(reach.filter, tag)) {
    if (!tag.is_protected || tag.agency == reach.caller->agency_id || reach.filter.include_protected) return true;
    CTIMS_ASSIGN_OR_RETURN(bool granted, tx.HasGrant(reach.caller->user_id, tag.case_id, reach.now));
    if (granted) return true;
  }
  // Shared with the caller's agency by an accepted referral (issue 4 §3).
  if (reach.caller->agency_id.empty()) return false;
  return tx.HasShare(reach.caller->agency_id, tag.case_id, record_id);
}

Result<std::optional<StoredRecord>> RecordService::ReadReachable(StoreTransaction& tx, const domain::ResourceSpec& spec,
                                                                 const std::string& id, const Reach& reach) {
  if (!core::IsCanonicalId(id)) return std::optional<StoredRecord>();
  CTIMS_ASSIGN_OR_RETURN(auto stored, tx.Get(TableFor(spec), id));
  if (!stored || !spec.personal) return stored;
  CTIMS_ASSIGN_OR_RETURN(bool reachable, CanReach(tx, reach, stored->access, stored->id));
  if (!reachable) return std::optional<StoredRecord>();
  return stored;
}

// Every reference in `record` must name a record the caller can reach (a
// record out of scope is "no record", like a missing one), and none may name
// a merged person (kConflict, rule "merged"). Only references whose value
// changed from `before` are checked.
Status RecordService::CheckReferences(const domain::ResourceSpec& spec, const json& record, const json& before,
                                      StoreTransaction& tx, const Reach& reach) {
  std::vector<FieldError> errors;
  std::vector<FieldError> merged;
  for (const auto& field : spec.fields) {
    if (field.type != domain::FieldType::kRef) continue;
    auto it = record.find(field.name);
    if (it == record.end() || !it->is_string()) continue;
    if (before.is_object() && before.value(field.name, json()) == *it) continue;
    const auto* target = domain::FindResource(field.ref);
    if (target == nullptr) return Status::Internal("reference to unknown resource " + field.ref);
    bool found = false;
    if (target->personal) {
      CTIMS_ASSIGN_OR_RETURN(auto row, ReadReachable(tx, *target, it->get<std::string>(), reach));
      found = row.has_value();
      // issue 8 §4: a merged person is kept only for its history; new links
      // go to the person it was merged into (refused, not redirected, so the
      // caller sees that the person they picked is now another record).
      if (row && target->name == "persons" && field.name != "merged_into") {
        if (auto into = ColumnValue(TableFor(*target), *row, "merged_into"); into) {
          merged.push_back({field.name, "merged", "person " + row->id + " was merged into " + *into + "; use that id"});
        }
      }
    } else {
      CTIMS_ASSIGN_OR_RETURN(found, tx.Exists(TableFor(*target), it->get<std::string>()));
    }
    if (!found) errors.push_back({field.name, "reference", "no " + target->title + " with this id"});
  }
  if (!errors.empty()) return Status::InvalidArgument("references to missing records", std::move(errors));
  if (!merged.empty()) return Status::Conflict("references to merged persons", std::move(merged));
  return Status::Ok();
}

Result<AccessTag> RecordService::TagFor(const domain::ResourceSpec& spec, const json& record, const std::string& id,
                                        StoreTransaction& tx, const Principal& caller, const AccessTag* current) {
  if (spec.name == "cases") {
    AccessTag tag;
    tag.owner_user = current != nullptr ? current->owner_user : caller.user_id;
    tag.agency = record.value("owner_agency_id", std::string());
    CTIMS_ASSIGN_OR_RETURN(tag.path, AgencyPath(tx, tag.agency));
    tag.case_id = id;
    tag.is_protected = record.value("cas_Protected", false);
    return tag;
  }
  if (!spec.case_field.empty()) {
    const auto* cases = domain::FindResource("cases");
    CTIMS_ASSIGN_OR_RETURN(auto parent, tx.Get(TableFor(*cases), record.value(spec.case_field, std::string())));
    if (!parent) return Status::Internal("case vanished inside the transaction");
    return parent->access;
  }
  if (current != nullptr) return *current;
  AccessTag tag;
  tag.owner_user = caller.user_id;
  tag.agency = caller.agency_id;
  CTIMS_ASSIGN_OR_RETURN(tag.path, AgencyPath(tx, caller.agency_id));
  return tag;
}

// A case's children follow its owner, agency and protection; its person
// follows its protection.
Status RecordService::PropagateCaseAccess(StoreTransaction& tx, const json& case_record, const AccessTag& tag) {
  for (const auto& spec : domain::Resources()) {
    if (spec.case_field.empty()) continue;
    CTIMS_RETURN_IF_ERROR(tx.SetAccessByCase(TableFor(spec), tag.case_id, tag));
  }
  const auto* persons = domain::FindResource("persons");
  const TableDef table = TableFor(*persons);
  CTIMS_ASSIGN_OR_RETURN(auto person, tx.Get(table, case_record.value("person_id", std::string())));
  if (!person) return Status::Ok();
  AccessTag person_tag = person->access;
  if (tag.is_protected) {
    person_tag.is_protected = true;
    person_tag.case_id = tag.case_id;
  } else if (person_tag.case_id == tag.case_id) {
    // The person stays protected while any other case of theirs is.
    person_tag.is_protected = false;
    person_tag.case_id.clear();
    CTIMS_ASSIGN_OR_RETURN(auto others, CasesOfPerson(tx, person->id));
    for (const auto& c : others) {
      if (c.id != tag.case_id && c.access.is_protected) {
        person_tag.is_protected = true;
        person_tag.case_id = c.id;
        break;
      }
    }
  }
  if (person_tag == person->access) return Status::Ok();
  return tx.SetAccess(table, person->id, person_tag);
}

Result<json> RecordService::CreateImpl(const domain::ResourceSpec& spec, const json& body, const Principal& caller) {
  CTIMS_RETURN_IF_ERROR(CheckAction(caller, spec, "create"));
  if (!body.is_object()) return Status::InvalidArgument("expected a JSON object", {{"", "type", "object"}});
  CTIMS_RETURN_IF_ERROR(RejectMetaFields(body, /*allow_version=*/false));
  CTIMS_RETURN_IF_ERROR(CheckWritable(spec, caller.role, body));
  CTIMS_RETURN_IF_ERROR(RejectManaged(spec, body));
  json record = body;
  // A case belongs to the caller's agency unless another is named.
  if (spec.name == "cases" && !record.contains("owner_agency_id") && !caller.agency_id.empty()) {
    record["owner_agency_id"] = caller.agency_id;
  }
  const auto context = Context();
  domain::ApplyDefaults(spec, record, context);
  // Validated with its nulls, so that an unknown field is reported even when
  // its value is null; nulls are dropped before storing.
  CTIMS_RETURN_IF_ERROR(ValidateRecord(spec, record, codelists_, context));
  domain::DropNulls(record);

  const TableDef table = TableFor(spec);
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kWrite));
  CTIMS_ASSIGN_OR_RETURN(const Reach reach, ResolveReach(*tx, caller));
  CTIMS_RETURN_IF_ERROR(CheckReferences(spec, record, json(), *tx, reach));
  CTIMS_RETURN_IF_ERROR(BeforeCreate(spec, record, *tx, reach, caller));
  const std::string new_id = core::NewId(clock_);
  if (options_.policy != nullptr) {  // issue 7
    CTIMS_RETURN_IF_ERROR(options_.policy->BeforeWrite(*tx, spec, new_id, json(), &record, caller));
  }
  CTIMS_RETURN_IF_ERROR(ValidateRecord(spec, record, codelists_, context));

  CTIMS_ASSIGN_OR_RETURN(StoredRecord stored, ToStored(spec, table, record, new_id, options_.cipher));
  stored.version = 1;
  stored.created_at = stored.updated_at = Now();
  if (spec.personal) {
    CTIMS_ASSIGN_OR_RETURN(stored.access, TagFor(spec, record, stored.id, *tx, caller, nullptr));
    // Under a case, what counts is reaching the case, within the role's
    // scope or through a share (a receiving agency records its own services
    // on a case referred to it; issue 4 §2).
    bool allowed = InScope(reach.filter, stored.access);
    if (!allowed && !spec.case_field.empty()) {
      CTIMS_ASSIGN_OR_RETURN(allowed, CanReach(*tx, reach, stored.access, stored.id));
    }
    if (!allowed) {
      const std::string field = spec.name == "cases" ? "owner_agency_id" : spec.case_field;
      return Status::PermissionDenied("the record would be outside your scope",
                                      {{field, "scope", "outside your role's scope"}});
    }
  }
  CTIMS_RETURN_IF_ERROR(tx->Insert(table, stored));
  json possible_duplicates;  // issue 8: persons only
  if (spec.name == "persons") {
    CTIMS_RETURN_IF_ERROR(IndexPersonInTx(*tx, options_.cipher, stored.id, record, /*fresh=*/true));
    CTIMS_ASSIGN_OR_RETURN(possible_duplicates, ProposeDuplicatesInTx(*tx, reach, stored.id, record, "registration"));
  }
  if (spec.name == "cases" && stored.access.is_protected) {
    CTIMS_RETURN_IF_ERROR(PropagateCaseAccess(*tx, record, stored.access));
  }
  CTIMS_ASSIGN_OR_RETURN(std::string changes,
                         ChangesText(spec, stored.id, 1, domain::Diff(json(), record), options_.cipher));
  CTIMS_RETURN_IF_ERROR(tx->AppendHistory(
      {0, spec.name, stored.id, 1, "create", caller.user_id, stored.created_at, std::move(changes), stored.access}));
  CTIMS_RETURN_IF_ERROR(AuditInTx(*tx, caller, "create", spec.name, stored.id));
  CTIMS_RETURN_IF_ERROR(AfterCreate(spec, record, stored.id, *tx, caller));
  if (options_.policy != nullptr) {  // issue 7
    CTIMS_RETURN_IF_ERROR(options_.policy->AfterWrite(*tx, spec, stored.id, json(), record, caller));
  }
  CTIMS_RETURN_IF_ERROR(tx->Commit());
  json out = WithMeta(std::move(record), stored);
  StripUnreadable(spec, caller.role, out);
  // Only when there are some: the created record reads back byte for byte otherwise.
  if (spec.name == "persons" && !possible_duplicates.empty()) {
    out["possible_duplicates"] = std::move(possible_duplicates);
  }
  return out;
}

Result<RecordService::RecordText> RecordService::GetTextImpl(const domain::ResourceSpec& spec, const std::string& id,
                                                             const Principal& caller) {
  CTIMS_RETURN_IF_ERROR(CheckAction(caller, spec, "read"));
  if (!ReadsEveryGroup(spec, caller.role) || (options_.cipher != nullptr && spec.HasSealedFields())) {
    CTIMS_ASSIGN_OR_RETURN(json record, GetImpl(spec, id, caller));
    const std::int64_t version = record.value("version", std::int64_t{0});
    return RecordText{record.dump(), version};
  }
  if (!core::IsCanonicalId(id)) return NotFoundIn(spec);
  const TableDef table = TableFor(spec);
  std::optional<StoredRecord> stored;
  if (spec.personal) {
    CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kRead));
    CTIMS_ASSIGN_OR_RETURN(const Reach reach, ResolveReach(*tx, caller));
    CTIMS_ASSIGN_OR_RETURN(stored, ReadReachable(*tx, spec, id, reach));
  } else {
    // One statement: no snapshot needed, and the pooled connection goes back
    // before the response is built.
    CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kReadOne));
    CTIMS_ASSIGN_OR_RETURN(stored, tx->Get(table, id));
  }
  if (!stored) return NotFoundIn(spec);
  const std::string& body = stored->body;
  if (body.size() < 2 || body.front() != '{' || body.back() != '}') {
    return Status::Internal("stored record body is not a JSON object");
  }
  std::string out;
  out.reserve(body.size() + 160 + 48 * table.columns.size());
  out += "{\"id\":\"";
  out += stored->id;  // canonical UUID: nothing to escape
  out += "\",\"version\":";
  out += std::to_string(stored->version);
  out += ",\"created_at\":\"";
  out += stored->created_at;  // our own timestamp format: nothing to escape
  out += "\",\"updated_at\":\"";
  out += stored->updated_at;
  out += '"';
  for (std::size_t i = 0; i < table.columns.size() && i < stored->columns.size(); ++i) {
    if (!stored->columns[i]) continue;
    out += ",\"";
    out += table.columns[i];  // field names from the spec: nothing to escape
    out += "\":";
    out += json(*stored->columns[i]).dump();
  }
  if (body.size() > 2) {
    out += ',';
    out.append(body, 1, body.size() - 1);  // members and the closing brace
  } else {
    out += '}';
  }
  return RecordText{std::move(out), stored->version};
}

Result<json> RecordService::GetImpl(const domain::ResourceSpec& spec, const std::string& id, const Principal& caller) {
  CTIMS_RETURN_IF_ERROR(CheckAction(caller, spec, "read"));
  if (!core::IsCanonicalId(id)) return NotFoundIn(spec);
  const TableDef table = TableFor(spec);
  std::optional<StoredRecord> stored;
  {
    CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(spec.personal ? TxMode::kRead : TxMode::kReadOne));
    Reach reach;
    if (spec.personal) {
      CTIMS_ASSIGN_OR_RETURN(reach, ResolveReach(*tx, caller));
    }
    CTIMS_ASSIGN_OR_RETURN(stored, ReadReachable(*tx, spec, id, reach));
  }
  if (!stored) return NotFoundIn(spec);
  CTIMS_ASSIGN_OR_RETURN(json record, Fields(spec, table, *stored, options_.cipher));
  json out = WithMeta(std::move(record), *stored);
  StripUnreadable(spec, caller.role, out);
  return out;
}

Result<json> RecordService::UpdateImpl(const domain::ResourceSpec& spec, const std::string& id, const json& patch,
                                       std::optional<std::int64_t> header_version, const Principal& caller) {
  CTIMS_RETURN_IF_ERROR(CheckAction(caller, spec, "update"));
  if (!patch.is_object()) return Status::InvalidArgument("expected a JSON object", {{"", "type", "object"}});
  if (!core::IsCanonicalId(id)) return NotFoundIn(spec);
  CTIMS_RETURN_IF_ERROR(RejectMetaFields(patch, /*allow_version=*/true));
  CTIMS_ASSIGN_OR_RETURN(std::int64_t expected, ExpectedVersion(patch, header_version));
  json changes = patch;
  changes.erase("version");

  const TableDef table = TableFor(spec);
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kWrite));
  CTIMS_ASSIGN_OR_RETURN(const Reach reach, ResolveReach(*tx, caller));
  CTIMS_ASSIGN_OR_RETURN(auto current, ReadReachable(*tx, spec, id, reach));
  if (!current) return NotFoundIn(spec);
  CTIMS_RETURN_IF_ERROR(CheckWritable(spec, caller.role, changes));
  CTIMS_RETURN_IF_ERROR(RejectManaged(spec, changes));
  if (spec.name == "persons") {  // issue 8 §4: a merged person is read-only until the merge is undone
    if (auto into = ColumnValue(table, *current, "merged_into"); into) {
      return Status::Conflict("the person was merged into another",
                              {{"merged_into", "merged", "merged into " + *into + "; edit that person"}});
    }
  }
  if (current->version != expected) return StaleVersion("the record", current->version);
  CTIMS_ASSIGN_OR_RETURN(json before, Fields(spec, table, *current, options_.cipher));
  json after = before;
  domain::MergePatch(after, changes);
  const auto context = Context();
  CTIMS_RETURN_IF_ERROR(ValidateRecord(spec, after, codelists_, context));
  CTIMS_RETURN_IF_ERROR(BeforeUpdate(spec, before, after, *tx));
  domain::DropNulls(after);
  if (options_.policy != nullptr) {  // issue 7
    CTIMS_RETURN_IF_ERROR(options_.policy->BeforeWrite(*tx, spec, id, before, &after, caller));
  }
  json diff = domain::Diff(before, after);
  if (diff.empty()) {
    tx.reset();  // no write: the audit event goes on its own
    CTIMS_RETURN_IF_ERROR(AuditRecord(caller, "update", spec.name, id, "unchanged"));
    json out = WithMeta(std::move(after), *current);
    StripUnreadable(spec, caller.role, out);
    return out;
  }
  CTIMS_RETURN_IF_ERROR(CheckReferences(spec, after, before, *tx, reach));

  CTIMS_ASSIGN_OR_RETURN(StoredRecord stored, ToStored(spec, table, after, current->id, options_.cipher));
  stored.version = current->version + 1;
  stored.created_at = current->created_at;
  stored.updated_at = Now();
  stored.access = current->access;
  if (!spec.case_field.empty()) {
    // Moved under another case: it takes that case's reach and protection.
    CTIMS_ASSIGN_OR_RETURN(stored.access, TagFor(spec, after, stored.id, *tx, caller, &current->access));
  }
  if (spec.personal && spec.name == "cases") {
    CTIMS_ASSIGN_OR_RETURN(stored.access, TagFor(spec, after, stored.id, *tx, caller, &current->access));
    if (!InScope(reach.filter, stored.access)) {
      return Status::PermissionDenied("the case would leave your scope",
                                      {{"owner_agency_id", "scope", "outside your role's scope"}});
    }
  }
  CTIMS_RETURN_IF_ERROR(tx->Update(table, stored, expected));
  if (spec.name == "persons") {  // issue 8: the name index follows the names
    CTIMS_RETURN_IF_ERROR(IndexPersonInTx(*tx, options_.cipher, stored.id, after, /*fresh=*/false));
    CTIMS_RETURN_IF_ERROR(IndexMergedNamesInTx(*tx, stored.id));  // and the names merged into it
  }
  if (spec.name == "cases" && !(stored.access == current->access)) {
    CTIMS_RETURN_IF_ERROR(PropagateCaseAccess(*tx, after, stored.access));
  }
  CTIMS_ASSIGN_OR_RETURN(std::string history,
                         ChangesText(spec, stored.id, stored.version, std::move(diff), options_.cipher));
  CTIMS_RETURN_IF_ERROR(tx->AppendHistory({0, spec.name, stored.id, stored.version, "update", caller.user_id,
                                           stored.updated_at, std::move(history), stored.access}));
  CTIMS_RETURN_IF_ERROR(AuditInTx(*tx, caller, "update", spec.name, stored.id));
  if (options_.policy != nullptr) {  // issue 7
    CTIMS_RETURN_IF_ERROR(options_.policy->AfterWrite(*tx, spec, stored.id, before, after, caller));
  }
  CTIMS_RETURN_IF_ERROR(tx->Commit());
  json out = WithMeta(std::move(after), stored);
  StripUnreadable(spec, caller.role, out);
  return out;
}

Status RecordService::DeleteImpl(const domain::ResourceSpec& spec, const std::string& id,
                                 std::optional<std::int64_t> expected_version, const Principal& caller) {
  CTIMS_RETURN_IF_ERROR(CheckAction(caller, spec, "delete"));
  if (!core::IsCanonicalId(id)) return NotFoundIn(spec);
  if (!expected_version) {
    return Status::InvalidArgument("the current version is required (If-Match header or ?version=)",
                                   {{"version", "required", "send the version you read"}});
  }
  const TableDef table = TableFor(spec);
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kWrite));
  CTIMS_ASSIGN_OR_RETURN(const Reach reach, ResolveReach(*tx, caller));
  CTIMS_ASSIGN_OR_RETURN(auto current, ReadReachable(*tx, spec, id, reach));
  if (!current) return NotFoundIn(spec);
  if (current->version != *expected_version) return StaleVersion("the record", current->version);
  CTIMS_ASSIGN_OR_RETURN(json before, Fields(spec, table, *current, options_.cipher));
  if (options_.policy != nullptr) {  // issue 7
    CTIMS_RETURN_IF_ERROR(options_.policy->BeforeWrite(*tx, spec, id, before, nullptr, caller));
  }
  CTIMS_RETURN_IF_ERROR(tx->Delete(table, id, *expected_version));
  CTIMS_ASSIGN_OR_RETURN(std::string changes,
                         ChangesText(spec, id, current->version + 1, domain::Diff(before, json()), options_.cipher));
  CTIMS_RETURN_IF_ERROR(tx->AppendHistory(
      {0, spec.name, id, current->version + 1, "delete", caller.user_id, Now(), std::move(changes), current->access}));
  CTIMS_RETURN_IF_ERROR(AuditInTx(*tx, caller, "delete", spec.name, id));
  if (options_.policy != nullptr) {  // issue 7
    CTIMS_RETURN_IF_ERROR(options_.policy->AfterWrite(*tx, spec, id, before, json(), caller));
  }
  return tx->Commit();
}

Result<json> RecordService::ListImpl(const domain::ResourceSpec& spec, const ListRequest& request,
                                     const Principal& caller) {
  CTIMS_RETURN_IF_ERROR(CheckAction(caller, spec, "list"));
  ListQuery query;
  std::vector<FieldError> errors;
  query.limit = kDefaultPageSize;
  if (request.limit) ParseLimit(*request.limit, query.limit, errors);
  if (request.cursor) ParseCursor(*request.cursor, query.after_id, errors);
  for (const auto& [name, value] : request.filters) {
    const auto* field = spec.FindField(name);
    if (field == nullptr || !field->filterable || !caller.role.CanRead(field->group)) {
      errors.push_back({name, "unknown_filter", "cannot filter " + spec.name + " by " + name});
      continue;
    }
    Filter filter;
    filter.field = name;
    filter.value = value;
    if (field->column) {
      filter.kind = Filter::Kind::kColumn;
    } else if (field->type == domain::FieldType::kCodeSet) {
      filter.kind = Filter::Kind::kBodyContains;
    } else {
      filter.kind = Filter::Kind::kBody;
    }
    if (field->type == domain::FieldType::kCode || field->type == domain::FieldType::kCodeSet) {
      const auto* list = codelists_.Find(field->codelist);
      if (list == nullptr || !list->Contains(value)) {
        errors.push_back({name, "codelist", "not a code of list " + field->codelist});
        continue;
      }
    } else if (field->type == domain::FieldType::kRef && !core::IsCanonicalId(value)) {
      errors.push_back({name, "id_format", "not a record id"});
      continue;
    } else if (field->type == domain::FieldType::kDate && !core::IsValidDate(value)) {
      errors.push_back({name, "date", "not a real calendar date in the form YYYY-MM-DD"});
      continue;
    }
    query.filters.push_back(std::move(filter));
  }
  if (!errors.empty()) return Status::InvalidArgument("bad list parameters", std::move(errors));
  // issue 8 §4: merged persons leave the lists, unless asked for by ?merged_into=.
  if (spec.name == "persons" && std::none_of(query.filters.begin(), query.filters.end(),
                                             [](const Filter& f) { return f.field == "merged_into"; })) {
    query.filters.push_back({Filter::Kind::kColumnIsNull, "merged_into", ""});
  }

  const TableDef table = TableFor(spec);
  const std::size_t page = query.limit;
  query.limit = page + 1;  // one more tells whether a next page exists
  std::vector<StoredRecord> rows;
  {
    CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(spec.personal ? TxMode::kRead : TxMode::kReadOne));
    if (spec.personal) {
      CTIMS_ASSIGN_OR_RETURN(const Reach reach, ResolveReach(*tx, caller));
      query.access = reach.filter;
    }
    CTIMS_ASSIGN_OR_RETURN(rows, tx->List(table, query));
  }
  json out = {{"items", json::array()}, {"next_cursor", nullptr}};
  for (std::size_t i = 0; i < rows.size() && i < page; ++i) {
    CTIMS_ASSIGN_OR_RETURN(json record, Fields(spec, table, rows[i], options_.cipher));
    json item = WithMeta(std::move(record), rows[i]);
    StripUnreadable(spec, caller.role, item);
    out["items"].push_back(std::move(item));
  }
  if (rows.size() > page) out["next_cursor"] = rows[page - 1].id;
  return out;
}

Result<json> RecordService::HistoryImpl(const domain::ResourceSpec& spec, const std::string& id,
                                        const Principal& caller) {
  CTIMS_RETURN_IF_ERROR(CheckAction(caller, spec, "history"));
  if (!core::IsCanonicalId(id)) return NotFoundIn(spec);
  std::vector<HistoryEntry> entries;
  {
    CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kRead));
    if (spec.personal) {
      // The history of a personal record follows the record's reach.
      CTIMS_ASSIGN_OR_RETURN(const Reach reach, ResolveReach(*tx, caller));
      CTIMS_ASSIGN_OR_RETURN(auto current, tx->Get(TableFor(spec), id));
      CTIMS_ASSIGN_OR_RETURN(entries, tx->History(spec.name, id));
      // A deleted record keeps the reach it had when it was deleted.
      const AccessTag* tag = current ? &current->access : (entries.empty() ? nullptr : &entries.back().access);
      bool reachable = false;
      if (tag != nullptr) {
        CTIMS_ASSIGN_OR_RETURN(reachable, CanReach(*tx, reach, *tag, id));
      }
      if (!reachable) return NotFoundIn(spec);
    } else {
      CTIMS_ASSIGN_OR_RETURN(entries, tx->History(spec.name, id));
    }
  }
  if (entries.empty()) return NotFoundIn(spec);
  json items = json::array();
  for (const auto& e : entries) {
    json changes = json::parse(e.changes, nullptr, /*allow_exceptions=*/false);
    if (!changes.is_array()) return Status::Internal("stored history is not a JSON array");
    if (options_.cipher != nullptr) CTIMS_RETURN_IF_ERROR(options_.cipher->OpenChanges(spec, id, e.version, changes));
    json visible = json::array();
    for (auto& change : changes) {
      if (caller.role.CanRead(GroupOf(spec, change.value("path", std::string())))) visible.push_back(std::move(change));
    }
    items.push_back({{"version", e.version},
                     {"action", e.action},
                     {"actor", e.actor},
                     {"at", e.at},
                     {"changes", std::move(visible)}});
  }
  return json{{"items", std::move(items)}};
}

Result<json> RecordService::BreakGlassImpl(const std::string& case_id, const std::string& reason,
                                           const Principal& caller) {
  const auto& spec = *domain::FindResource("cases");
  CTIMS_RETURN_IF_ERROR(CheckAction(caller, spec, "break_glass"));
  const std::size_t length = CodePoints(reason);
  if (length < 20 || length > 1000 || HasControl(reason)) {
    return Status::InvalidArgument("state why you need this case",
                                   {{"reason", "length", "a reason of 20 to 1000 characters, one line"}});
  }
  if (!core::IsCanonicalId(case_id)) return NotFoundIn(spec);
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kWrite));
  CTIMS_ASSIGN_OR_RETURN(const Reach reach, ResolveReach(*tx, caller));
  CTIMS_ASSIGN_OR_RETURN(auto current, tx->Get(TableFor(spec), case_id));
  if (!current || !InScope(reach.filter, current->access)) return NotFoundIn(spec);
  if (!current->access.is_protected || current->access.agency == caller.agency_id) {
    return Status::Conflict("the case is open to you without breaking the glass",
                            {{"case_id", "not_protected", "not protected, or your agency owns it"}});
  }
  AccessGrant grant;
  grant.id = core::NewId(clock_);
  grant.user_id = caller.user_id;
  grant.case_id = case_id;
  grant.reason = reason;
  grant.granted_at = reach.now;
  grant.expires_at = core::FormatTimestamp(clock_.Now() + options_.grant_duration);
  CTIMS_RETURN_IF_ERROR(tx->InsertGrant(grant));
  CTIMS_RETURN_IF_ERROR(AuditInTx(*tx, caller, "break_glass", spec.name, case_id));
  // The owning agency learns that someone outside it opened its case.
  Notification notice;
  notice.kind = "ProtectedCaseAccessed";
  notice.agency_id = current->access.agency;
  notice.audience = "cases:update";
  notice.case_id = case_id;
  notice.resource = "cases";
  notice.record_id = case_id;
  notice.dedupe_key = "ProtectedCaseAccessed:" + grant.id;
  CTIMS_RETURN_IF_ERROR(Notify(*tx, notice));
  CTIMS_RETURN_IF_ERROR(tx->Commit());
  return json{{"case_id", case_id}, {"expires_at", grant.expires_at}};
}

Result<json> RecordService::GrantsImpl(const std::string& case_id, const Principal& caller) {
  const auto& spec = *domain::FindResource("cases");
  CTIMS_RETURN_IF_ERROR(CheckAction(caller, spec, "read"));
  if (!core::IsCanonicalId(case_id)) return NotFoundIn(spec);
  CTIMS_ASSIGN_OR_RETURN(auto tx, store_.Begin(TxMode::kRead));
  CTIMS_ASSIGN_OR_RETURN(const Reach reach, ResolveReach(*tx, caller));
  CTIMS_ASSIGN_OR_RETURN(auto current, ReadReachable(*tx, spec, case_id, reach));
  if (!current || current->access.agency != caller.agency_id) return NotFoundIn(spec);
  CTIMS_ASSIGN_OR_RETURN(auto grants, tx->ListGrants(case_id));
  json items = json::array();
  for (const auto& g : grants) {
    items.push_back({{"user_id", g.user_id},
                     {"reason", g.reason},
                     {"granted_at", g.granted_at},
                     {"expires_at", g.expires_at},
                     {"active", g.expires_at > reach.now}});
  }
  return json{{"items", std::move(items)}};
}

// ---- audit (issue 3 §6) -------------------------------------------------------

namespace {

const char* OutcomeOf(const Status& status) {
  switch (status.code()) {
    case core::StatusCode::kOk: return "ok";
    case core::StatusCode::kPermissionDenied: return "denied";
    case core::StatusCode::kUnauthenticated: return "unauthenticated";
    case core::StatusCode::kNotFound: return "not_found";
    case core::StatusCode::kInvalidArgument:
    case core::StatusCode::kPayloadTooLarge: return "invalid";
    case core::StatusCode::kConflict:
    case core::StatusCode::kAlreadyExists: return "conflict";
    case core::StatusCode::kUnavailable:
    case core::StatusCode::kInternal: return "error";
  }
  return "error";
}

// Only canonical ids go into the log (a client's malformed id is input, not
// an identifier).
std::vector<std::string> IdsOf(const std::string& id) {
  if (!core::IsCanonicalId(id)) return {};
  return {id};
}

}  // namespace

Status RecordService::AuditInTx(StoreTransaction& tx, const Principal& caller, std::string_view action,
                                const std::string& resource, const std::string& id) {
  if (options_.audit == nullptr) return Status::Ok();
  return options_.audit->Append(tx, EventFor(caller, action, resource, IdsOf(id), "ok"));
}

Status RecordService::AuditRecord(const Principal& caller, std::string_view action, const std::string& resource,
                                  std::vector<std::string> ids, std::string_view outcome) {
  if (options_.audit == nullptr) return Status::Ok();
  return options_.audit->Record(EventFor(caller, action, resource, std::move(ids), outcome));
}

Status RecordService::AuditRecord(const Principal& caller, std::string_view action, const std::string& resource,
                                  const std::string& id, std::string_view outcome) {
  return AuditRecord(caller, action, resource, IdsOf(id), outcome);
}

void RecordService::AuditFailure(const Principal& caller, std::string_view action, const domain::ResourceSpec& spec,
                                 const std::string& id, const Status& status) {
  // Failed reads of reference data are nobody's business; failed writes,
  // anything about personal data and every refusal are.
  const bool read = action == "read" || action == "list" || action == "history";
  if (read && !spec.personal && status.code() != core::StatusCode::kPermissionDenied) return;
  if (Status s = AuditRecord(caller, action, spec.name, id, OutcomeOf(status)); !s.ok()) {
    core::Log(core::LogLevel::kError, "audit event lost: " + s.ToString());
  }
}

Result<json> RecordService::Create(const domain::ResourceSpec& spec, const json& body, const Principal& caller) {
  auto r = CreateImpl(spec, body, caller);
  if (!r.ok()) AuditFailure(caller, "create", spec, "", r.status());
  return r;
}

Result<json> RecordService::Get(const domain::ResourceSpec& spec, const std::string& id, const Principal& caller) {
  auto r = GetImpl(spec, id, caller);
  if (!r.ok()) {
    AuditFailure(caller, "read", spec, id, r.status());
    return r;
  }
  // A read that cannot be audited is not served.
  if (spec.personal) CTIMS_RETURN_IF_ERROR(AuditRecord(caller, "read", spec.name, id, "ok"));
  return r;
}

Result<RecordService::RecordText> RecordService::GetText(const domain::ResourceSpec& spec, const std::string& id,
                                                         const Principal& caller) {
  auto r = GetTextImpl(spec, id, caller);
  if (!r.ok()) {
    AuditFailure(caller, "read", spec, id, r.status());
    return r;
  }
  if (spec.personal) CTIMS_RETURN_IF_ERROR(AuditRecord(caller, "read", spec.name, id, "ok"));
  return r;
}

Result<json> RecordService::Update(const domain::ResourceSpec& spec, const std::string& id, const json& patch,
                                   std::optional<std::int64_t> expected_version, const Principal& caller) {
  auto r = UpdateImpl(spec, id, patch, expected_version, caller);
  if (!r.ok()) AuditFailure(caller, "update", spec, id, r.status());
  return r;
}

Status RecordService::Delete(const domain::ResourceSpec& spec, const std::string& id,
                             std::optional<std::int64_t> expected_version, const Principal& caller) {
  Status s = DeleteImpl(spec, id, expected_version, caller);
  if (!s.ok()) AuditFailure(caller, "delete", spec, id, s);
  return s;
}

Result<json> RecordService::List(const domain::ResourceSpec& spec, const ListRequest& request,
                                 const Principal& caller) {
  auto r = ListImpl(spec, request, caller);
  if (!r.ok()) {
    AuditFailure(caller, "list", spec, "", r.status());
    return r;
  }
  if (spec.personal) {
    std::vector<std::string> ids;
    for (const auto& item : (*r)["items"]) ids.push_back(item["id"].get<std::string>());
    CTIMS_RETURN_IF_ERROR(AuditRecord(caller, "list", spec.name, std::move(ids), "ok"));
  }
  return r;
}

Result<json> RecordService::History(const domain::ResourceSpec& spec, const std::string& id, const Principal& caller) {
  auto r = HistoryImpl(spec, id, caller);
  if (!r.ok()) {
    AuditFailure(caller, "history", spec, id, r.status());
    return r;
  }
  if (spec.personal) CTIMS_RETURN_IF_ERROR(AuditRecord(caller, "history", spec.name, id, "ok"));
  return r;
}

Result<json> RecordService::BreakGlass(const std::string& case_id, const std::string& reason, const Principal& caller) {
  auto r = BreakGlassImpl(case_id, reason, caller);
  if (!r.ok()) AuditFailure(caller, "break_glass", *domain::FindResource("cases"), case_id, r.status());
  return r;
}

Result<json> RecordService::Grants(const std::string& case_id, const Principal& caller) {
  auto r = GrantsImpl(case_id, caller);
  const Status status = r.ok() ? Status::Ok() : r.status();
  if (Status s = AuditRecord(caller, "read", "access-grants", case_id, OutcomeOf(status)); !s.ok()) return s;
  return r;
}

}  // namespace ctims::app
