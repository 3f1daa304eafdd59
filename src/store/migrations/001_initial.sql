-- Times are epoch milliseconds; ids are strings chosen by the engine; form/data are JSON text.

CREATE TABLE callbacks (
  id             TEXT    NOT NULL PRIMARY KEY,
  number         TEXT    NOT NULL,
  queue          TEXT    NOT NULL,
  status         TEXT    NOT NULL
                 CHECK (status IN ('Scheduled','Dialing','Completed','Failed','Neglected','Cancelled','Expired')),
  mechanism      TEXT    NOT NULL,
  transition     TEXT    NOT NULL,
  due_at         INTEGER,
  expires_at     INTEGER,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  attempts       INTEGER NOT NULL DEFAULT 0,
  origin_call_id TEXT,
  shifted        INTEGER NOT NULL DEFAULT 0 CHECK (shifted IN (0, 1)),
  form           TEXT    NOT NULL DEFAULT '{}',
  note           TEXT,
  queue_position INTEGER,
  claim_owner    TEXT,
  claim_until    INTEGER,
  version        INTEGER NOT NULL DEFAULT 1
);

-- The dialer's hot path (claimNextDue, nextDueAt) walks this in due order. It holds only rows a
-- dialer could take, so it stays small when most rows are finished. The queries name it with
-- INDEXED BY: the planner would otherwise prefer callbacks_status_created (status = ?) and scan
-- every Scheduled row.
CREATE INDEX callbacks_claimable ON callbacks (due_at)
  WHERE status = 'Scheduled' AND claim_owner IS NULL AND due_at IS NOT NULL;

-- The same rows by queue, for claims that skip queues: the earliest of each other queue is one
-- seek, where a due-order walk would step over every due row of a skipped queue (a queue with no
-- free agent and a long backlog is exactly the one skipped).
CREATE INDEX callbacks_claimable_queue ON callbacks (queue, due_at)
  WHERE status = 'Scheduled' AND claim_owner IS NULL AND due_at IS NOT NULL;

-- "Two callbacks never stand pending for the same number and queue" is enforced here, not only by
-- the code that checks first. Queue first so it also serves countPending (maxPending, asked before
-- every IVR offer); pendingFor gives both columns anyway.
CREATE UNIQUE INDEX callbacks_pending ON callbacks (queue, number)
  WHERE status IN ('Scheduled','Dialing');

CREATE INDEX callbacks_expiry ON callbacks (expires_at)
  WHERE status = 'Scheduled' AND expires_at IS NOT NULL;

-- Few rows are claimed at any time, so lease recovery reads a tiny index instead of the table.
CREATE INDEX callbacks_claimed ON callbacks (claim_until)
  WHERE claim_owner IS NOT NULL;

CREATE INDEX callbacks_origin ON callbacks (origin_call_id)
  WHERE origin_call_id IS NOT NULL;

-- Listing is newest first with a (created_at, id) cursor; one index per usual grid filter keeps
-- a page cheap even when the filter matches few of a million rows.
CREATE INDEX callbacks_created ON callbacks (created_at, id);
CREATE INDEX callbacks_status_created ON callbacks (status, created_at, id);
CREATE INDEX callbacks_number_created ON callbacks (number, created_at, id);
CREATE INDEX callbacks_queue_created ON callbacks (queue, created_at, id);

CREATE TABLE attempts (
  id              TEXT    NOT NULL PRIMARY KEY,
  callback_id     TEXT    NOT NULL REFERENCES callbacks (id),
  seq             INTEGER NOT NULL,
  mode            TEXT    NOT NULL CHECK (mode IN ('agent-first','customer-first')),
  started_at      INTEGER NOT NULL,
  ended_at        INTEGER,
  outcome         TEXT,
  placeholder_ref TEXT,
  customer_ref    TEXT,
  detail          TEXT,
  UNIQUE (callback_id, seq)
);

-- Restart recovery looks for attempts that never ended.
CREATE INDEX attempts_open ON attempts (started_at) WHERE ended_at IS NULL;

-- AUTOINCREMENT so an id is never reused: integrations page the log with `after=`.
CREATE TABLE events (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  type        TEXT    NOT NULL,
  at          INTEGER NOT NULL,
  callback_id TEXT REFERENCES callbacks (id),
  call_id     TEXT,
  data        TEXT    NOT NULL DEFAULT '{}'
);

CREATE INDEX events_callback ON events (callback_id) WHERE callback_id IS NOT NULL;
CREATE INDEX events_call ON events (call_id) WHERE call_id IS NOT NULL;

CREATE TABLE calls (
  id           TEXT    NOT NULL PRIMARY KEY,
  number       TEXT,
  queue        TEXT,
  entered_at   INTEGER NOT NULL,
  ended_at     INTEGER,
  result       TEXT    NOT NULL CHECK (result IN ('waiting','served','abandoned','callback','left')),
  position     INTEGER,
  wait_seconds REAL,
  form         TEXT    NOT NULL DEFAULT '{}'
);

CREATE INDEX calls_waiting ON calls (queue, entered_at) WHERE result = 'waiting';
