-- A claim in one statement (claims.ts claimNextDue): the claim lock, the slot count, the full
-- queues, the earliest due row and its claim, which took four statements and as many round trips
-- (the wait between a callback coming due elsewhere and its dial). The SQL is the same as theirs;
-- only where it runs moved. Arguments: the PBX, now and the lease's end (epoch ms), the claimer,
-- the PBX's slots, the queues with a limit of their own and those limits (same order), and the
-- '*' limit of every other queue (NULL: none). Returns the slots in use before this claim, the
-- full queues, and the callback as claimed (NULL when nothing was: no free slot, nothing due).
CREATE FUNCTION claim_next_due(
  p_pbx            TEXT,
  p_now            BIGINT,
  p_owner          TEXT,
  p_until          BIGINT,
  p_max_concurrent DOUBLE PRECISION,
  p_queues         TEXT[],
  p_limits         DOUBLE PRECISION[],
  p_wildcard       DOUBLE PRECISION,
  OUT used         BIGINT,
  OUT full_queues  TEXT[],
  OUT claimed      callbacks
)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  -- '*' at 0 closes every queue without a limit of its own: only those named may be taken.
  others_open CONSTANT BOOLEAN := p_wildcard IS NULL OR p_wildcard > 0;
  due_id      TEXT;
BEGIN
  -- Each statement below must see the claims committed by whoever held the lock before: a new
  -- snapshot per statement, which only READ COMMITTED takes (a REPEATABLE READ snapshot was taken
  -- before the lock, and the limits would no longer hold across daemons).
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'claim_next_due must run in a READ COMMITTED transaction, not %', current_setting('transaction_isolation');
  END IF;
  -- Claims of one PBX are serialised until COMMIT; the key is the one claims always took.
  PERFORM pg_advisory_xact_lock(hashtext('callbackd.claim.' || p_pbx));

  -- A slot is a callback with an open counted attempt or a claim with a live lease, whoever holds
  -- it, counted once (the dialer clears its claim in the change that starts the attempt, but a
  -- slot is a callback either way). Full: a named queue at its own limit, any other busy queue at
  -- the '*' one.
  WITH busy AS (
    SELECT c.queue, count(*) AS n
      FROM callbacks c
     WHERE c.id IN (SELECT callback_id FROM attempts WHERE pbx = p_pbx AND ended_at IS NULL AND counted
                    UNION
                    SELECT id FROM callbacks WHERE pbx = p_pbx AND status = 'Scheduled' AND claim_owner IS NOT NULL AND claim_until > p_now)
     GROUP BY c.queue
  )
  SELECT coalesce((SELECT sum(n) FROM busy), 0)::BIGINT,
         ARRAY(SELECT l.queue FROM unnest(p_queues, p_limits) AS l (queue, lim)
                WHERE coalesce((SELECT u.n FROM busy u WHERE u.queue = l.queue), 0) >= l.lim
               UNION
               SELECT u.queue FROM busy u
                WHERE p_wildcard IS NOT NULL AND u.queue <> '*' AND u.queue <> ALL (p_queues) AND u.n >= p_wildcard)
    INTO used, full_queues;
  IF p_max_concurrent - used <= 0 THEN
    RETURN;
  END IF;

  -- SKIP LOCKED: a row a commit is changing right now is passed over, not waited for.
  SELECT id INTO due_id
    FROM callbacks
   WHERE pbx = p_pbx AND status = 'Scheduled' AND claim_owner IS NULL AND due_at IS NOT NULL AND due_at <= p_now
     AND queue <> ALL (full_queues) AND (others_open OR queue = ANY (p_queues))
   ORDER BY due_at
   LIMIT 1
   FOR UPDATE SKIP LOCKED;
  IF due_id IS NULL THEN
    RETURN;
  END IF;

  -- The version moves so a holder whose lease was taken away loses its optimistic checks;
  -- updated_at does not (claims are not the callback's own changes).
  UPDATE callbacks SET claim_owner = p_owner, claim_until = p_until, version = version + 1
   WHERE id = due_id
  RETURNING * INTO claimed;
END
$$;
