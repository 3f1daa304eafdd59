import type { Statement, Transaction } from 'better-sqlite3';
import { ConflictError } from '../domain/errors';
import type { ExportKind, ExportPage, Exported } from '../domain/store';
import type { Db } from './database';
import { CALLBACK_COLUMNS, CALLBACK_VALUES, callParams, callbackParams, toAttempt, toCall, toCallback, toEvent } from './rows';

/**
 * Rows exactly as they are, for `callbackd copy` between stores: every kind read in key order a
 * page at a time, and written back with its ids, times, versions and claims. A row already there
 * (same key) is left alone, so an interrupted copy can run again; any other clash is a conflict.
 */

type Row = Record<string, unknown>;

interface Kind<K extends ExportKind> {
  page: Statement<{ after: string | number | null; limit: number }, Row>;
  insert: Statement<Row>;
  toDomain(row: Row): Exported[K];
  toParams(value: Exported[K]): Row;
  key(value: Exported[K]): string;
  /** `after` as the key column holds it (event ids are integers). */
  after(after: string): string | number;
}

const CALL_COLUMNS = 'id, number, queue, entered_at, ended_at, result, position, wait_seconds, form, lost_decision, lost_reason, pbx';
const ATTEMPT_COLUMNS = 'id, callback_id, seq, mode, started_at, ended_at, outcome, placeholder_ref, customer_ref, detail, owner, lease_until, counted';
const values = (columns: string) => columns.split(', ').map((c) => `@${c}`).join(', ');

export class Copy {
  private readonly kinds: { [K in ExportKind]: Kind<K> };
  private readonly importTx: Transaction<(kind: ExportKind, rows: readonly unknown[]) => number>;

  constructor(db: Db) {
    const pageOf = (table: string) => db.prepare<{ after: string | number | null; limit: number }, Row>(`SELECT * FROM ${table} WHERE @after IS NULL OR id > @after ORDER BY id LIMIT @limit`);
    this.kinds = {
      calls: {
        page: pageOf('calls'),
        insert: db.prepare(`INSERT INTO calls (${CALL_COLUMNS}) VALUES (${values(CALL_COLUMNS)}) ON CONFLICT (id) DO NOTHING`),
        toDomain: (row) => toCall(row as never),
        toParams: (call) => callParams(call) as unknown as Row,
        key: (call) => call.id,
        after: (after) => after,
      },
      callbacks: {
        page: pageOf('callbacks'),
        insert: db.prepare(`INSERT INTO callbacks (${CALLBACK_COLUMNS}) VALUES (${CALLBACK_VALUES}) ON CONFLICT (id) DO NOTHING`),
        toDomain: (row) => toCallback(row as never),
        toParams: (callback) => callbackParams(callback) as unknown as Row,
        key: (callback) => callback.id,
        after: (after) => after,
      },
      attempts: {
        page: pageOf('attempts'),
        // An attempt is on its callback's PBX (the domain's Attempt does not carry it).
        insert: db.prepare(
          `INSERT INTO attempts (${ATTEMPT_COLUMNS}, pbx) VALUES (${values(ATTEMPT_COLUMNS)}, (SELECT pbx FROM callbacks WHERE id = @callback_id)) ON CONFLICT (id) DO NOTHING`,
        ),
        toDomain: (row) => toAttempt(row as never),
        toParams: (a) => ({
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
          counted: a.counted ? 1 : 0,
        }),
        key: (a) => a.id,
        after: (after) => after,
      },
      events: {
        page: pageOf('events'),
        // Ids kept: integrations page the log with `after=`. AUTOINCREMENT then continues past the highest.
        insert: db.prepare('INSERT INTO events (id, type, at, callback_id, call_id, data) VALUES (@id, @type, @at, @callback_id, @call_id, @data) ON CONFLICT (id) DO NOTHING'),
        toDomain: (row) => toEvent(row as never),
        toParams: (e) => ({ id: e.id, type: e.type, at: e.at, callback_id: e.callbackId, call_id: e.callId, data: JSON.stringify(e.data ?? {}) }),
        key: (e) => String(e.id),
        after: (after) => Number(after),
      },
    };
    this.importTx = db.transaction((kind: ExportKind, rows: readonly unknown[]) => {
      const k = this.kinds[kind] as unknown as Kind<ExportKind>;
      let written = 0;
      for (const row of rows) {
        try {
          written += k.insert.run(k.toParams(row as Exported[ExportKind])).changes;
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          if (code === 'SQLITE_CONSTRAINT_UNIQUE') throw new ConflictError(`${kind} ${k.key(row as Exported[ExportKind])} clashes with a row already in ${db.name}`);
          throw err;
        }
      }
      return written;
    });
  }

  exportPage<K extends ExportKind>(kind: K, after: string | null, limit: number): ExportPage<K> {
    const k = this.kinds[kind] as unknown as Kind<K>;
    const size = Math.max(1, Math.trunc(limit));
    const rows = k.page.all({ after: after === null ? null : k.after(after), limit: size }).map((row) => k.toDomain(row));
    return { rows, next: rows.length === size ? k.key(rows[rows.length - 1]) : null };
  }

  importRows<K extends ExportKind>(kind: K, rows: readonly Exported[K][]): number {
    return rows.length === 0 ? 0 : this.importTx.immediate(kind, rows);
  }
}
