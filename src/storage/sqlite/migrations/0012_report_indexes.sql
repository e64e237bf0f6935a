-- Reports aggregated in the database (issue 9 §4, app/report_store.hpp).
-- The assistance date is a body member; this index on the very expression
-- the report queries compare (storage/sqlite/sqlite_report.cpp) lets a
-- period with a start read only the assistance dated in it.
CREATE INDEX assistance_ast_date ON assistance(json_extract(body, '$.ast_Date'));
