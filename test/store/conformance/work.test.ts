import { strict as assert } from 'node:assert';
import { forEachBackend } from '../helpers/conformance';
import { T0, create, mergeKeeping, newCallback } from '../helpers/fixtures';
import { WorkHeard } from '../helpers/wait';

forEachBackend('work announced to listeners', (t) => {
  it('a listener hears a due callback created by its own store, after the write is visible', async () => {
    const input = newCallback({ dueAt: T0 });
    // What the listener finds when it looks: the callback must be committed by then.
    const lookups: Promise<string | null>[] = [];
    const stop = await t.store.onWork(() => lookups.push(t.store.get(input.id).then((found) => found?.id ?? null)));
    const heard = await WorkHeard.on(t.store);
    try {
      await t.store.createOrMerge(input, [], mergeKeeping(T0));
      await heard.reach(1);
      assert.ok(lookups.length > 0);
      for (const found of await Promise.all(lookups)) assert.equal(found, input.id);
    } finally {
      stop();
      heard.unsubscribe();
    }
  });

  it('a listener hears what another connection writes: a due creation, a callback made due, one settled', async () => {
    const heard = await WorkHeard.on(t.store);
    const writer = await t.another();
    await writer.createOrMerge(newCallback({ dueAt: T0 }), [], mergeKeeping(T0));
    await heard.reach(1);
    const waiting = await create(writer, { dueAt: null, queuePosition: 2 });
    const made = heard.count;
    await writer.commit({ callbackId: waiting.id, at: T0 + 1, from: 'Scheduled', event: 'reschedule', set: { dueAt: T0 + 5 } });
    await heard.reach(made + 1);
    const settled = heard.count;
    await writer.commit({ callbackId: waiting.id, at: T0 + 2, from: 'Scheduled', event: 'cancel' });
    await heard.reach(settled + 1);
    heard.unsubscribe();
  });

  it('announceWork reaches listeners, from this connection and another', async () => {
    const heard = await WorkHeard.on(t.store);
    await t.store.announceWork();
    await heard.reach(1);
    await (await t.another()).announceWork();
    await heard.reach(2);
    heard.unsubscribe();
  });

  it('a batch of creations is announced', async () => {
    const heard = await WorkHeard.on(t.store);
    await (await t.another()).createMany([{ callback: newCallback(), events: [] }, { callback: newCallback(), events: [] }], mergeKeeping(T0));
    await heard.reach(1);
    heard.unsubscribe();
  });

  it('a listener that stopped hears no more, while the others still do', async () => {
    const stopped = await WorkHeard.on(t.store);
    const still = await WorkHeard.on(t.store);
    stopped.unsubscribe();
    await (await t.another()).createOrMerge(newCallback({ dueAt: T0 }), [], mergeKeeping(T0));
    await still.reach(1);
    // The one still listening heard, so the announcement went out; the stopped one was not called.
    assert.equal(stopped.count, 0);
    still.unsubscribe();
  });
});
