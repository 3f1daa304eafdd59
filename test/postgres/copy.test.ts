import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConflictError } from '../../src/domain/errors';
import { type CallbackStore, EXPORT_KINDS, type ExportKind } from '../../src/domain/store';
import { SqliteStore } from '../../src/store/sqlite-store';
import { postgresAvailable } from '../helpers/postgres';
import { T0, mergeKeeping, newAttempt, newCallback, storesOnOneDatabase } from './fixtures';

/** What `callbackd copy` does, with a small page so that paging is exercised. */
async function copyAll(from: CallbackStore, to: CallbackStore, pageSize = 3): Promise<Record<ExportKind, number>> {
  const written = { calls: 0, callbacks: 0, attempts: 0, events: 0 };
  for (const kind of EXPORT_KINDS) {
    let after: string | null = null;
    do {
      const page: Awaited<ReturnType<CallbackStore['exportPage']>> = await from.exportPage(kind, after, pageSize);
      written[kind] += await to.importRows(kind, page.rows);
      after = page.next;
    } while (after !== null);
  }
  return written;
}

async function everything(store: CallbackStore) {
  const all: Record<string, unknown[]> = {};
  for (const kind of EXPORT_KINDS) all[kind] = (await store.exportPage(kind, null, 10_000)).rows;
  return all;
}

async function fill(store: CallbackStore): Promise<void> {
  for (let i = 0; i < 7; i++) {
    const { callback } = await store.createOrMerge(newCallback({ form: { b: 'x', a: String(i) }, originCallId: `call-${i}` }), [{ type: 'Created', callId: `call-${i}` }], mergeKeeping(T0));
    await store.upsertCall({ id: `call-${i}`, number: callback.number, queue: 'support', enteredAt: T0, endedAt: T0 + 9, result: 'abandoned', position: 2, waitSeconds: 4.25, form: {}, lostDecision: 'callback', pbx: 'pbx-a' });
    if (i % 2 === 0) {
      await store.commit({ callbackId: callback.id, at: T0 + 1, from: 'Scheduled', event: 'dial', set: { attempts: 1, dueAt: null }, startAttempt: newAttempt(callback, { counted: i !== 4 }) });
    }
  }
  await store.claimNextDue({ owner: 'd', pbx: 'pbx-a', now: T0 + 5, leaseMs: 1000, maxConcurrent: 10, queueLimits: {} });
}

describe('postgres: copying rows exactly (callbackd copy)', function () {
  this.timeout(60_000);
  let db: Awaited<ReturnType<typeof storesOnOneDatabase>>;
  let other: Awaited<ReturnType<typeof storesOnOneDatabase>>;

  before(async function () {
    if (await postgresAvailable()) this.skip();
  });

  beforeEach(async () => {
    db = await storesOnOneDatabase(1);
    other = await storesOnOneDatabase(1);
  });

  afterEach(async () => {
    await db?.close();
    await other?.close();
  });

  it('copies every kind page by page, exactly, once; event ids continue past the copied ones', async () => {
    const [from] = db.stores;
    const [to] = other.stores;
    await fill(from);
    const source = await everything(from);
    const first = await copyAll(from, to);
    assert.deepEqual(first, { calls: 7, callbacks: 7, attempts: 4, events: source.events.length });
    assert.deepEqual(await everything(to), source);
    assert.deepEqual(await copyAll(from, to), { calls: 0, callbacks: 0, attempts: 0, events: 0 }, 'a second run writes nothing');
    const highest = Math.max(...source.events.map((e) => (e as { id: number }).id));
    await to.appendEvents(T0 + 50, [{ type: 'Note' }]);
    const [latest] = await to.eventsAfter(highest, 10);
    assert.equal(latest.id, highest + 1);
    assert.deepEqual((await to.openAttempts({ pbx: 'pbx-a' })).length, 4, 'attempts are on their callback’s PBX');
  });

  it('refuses a page that clashes with other rows of the target, writing none of it', async () => {
    const [from] = db.stores;
    const [to] = other.stores;
    const original = await from.createOrMerge(newCallback(), [], mergeKeeping(T0));
    await from.createOrMerge(newCallback(), [], mergeKeeping(T0));
    await to.createOrMerge(newCallback({ number: original.callback.number }), [], mergeKeeping(T0));
    const page = await from.exportPage('callbacks', null, 10);
    await assert.rejects(to.importRows('callbacks', page.rows), (err: Error) => err instanceof ConflictError && /callbacks: a row clashes/.test(err.message));
    assert.equal((await to.exportPage('callbacks', null, 10)).rows.length, 1);
  });

  it('takes what a SQLite store exports, so the copy of SQLite to PostgreSQL is exact', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbackd-pg-copy-'));
    const sqlite = await SqliteStore.open(path.join(dir, 'callbackd.db'));
    try {
      await fill(sqlite);
      const [to] = other.stores;
      await copyAll(sqlite, to);
      assert.deepEqual(await everything(to), await everything(sqlite));
    } finally {
      await sqlite.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
