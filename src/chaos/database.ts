import Database from 'better-sqlite3';
import { Client } from 'pg';
import { attemptOfStasis } from './judge';
import type { DbRows, EndState } from './records';

type Row = Record<string, unknown>;

/**
 * The daemons' database as the judge reads it: with queries of its own, not through the store it
 * judges, so a store bug cannot hide what it did. A SQLite file is opened read-only for each
 * look (beside running daemons); PostgreSQL through one plain connection.
 */
export interface StormDatabase {
  /** `?` placeholders, as in SQLite; numbered for PostgreSQL here. */
  all(sql: string, params?: unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

export function sqliteDatabase(file: string): StormDatabase {
  return {
    async all(sql, params = []) {
      const db = new Database(file, { readonly: true, fileMustExist: true });
      try {
        return db.prepare(sql).all(...params) as Row[];
      } finally {
        db.close();
      }
    },
    async close() {},
  };
}

export async function postgresDatabase(url: string): Promise<StormDatabase> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return {
    async all(sql, params = []) {
      let n = 0;
      const numbered = sql.replace(/\?/g, () => `$${++n}`);
      return (await client.query(numbered, params)).rows as Row[];
    },
    close: () => client.end(),
  };
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function json(v: unknown): Record<string, unknown> {
  if (v !== null && typeof v === 'object') return v as Record<string, unknown>;
  try {
    return JSON.parse(String(v)) as Record<string, unknown>;
  } catch {
    // a row the daemon wrote badly is still an event; its data is simply unreadable
    return {};
  }
}

/** Every row the judge looks at. */
export async function readDb(db: StormDatabase): Promise<DbRows> {
  const callbacks = (await db.all('SELECT * FROM callbacks')).map((r) => ({
    id: String(r.id),
    number: String(r.number),
    queue: String(r.queue),
    status: String(r.status),
    mechanism: String(r.mechanism),
    dueAt: num(r.due_at),
    createdAt: Number(r.created_at),
    originCallId: str(r.origin_call_id),
    shifted: r.shifted === true || Number(r.shifted) === 1,
  }));
  const attempts = (await db.all('SELECT * FROM attempts')).map((r) => ({
    id: String(r.id),
    callbackId: String(r.callback_id),
    seq: Number(r.seq),
    mode: String(r.mode),
    startedAt: Number(r.started_at),
    endedAt: num(r.ended_at),
    outcome: str(r.outcome),
    placeholderRef: str(r.placeholder_ref),
    customerRef: str(r.customer_ref),
  }));
  const events = (await db.all('SELECT * FROM events ORDER BY id')).map((r) => ({
    id: Number(r.id),
    type: String(r.type),
    at: Number(r.at),
    callbackId: str(r.callback_id),
    callId: str(r.call_id),
    data: json(r.data),
  }));
  const calls = (await db.all('SELECT * FROM calls')).map((r) => ({
    id: String(r.id),
    number: str(r.number),
    queue: str(r.queue),
    enteredAt: Number(r.entered_at),
    endedAt: num(r.ended_at),
    result: String(r.result),
    waitSeconds: num(r.wait_seconds),
    lostDecision: str(r.lost_decision),
  }));
  return { callbacks, attempts, events, calls };
}

/**
 * What still keeps the run from being over, from the daemons' side and the PBX's; empty when it
 * is quiet. Channels left in an application for an attempt that is over do not count: nothing
 * would ever end them (they are judged, not waited for).
 */
export async function pendingWork(db: StormDatabase, horizonMs: number, channels: EndState['channels'], now = Date.now()): Promise<string[]> {
  const count = async (sql: string, ...params: unknown[]) => Number((await db.all(sql, params))[0]?.n ?? 0);
  let dialing: number;
  try {
    dialing = await count("SELECT count(*) AS n FROM callbacks WHERE status = 'Dialing'");
  } catch {
    return ['the database cannot be read yet'];
  }
  const out: string[] = [];
  const open = await count('SELECT count(*) AS n FROM attempts WHERE ended_at IS NULL');
  const due = await count("SELECT count(*) AS n FROM callbacks WHERE status = 'Scheduled' AND due_at IS NOT NULL AND due_at <= ?", now + horizonMs);
  if (dialing) out.push(`${dialing} Dialing`);
  if (open) out.push(`${open} attempts under way`);
  if (due) out.push(`${due} due within ${Math.round(horizonMs / 1000)} s`);
  const openIds = new Set((await db.all('SELECT id FROM attempts WHERE ended_at IS NULL')).map((r) => String(r.id)));
  const busy = channels.filter((ch) => {
    const attemptId = ch.appName === 'Stasis' ? attemptOfStasis(ch.appData) : null;
    return !attemptId || openIds.has(attemptId);
  }).length;
  if (busy) out.push(`${busy} channels up`);
  return out;
}
