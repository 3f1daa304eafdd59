import { execFileSync } from 'child_process';
import { randomUUID } from 'crypto';
import fs from 'fs';
import path from 'path';
import Database from 'better-sqlite3';
import type { Db } from '../store/database';
import { migrate, openDatabase } from '../store/database';
import { SqliteStore } from '../store/sqlite-store';
import type { NewCallback } from '../domain/store';
import type { ProbeResult } from './store-probe';

export interface StoreBenchOptions {
  /** Where the bench may create (and then deletes) its database files. */
  dir: string;
  /** Pending callbacks to measure claims over, e.g. [10_000, 100_000, 1_000_000]. */
  sizes: number[];
  log: (line: string) => void;
  /** Rows for the raw insert ceiling and the create rates (defaults suit a full run). */
  rawRows?: number;
  singleCreates?: number;
  batchedCreates?: number;
  claims?: number;
}

const COLUMNS =
  'id TEXT, number TEXT, queue TEXT, status TEXT, mechanism TEXT, transition TEXT, due_at INTEGER, expires_at INTEGER, ' +
  'created_at INTEGER, updated_at INTEGER, attempts INTEGER, origin_call_id TEXT, shifted INTEGER, form TEXT, note TEXT, ' +
  'queue_position INTEGER, claim_owner TEXT, claim_until INTEGER, version INTEGER';
const NAMES = COLUMNS.split(', ').map((column) => column.split(' ')[0]);
const INSERT = `(${NAMES.join(', ')}) VALUES (${NAMES.map((name) => `@${name}`).join(', ')})`;
const QUEUES = ['support', 'sales', 'billing', 'tech', 'vip', 'fr', 'de', 'es'];

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Half the rows are already due (spread over the past hour), half due within a day, in random order. */
function row(i: number, now: number): Record<string, unknown> {
  const due = i % 2 === 0 ? now - Math.floor(Math.random() * 3_600_000) : now + Math.floor(Math.random() * 86_400_000);
  return {
    id: randomUUID(), number: `+33${600_000_000 + i}`, queue: QUEUES[i % QUEUES.length], status: 'Scheduled',
    mechanism: 'LostShift', transition: 'default', due_at: due, expires_at: now + 86_400_000, created_at: now - i,
    updated_at: now - i, attempts: 0, origin_call_id: `call-${i}`, shifted: 1, form: '{"account":"12345"}', note: null,
    queue_position: null, claim_owner: null, claim_until: null, version: 1,
  };
}

function fill(db: Db, table: string, count: number): number {
  const insert = db.prepare(`INSERT INTO ${table} ${INSERT}`);
  const now = Date.now();
  const start = process.hrtime.bigint();
  db.transaction(() => {
    for (let i = 0; i < count; i++) insert.run(row(i, now));
  })();
  return count / seconds(start);
}

