import { strict as assert } from 'node:assert';
import type { Seat } from '../../../src/domain/store';
import { forEachBackend } from '../helpers/conformance';

const STALE = 30_000;
const seat = (owner: string, pid = 4242, host = 'box', pbx = 'default'): Seat => ({ owner, host, pid, pbx });

forEachBackend('daemons registering (seats)', (t) => {
  it('registers a daemon, renews its heartbeat, and lets it leave', async () => {
    assert.deepEqual(await t.store.seats(), []);
    assert.deepEqual(await t.store.join(seat('a', 4242, 'box', 'pbx-a'), 1000, STALE, () => true), { ok: true });
    assert.deepEqual(await t.store.seats(), [{ owner: 'a', host: 'box', pid: 4242, pbx: 'pbx-a', heartbeatAt: 1000 }]);
    assert.equal(await t.store.heartbeat('a', 2000), true);
    assert.equal((await t.store.seats())[0].heartbeatAt, 2000);
    await t.store.leave('a');
    assert.deepEqual(await t.store.seats(), []);
    assert.equal(await t.store.heartbeat('a', 3000), false, 'a seat that is gone is not renewed');
  });

  it('refuses a second live daemon with the same owner (one configuration started twice); replaces one that is gone', async () => {
    assert.deepEqual(await t.store.join(seat('a', 4242, 'box'), 1000, STALE, () => true), { ok: true });
    const twice = await t.store.join(seat('a', 5353, 'other-box'), 2000, STALE, () => true);
    assert.equal(twice.ok, false);
    assert.deepEqual(!twice.ok && twice.holder, { owner: 'a', host: 'box', pid: 4242, pbx: 'default', heartbeatAt: 1000 });
    assert.equal((await t.store.join(seat('a', 5353, 'box'), 2000, STALE, (held) => held.pid !== 4242)).ok, true, 'same host, process gone: replaced at once');
    assert.equal((await t.store.join(seat('a', 6464, 'third-box'), 10_000, STALE, () => true)).ok, false, 'another host waits for staleness');
    assert.equal((await t.store.join(seat('a', 6464, 'third-box'), 40_000, STALE, () => true)).ok, true, 'a stale heartbeat is replaced');
    // A restarted container: the new daemon has the old one's pid (1) on the same host name.
    assert.equal((await t.store.join(seat('a', 6464, 'third-box'), 41_000, STALE, () => false)).ok, true, 'a previous incarnation with the same pid is replaced');
    assert.deepEqual((await t.store.seats()).map((s) => [s.owner, s.host, s.pid, s.heartbeatAt]), [['a', 'third-box', 6464, 41_000]]);
  });

  if (t.backend.name === 'sqlite') {
    it('admits one daemon per file, whatever its owner: a second live one is refused', async () => {
      assert.deepEqual(await t.store.join(seat('a'), 1000, STALE, () => true), { ok: true });
      const refused = await t.store.join(seat('b', 4343, 'box', 'pbx-b'), 2000, STALE, () => true);
      assert.equal(refused.ok, false);
      assert.equal(!refused.ok && refused.holder.owner, 'a');
      assert.equal((await t.store.join(seat('b', 4343), 2000, STALE, (held) => held.pid !== 4242)).ok, true, 'same host, process gone: taken over at once');
      assert.equal(await t.store.heartbeat('a', 3000), false, 'the old holder learns it lost the seat');
      assert.deepEqual((await t.store.seats()).map((s) => s.owner), ['b']);
    });
  } else {
    it('admits several daemons, of one PBX or several', async () => {
      for (const [owner, pbx] of [['a', 'pbx-a'], ['b', 'pbx-a'], ['c', 'pbx-b']]) {
        assert.deepEqual(await t.store.join(seat(owner, 100, `host-${owner}`, pbx), 1000, STALE, () => true), { ok: true });
      }
      assert.deepEqual((await t.store.seats()).map((s) => [s.owner, s.pbx]).sort(), [['a', 'pbx-a'], ['b', 'pbx-a'], ['c', 'pbx-b']]);
      assert.equal(await t.store.heartbeat('b', 5000), true);
      await t.store.leave('a');
      assert.deepEqual((await t.store.seats()).map((s) => s.owner).sort(), ['b', 'c']);
    });
  }
});
