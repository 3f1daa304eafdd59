-- PostgreSQL schema for today's model, one step. Times are epoch milliseconds (BIGINT, read back
-- as JS numbers); ids are strings chosen by the engine. form/data are JSON (not JSONB): JSON keeps
-- the text as written, so keys come back in the order SQLite returns them. Ids and the columns
-- pages are ordered by use COLLATE "C": byte order, as in SQLite, whatever the database's locale.

CREATE TABLE callbacks (
  id             TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  -- The PBX that dials it: daemons of other PBXs sharing this database never touch it.
  pbx            TEXT    NOT NULL,
  number         TEXT    NOT NULL,
  queue          TEXT    NOT NULL,
  status         TEXT    NOT NULL
                 CHECK (status IN ('Scheduled','Dialing','Completed','Failed','Neglected','Cancelled','Expired')),
  mechanism      TEXT    NOT NULL,
  transition     TEXT    NOT NULL,
  due_at         BIGINT,
  expires_at     BIGINT,
  created_at     BIGINT  NOT NULL,
  updated_at     BIGINT  NOT NULL,
  attempts       INTEGER NOT NULL DEFAULT 0,
  origin_call_id TEXT,
  shifted        BOOLEAN NOT NULL DEFAULT false,
  form           JSON    NOT NULL DEFAULT '{}',
  note           TEXT,
  queue_position INTEGER,
  claim_owner    TEXT,
  claim_until    BIGINT,
  version        INTEGER NOT NULL DEFAULT 1
);

-- "Two callbacks never stand pending for the same number and queue" (of one PBX) is enforced here,
-- not only by the code that looks first; createOrMerge names it as its ON CONFLICT arbiter, so a
-- creator that loses the race merges instead of failing. Queue before number so it serves
-- countPending too.
CREATE UNIQUE INDEX callbacks_pending ON callbacks (pbx, queue, number)
  WHERE status IN ('Scheduled','Dialing');

-- The claimable rows, in due order per PBX (claimNextDue, nextDueAt). Partial, so it holds only
-- what a dialer could take and stays small when most rows are finished.
CREATE INDEX callbacks_claimable ON callbacks (pbx, due_at)
  WHERE status = 'Scheduled' AND claim_owner IS NULL AND due_at IS NOT NULL;

-- The same rows by queue, for the earliest due of one queue when others are full.
CREATE INDEX callbacks_claimable_queue ON callbacks (pbx, queue, due_at)
  WHERE status = 'Scheduled' AND claim_owner IS NULL AND due_at IS NOT NULL;

CREATE INDEX callbacks_expiry ON callbacks (expires_at)
  WHERE status = 'Scheduled' AND expires_at IS NOT NULL;

-- Outstanding claims are few: slot counting and lease recovery read this tiny index.
CREATE INDEX callbacks_claimed ON callbacks (pbx, claim_until)
  WHERE claim_owner IS NOT NULL;

-- Places held for callers (no due time), checked at every reconnect for their placeholder.
CREATE INDEX callbacks_held ON callbacks (pbx, created_at)
  WHERE status = 'Scheduled' AND due_at IS NULL;

CREATE INDEX callbacks_origin ON callbacks (origin_call_id)
  WHERE origin_call_id IS NOT NULL;

-- Listing is newest first with a (created_at, id) cursor; one index per usual grid filter keeps
-- a page cheap even when the filter matches few of a million rows.
CREATE INDEX callbacks_created ON callbacks (created_at, id);
CREATE INDEX callbacks_status_created ON callbacks (status, created_at, id);
CREATE INDEX callbacks_number_created ON callbacks (number, created_at, id);
CREATE INDEX callbacks_queue_created ON callbacks (queue, created_at, id);

CREATE TABLE attempts (
  id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  callback_id     TEXT COLLATE "C" NOT NULL REFERENCES callbacks (id),
  -- Copied from the callback, so a daemon finds its PBX's open attempts without a join.
  pbx             TEXT    NOT NULL,
  seq             INTEGER NOT NULL,
  mode            TEXT    NOT NULL CHECK (mode IN ('agent-first','customer-first')),
  started_at      BIGINT  NOT NULL,
  ended_at        BIGINT,
  outcome         TEXT,
  placeholder_ref TEXT,
  customer_ref    TEXT,
  detail          TEXT,
  -- The daemon answering for the attempt while it runs, and until when; another takes it over
  -- once the lease lapsed.
  owner           TEXT,
  lease_until     BIGINT,
  counted         BOOLEAN NOT NULL DEFAULT true,
  UNIQUE (callback_id, seq)
);

-- Restart recovery, adoption and slot counting look only at attempts that never ended.
CREATE INDEX attempts_open ON attempts (pbx, started_at) WHERE ended_at IS NULL;
CREATE INDEX attempts_open_owner ON attempts (owner) WHERE ended_at IS NULL;

-- BIGSERIAL: an id is never reused, so integrations can page the log with `after=`.
CREATE TABLE events (
  id          BIGSERIAL PRIMARY KEY,
  type        TEXT   NOT NULL,
  at          BIGINT NOT NULL,
  callback_id TEXT COLLATE "C" REFERENCES callbacks (id),
  call_id     TEXT,
  data        JSON   NOT NULL DEFAULT '{}'
);

CREATE INDEX events_callback ON events (callback_id, id) WHERE callback_id IS NOT NULL;
CREATE INDEX events_call ON events (call_id, id) WHERE call_id IS NOT NULL;

CREATE TABLE calls (
  id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  pbx           TEXT   NOT NULL,
  number        TEXT,
  queue         TEXT,
  entered_at    BIGINT NOT NULL,
  ended_at      BIGINT,
  result        TEXT   NOT NULL CHECK (result IN ('waiting','served','abandoned','callback','left')),
  position      INTEGER,
  wait_seconds  DOUBLE PRECISION,
  form          JSON   NOT NULL DEFAULT '{}',
  -- Why an abandoned call did or did not become a LostShift callback. NULL on an abandoned call
  -- means the decision was never taken (the daemon died between the two): a start takes it again.
  lost_decision TEXT
);

CREATE INDEX calls_waiting ON calls (pbx, queue, entered_at) WHERE result = 'waiting';
CREATE INDEX calls_undecided ON calls (pbx, ended_at) WHERE result = 'abandoned' AND lost_decision IS NULL;

-- The daemons sharing this database, each renewing its heartbeat; a claim whose owner has no
-- fresh seat is orphaned and given back.
CREATE TABLE daemons (
  owner        TEXT    NOT NULL PRIMARY KEY,
  host         TEXT    NOT NULL,
  pid          INTEGER NOT NULL,
  pbx          TEXT    NOT NULL,
  started_at   BIGINT  NOT NULL,
  heartbeat_at BIGINT  NOT NULL
);
