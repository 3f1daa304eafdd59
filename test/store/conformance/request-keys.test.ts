import { strict as assert } from 'node:assert';
import { IdempotencyMismatchError } from '../../../src/domain/errors';
import type { RequestKey } from '../../../src/domain/store';
import { forEachBackend } from '../helpers/conformance';
import { T0, mergeKeeping, newCallback } from '../helpers/fixtures';

const key = (name: string, fingerprint = 'fp-1'): RequestKey => ({ key: `scope:${name}`, fingerprint, memo: { askedInWindow: T0 } });

forEachBackend('request keys (idempotent creation) and the newest event', (t) => {
  it('keeps the key with the creation; the same key again returns the first result and writes nothing', async () => {
    const first = await t.store.createOrMerge(newCallback({ number: '+33155599001' }), [{ type: 'Created' }], mergeKeeping(T0), key('a'));
    assert.equal(first.repeated, undefined);
    const kept = await t.store.keptRequest('scope:a');
    assert.deepEqual(kept && [kept.fingerprint, kept.merged, kept.callback, kept.memo, kept.createdAt], ['fp-1', false, first.callback, { askedInWindow: T0 }, T0]);
    // The callback changes meanwhile: the repeat still gives it as the request left it.
    await t.store.commit({ callbackId: first.callback.id, at: T0 + 1, from: 'Scheduled', event: 'reschedule', to: 'Scheduled', set: { dueAt: T0 + 60_000 } });
    const events = await t.store.eventsAfter(0, 100);
    const again = await t.store.createOrMerge(newCallback({ number: '+33155599001' }), [{ type: 'Created' }], mergeKeeping(T0 + 2), key('a'));
    assert.deepEqual([again.callback, again.merged, again.repeated?.key], [first.callback, false, 'scope:a']);
    assert.deepEqual(await t.store.eventsAfter(0, 100), events);
    assert.equal((await t.store.list({ limit: 10 })).items.length, 1);
  });

  it('keeps a merge as a merge, and a key is found by another connection (another daemon)', async () => {
    const pending = await t.store.createOrMerge(newCallback({ number: '+33155599002' }), [], mergeKeeping(T0));
    const merged = await t.store.createOrMerge(newCallback({ number: '+33155599002' }), [], mergeKeeping(T0), key('m'));
    assert.deepEqual([merged.merged, merged.callback.id], [true, pending.callback.id]);
    const other = await t.another();
    const found = await other.keptRequest('scope:m');
    assert.deepEqual([found?.merged, found?.callback.id], [true, pending.callback.id]);
    const repeat = await other.createOrMerge(newCallback({ number: '+33155599002' }), [], mergeKeeping(T0), key('m'));
    assert.deepEqual([repeat.merged, repeat.repeated?.key], [true, 'scope:m']);
    assert.equal(await t.store.keptRequest('scope:none'), null);
  });

  it('refuses a key kept for another request, writing nothing', async () => {
    await t.store.createOrMerge(newCallback({ number: '+33155599003' }), [], mergeKeeping(T0), key('x', 'fp-1'));
    const before = await t.store.eventsAfter(0, 100);
    await assert.rejects(t.store.createOrMerge(newCallback({ number: '+33155599004' }), [{ type: 'Created' }], mergeKeeping(T0), key('x', 'fp-2')), IdempotencyMismatchError);
    assert.deepEqual(await t.store.eventsAfter(0, 100), before);
    assert.equal((await t.store.list({ limit: 10 })).items.length, 1);
  });

  it('creates one callback when connections race with one key', async () => {
    const stores = [t.store, await t.another(), await t.another()];
    // Different numbers: without the key each would be a callback of its own.
    const results = await Promise.all(stores.map((store, i) => store.createOrMerge(newCallback({ number: `+3315559910${i}` }), [{ type: 'Created' }], mergeKeeping(T0), key('race'))));
    assert.equal(new Set(results.map((r) => r.callback.id)).size, 1);
    assert.equal(results.filter((r) => r.repeated === undefined).length, 1);
    assert.equal((await t.store.list({ limit: 10 })).items.length, 1);
    assert.equal((await t.store.eventsAfter(0, 100)).length, 1);
  });

  it('forgets keys kept before a time, and only those; a forgotten key is a new request again', async () => {
    await t.store.createOrMerge(newCallback({ number: '+33155599005' }), [], mergeKeeping(T0), key('old'));
    await t.store.createOrMerge(newCallback({ number: '+33155599006', createdAt: T0 + 10_000 }), [], mergeKeeping(T0 + 10_000), key('new'));
    assert.equal(await t.store.forgetRequestKeys(T0 + 10_000), 1);
    assert.equal(await t.store.keptRequest('scope:old'), null);
    assert.notEqual(await t.store.keptRequest('scope:new'), null);
    assert.equal(await t.store.forgetRequestKeys(T0 + 10_000), 0);
  });

  it('tells the id of the newest event, 0 before any', async () => {
    assert.equal(await t.store.lastEventId(), 0);
    await t.store.createOrMerge(newCallback(), [{ type: 'Created' }, { type: 'Note' }], mergeKeeping(T0));
    const events = await t.store.eventsAfter(0, 10);
    assert.equal(await t.store.lastEventId(), events[events.length - 1].id);
  });
});