/** A migrated database file holding `count` pending callbacks, for benches of the whole daemon. */
export function fillPendingDatabase(file: string, count: number): void {
  const db = openDatabase(file, { cacheSizeKiB: 512 * 1024 });
  migrate(db);
  fill(db, 'callbacks', count);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

export function removeDatabase(file: string): void {
  removeDb(file);
}

function newCallback(i: number, now: number): NewCallback {
  return {
    id: randomUUID(), number: `+44${700_000_000 + i}`, queue: QUEUES[i % QUEUES.length], mechanism: 'manual',
    transition: 'default', dueAt: now + i, expiresAt: null, createdAt: now, originCallId: null, shifted: false,
    form: { account: String(i) }, note: null, queuePosition: null,
  };
}

function createRate(file: string, count: number, batched: boolean): number {
  const store = SqliteStore.open(file);
  const now = Date.now();
  const noMerge = (): never => {
    throw new Error('bench numbers are unique');
  };
  const create = (i: number): void => {
    store.createOrMerge(newCallback(i, now), [{ type: 'Created' }], noMerge);
  };
  const start = process.hrtime.bigint();
  if (batched) store.transaction(() => { for (let i = 0; i < count; i++) create(i); });
  else for (let i = 0; i < count; i++) create(i);
  const rate = count / seconds(start);
  store.close();
  return rate;
}

function runProbe(file: string, claims: number): ProbeResult {
  const script = path.join(__dirname, `store-probe${path.extname(__filename)}`);
  const loader = path.extname(__filename) === '.ts' ? ['--require', require.resolve('tsx/cjs')] : [];
  const out = execFileSync(process.execPath, [...loader, script, file, String(claims), QUEUES[0]], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as ProbeResult;
}

function removeDb(file: string): void {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
}

/** Prints store figures; measures, asserts nothing. */
export async function runStoreBench(opts: StoreBenchOptions): Promise<{ rawRate: number }> {
  const { log } = opts;
  const rawRows = opts.rawRows ?? 200_000;
  const claims = opts.claims ?? 1000;
  fs.mkdirSync(opts.dir, { recursive: true });
  const file = (name: string): string => path.join(opts.dir, `store-bench-${process.pid}-${name}.db`);
  const memory = new Database(':memory:');
  const sqlite = memory.prepare<[], { v: string }>('SELECT sqlite_version() AS v').get()?.v;
  memory.close();
  log(`store bench: SQLite ${sqlite}, node ${process.version}, WAL + synchronous=NORMAL`);

  const rawFile = file('raw');
  const raw = openDatabase(rawFile);
  raw.exec(`CREATE TABLE bare (${COLUMNS})`);
  const rawRate = fill(raw, 'bare', rawRows);
  raw.close();
  removeDb(rawFile);
  const ratio = (rate: number): string => `${fmt(rate / rawRate, 3)} of raw`;
  log(`raw insert, bare table without indexes, ${fmt(rawRows)} rows in one transaction: ${fmt(rawRate)} rows/s (the ceiling)`);

  for (const batched of [false, true]) {
    const count = batched ? (opts.batchedCreates ?? 50_000) : (opts.singleCreates ?? 5_000);
    const createFile = file(batched ? 'batched' : 'single');
    const rate = createRate(createFile, count, batched);
    removeDb(createFile);
    const how = batched ? 'in one outer transaction' : 'each in its own transaction';
    log(`createOrMerge ${how}, ${fmt(count)} callbacks with one event each: ${fmt(rate)}/s (${ratio(rate)})`);
  }

  for (const size of opts.sizes) {
    const sizeFile = file(String(size));
    // A big cache for the filling connection only; the probe opens with the daemon's settings.
    const db = openDatabase(sizeFile, { cacheSizeKiB: 512 * 1024 });
    migrate(db);
    const fillRate = fill(db, 'callbacks', size);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const bytes = fs.statSync(sizeFile).size;
    const p = runProbe(sizeFile, claims);
    removeDb(sizeFile);
    log(
      `${fmt(size)} pending: bulk fill ${fmt(fillRate)} rows/s (${ratio(fillRate)}), file ${fmt(bytes / 1048576, 1)} MB; ` +
        `open+migrate+first nextDueAt ${fmt(p.openToFirstNextDueMs, 2)} ms; ` +
        `claimNextDue over ${p.claimed} claims: median ${fmt(p.claimMedianUs, 1)} µs, p99 ${fmt(p.claimP99Us, 1)} µs, ` +
        `max ${fmt(p.claimMaxUs, 1)} µs; skipping one queue: median ${fmt(p.skipClaimMedianUs, 1)} µs, ` +
        `p99 ${fmt(p.skipClaimP99Us, 1)} µs; nextDueAt median ${fmt(p.nextDueMedianUs, 1)} µs; ` +
        `countPending of a queue with ${fmt(p.countedPending)} pending ${fmt(p.countPendingMs, 2)} ms; ` +
        `rss ${fmt(p.rssMB, 1)} MB (${fmt(p.rssBeforeOpenMB, 1)} MB before opening)`,
    );
  }
  return { rawRate };
}
