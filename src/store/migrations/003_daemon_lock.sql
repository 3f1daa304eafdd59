-- One daemon per SQLite file: the one running holds this row and renews it; a second one that
-- finds it fresh (or held by a live process of the same host) refuses to start.
CREATE TABLE daemon_lock (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  owner        TEXT    NOT NULL,
  host         TEXT    NOT NULL,
  pid          INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL
);
