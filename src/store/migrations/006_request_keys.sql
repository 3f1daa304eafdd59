-- The Idempotency-Key of a creating API request (scoped to its token and hashed by the API), kept
-- in the transaction that created or merged its callback: a retry finds it, even after a restart,
-- gets the first answer back, and never creates a second callback. `callback` is the callback as
-- that request left it (JSON), so the repeat answers what the first did; `memo` is what else the
-- front end needs for that answer.
CREATE TABLE request_keys (
  key         TEXT    NOT NULL PRIMARY KEY,
  fingerprint TEXT    NOT NULL,
  callback_id TEXT    NOT NULL,
  merged      INTEGER NOT NULL CHECK (merged IN (0, 1)),
  callback    TEXT    NOT NULL,
  memo        TEXT    NOT NULL DEFAULT '{}',
  created_at  INTEGER NOT NULL
);

-- For a later purge of old keys (a retry comes within minutes, not months).
CREATE INDEX request_keys_created ON request_keys (created_at);
