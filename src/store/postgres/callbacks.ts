import type { StatusMechanismCount } from '../../domain/store';
import type { Callback, Status } from '../../domain/types';
import type { Queryable } from './connection';
import { type CallbackRow, toCallback } from './rows';

/** Reading callbacks outside any change. */

const PENDING = "status IN ('Scheduled','Dialing')";

async function many(db: Queryable, sql: string, params: unknown[]): Promise<Callback[]> {
  return (await db.query<CallbackRow>(sql, params)).rows.map(toCallback);
}

export async function getCallback(db: Queryable, id: string): Promise<Callback | null> {
  return (await many(db, 'SELECT * FROM callbacks WHERE id = $1', [id]))[0] ?? null;
}

/** Pending rows are unique per PBX; asked without one, the oldest of any PBX answers. */
export async function pendingFor(db: Queryable, number: string, queue: string): Promise<Callback | null> {
  const sql = `SELECT * FROM callbacks WHERE number = $1 AND queue = $2 AND ${PENDING} ORDER BY created_at, id LIMIT 1`;
  return (await many(db, sql, [number, queue]))[0] ?? null;
}

export async function countPending(db: Queryable, queue: string, pbx?: string): Promise<number> {
  const result =
    pbx === undefined
      ? await db.query<{ n: number }>(`SELECT count(*) AS n FROM callbacks WHERE queue = $1 AND ${PENDING}`, [queue])
      : await db.query<{ n: number }>(`SELECT count(*) AS n FROM callbacks WHERE queue = $1 AND pbx = $2 AND ${PENDING}`, [queue, pbx]);
  return result.rows[0]?.n ?? 0;
}

export async function countByStatus(db: Queryable): Promise<Partial<Record<Status, number>>> {
  const counts: Partial<Record<Status, number>> = {};
  const result = await db.query<{ status: Status; n: number }>('SELECT status, count(*) AS n FROM callbacks GROUP BY status');
  for (const row of result.rows) counts[row.status] = row.n;
  return counts;
}

export async function countByStatusAndMechanism(db: Queryable): Promise<StatusMechanismCount[]> {
  const result = await db.query<StatusMechanismCount>('SELECT status, mechanism, count(*)::int AS count FROM callbacks GROUP BY status, mechanism ORDER BY status, mechanism');
  return result.rows;
}

export async function scheduledShiftedFor(db: Queryable, number: string): Promise<Callback[]> {
  return many(db, "SELECT * FROM callbacks WHERE number = $1 AND status = 'Scheduled' AND shifted ORDER BY created_at, id", [number]);
}

/** Places held for callers (no due time) whose placeholder attempt is missing. */
export async function heldPlacesWithoutPlaceholder(db: Queryable, pbx: string): Promise<Callback[]> {
  const sql = `
    SELECT * FROM callbacks c
     WHERE pbx = $1 AND status = 'Scheduled' AND due_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.callback_id = c.id AND a.ended_at IS NULL)
     ORDER BY created_at, id`;
  return many(db, sql, [pbx]);
}

/** A call's callbacks are the ones it caused plus any its events link to (a merged request, a LostCall). */
export async function callbacksOfCall(db: Queryable, callId: string): Promise<Callback[]> {
  const sql = `
    SELECT * FROM callbacks
     WHERE origin_call_id = $1
        OR id IN (SELECT callback_id FROM events WHERE call_id = $1 AND callback_id IS NOT NULL)
     ORDER BY created_at, id`;
  return many(db, sql, [callId]);
}
