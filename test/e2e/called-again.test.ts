import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { SimCall } from '../../src/asterisk/simulator';
import type { Callback } from '../../src/domain/types';
import { AsteriskHarness, MIN } from './harness';

const NUMBER = '+420601000051';

/**
 * A caller who calls the queue again while a callback is pending for their number, end to end:
 * the daemon, its ARI adapter over the wire and the simulator running the shipped dialplan. The
 * offer is made in the observe hop, before Queue().
 */
describe('end to end over ARI: a caller who calls again', function () {
  this.timeout(30_000);
  let h: AsteriskHarness;

  afterEach(async () => {
    await h.stop();
  });

  /** One second to answer the offer, so silence runs out quickly. */
  const start = (transition: Record<string, unknown> = {}) =>
    new AsteriskHarness().start({ delayMinutes: 30, offerPendingOnReturn: true, ...transition }, { ivr: { firstDigitSeconds: 2, interDigitSeconds: 1, calledAgainSeconds: 1 } });

  const agents = (state: 'available' | 'paused') => h.sim.setMember('support', 'agent1', { state });

  /** A first call from `number` abandoned while waiting: a LostShift callback due in 30 minutes. */
  async function pendingCallback(number = NUMBER): Promise<Callback> {
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 200, state: 'paused' }] });
    const first = await h.caller(number);
    first.hangup();
    await h.until(async () => (await h.callbacks()).length === 1, 'the LostShift callback');
    const [cb] = await h.callbacks();
    assert.equal(cb.status, 'Scheduled');
    return cb;
  }

  /** What was played to the channel, one media list per playback. */
  const plays = (call: SimCall) => h.sim.requests().filter((r) => r.method === 'POST' && r.path === `/channels/${call.channelId}/play`).map((r) => String(r.query.media));
  /** The offer has been read out up to the time: the caller can answer it. */
  const offered = (call: SimCall, times = 1) => h.until(() => plays(call).filter((m) => m.includes('sound:digits/at')).length >= times, 'the offer to be played');
  const choices = async (id: string) => (await h.daemon.store.eventsOf(id)).filter((e) => e.type === 'CallerCalledAgain').map((e) => ({ callId: e.callId, ...e.data }));

  it('is offered before the queue; key 1 keeps the callback and the caller is hung up', async () => {
    h = await start();
    const cb = await pendingCallback();
    const again = h.sim.callIntoQueue({ number: NUMBER, queue: 'support' });
    await offered(again);
    const said = plays(again).find((m) => m.includes('sound:digits/at'))!;
    assert.match(said, /^sound:digits\/today,sound:digits\/at,/, `the day and time: ${said}`);
    assert.ok(plays(again).includes('sound:hello'), 'the configured prompt first');
    await again.pressDigits('1');
    await once(again, 'gone');
    assert.equal(again.servedBy, null);
    assert.ok(plays(again).some((m) => m === 'sound:auth-thankyou'), `kept, then goodbye: ${plays(again).join(' | ')}`);
    assert.deepEqual(h.sim.queueEntries('support').filter((e) => e.channelId === again.channelId), [], 'never queued');
    await h.until(async () => (await choices(cb.id)).length === 1, 'the choice to be recorded');
    assert.deepEqual(await choices(cb.id), [{ callId: again.channelId, choice: 'keep' }]);
    const after = (await h.daemon.store.get(cb.id))!;
    assert.equal(after.status, 'Scheduled');
    assert.equal(after.dueAt, cb.dueAt, 'the callback stands');
    await h.until(async () => (await h.daemon.store.getCall(again.channelId))?.result === 'callback', 'the call to end as a callback');
  });

  it('key 2 cancels the callback and the caller is hung up; it is never dialled', async () => {
    h = await start();
    const cb = await pendingCallback();
    const again = h.sim.callIntoQueue({ number: NUMBER, queue: 'support' });
    await offered(again);
    await again.pressDigits('2');
    await once(again, 'gone');
    const cancelled = await h.status(cb.id, 'Cancelled');
    assert.equal(cancelled.dueAt, null);
    assert.deepEqual(await choices(cb.id), [{ callId: again.channelId, choice: 'cancel' }]);
    assert.ok(plays(again).some((m) => m === 'sound:cancelled'));
    assert.equal((await h.callbacks()).length, 1, 'the hang-up after the offer made no new callback');
    agents('available');
    await h.advance(60 * MIN);
    assert.equal(h.dialsTo(NUMBER), 0);
  });

  it('key 3 stays: the caller goes on into the queue, and once served the callback is Neglected, never dialled', async () => {
    h = await start();
    const cb = await pendingCallback();
    const again = h.sim.callIntoQueue({ number: NUMBER, queue: 'support' });
    await offered(again);
    await again.pressDigits('3');
    await once(again, 'queued');
    assert.equal((await h.daemon.store.get(cb.id))?.status, 'Scheduled', 'pending while the caller waits');
    await h.until(async () => (await choices(cb.id)).length === 1, 'the choice to be recorded');
    assert.deepEqual(await choices(cb.id), [{ callId: again.channelId, choice: 'stay' }]);
    agents('available');
    await once(again, 'answered-by-agent');
    const neglected = await h.status(cb.id, 'Neglected');
    assert.equal((await h.daemon.store.eventsOf(cb.id)).find((e) => e.type === 'Neglected')?.callId, again.channelId);
    assert.equal(neglected.dueAt, null);
    await h.advance(60 * MIN);
    assert.equal(h.dialsTo(NUMBER), 0);
  });

  it('no key: the offer is played again once, then the caller stays in the queue', async () => {
    h = await start();
    const cb = await pendingCallback();
    const again = h.sim.callIntoQueue({ number: NUMBER, queue: 'support' });
    await once(again, 'queued');
    assert.equal(plays(again).filter((m) => m.includes('sound:digits/at')).length, 2, 'played twice');
    await h.until(async () => (await choices(cb.id)).length === 1, 'the choice to be recorded');
    assert.deepEqual(await choices(cb.id), [{ callId: again.channelId, choice: 'timeout' }]);
    assert.equal((await h.daemon.store.get(cb.id))?.status, 'Scheduled');
  });

  it('a caller who hangs up during the offer is recorded as hangup; nothing else changes', async () => {
    h = await start();
    const cb = await pendingCallback();
    const again = h.sim.callIntoQueue({ number: NUMBER, queue: 'support' });
    await offered(again);
    again.hangup();
    await once(again, 'gone');
    await h.until(async () => (await choices(cb.id)).length === 1, 'the choice to be recorded');
    assert.deepEqual(await choices(cb.id), [{ callId: again.channelId, choice: 'hangup' }]);
    await h.until(async () => (await h.daemon.store.getCall(again.channelId))?.result === 'left', 'the call to end');
    await h.idle();
    const after = (await h.daemon.store.get(cb.id))!;
    assert.equal(after.status, 'Scheduled');
    assert.equal(after.dueAt, cb.dueAt);
    assert.equal((await h.callbacks()).length, 1, 'not a lost call: no second callback, no merge');
    assert.equal((await h.daemon.store.eventsOf(cb.id)).filter((e) => e.type === 'Merged').length, 0);
  });

  it('with the switch off the caller goes straight into the queue and hears nothing', async () => {
    h = await start({ offerPendingOnReturn: false });
    const cb = await pendingCallback();
    const again = h.sim.callIntoQueue({ number: NUMBER, queue: 'support' });
    await once(again, 'queued');
    assert.deepEqual(plays(again), []);
    assert.deepEqual(await choices(cb.id), []);
  });

  it('a callback being dialled (its placeholder in the queue) is not offered', async () => {
    h = await start({ delayMinutes: 0 });
    const cb = await pendingCallback();
    await h.until(() => h.sim.queueEntries('support').some((e) => e.placeholderFor === cb.id), 'the placeholder in the queue');
    const again = h.sim.callIntoQueue({ number: NUMBER, queue: 'support' });
    await once(again, 'queued');
    assert.deepEqual(plays(again), []);
    assert.deepEqual(await choices(cb.id), []);
  });

  it('a daemon that stops during the offer leaves no caller in the hop: the next one sends them on into the queue', async () => {
    h = await start();
    const cb = await pendingCallback();
    const again = h.sim.callIntoQueue({ number: NUMBER, queue: 'support' });
    await offered(again);
    await h.daemon.stop();
    const before = plays(again).length;
    // Listening before the restart: its reconcile may send the caller on before boot() returns.
    const queued = once(again, 'queued');
    await h.boot();
    await queued;
    assert.equal(plays(again).length, before, 'not offered again after the restart');
    assert.equal((await h.daemon.store.get(cb.id))?.status, 'Scheduled');
  });
});
