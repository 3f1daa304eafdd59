import assert from 'node:assert/strict';
import { once } from 'node:events';
import { SqliteStore } from '../../src/store/sqlite-store';
import { AsteriskHarness, MIN } from './harness';

/**
 * The daemon over ARI against the simulator: what a stop or restart must not lose or double, and
 * the changes seen on a real Asterisk (an anonymous delay-0 caller, barge-in on the number, the
 * customer dialled while the agent hears whom they are calling).
 */
describe('end to end over ARI: restarts, marks and dialogs', function () {
  this.timeout(30_000);
  let h: AsteriskHarness;

  afterEach(async () => {
    await h.stop();
  });

  const agents = (state: 'available' | 'paused') => h.sim.setMember('support', 'agent1', { state });
  const placeholderOf = (id: string) => h.sim.queueEntries('support').find((e) => e.placeholderFor === id);

  /** A caller waiting in the queue presses 1 and confirms the number read back: a held place. */
  const holdPlace = async (number: string) => {
    const call = await h.caller(number);
    await h.until(() => h.sim.queueEntries('support').some((e) => e.channelId === call.channelId), 'the caller in the queue');
    call.pressDigits('1');
    await once(call, 'stasis');
    await h.until(async () => {
      const [cb] = await h.callbacks();
      return cb !== undefined && placeholderOf(cb.id) !== undefined;
    }, 'the placeholder');
    call.pressDigits('1');
    await once(call, 'gone');
    return (await h.callbacks())[0];
  };

  it('an anonymous caller who keys and confirms a number keeps their place (delay 0)', async () => {
    h = await new AsteriskHarness().start();
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 100, state: 'paused' }] });
    await h.caller('+420601000201');
    const anonymous = await h.caller('anonymous');
    await h.until(() => h.sim.queueEntries('support').length === 2, 'both in the queue');
    anonymous.pressDigits('1');
    await once(anonymous, 'stasis');
    await anonymous.pressDigits('601000202#');
    await anonymous.pressDigits('1');
    await once(anonymous, 'gone');
    await h.until(async () => (await h.callbacks()).length === 1, 'the callback');
    const [cb] = await h.callbacks();
    await h.until(() => placeholderOf(cb.id) !== undefined, 'the placeholder');
    assert.equal(placeholderOf(cb.id)?.position, 2, 'the place the caller left');
    agents('available');
    await h.status(cb.id, 'Completed');
    assert.equal(h.dialsTo('+420601000202'), 1);
  });

  it('a callback that expired while the daemon was stopped leaves the queue as soon as the PBX is reached', async () => {
    h = await new AsteriskHarness().start({ expiresAfterMinutes: 30 });
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 100, state: 'paused' }] });
    const cb = await holdPlace('+420601000211');
    await h.daemon.stop();
    assert.ok(placeholderOf(cb.id), 'the placeholder keeps its place while the daemon is stopped');
    h.clock.set(h.clock.now() + 31 * MIN);
    await h.boot();
    await h.status(cb.id, 'Expired');
    await h.until(() => placeholderOf(cb.id) === undefined, 'the placeholder to be removed');
    await h.until(async () => (await h.daemon.store.openAttempts()).length === 0, 'the attempt to be closed');
    agents('available');
    assert.equal(h.dialsTo('+420601000211'), 0, 'nobody dialled for an expired callback');
  });

  it('customer-first: a customer an agent took while the daemon was stopped is Completed, not dialled again', async () => {
    h = await new AsteriskHarness().start({ dialMode: 'customer-first', retryMinutes: { default: 1, agent_unanswered: 1, failed: 1 } });
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 300, state: 'paused' }] });
    h.sim.scriptDestination('+420601000221', { outcome: 'answer', afterMs: 50, digitsAfterAnswer: '1', digitsDelayMs: 30 });
    const { callback } = await h.daemon.callbacks.request({ number: '+420601000221', queue: 'support', mechanism: 'manual', birthEvent: 'Created', shifted: false, by: 'test', delayMinutes: 0 });
    await h.until(() => h.sim.queueEntries('support').some((e) => e.channelId.startsWith('cbcu-')), 'the customer queued at the head');
    await h.daemon.stop();
    agents('available');
    await h.until(() => h.sim.conversations().some((c) => c.channelId.startsWith('cbcu-') && c.endedAt !== null), 'the conversation to end');
    await h.boot();
    await h.status(callback.id, 'Completed');
    await h.advance(5 * MIN);
    assert.equal(h.dialsTo('+420601000221'), 1);
    assert.equal((await h.daemon.store.attemptsOf(callback.id))[0].outcome, 'answered');
    await h.until(() => [...h.sim.globals().keys()].every((k) => !k.startsWith('CALLBACKD_SERVED_')), 'the served marks to be cleared');
  });

  it('customer-first: a customer who hangs up while the restarted daemon takes the call over is judged by the mark, not by where the attempt began', async () => {
    h = await new AsteriskHarness().start({ dialMode: 'customer-first', retryMinutes: { default: 1, agent_unanswered: 1, failed: 1 } });
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 1500, state: 'paused' }] });
    h.sim.scriptDestination('+420601000222', { outcome: 'answer', afterMs: 50, digitsAfterAnswer: '1', digitsDelayMs: 30 });
    const { callback } = await h.daemon.callbacks.request({ number: '+420601000222', queue: 'support', mechanism: 'manual', birthEvent: 'Created', shifted: false, by: 'test', delayMinutes: 0 });
    await h.until(() => h.sim.queueEntries('support').some((e) => e.channelId.startsWith('cbcu-')), 'the customer queued at the head');
    await h.daemon.stop();
    agents('available');
    await h.until(() => h.sim.conversations().some((c) => c.channelId.startsWith('cbcu-')), 'an agent to take the customer');
    // The restarted daemon's subscription to the customer's channel is held until the conversation is over:
    // the hangup reaches it while it is still working out where the customer is.
    h.sim.faults.add({ method: 'POST', path: /^\/ari\/applications\/[^/]+\/subscription$/, delayMs: 2500, times: 1 });
    await h.boot();
    await h.status(callback.id, 'Completed');
    assert.equal(h.sim.faults.taken, 1, 'the adoption waited on the subscription');
    await h.advance(5 * MIN);
    assert.equal(h.dialsTo('+420601000222'), 1, 'nobody dialled the customer again');
    assert.equal((await h.daemon.store.attemptsOf(callback.id))[0].outcome, 'answered');
  });

  it('a served queue call is marked by the dialplan, and the mark is cleared once recorded', async () => {
    h = await new AsteriskHarness().start();
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 100, state: 'available' }] });
    const call = await h.caller('+420601000231');
    await once(call, 'gone');
    await h.until(async () => (await h.daemon.store.getCall(call.channelId))?.result === 'served', 'served');
    await h.until(() => !h.sim.globals().has(`CALLBACKD_SERVED_${call.channelId}`), 'the mark to be cleared');
  });

  it('a caller served while the daemon was stopped makes their pending callback Neglected', async () => {
    h = await new AsteriskHarness().start({ delayMinutes: 30 });
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 100, state: 'paused' }] });
    const lost = await h.caller('+420601000241');
    lost.hangup();
    await h.until(async () => (await h.callbacks()).length === 1, 'the LostShift callback');
    const again = await h.caller('+420601000241');
    await h.daemon.stop();
    agents('available');
    await once(again, 'gone');
    await h.boot();
    await h.status((await h.callbacks())[0].id, 'Neglected');
    assert.equal((await h.daemon.store.getCall(again.channelId))?.result, 'served');
  });

  it('an abandon that reaches a restarted daemon before it watches the call again still becomes a callback', async () => {
    h = await new AsteriskHarness().start();
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 100, state: 'paused' }] });
    const call = await h.caller('+420601000251');
    await h.daemon.stop();
    // As if the row were lost with the process that wrote it: the new daemon has nothing to adopt.
    const store = SqliteStore.open(h.config.db);
    await store.upsertCall({ ...(await store.getCall(call.channelId))!, result: 'left' });
    await store.close();
    await h.boot();
    call.hangup();
    await h.until(async () => (await h.callbacks()).length === 1, 'the LostShift callback');
    assert.equal((await h.callbacks())[0].originCallId, call.channelId);
    assert.equal((await h.daemon.store.getCall(call.channelId))?.result, 'abandoned');
  });

  it('a key pressed while the number is read out stops the read-out at once', async () => {
    h = await new AsteriskHarness().start();
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 100 }] });
    const call = h.sim.callIntoCallbackNode({ number: '+420601000261', queue: 'support', delayMinutes: 5 });
    await once(call, 'stasis');
    const readOut = () => h.sim.requests().find((r) => r.method === 'POST' && r.path.endsWith('/play') && String(r.query.media).startsWith('sound:digits/'));
    await h.until(() => readOut() !== undefined, 'the read-out to start');
    await call.pressDigits('1');
    await once(call, 'gone');
    const playbackId = String(readOut()!.query.playbackId);
    const stop = h.sim.requests().find((r) => r.method === 'DELETE' && r.path === `/playbacks/${playbackId}`);
    assert.equal(stop?.status, 204, 'the read-out playback was stopped');
    assert.equal((await h.callbacks()).length, 1);
  });

  it('agent-first: the customer is dialled when the agent answers, while the agent hears whom they call', async () => {
    h = await new AsteriskHarness().start();
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: null, state: 'paused' }] });
    h.sim.scriptDestination('+420601000271', { outcome: 'answer', afterMs: 400, talkMs: 100 });
    const cb = await holdPlace('+420601000271');
    const placeholder = placeholderOf(cb.id)!.channelId.replace(/;2$/, '');
    const from = h.sim.requests().length;
    agents('available');
    await h.status(cb.id, 'Completed');
    const after = h.sim.requests().slice(from);
    const dial = after.findIndex((r) => r.method === 'POST' && r.path === '/channels' && String(r.query.channelId).startsWith('cbcu-'));
    const announce = after.findIndex((r) => r.method === 'POST' && r.path === `/channels/${placeholder}/play`);
    assert.ok(dial >= 0 && announce >= 0, `both happened: ${after.map((r) => `${r.method} ${r.path}`).join('; ')}`);
    assert.ok(dial < announce, 'the customer is dialled before the agent hears the announcement');
  });

  it('a call seen while Asterisk answers badly is recorded, continued after the reconnect, and its abandon becomes a callback', async () => {
    h = await new AsteriskHarness().start();
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 100, state: 'paused' }] });
    h.sim.faults.add({ method: 'POST', path: '/ari/applications/callbackd/subscription', times: 3, respond: { status: 500, body: '{"message":"Internal Server Error"}' } });
    h.sim.faults.add({ method: 'POST', path: /\/continue$/, times: 3, respond: { status: 500, body: '{"message":"Internal Server Error"}' } });
    const call = h.sim.callIntoQueue({ number: '+420601000281', queue: 'support' });
    await h.until(() => h.sim.faults.taken === 6, 'the hop to fail');
    assert.equal((await h.daemon.store.getCall(call.channelId))?.result, 'waiting', 'recorded although Asterisk answered badly');
    assert.equal(h.sim.queueEntries('support').length, 0, 'still parked in the hop');
    h.sim.dropConnections();
    await h.until(() => h.sim.queueEntries('support').some((e) => e.channelId === call.channelId), 'the caller continued into the queue after the reconnect');
    call.hangup();
    await h.until(async () => (await h.callbacks()).length === 1, 'the LostShift callback');
    assert.equal((await h.callbacks())[0].originCallId, call.channelId);
  });
});
