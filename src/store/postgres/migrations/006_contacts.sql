-- Contact tables (callbackd contacts import): lists a supervisor imports from CSV, in which
-- scripts look numbers up. A table's name is data in these two tables, never a table of its own,
-- so nothing a user names reaches SQL. Keys compare byte by byte (COLLATE "C"), as SQLite's do,
-- so pages come in the same order on both.
CREATE TABLE contact_tables (
  name         TEXT   NOT NULL PRIMARY KEY,
  key_column   TEXT   NOT NULL,
  -- The columns in order (the CSV header, then those later imports added).
  column_names JSON   NOT NULL,
  row_count    BIGINT NOT NULL,
  imported_at  BIGINT NOT NULL
);

CREATE TABLE contacts (
  table_name  TEXT NOT NULL REFERENCES contact_tables (name) ON DELETE CASCADE,
  contact_key TEXT COLLATE "C" NOT NULL,
  -- JSON rather than JSONB: a row keeps its columns in the order they were imported.
  row         JSON NOT NULL,
  PRIMARY KEY (table_name, contact_key)
);
