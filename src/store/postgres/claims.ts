import type pg from 'pg';
import type { ClaimRequest, ClaimResult } from '../../domain/store';
import type { Callback } from '../../domain/types';
import { inOneTrip, type Queryable } from './connection';
import { CALLBACK_COLUMNS, type CallbackRow, toCallback } from './rows';

/** The claimable set, spelled exactly as the WHERE of callbacks_claimable and callbacks_claimable_queue. */
const CLAIMABLE = "status = 'Scheduled' AND claim_owner IS NULL AND due_at IS NOT NULL";

const RELEASE = 'SET claim_owner = NULL, claim_until = NULL, version = version + 1';

/** The key under which a queue without a limit of its own takes the wildcard transitions' limit (see domain/limits.ts). */
const ANY_QUEUE = '*';

/** Named (prepared once per connection): a claim is the dialer's hot path. */
const CLAIM_STATEMENT = 'callbackd.claim_next_due';

/** The claimed callback's columns by name, in rows.ts order, so toCallback reads them as from `SELECT *`. */
const CLAIM_SQL = `
SELECT c.used, c.full_queues, ${CALLBACK_COLUMNS.map((column) => `(c.claimed).${column}`).join(', ')}
  FROM claim_next_due($1, $2, $3, $4, $5, $6, $7, $8) AS c`;

type ClaimRow = { used: number; full_queues: string[] } & { [K in keyof CallbackRow]: CallbackRow[K] | null };

/**
 * One claim: the function claim_next_due (migration 004) does in the database what took four
 * statements here (the claim lock, the slot count, the earliest due row, its claim), in one round
 * trip with its BEGIN and COMMIT. Claims of one PBX are serialised on an advisory lock held to
 * COMMIT, so a claimer counts the slots with every earlier claim of that PBX already visible: the
 * limits hold exactly across daemons. Claims of other PBXs do not wait.
 *
 * BEGIN is not waited for before the call goes out. Had it failed alone (in practice it only fails
 * with its connection, and the call with it), the call would run and commit on its own while this
 * throws: that callback stays claimed by this owner, undialled, until its lease runs out and a
 * sweep gives it back. Late, never dialled twice.
 */
export async function claimNextDue(pool: pg.Pool, request: ClaimRequest): Promise<ClaimResult> {
  const { owner, pbx, now, leaseMs, maxConcurrent, queueLimits } = request;
  const named = Object.keys(queueLimits).filter((queue) => queue !== ANY_QUEUE);
  const wildcard = queueLimits[ANY_QUEUE] ?? null;
  const values = [pbx, now, owner, now + leaseMs, maxConcurrent, named, named.map((queue) => queueLimits[queue]), wildcard];
  const row = (await inOneTrip<ClaimRow>(pool, { name: CLAIM_STATEMENT, text: CLAIM_SQL, values })).rows[0];
  // Sorted here, as SQLite's are: JavaScript's order, whatever the database's collation.
  const fullQueues = [...row.full_queues].sort();
  const callback = row.id === null ? null : toCallback(row as CallbackRow);
  return { callback, free: maxConcurrent - row.used, fullQueues };
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
