import type pg from 'pg';
import type { NewEvent } from '../../domain/store';
import type { CallEvent } from '../../domain/types';
import { inOrder, type Pipelined, type Queryable } from './connection';
import { type EventRow, toEvent } from './rows';

/** A history line ready to write, its callback and time filled in. */
export interface EventLine {
  type: string;
  at: number;
  callbackId: string | null;
  callId: string | null;
  data: Record<string, unknown>;
}

/**
 * Event ids are handed out in commit order, not in the order transactions happened to insert:
 * without this lock a transaction that drew id 10 could commit after one that drew id 11, and an
 * integration paging with `after=11` would never see 10. Taken last in every writing transaction
 * (after its row locks, so it cannot take part in a deadlock) and held only until its COMMIT.
 */
const EVENT_ORDER_LOCK = 'callbackd.events';

/** `callbackId` fills in events that leave theirs undefined (null stays null), as in SQLite. */
export function eventLines(at: number, events: readonly NewEvent[], callbackId: string | null = null): EventLine[] {
  return events.map((event) => ({
    type: event.type,
    at,
    callbackId: event.callbackId === undefined ? callbackId : event.callbackId,
    callId: event.callId ?? null,
    data: event.data ?? {},
  }));
}

const LOCK_SQL = 'SELECT pg_advisory_xact_lock(hashtext($1))';

const INSERT_SQL = `
INSERT INTO events (type, at, callback_id, call_id, data)
SELECT type, at, callback_id, call_id, data::json
  FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS e (type, at, callback_id, call_id, data, n)
 ORDER BY n`;

/**
 * A history line's callback_id is a foreign key: inserting it takes a KEY SHARE lock on the
 * callback's row. Taken while holding the order lock, that lock would wait for a transaction
 * which holds the row FOR UPDATE and in turn waits for the order lock (a lost call's decision,
 * whose event names the callback made, against the callback's first attempt): a deadlock. So the
 * rows are locked first, in a fixed order, and the order lock stays the last lock taken. A
 * transaction that changed the callback holds it already; this costs it nothing.
 */
const LOCK_CALLBACKS_SQL = 'SELECT 1 FROM callbacks WHERE id = ANY($1::text[]) ORDER BY id FOR KEY SHARE';

/** The callbacks' rows, the order lock, then the lines in order in one statement: sent together, they cost one round trip. */
function eventStatements(client: pg.ClientBase, lines: readonly EventLine[]): Promise<unknown>[] {
  const values = [
    lines.map((line) => line.type),
    lines.map((line) => line.at),
    lines.map((line) => line.callbackId),
    lines.map((line) => line.callId),
    lines.map((line) => JSON.stringify(line.data)),
  ];
  const callbacks = [...new Set(lines.map((line) => line.callbackId).filter((id): id is string => id !== null))].sort();
  const statements: Promise<unknown>[] = callbacks.length > 0 ? [client.query(LOCK_CALLBACKS_SQL, [callbacks])] : [];
  return [...statements, client.query(LOCK_SQL, [EVENT_ORDER_LOCK]), client.query(INSERT_SQL, values)];
}

/** Write the lines (on the transaction's client, never the pool: the lock must be the insert's); call it as the transaction's last write. */
export async function writeEvents(client: pg.ClientBase, lines: readonly EventLine[]): Promise<void> {
  if (lines.length === 0) return;
  await inOrder(eventStatements(client, lines));
}

/** As writeEvents, in a pipelined transaction: sent, answered by its COMMIT's round trip. */
export function sendEvents(tx: Pipelined, lines: readonly EventLine[]): void {
  if (lines.length === 0) return;
  for (const statement of eventStatements(tx.client, lines)) tx.send(statement);
}

export async function eventsOf(db: Queryable, callbackId: string): Promise<CallEvent[]> {
  const result = await db.query<EventRow>('SELECT * FROM events WHERE callback_id = $1 ORDER BY id', [callbackId]);
  return result.rows.map(toEvent);
}

export async function eventsOfCall(db: Queryable, callId: string): Promise<CallEvent[]> {
  const result = await db.query<EventRow>('SELECT * FROM events WHERE call_id = $1 ORDER BY id', [callId]);
  return result.rows.map(toEvent);
}

export async function eventsAfter(db: Queryable, afterId: number, limit: number): Promise<CallEvent[]> {
  const result = await db.query<EventRow>('SELECT * FROM events WHERE id > $1 ORDER BY id LIMIT $2', [afterId, limit]);
  return result.rows.map(toEvent);
}

export async function lastEventId(db: Queryable): Promise<number> {
  const result = await db.query<{ id: number }>('SELECT id FROM events ORDER BY id DESC LIMIT 1');
  return result.rows[0]?.id ?? 0;
}
