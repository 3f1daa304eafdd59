import { strict as assert } from 'node:assert';
import { forEachBackend } from '../helpers/conformance';

const HOUR = 60 * 60 * 1000;

forEachBackend('trigger cursors and interval runs', (t) => {
  it('keeps a cursor per reader that only moves forward', async () => {
    assert.equal(await t.store.triggerCursor('status-triggers'), null);
    await t.store.setTriggerCursor('status-triggers', 10);
    await t.store.setTriggerCursor('status-triggers', 7);
    assert.equal(await t.store.triggerCursor('status-triggers'), 10, 'a late writer does not move it back');
    await t.store.setTriggerCursor('status-triggers', 12);
    assert.equal(await t.store.triggerCursor('status-triggers'), 12);
    assert.equal(await t.store.triggerCursor('other'), null);
  });

  it('claims each slot once, never while a live run of the trigger is going, and takes an old unfinished run for dead', async () => {
    const T = 1_800_000_000_000;
    assert.equal(await t.store.claimTriggerRun('nightly', T, 'a', T, T - HOUR), 'claimed');
    assert.equal(await t.store.claimTriggerRun('nightly', T, 'b', T + 5, T + 5 - HOUR), 'taken', 'the same slot, another daemon');
    assert.equal(await t.store.claimTriggerRun('nightly', T + 60_000, 'b', T + 60_000, T + 60_000 - HOUR), 'running', 'the next slot while the first runs');
    assert.equal(await t.store.claimTriggerRun('other', T + 60_000, 'b', T + 60_000, T + 60_000 - HOUR), 'claimed', 'another trigger is not held up');
    await t.store.finishTriggerRun('nightly', T, { outcome: 'done', detail: 'made 3 callbacks' }, T + 1000);
    assert.equal(await t.store.claimTriggerRun('nightly', T + 120_000, 'b', T + 120_000, T + 120_000 - HOUR), 'claimed');
    // b dies in its run; after the stale time the trigger runs again.
    assert.equal(await t.store.claimTriggerRun('nightly', T + 180_000, 'a', T + 180_000, T + 180_000 - HOUR), 'running');
    assert.equal(await t.store.claimTriggerRun('nightly', T + 2 * HOUR, 'a', T + 2 * HOUR, T + HOUR), 'claimed');

    const runs = await t.store.triggerRuns('nightly', 10);
    assert.deepEqual(
      runs.map((r) => [r.slotAt - T, r.owner, r.outcome, r.detail, r.endedAt === null ? null : r.endedAt - T]),
      [
        [2 * HOUR, 'a', null, null, null],
        [120_000, 'b', null, null, null],
        [0, 'a', 'done', 'made 3 callbacks', 1000],
      ],
    );
    assert.equal((await t.store.triggerRuns(null, 10)).length, 4);
    assert.equal((await t.store.triggerRuns('nightly', 1)).length, 1);
  });
});
