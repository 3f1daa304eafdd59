import type { ListFilter, Page } from '../../domain/store';
import type { Callback } from '../../domain/types';
import type { Queryable } from './connection';
import { AROUND_SQL } from '../around';
import { type CallbackRow, toCallback } from './rows';
import { decodeCursor, encodeCursor } from '../cursor';

/** Newest first. Each filter adds a fixed condition with its own parameter, so every page is one indexed range. */
export async function listCallbacks(db: Queryable, filter: ListFilter): Promise<Page<Callback>> {
  const limit = Math.max(1, Math.trunc(filter.limit));
  const conditions: string[] = [];
  const params: unknown[] = [];
  const where = (condition: (n: number) => string, ...values: unknown[]) => {
    conditions.push(condition(params.length + 1));
    params.push(...values);
  };
  if (filter.status !== undefined) where((n) => `status = $${n}`, filter.status);
  if (filter.number !== undefined) where((n) => `number = $${n}`, filter.number);
  if (filter.queue !== undefined) where((n) => `queue = $${n}`, filter.queue);
  // No index of its own: few mechanisms, so it narrows a walk another filter's index makes.
  if (filter.mechanism !== undefined) where((n) => `mechanism = $${n}`, filter.mechanism);
  if (filter.cursor !== undefined) {
    const position = decodeCursor(filter.cursor);
    where((n) => `(created_at, id) < ($${n}, $${n + 1})`, position.createdAt, position.id);
  }
  params.push(limit + 1);
  const sql = `SELECT * FROM callbacks ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
    ORDER BY created_at DESC, id DESC LIMIT $${params.length}`;
  const rows = (await db.query<CallbackRow>(sql, params)).rows;
  const items = rows.slice(0, limit).map(toCallback);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

/** A range of callbacks_number_created / callbacks_queue_created: the daily caps ask before each creation. */
export async function callbacksAround(db: Queryable, pbx: string, from: number, to: number, dayBefore: number): Promise<Callback[]> {
  const result = await db.query<CallbackRow>(AROUND_SQL, [pbx, from, to, dayBefore]);
  return result.rows.map(toCallback);
}

export async function countCreatedSince(db: Queryable, scope: { number: string } | { queue: string }, pbx: string, since: number): Promise<number> {
  const [column, value] = 'number' in scope ? ['number', scope.number] : ['queue', scope.queue];
  const result = await db.query<{ n: number }>(`SELECT count(*) AS n FROM callbacks WHERE ${column} = $1 AND created_at >= $2 AND pbx = $3`, [value, since, pbx]);
  return result.rows[0]?.n ?? 0;
}
