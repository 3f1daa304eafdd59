import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { CallbackChange, NewCallback } from '../domain/store';
import type { Db } from '../store/database';
import { elapsedSeconds } from './figures';

/**
 * Well-formed pending callbacks of today's schema (store/migrations/*.sql and
 * store/postgres/migrations/001_initial.sql: the same columns, SQLite's integers where PostgreSQL
 * has BIGINT, BOOLEAN and JSON), written in bulk: for the raw insert ceiling into a bare table,
 * and to fill a migrated store before its claims are measured.
 */

/** Column, its PostgreSQL type (for the bare table and the unnest casts). */
const COLUMNS: readonly (readonly [string, string])[] = [
  ['id', 'text'],
  ['pbx', 'text'],
  ['number', 'text'],
  ['queue', 'text'],
  ['status', 'text'],
  ['mechanism', 'text'],
  ['transition', 'text'],
  ['due_at', 'bigint'],
  ['expires_at', 'bigint'],
  ['created_at', 'bigint'],
  ['updated_at', 'bigint'],
  ['attempts', 'integer'],
  ['origin_call_id', 'text'],
  ['shifted', 'boolean'],
  ['form', 'json'],
  ['note', 'text'],
  ['queue_position', 'integer'],
  ['claim_owner', 'text'],
  ['claim_until', 'bigint'],
  ['version', 'integer'],
];
const NAMES = COLUMNS.map(([name]) => name).join(', ');
const SHIFTED = COLUMNS.findIndex(([name]) => name === 'shifted');

/** Eight queues, so a claim that skips one full queue still finds seven with due rows. */
export const QUEUES = ['support', 'sales', 'billing', 'tech', 'vip', 'fr', 'de', 'es'] as const;

/** The PBX every filled row belongs to: the one the daemons and probes of the bench serve. */
export const PBX = 'default';

/** Rows sent to PostgreSQL per INSERT … SELECT FROM unnest(…) statement. */
const PG_BATCH = 5000;

/**
 * One pending LostShift callback, in column order: even rows already due (within the past hour),
 * odd rows due within the next day, so the due order is random against the insert order.
 */
function pendingRow(i: number, now: number): unknown[] {
  const due = i % 2 === 0 ? now - Math.floor(Math.random() * 3_600_000) : now + Math.floor(Math.random() * 86_400_000);
  return [
    randomUUID(), PBX, `+33${600_000_000 + i}`, QUEUES[i % QUEUES.length], 'Scheduled', 'LostShift', 'default',
    due, now + 2 * 86_400_000, now - i, now - i, 0, `call-${i}`, true, '{"account":"12345"}', null, null, null, null, 1,
  ];
}

export const SQLITE_BARE_TABLE = `CREATE TABLE bare (${COLUMNS.map(([name]) => name).join(', ')})`;

export const POSTGRES_BARE_TABLE = `CREATE TABLE bare (${COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ')})`;

/** `count` rows into `table` in one better-sqlite3 transaction; returns rows per second. */
export function fillSqlite(db: Db, table: string, count: number): number {
  const insert = db.prepare(`INSERT INTO ${table} (${NAMES}) VALUES (${COLUMNS.map(() => '?').join(', ')})`);
  const now = Date.now();
  const start = process.hrtime.bigint();
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const row = pendingRow(i, now);
      row[SHIFTED] = row[SHIFTED] ? 1 : 0;
      insert.run(row);
    }
  })();
  return count / elapsedSeconds(start);
}

const UNNEST = `INSERT INTO %TABLE% (${NAMES}) SELECT * FROM unnest(${COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})`;

/**
 * `count` rows into `table` in one transaction, a column array per parameter and PG_BATCH rows per
 * statement: the cheapest bulk write through `pg` short of COPY (which `pg` alone does not speak).
 */
export async function fillPostgres(client: pg.ClientBase, table: string, count: number): Promise<number> {
  const sql = UNNEST.replace('%TABLE%', table);
  const now = Date.now();
  const start = process.hrtime.bigint();
  await client.query('BEGIN');
  try {
    for (let from = 0; from < count; from += PG_BATCH) {
      const columns: unknown[][] = COLUMNS.map(() => []);
      for (let i = from; i < Math.min(count, from + PG_BATCH); i++) {
        const row = pendingRow(i, now);
        for (let c = 0; c < row.length; c++) columns[c].push(row[c]);
      }
      await client.query(sql, columns);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return count / elapsedSeconds(start);
}

/** A new manual callback for createOrMerge, due in a minute; `prefix` keeps the numbers of different runs apart. */
export function benchCallback(i: number, now: number, prefix = '+44'): NewCallback {
  return {
    id: randomUUID(), pbx: PBX, number: `${prefix}${700_000_000 + i}`, queue: QUEUES[i % QUEUES.length], mechanism: 'manual',
    transition: 'default', dueAt: now + 60_000 + i, expiresAt: null, createdAt: now, originCallId: null, shifted: false,
    form: { account: String(i) }, note: null, queuePosition: null,
  };
}

/** The merge of a bench creation: never called, since every bench callback has a number of its own. */
export const noMerge = (): CallbackChange => {
  throw new Error('the bench gives every callback its own number: nothing can merge');
};
