-- Why an abandoned call did or did not become a LostShift callback. NULL on an abandoned call
-- means the decision was never taken (the daemon died between the two): a start takes it again.
ALTER TABLE calls ADD COLUMN lost_decision TEXT;

CREATE INDEX calls_undecided ON calls (ended_at) WHERE result = 'abandoned' AND lost_decision IS NULL;

-- Callbacks holding a caller's place have no due time; the few that do are found at every
-- reconnect to check that each still has its placeholder.
CREATE INDEX callbacks_held ON callbacks (created_at) WHERE status = 'Scheduled' AND due_at IS NULL;
