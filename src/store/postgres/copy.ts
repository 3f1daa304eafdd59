import type pg from 'pg';
import { ConflictError } from '../../domain/errors';
import type { ExportKind, ExportPage, Exported } from '../../domain/store';
import { isUniqueViolation, type Queryable } from './connection';
import { type AttemptRow, type CallRow, type CallbackRow, type EventRow, toAttempt, toCall, toCallback, toEvent } from './rows';

/**
 * Rows exactly as they are, for `callbackd copy` between stores: every kind read in key order (ids
 * are COLLATE "C": the byte order SQLite pages in) and written back with its ids, times, versions
 * and claims. A row already there (same key) is left alone, so an interrupted copy can run again;
 * any other clash is a conflict. A page is written in one statement (json_populate_recordset), so
 * a large copy costs a round trip per page, not per row.
 */

interface Kind<K extends ExportKind> {
  page: string;
  insert: string;
  toDomain(row: never): Exported[K];
  /** The row as JSON with the table's column names. */
  toColumns(value: Exported[K]): Record<string, unknown>;
  key(value: Exported[K]): string;
  after(after: string): string | number;
}

const pageOf = (table: string, key: 'text' | 'bigint') => `SELECT * FROM ${table} WHERE ($1::${key} IS NULL OR id > $1) ORDER BY id LIMIT $2`;

const CALL_COLUMNS = 'id, pbx, number, queue, entered_at, ended_at, result, position, wait_seconds, form, lost_decision, lost_reason';
const CALLBACK_COLUMNS =
  'id, pbx, number, queue, status, mechanism, transition, due_at, expires_at, created_at, updated_at, attempts, ' +
  'origin_call_id, shifted, form, note, queue_position, claim_owner, claim_until, version';
const ATTEMPT_COLUMNS = 'id, callback_id, seq, mode, started_at, ended_at, outcome, placeholder_ref, customer_ref, detail, owner, lease_until, counted';
const EVENT_COLUMNS = 'id, type, at, callback_id, call_id, data';

const insertOf = (table: string, columns: string) =>
  `INSERT INTO ${table} (${columns}) SELECT ${columns} FROM json_populate_recordset(NULL::${table}, $1::json) ON CONFLICT (id) DO NOTHING`;

const KINDS: { [K in ExportKind]: Kind<K> } = {
  calls: {
    page: pageOf('calls', 'text'),
    insert: insertOf('calls', CALL_COLUMNS),
    toDomain: (row: CallRow) => toCall(row),
    toColumns: (c) => ({
      id: c.id,
      pbx: c.pbx,
      number: c.number,
      queue: c.queue,
      entered_at: c.enteredAt,
      ended_at: c.endedAt,
      result: c.result,
      position: c.position,
      wait_seconds: c.waitSeconds,
      form: c.form ?? {},
      lost_decision: c.lostDecision ?? null,
      lost_reason: c.lostReason ?? null,
    }),
    key: (c) => c.id,
    after: (after) => after,
  },
  callbacks: {
    page: pageOf('callbacks', 'text'),
    insert: insertOf('callbacks', CALLBACK_COLUMNS),
    toDomain: (row: CallbackRow) => toCallback(row),
    toColumns: (c) => ({
      id: c.id,
      pbx: c.pbx,
      number: c.number,
      queue: c.queue,
      status: c.status,
      mechanism: c.mechanism,
      transition: c.transition,
      due_at: c.dueAt,
      expires_at: c.expiresAt,
      created_at: c.createdAt,
      updated_at: c.updatedAt,
      attempts: c.attempts,
      origin_call_id: c.originCallId,
      shifted: c.shifted,
      form: c.form ?? {},
      note: c.note,
      queue_position: c.queuePosition,
      claim_owner: c.claimOwner,
      claim_until: c.claimUntil,
      version: c.version,
    }),
    key: (c) => c.id,
    after: (after) => after,
  },
  attempts: {
    page: pageOf('attempts', 'text'),
    // An attempt is on its callback's PBX (the domain's Attempt does not carry it).
    insert: `INSERT INTO attempts (${ATTEMPT_COLUMNS}, pbx)
      SELECT ${ATTEMPT_COLUMNS.split(', ').map((c) => `r.${c}`).join(', ')}, (SELECT c.pbx FROM callbacks c WHERE c.id = r.callback_id)
        FROM json_populate_recordset(NULL::attempts, $1::json) AS r
      ON CONFLICT (id) DO NOTHING`,
    toDomain: (row: AttemptRow) => toAttempt(row),
    toColumns: (a) => ({
      id: a.id,
      callback_id: a.callbackId,
      seq: a.seq,
      mode: a.mode,
      started_at: a.startedAt,
      ended_at: a.endedAt,
      outcome: a.outcome,
      placeholder_ref: a.placeholderRef,
      customer_ref: a.customerRef,
      detail: a.detail,
      owner: a.owner,
      lease_until: a.leaseUntil,
      counted: a.counted,
    }),
    key: (a) => a.id,
    after: (after) => after,
  },
  events: {
    page: pageOf('events', 'bigint'),
    insert: insertOf('events', EVENT_COLUMNS),
    toDomain: (row: EventRow) => toEvent(row),
    toColumns: (e) => ({ id: e.id, type: e.type, at: e.at, callback_id: e.callbackId, call_id: e.callId, data: e.data ?? {} }),
    key: (e) => String(e.id),
    after: (after) => Number(after),
  },
};

/**
 * Ids were written as they were: the sequence must continue past the highest, never fall back
 * (a lower value would hand out ids integrations have already paged past).
 */
const ADVANCE_EVENT_IDS = `
SELECT setval(seq, GREATEST(COALESCE(pg_sequence_last_value(seq), 0), (SELECT COALESCE(max(id), 0) FROM events), 1))
  FROM (SELECT pg_get_serial_sequence('events', 'id')::regclass AS seq) AS s`;

export async function exportPage<K extends ExportKind>(db: Queryable, kind: K, after: string | null, limit: number): Promise<ExportPage<K>> {
  const k = KINDS[kind] as unknown as Kind<K>;
  const size = Math.max(1, Math.trunc(limit));
  const result = await db.query(k.page, [after === null ? null : k.after(after), size]);
  const rows = result.rows.map((row) => k.toDomain(row as never));
  return { rows, next: rows.length === size ? k.key(rows[rows.length - 1]) : null };
}

/** Inside the caller's transaction. Returns how many rows were new. */
export async function importRows<K extends ExportKind>(client: pg.PoolClient, kind: K, rows: readonly Exported[K][], location: string): Promise<number> {
  if (rows.length === 0) return 0;
  const k = KINDS[kind] as unknown as Kind<K>;
  let written: number;
  try {
    written = (await client.query(k.insert, [JSON.stringify(rows.map((row) => k.toColumns(row)))])).rowCount ?? 0;
  } catch (err) {
    if (isUniqueViolation(err)) {
      const detail = (err as { detail?: string }).detail ?? (err as Error).message;
      throw new ConflictError(`${kind}: a row clashes with one already in ${location} (${detail})`);
    }
    throw err;
  }
  if (kind === 'events') await client.query(ADVANCE_EVENT_IDS);
  return written;
}
