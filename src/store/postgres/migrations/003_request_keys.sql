-- The Idempotency-Key of a creating API request (scoped to its token and hashed by the API), kept
-- in the transaction that created or merged its callback: a retry finds it, even after a restart
-- or on another daemon, gets the first answer back, and never creates a second callback. Two
-- creators with one key queue on an advisory lock of that key (request-keys.ts). `callback` is the
-- callback as that request left it, so the repeat answers what the first did; `memo` is what else
-- the front end needs for that answer.
CREATE TABLE request_keys (
  key         TEXT    NOT NULL PRIMARY KEY,
  fingerprint TEXT    NOT NULL,
  callback_id TEXT    NOT NULL,
  merged      BOOLEAN NOT NULL,
  callback    JSONB   NOT NULL,
  memo        JSONB   NOT NULL DEFAULT '{}',
  created_at  BIGINT  NOT NULL
);

-- For a later purge of old keys (a retry comes within minutes, not months).
CREATE INDEX request_keys_created ON request_keys (created_at);
