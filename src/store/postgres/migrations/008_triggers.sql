-- Triggers (src/triggers): how far status triggers have read the history, and the runs of
-- interval triggers. A run is claimed for its slot (the instant its cron expression named) before
-- it starts, so daemons sharing a database run each slot once, and a slot is never run twice.
CREATE TABLE trigger_cursors (
  name TEXT PRIMARY KEY,
  last_event_id BIGINT NOT NULL
);

CREATE TABLE trigger_runs (
  name TEXT NOT NULL,
  slot_at BIGINT NOT NULL,
  owner TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  ended_at BIGINT,
  outcome TEXT,
  detail TEXT,
  PRIMARY KEY (name, slot_at)
);

CREATE INDEX trigger_runs_latest ON trigger_runs (name, started_at);
