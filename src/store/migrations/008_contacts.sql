-- Contact tables (callbackd contacts import): lists a supervisor imports from CSV, in which
-- scripts look numbers up. A table's name is data in these two tables, never a table of its own,
-- so nothing a user names reaches SQL. Each row is kept as JSON (column name to string).
CREATE TABLE contact_tables (
  name         TEXT    NOT NULL PRIMARY KEY,
  key_column   TEXT    NOT NULL,
  -- JSON array: the columns in order (the CSV header, then those later imports added).
  column_names TEXT    NOT NULL,
  row_count    INTEGER NOT NULL,
  imported_at  INTEGER NOT NULL
);

CREATE TABLE contacts (
  table_name  TEXT NOT NULL REFERENCES contact_tables (name) ON DELETE CASCADE,
  contact_key TEXT NOT NULL,
  row         TEXT NOT NULL,
  PRIMARY KEY (table_name, contact_key)
) WITHOUT ROWID;
