import { strict as assert } from 'node:assert';
import path from 'node:path';
import { type CallbackStore, EXPORT_KINDS, type ExportKind, type ExportPage } from '../../../src/domain/store';
import { SqliteStore } from '../../../src/store/sqlite-store';
import { forEachBackend } from '../helpers/conformance';
import { T0, cleanup, create, dial, holdPlace, mergeKeeping, newCallback, tempDir, waitingCall } from '../helpers/fixtures';

/** Some of everything a store holds: callbacks in several states and PBXs, attempts open, ended and held, events, calls. */
async function fill(store: CallbackStore): Promise<void> {
  for (let i = 0; i < 5; i++) await create(store, { pbx: i % 2 ? 'pbx-b' : 'default', form: { n: String(i) }, note: i === 2 ? 'note' : null });
  const dialled = await create(store, { originCallId: 'call-1', shifted: true });
  const attempt = await dial(store, dialled, { owner: 'd1', leaseUntil: T0 + 77 });
  await store.commit({ callbackId: dialled.id, at: T0 + 5, from: 'Dialing', event: 'answer', endAttempt: { id: attempt.id, outcome: 'answered', detail: 'ok' } });
  await dial(store, await create(store, { pbx: 'pbx-b' }), { owner: 'd2' });
  await holdPlace(store);
  await store.claimNextDue({ owner: 'claimer', pbx: 'default', now: T0 + 1, leaseMs: 1000, maxConcurrent: 10, queueLimits: {} });
  await store.upsertCall(waitingCall({ id: 'call-1', result: 'abandoned', endedAt: T0 + 9, lostDecision: 'made a callback' }));
  await store.upsertCall(waitingCall({ id: 'call-2', pbx: 'pbx-b' }));
  await store.appendEvents(T0 + 3, [{ type: 'LostCall', callId: 'call-1', callbackId: null, data: { shifted: true } }]);
}

async function copyAll(from: CallbackStore, to: CallbackStore, pageSize: number): Promise<Record<string, [number, number]>> {
  const counts: Record<string, [number, number]> = {};
  for (const kind of EXPORT_KINDS) {
    let after: string | null = null;
    let read = 0;
    let written = 0;
    do {
      const page: ExportPage<ExportKind> = await from.exportPage(kind, after, pageSize);
      read += page.rows.length;
      written += await to.importRows(kind, page.rows);
      after = page.next;
    } while (after !== null);
    counts[kind] = [read, written];
  }
  return counts;
}

/** Everything a store shows, in a form two stores can be compared by. */
async function contents(store: CallbackStore) {
  const callbacks = (await store.list({ limit: 1000 })).items.sort((a, b) => (a.id < b.id ? -1 : 1));
  const attempts = (await Promise.all(callbacks.map((c) => store.attemptsOf(c.id)))).flat();
  const events = await store.eventsAfter(0, 10_000);
  const calls = await Promise.all(['call-1', 'call-2'].map((id) => store.getCall(id)));
  const open = { a: await store.openAttempts({ pbx: 'default' }), b: await store.openAttempts({ pbx: 'pbx-b' }) };
  return { callbacks, attempts, events, calls, open, byStatus: await store.countByStatus() };
}

forEachBackend('copying every row into another store', (t) => {
  it('copies into an empty store of the same kind exactly, page by page, and a second run writes nothing', async () => {
    await fill(t.store);
    const target = await t.fresh();
    const counts = await copyAll(t.store, target, 3);
    for (const [kind, [read, written]] of Object.entries(counts)) assert.equal(written, read, kind);
    assert.deepEqual(await contents(target), await contents(t.store));
    const again = await copyAll(t.store, target, 4);
    for (const [kind, [read, written]] of Object.entries(again)) assert.deepEqual([kind, written], [kind, 0], `${read} read`);
  });

  it('copies from a SQLite file (the way up to a shared database), and the copy works on from there', async () => {
    const dir = tempDir();
    const source = SqliteStore.open(path.join(dir, 'old.db'));
    try {
      await fill(source);
      await copyAll(source, t.store, 1000);
      assert.deepEqual(await contents(t.store), await contents(source));
      // New history continues after the copied ids, and pending uniqueness holds across the copy.
      const lastId = (await source.eventsAfter(0, 10_000)).at(-1)!.id;
      const pending = (await source.list({ limit: 1, status: 'Scheduled' })).items[0];
      const merged = await t.store.createOrMerge(newCallback({ number: pending.number, queue: pending.queue, pbx: pending.pbx }), [], mergeKeeping(T0 + 50));
      assert.deepEqual([merged.merged, merged.callback.id], [true, pending.id]);
      assert.ok((await t.store.eventsOf(pending.id)).at(-1)!.id > lastId);
    } finally {
      await source.close();
      cleanup(dir);
    }
  });

  it('pages an empty store as one empty page', async () => {
    for (const kind of EXPORT_KINDS) assert.deepEqual(await t.store.exportPage(kind, null, 10), { rows: [], next: null });
    assert.equal(await t.store.importRows('callbacks', []), 0);
  });
});
