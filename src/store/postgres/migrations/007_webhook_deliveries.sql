-- Webhook deliveries: each event for a webhook is a row, written before its first attempt, so a
-- restart loses none (at least once: receivers de-duplicate on the id). A dead row is the
-- dead-letter record; a replay starts a new round of attempts and keeps the earlier rounds'.
-- Daemons sharing the database claim due rows with FOR UPDATE SKIP LOCKED and a lease.
CREATE TABLE webhook_deliveries (
  id               TEXT    NOT NULL PRIMARY KEY,
  webhook          TEXT    NOT NULL,
  url              TEXT    NOT NULL,
  secret           TEXT,
  event            TEXT    NOT NULL,
  body             TEXT    NOT NULL,
  -- timeoutMs, maxAttempts, firstDelaySeconds, factor, maxDelaySeconds.
  policy           JSONB   NOT NULL,
  status           TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
  due_at           BIGINT,
  attempts         INTEGER NOT NULL DEFAULT 0,
  round            INTEGER NOT NULL DEFAULT 0,
  last_status_code INTEGER,
  last_error       TEXT,
  created_at       BIGINT  NOT NULL,
  updated_at       BIGINT  NOT NULL,
  claim_owner      TEXT,
  claim_until      BIGINT
);

-- The workers' claims and their next wake read only pending rows.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at) WHERE status = 'pending';
-- The list, newest first, whole or by status or by webhook.
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at, id);
CREATE INDEX webhook_deliveries_status_created ON webhook_deliveries (status, created_at, id);
CREATE INDEX webhook_deliveries_webhook_created ON webhook_deliveries (webhook, created_at, id);

CREATE TABLE webhook_delivery_attempts (
  delivery_id TEXT    NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  round       INTEGER NOT NULL,
  seq         INTEGER NOT NULL,
  at          BIGINT  NOT NULL,
  duration_ms INTEGER NOT NULL,
  status_code INTEGER,
  error       TEXT,
  PRIMARY KEY (delivery_id, round, seq)
);
