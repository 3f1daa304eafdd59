-- Several daemons, each serving one PBX (its pbxName), may share a database (PostgreSQL); a
-- SQLite file keeps one daemon, but its rows carry the same columns so one store interface and one
-- conformance suite fit both. Rows written before this migration belong to the PBX 'default'.

ALTER TABLE callbacks ADD COLUMN pbx TEXT NOT NULL DEFAULT 'default';
ALTER TABLE calls ADD COLUMN pbx TEXT NOT NULL DEFAULT 'default';

-- An attempt is answered for by the daemon that owns it, as long as it renews its lease; once the
-- lease lapsed (the owner died) another daemon of the same PBX adopts it. Attempts from before
-- have no owner: the first daemon to start adopts them.
ALTER TABLE attempts ADD COLUMN owner TEXT;
ALTER TABLE attempts ADD COLUMN lease_until INTEGER;
-- Whether the attempt takes one of the PBX's concurrency slots: a dialled callback does, a place
-- held for a caller who chose to stay in the queue (a queue position) does not.
ALTER TABLE attempts ADD COLUMN counted INTEGER NOT NULL DEFAULT 1 CHECK (counted IN (0, 1));
-- Copied from the callback when the attempt starts, so slots of one PBX are counted without a join.
ALTER TABLE attempts ADD COLUMN pbx TEXT NOT NULL DEFAULT 'default';

UPDATE attempts
   SET counted = CASE WHEN (SELECT c.queue_position FROM callbacks c WHERE c.id = attempts.callback_id) IS NULL THEN 1 ELSE 0 END,
       pbx = (SELECT c.pbx FROM callbacks c WHERE c.id = attempts.callback_id);

ALTER TABLE daemon_lock ADD COLUMN pbx TEXT NOT NULL DEFAULT 'default';

-- "Two callbacks never stand pending for the same number and queue" now holds per PBX: two PBXs
-- sharing a database may each have a caller with the same number in a queue of the same name.
-- Queue first still, so the index also serves countPending(queue) and pendingFor(number, queue),
-- which do not name a PBX; the PBX is last because it only separates rows, it never narrows a
-- lookup much.
DROP INDEX callbacks_pending;
CREATE UNIQUE INDEX callbacks_pending ON callbacks (queue, number, pbx)
  WHERE status IN ('Scheduled','Dialing');

-- A daemon claims only callbacks of its own PBX, so the claimable walks start with the PBX: a
-- backlog of another PBX is never stepped over. Same rows, same INDEXED BY reasons as in 001.
DROP INDEX callbacks_claimable;
CREATE INDEX callbacks_claimable ON callbacks (pbx, due_at)
  WHERE status = 'Scheduled' AND claim_owner IS NULL AND due_at IS NOT NULL;

DROP INDEX callbacks_claimable_queue;
CREATE INDEX callbacks_claimable_queue ON callbacks (pbx, queue, due_at)
  WHERE status = 'Scheduled' AND claim_owner IS NULL AND due_at IS NOT NULL;

-- Every claim counts the PBX's outstanding claims per queue inside its transaction; few rows are
-- claimed at once, so this stays tiny.
CREATE INDEX callbacks_outstanding_claims ON callbacks (pbx, queue, claim_until)
  WHERE status = 'Scheduled' AND claim_owner IS NOT NULL;

-- Every claim also counts the PBX's open attempts, and a starting daemon adopts them: both read
-- only the few attempts that never ended.
CREATE INDEX attempts_open_pbx ON attempts (pbx, started_at) WHERE ended_at IS NULL;

-- Held places, waiting calls and undecided lost calls are looked up per PBX.
DROP INDEX callbacks_held;
CREATE INDEX callbacks_held ON callbacks (pbx, created_at) WHERE status = 'Scheduled' AND due_at IS NULL;

DROP INDEX calls_waiting;
CREATE INDEX calls_waiting ON calls (pbx, queue, entered_at) WHERE result = 'waiting';

DROP INDEX calls_undecided;
CREATE INDEX calls_undecided ON calls (pbx, ended_at) WHERE result = 'abandoned' AND lost_decision IS NULL;
