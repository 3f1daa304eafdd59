import assert from 'node:assert/strict';
import type { CallEvent } from '../../src/domain/types';
import type { EventFollower } from '../../src/service/event-log';
import { SqliteStore } from '../../src/store/sqlite-store';
import { openRig, type Rig } from './rig';

/** A deliver function that records batches and lets a test wait for the event log to reach an id. */
function recorder() {
  const batches: CallEvent[][] = [];
  const waiting: { id: number; resolve: () => void }[] = [];
  return {
    batches,
    ids: () => batches.flat().map((e) => e.id),
    deliver(events: CallEvent[]) {
      batches.push(events);
      const last = events[events.length - 1].id;
      for (const w of waiting.splice(0)) if (last >= w.id) w.resolve();
      else waiting.push(w);
    },
    reached(id: number): Promise<void> {
      if (batches.flat().some((e) => e.id >= id)) return Promise.resolve();
      return new Promise((resolve) => waiting.push({ id, resolve }));
    },
  };
}

describe('service: following the event log (what the SSE stream resumes from)', () => {
  let rig: Rig;
  let follower: EventFollower | null = null;
  beforeEach(() => {
    rig = openRig();
  });
  afterEach(async () => {
    follower?.stop();
    follower = null;
    await rig.close();
  });

  const create = (number: string) => rig.service.create({ number, queue: 'support', by: 'api' });
  const lastId = async () => (await rig.store.eventsAfter(0, 10_000)).pop()?.id ?? 0;

  it('delivers what is after the given id, then each new event once, in order, as commits happen', async () => {
    await create('+420601111111');
    await create('+420601111222');
    const [, second] = await rig.store.eventsAfter(0, 10);
    const seen = recorder();
    follower = await rig.service.follow({ after: second.id - 1, deliver: (events) => seen.deliver(events) });
    await follower.caughtUp();
    assert.deepEqual(seen.ids(), [second.id]);
    const { callback } = await create('+420601111333');
    await rig.service.cancel({ id: callback.id, by: 'api' });
    await seen.reached(await lastId());
    const all = (await rig.store.eventsAfter(second.id - 1, 100)).map((e) => e.id);
    assert.deepEqual(seen.ids(), all, 'every event once, in id order');
    assert.equal(follower.lastId, all[all.length - 1]);
  });

  it('reads in batches, and a failed delivery comes again at the next wake', async () => {
    for (let i = 0; i < 5; i++) await create(`+42060111110${i}`);
    let fail = true;
    const seen = recorder();
    follower = await rig.service.follow({
      after: 0,
      batch: 2,
      deliver: (events) => {
        if (fail) {
          fail = false;
          throw new Error('client went away');
        }
        seen.deliver(events);
      },
    });
    await follower.caughtUp();
    assert.deepEqual(seen.batches.map((b) => b.length), [], 'the first batch failed: nothing counted as delivered');
    assert.equal(follower.lastId, 0);
    await follower.caughtUp();
    assert.deepEqual(seen.batches.map((b) => b.length), [2, 2, 1]);
  });

  it('is woken by writes of another process (through the store, not the feed), and stops listening when told', async () => {
    const seen = recorder();
    follower = await rig.service.follow({ after: 0, deliver: (events) => seen.deliver(events) });
    const other = SqliteStore.open(rig.config.db);
    try {
      // Another connection with no listeners of its own: a CLI command, telling the daemon through its wake socket.
      const { callback } = await other.createOrMerge(
        { id: '00000000-0000-4000-8000-000000000001', number: '+420601111999', queue: 'support', mechanism: 'manual', transition: 'support', dueAt: rig.clock.now(), expiresAt: null, createdAt: rig.clock.now(), originCallId: null, shifted: false, form: {}, note: null, queuePosition: null, pbx: 'default' },
        [{ type: 'Created' }],
        () => {
          throw new Error('no merge');
        },
      );
      const [event] = await rig.store.eventsOf(callback.id);
      await seen.reached(event.id);
      assert.deepEqual(seen.ids(), [event.id]);
    } finally {
      await other.close();
    }
    // Stopped, it no longer listens: the feed has only the rig's own subscriber left.
    assert.equal(rig.feed.size, 2);
    follower.stop();
    assert.equal(rig.feed.size, 1);
  });
});
