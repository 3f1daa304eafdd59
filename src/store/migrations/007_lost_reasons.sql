-- Why an abandoned call did or did not become a callback, as a stable code beside the words
-- (grids filter on it, metrics count it). Calls decided before this migration get the code their
-- words began with; 'error' where nothing matches, so none is left without one.
ALTER TABLE calls ADD COLUMN lost_reason TEXT;

UPDATE calls SET lost_reason = CASE
    WHEN lost_decision LIKE 'shifted (merged%' THEN 'merged'
    WHEN lost_decision LIKE 'shifted%' THEN 'shifted'
    WHEN lost_decision LIKE 'waited %' THEN 'too_short'
    WHEN lost_decision LIKE 'anonymous%' THEN 'anonymous'
    WHEN lost_decision LIKE 'maxPending%' THEN 'max_pending'
    WHEN lost_decision LIKE 'no transition%' THEN 'no_transition'
    WHEN lost_decision LIKE 'refused%' THEN 'number_not_allowed'
    ELSE 'error'
  END
 WHERE lost_decision IS NOT NULL;

CREATE INDEX calls_lost_reason ON calls (lost_reason, entered_at, id) WHERE lost_reason IS NOT NULL;
