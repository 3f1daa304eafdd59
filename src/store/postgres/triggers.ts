import type pg from 'pg';
import type { TriggerClaim, TriggerRun, TriggerRunEnd } from '../../domain/store';
import { inTransaction, type Queryable } from './connection';
import { toTriggerRun } from '../triggers';

/** Trigger cursors and interval runs in PostgreSQL (migration 008); the same rules as SQLite's (src/store/triggers.ts). */

export async function triggerCursor(db: Queryable, name: string): Promise<number | null> {
  const row = (await db.query<{ last_event_id: string | number }>('SELECT last_event_id FROM trigger_cursors WHERE name = $1', [name])).rows[0];
  return row ? Number(row.last_event_id) : null;
}

export async function setTriggerCursor(db: Queryable, name: string, id: number): Promise<void> {
  await db.query(
    `INSERT INTO trigger_cursors (name, last_event_id) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET last_event_id = greatest(trigger_cursors.last_event_id, excluded.last_event_id)`,
    [name, id],
  );
}

/** Claims of one trigger are serialised on an advisory lock held to COMMIT: the check and the claim cannot be split by another daemon. */
export function claimTriggerRun(pool: pg.Pool, name: string, slotAt: number, owner: string, at: number, staleBefore: number): Promise<TriggerClaim> {
  return inTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('callbackd.trigger.' || $1))", [name]);
    const taken = await client.query('SELECT 1 FROM trigger_runs WHERE name = $1 AND slot_at = $2', [name, slotAt]);
    if ((taken.rowCount ?? 0) > 0) return 'taken';
    const live = await client.query('SELECT 1 FROM trigger_runs WHERE name = $1 AND ended_at IS NULL AND started_at > $2 LIMIT 1', [name, staleBefore]);
    if ((live.rowCount ?? 0) > 0) return 'running';
    await client.query('INSERT INTO trigger_runs (name, slot_at, owner, started_at) VALUES ($1, $2, $3, $4)', [name, slotAt, owner, at]);
    return 'claimed';
  });
}

export async function finishTriggerRun(db: Queryable, name: string, slotAt: number, end: TriggerRunEnd, at: number): Promise<void> {
  await db.query('UPDATE trigger_runs SET ended_at = $3, outcome = $4, detail = $5 WHERE name = $1 AND slot_at = $2 AND ended_at IS NULL', [name, slotAt, at, end.outcome, end.detail ?? null]);
}

export async function triggerRuns(db: Queryable, name: string | null, limit: number): Promise<TriggerRun[]> {
  const result =
    name === null
      ? await db.query('SELECT * FROM trigger_runs ORDER BY started_at DESC, slot_at DESC LIMIT $1', [limit])
      : await db.query('SELECT * FROM trigger_runs WHERE name = $1 ORDER BY started_at DESC, slot_at DESC LIMIT $2', [name, limit]);
  return result.rows.map(toTriggerRun);
}
