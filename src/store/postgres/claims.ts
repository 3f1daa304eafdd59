import type { ClaimRequest, ClaimResult } from '../../domain/store';
import type { Callback } from '../../domain/types';
import type { Queryable } from './connection';
import { type CallbackRow, toCallback } from './rows';

/** The claimable set, spelled exactly as the WHERE of callbacks_claimable and callbacks_claimable_queue. */
const CLAIMABLE = "status = 'Scheduled' AND claim_owner IS NULL AND due_at IS NOT NULL";

/**
 * The callbacks of one PBX taking a slot, per queue: those with an open counted attempt and those
 * claimed with a live lease, whoever holds them. A callback counts once (the dialer clears its
 * claim in the change that starts the attempt, but a slot is a callback either way).
 */
const USED_SLOTS_SQL = `
SELECT c.queue, count(*) AS used
  FROM callbacks c
 WHERE c.id IN (SELECT callback_id FROM attempts WHERE pbx = $1 AND ended_at IS NULL AND counted
                UNION
                SELECT id FROM callbacks WHERE pbx = $1 AND status = 'Scheduled' AND claim_owner IS NOT NULL AND claim_until > $2)
 GROUP BY c.queue`;

/**
 * SKIP LOCKED: a row a commit is changing right now is passed over, not waited for. $3: the full
 * queues; $4 false when queues without a limit of their own are closed ('*' at 0), and only those
 * named in $5 may be taken.
 */
const EARLIEST_DUE_SQL = `
SELECT id FROM callbacks
 WHERE pbx = $1 AND ${CLAIMABLE} AND due_at <= $2 AND queue <> ALL($3::text[]) AND ($4 OR queue = ANY($5::text[]))
 ORDER BY due_at
 LIMIT 1
 FOR UPDATE SKIP LOCKED`;

/** The version moves so a holder whose lease was taken away loses its optimistic checks; updated_at does not (claims are not the callback's own changes). */
const TAKE_SQL = 'UPDATE callbacks SET claim_owner = $2, claim_until = $3, version = version + 1 WHERE id = $1 RETURNING *';

const RELEASE = 'SET claim_owner = NULL, claim_until = NULL, version = version + 1';

/** The key under which a queue without a limit of its own takes the wildcard transitions' limit (see domain/limits.ts). */
const ANY_QUEUE = '*';

/**
 * One claim, inside the caller's transaction. Claims of one PBX are serialised on an advisory
 * lock held to COMMIT, so a claimer counts the slots with every earlier claim of that PBX already
 * visible: the limits hold exactly across daemons. Claims of other PBXs do not wait.
 */
export async function claimNextDue(client: Queryable, request: ClaimRequest): Promise<ClaimResult> {
  const { owner, pbx, now, leaseMs, maxConcurrent, queueLimits } = request;
  await client.query("SELECT pg_advisory_xact_lock(hashtext('callbackd.claim.' || $1))", [pbx]);
  const usage = (await client.query<{ queue: string; used: number }>(USED_SLOTS_SQL, [pbx, now])).rows;
  const used = new Map(usage.map((row) => [row.queue, row.used]));
  let total = 0;
  for (const n of used.values()) total += n;
  const free = maxConcurrent - total;
  const fullQueues = fullQueuesOf(used, queueLimits);
  if (free <= 0) return { callback: null, free, fullQueues };
  const wildcard = queueLimits[ANY_QUEUE];
  const othersOpen = wildcard === undefined || wildcard > 0;
  const named = Object.keys(queueLimits).filter((queue) => queue !== ANY_QUEUE);
  const due = (await client.query<{ id: string }>(EARLIEST_DUE_SQL, [pbx, now, fullQueues, othersOpen, named])).rows[0];
  if (!due) return { callback: null, free, fullQueues };
  const row = (await client.query<CallbackRow>(TAKE_SQL, [due.id, owner, now + leaseMs])).rows[0];
  return { callback: row ? toCallback(row) : null, free, fullQueues };
}

/** Queues at their own limit: named ones by theirs, any other busy queue by the wildcard's. */
function fullQueuesOf(used: ReadonlyMap<string, number>, limits: Readonly<Record<string, number>>): string[] {
  const full = new Set<string>();
  for (const [queue, limit] of Object.entries(limits)) {
    if (queue !== ANY_QUEUE && (used.get(queue) ?? 0) >= limit) full.add(queue);
  }
  const wildcard = limits[ANY_QUEUE];
  if (wildcard !== undefined) {
    for (const [queue, n] of used) {
      if (!Object.hasOwn(limits, queue) && n >= wildcard) full.add(queue);
    }
  }
  return [...full].sort();
}

export async function releaseClaim(db: Queryable, id: string, owner: string): Promise<void> {
  await db.query(`UPDATE callbacks ${RELEASE} WHERE id = $1 AND claim_owner = $2`, [id, owner]);
}

export async function releaseExpiredClaims(db: Queryable, now: number): Promise<number> {
  return (await db.query(`UPDATE callbacks ${RELEASE} WHERE claim_owner IS NOT NULL AND claim_until <= $1`, [now])).rowCount ?? 0;
}

/**
 * As a daemon starts: the claims `owner` holds are its previous incarnation's (an owner is a
 * daemon's stable identity), and those of owners with no fresh seat are a dead daemon's. Nobody
 * is dialling either, so both go back.
 */
export async function releaseOrphanedClaims(db: Queryable, owner: string, now: number, staleMs: number): Promise<number> {
  const result = await db.query(
    `UPDATE callbacks ${RELEASE}
      WHERE claim_owner IS NOT NULL
        AND (claim_owner = $1 OR NOT EXISTS (SELECT 1 FROM daemons d WHERE d.owner = callbacks.claim_owner AND d.heartbeat_at > $2))`,
    [owner, now - staleMs],
  );
  return result.rowCount ?? 0;
}

export async function nextDueAt(db: Queryable, pbx: string, skipQueues: readonly string[] = []): Promise<number | null> {
  const result = await db.query<{ due_at: number | null }>(
    `SELECT min(due_at) AS due_at FROM callbacks WHERE pbx = $1 AND ${CLAIMABLE} AND queue <> ALL($2::text[])`,
    [pbx, [...skipQueues]],
  );
  return result.rows[0]?.due_at ?? null;
}

export async function dueForExpiry(db: Queryable, now: number, limit: number): Promise<Callback[]> {
  const result = await db.query<CallbackRow>(
    `SELECT * FROM callbacks
      WHERE status = 'Scheduled' AND expires_at IS NOT NULL AND expires_at <= $1
      ORDER BY expires_at
      LIMIT $2`,
    [now, limit],
  );
  return result.rows.map(toCallback);
}
