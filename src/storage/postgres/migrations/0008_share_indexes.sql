-- Lists of an agency-scoped role also pass rows shared with the agency
-- (0007): `acl_case IN (shares of the agency)`. An index on acl_case in every
-- personal table of issue 3 lets SQLite answer the scope, the shares by case
-- and the shares by person as a multi-index OR instead of a table scan (the
-- tables of 0007 have it already).
CREATE INDEX persons_acl_case ON persons(acl_case);
CREATE INDEX cases_acl_case ON cases(acl_case);
CREATE INDEX trafficking_events_acl_case ON trafficking_events(acl_case);
CREATE INDEX employment_episodes_acl_case ON employment_episodes(acl_case);
CREATE INDEX claims_acl_case ON claims(acl_case);
CREATE INDEX immigration_statuses_acl_case ON immigration_statuses(acl_case);
CREATE INDEX assistance_acl_case ON assistance(acl_case);
CREATE INDEX consents_acl_case ON consents(acl_case);
