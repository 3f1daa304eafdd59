import type { CallFilter, Page } from '../../domain/store';
import type { CallRecord } from '../../domain/types';
import { decodeCursor, encodeCursor } from '../cursor';
import type { Queryable } from './connection';
import { type CallRow, toCall } from './rows';

/** Calls as the PBX reported them, kept for history, exclusion and lost-call decisions. */

/** Reports arrive in pieces (entered, then ended); the latest report is the whole truth, except a decision already taken. */
const UPSERT_SQL = `
INSERT INTO calls (id, pbx, number, queue, entered_at, ended_at, result, position, wait_seconds, form, lost_decision, lost_reason)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::json, $11, $12)
ON CONFLICT (id) DO UPDATE SET
  pbx = excluded.pbx, number = excluded.number, queue = excluded.queue, entered_at = excluded.entered_at,
  ended_at = excluded.ended_at, result = excluded.result, position = excluded.position,
  wait_seconds = excluded.wait_seconds, form = excluded.form,
  lost_decision = COALESCE(excluded.lost_decision, calls.lost_decision),
  lost_reason = COALESCE(excluded.lost_reason, calls.lost_reason)`;

export async function upsertCall(db: Queryable, call: CallRecord): Promise<void> {
  await db.query(UPSERT_SQL, [
    call.id,
    call.pbx,
    call.number,
    call.queue,
    call.enteredAt,
    call.endedAt,
    call.result,
    call.position,
    call.waitSeconds,
    JSON.stringify(call.form ?? {}),
    call.lostDecision ?? null,
    call.lostReason ?? null,
  ]);
}

export async function getCall(db: Queryable, id: string): Promise<CallRecord | null> {
  const row = (await db.query<CallRow>('SELECT * FROM calls WHERE id = $1', [id])).rows[0];
  return row ? toCall(row) : null;
}

export async function waitingCalls(db: Queryable, pbx: string, queue?: string): Promise<CallRecord[]> {
  const result = await db.query<CallRow>(
    "SELECT * FROM calls WHERE result = 'waiting' AND pbx = $1 AND ($2::text IS NULL OR queue = $2) ORDER BY entered_at, id",
    [pbx, queue ?? null],
  );
  return result.rows.map(toCall);
}

/** False when the call was decided already (or is not recorded): the first decision stands. */
export async function decideLostCall(db: Queryable, id: string, text: string, reason: string): Promise<boolean> {
  const result = await db.query('UPDATE calls SET lost_decision = $2, lost_reason = $3 WHERE id = $1 AND lost_decision IS NULL', [id, text, reason]);
  return result.rowCount === 1;
}

const LOST_SQL = "SELECT * FROM calls WHERE pbx = $1 AND result = 'abandoned' AND ended_at >= $2 AND ended_at < $3";

export async function lostCallsBetween(
  db: Queryable,
  pbx: string,
  from: number,
  to: number,
  after: { endedAt: number; id: string } | null,
  limit: number,
): Promise<CallRecord[]> {
  const result =
    after === null
      ? await db.query<CallRow>(`${LOST_SQL} ORDER BY ended_at, id LIMIT $4`, [pbx, from, to, limit])
      : await db.query<CallRow>(`${LOST_SQL} AND (ended_at, id) > ($4, $5) ORDER BY ended_at, id LIMIT $6`, [pbx, from, to, after.endedAt, after.id, limit]);
  return result.rows.map(toCall);
}

export async function undecidedLostCalls(db: Queryable, pbx: string, limit: number): Promise<CallRecord[]> {
  const result = await db.query<CallRow>(
    "SELECT * FROM calls WHERE pbx = $1 AND result = 'abandoned' AND lost_decision IS NULL ORDER BY ended_at, id LIMIT $2",
    [pbx, limit],
  );
  return result.rows.map(toCall);
}

/** The grid of calls, newest first; each filter a fixed condition, so a page is one range of its index (migration 002). */
export async function listCalls(db: Queryable, filter: CallFilter): Promise<Page<CallRecord>> {
  const limit = Math.max(1, Math.trunc(filter.limit));
  const conditions: string[] = [];
  const params: unknown[] = [];
  const where = (condition: (n: number) => string, ...values: unknown[]) => {
    conditions.push(condition(params.length + 1));
    params.push(...values);
  };
  if (filter.result !== undefined) where((n) => `result = $${n}`, filter.result);
  if (filter.queue !== undefined) where((n) => `queue = $${n}`, filter.queue);
  if (filter.cursor !== undefined) {
    const position = decodeCursor(filter.cursor);
    where((n) => `(entered_at, id) < ($${n}, $${n + 1})`, position.createdAt, position.id);
  }
  params.push(limit + 1);
  const sql = `SELECT * FROM calls ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
    ORDER BY entered_at DESC, id DESC LIMIT $${params.length}`;
  const rows = (await db.query<CallRow>(sql, params)).rows;
  const items = rows.slice(0, limit).map(toCall);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.enteredAt, id: last.id }) : null };
}
