import assert from 'node:assert/strict';
import { once } from 'node:events';
import { AsteriskHarness, MIN } from './harness';

/**
 * The daemon, its real ARI adapter (ari-client over HTTP and a WebSocket) and the ARI simulator
 * with the shipped dialplan modelled: the scenarios the product promises, end to end.
 */
describe('end to end over ARI', function () {
  this.timeout(30_000);
  let h: AsteriskHarness;

  afterEach(async () => {
    await h.stop();
  });

  const agents = (state: 'available' | 'paused') => h.sim.setMember('support', 'agent1', { state });
  const conversationOrder = () => h.sim.conversations().map((c) => c.placeholderFor ?? c.number);

  it('a key-press callback keeps its place: served after the callers ahead of it, before those behind', async () => {
    h = await new AsteriskHarness().start();
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 200, state: 'paused' }] });
    await h.caller('+420601000001');
    const b = await h.caller('+420601000002');
    await h.caller('+420601000003');

    b.pressDigits('1');
    await once(b, 'stasis');
    await h.until(async () => (await h.callbacks()).length === 1, 'the held callback');
    const [held] = await h.callbacks();
    await h.until(() => h.sim.queueEntries('support').some((e) => e.placeholderFor === held.id), 'the placeholder to enter the queue');
    assert.equal(h.sim.queueEntries('support').find((e) => e.placeholderFor === held.id)?.position, 2, 'the placeholder took the place B left');
    b.pressDigits('1'); // confirms the number read back
    await once(b, 'gone');
    assert.equal((await h.daemon.store.get(held.id))?.status, 'Scheduled');
    assert.equal(h.dialsTo('+420601000002'), 0, 'nobody is dialled while the place is held');

    agents('available');
    const done = await h.status(held.id, 'Completed');
    await h.until(() => h.sim.conversations().length === 3, 'the third caller to be served');
    assert.deepEqual(conversationOrder(), ['+420601000001', held.id, '+420601000003']);
    assert.equal(h.dialsTo('+420601000002'), 1, 'the customer is dialled exactly once');
    assert.equal(done.mechanism, 'IvrCallBack');
    assert.equal(done.originCallId, b.channelId);
    assert.deepEqual(done.form, { ACCOUNT: 'acc-002' });
    const types = (await h.daemon.store.eventsOf(held.id)).map((e) => e.type);
    assert.ok(types.includes('CallBack') && types.includes('AttemptStarted') && types.includes('AttemptEnded'), types.join());
    const [attempt] = await h.daemon.store.attemptsOf(held.id);
    assert.equal(attempt.outcome, 'answered');
    await h.until(() => h.sim.bridges().length === 0, 'the bridge to be deleted after the conversation');
  });

  it('delay 0 from an IVR, never in the queue: the place taken is at the end of the queue', async () => {
    h = await new AsteriskHarness().start();
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 100, state: 'paused' }] });
    await h.caller('+420601000091');
    await h.caller('+420601000092');
    const ivr = h.sim.callIntoCallbackNode({ number: '+420601000093', queue: 'support', delayMinutes: 0 });
    await once(ivr, 'stasis');
    await ivr.pressDigits('1');
    await once(ivr, 'gone');
    const [cb] = await h.callbacks();
    await h.until(() => h.sim.queueEntries('support').some((e) => e.placeholderFor === cb.id), 'the placeholder');
    assert.equal(h.sim.queueEntries('support').find((e) => e.placeholderFor === cb.id)?.position, 3);
    agents('available');
    await h.status(cb.id, 'Completed');
    assert.equal((await h.daemon.store.eventsOf(cb.id)).filter((e) => e.type === 'NumberConfirmed').length, 1);
  });

  it('a caller who backs out gives their place up', async () => {
    h = await new AsteriskHarness().start();
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 200, state: 'paused' }] });
    const a = await h.caller('+420601000011');
    a.pressDigits('1');
    await once(a, 'stasis');
    await h.until(() => h.sim.queueEntries('support').length === 1, 'the placeholder');
    a.hangup();
    const [cb] = await h.callbacks();
    await h.status(cb.id, 'Cancelled');
    await h.until(() => h.sim.queueEntries('support').length === 0, 'the placeholder to leave the queue');
    agents('available');
    assert.equal(h.dialsTo('+420601000011'), 0);
  });

  it('a delayed callback with another number keyed by the caller is dialled at its time', async () => {
    h = await new AsteriskHarness().start();
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 200 }] });
    const call = h.sim.callIntoCallbackNode({ number: '+420601000021', queue: 'support', delayMinutes: 5 });
    await once(call, 'stasis');
    await call.pressDigits('2');
    await call.pressDigits('777123456#');
    await call.pressDigits('1');
    await once(call, 'gone');
    await h.until(async () => (await h.callbacks()).length === 1, 'the callback');
    const [cb] = await h.callbacks();
    assert.equal(cb.number, '+420777123456');
    assert.equal(cb.status, 'Scheduled');
    assert.ok(Math.abs((cb.dueAt as number) - (h.clock.now() + 5 * MIN)) < 5000);
    await h.advance(4 * MIN);
    assert.equal(h.sim.originations().length, 0, 'not before its time');
    await h.advance(MIN + 5000);
    await h.status(cb.id, 'Completed');
    assert.equal(h.dialsTo('+420777123456'), 1);
    assert.equal(h.dialsTo('+420601000021'), 0);
  });

  it('an abandoned call becomes a LostCall callback that completes', async () => {
    h = await new AsteriskHarness().start();
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 200, state: 'paused' }] });
    const call = await h.caller('+420601000031');
    call.hangup();
    await h.until(async () => (await h.callbacks()).length === 1, 'the LostShift callback');
    const [cb] = await h.callbacks();
    assert.equal(cb.mechanism, 'LostShift');
    const lost = (await h.daemon.store.eventsOf(cb.id)).find((e) => e.type === 'LostCall');
    assert.equal(lost?.callId, call.channelId);
    assert.equal((await h.daemon.store.getCall(call.channelId))?.result, 'abandoned');
    await h.until(() => h.sim.queueEntries('support').some((e) => e.placeholderFor === cb.id), 'the placeholder at the head');
    agents('available');
    await h.status(cb.id, 'Completed');
    assert.equal(h.dialsTo('+420601000031'), 1);
  });

  it('customer-first: the customer is dialled, presses 1, and is queued at the head', async () => {
    h = await new AsteriskHarness().start({ dialMode: 'customer-first' });
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 200, state: 'paused' }] });
    await h.caller('+420601000081');
    h.sim.scriptDestination('+420601000082', { outcome: 'answer', afterMs: 50, digitsAfterAnswer: '1', digitsDelayMs: 30 });
    const { callback } = await h.daemon.callbacks.request({ number: '+420601000082', queue: 'support', mechanism: 'manual', birthEvent: 'Created', shifted: false, by: 'test', delayMinutes: 0 });
    await h.until(() => h.sim.queueEntries('support').length === 2, 'the customer to be queued');
    assert.match(h.sim.queueEntries('support')[0].channelId, /^cbcu-/, 'the customer at the head, ahead of the waiting caller');
    agents('available');
    await h.status(callback.id, 'Completed');
    assert.equal(h.dialsTo('+420601000082'), 1);
  });

  it('customer-first: a customer who does not press 1 is not_confirmed and retried', async () => {
    h = await new AsteriskHarness().start({ dialMode: 'customer-first', retryMinutes: { not_confirmed: 7 } });
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 200 }] });
    h.sim.scriptDestination('+420601000083', { outcome: 'answer', afterMs: 50 });
    const { callback } = await h.daemon.callbacks.request({ number: '+420601000083', queue: 'support', mechanism: 'manual', birthEvent: 'Created', shifted: false, by: 'test', delayMinutes: 0 });
    await h.until(async () => (await h.daemon.store.attemptsOf(callback.id))[0]?.outcome === 'not_confirmed', 'not_confirmed', 20_000);
    const after = (await h.daemon.store.get(callback.id))!;
    assert.equal(after.status, 'Scheduled');
    assert.ok(Math.abs((after.dueAt as number) - (h.clock.now() + 7 * MIN)) < 5000);
  });

  it('an anonymous caller must key a number; a caller who keys nothing usable is refused', async () => {
    h = await new AsteriskHarness().start();
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 200, state: 'paused' }] });
    const keyed = h.sim.callIntoCallbackNode({ number: 'anonymous', queue: 'support', delayMinutes: 10 });
    await once(keyed, 'stasis');
    await keyed.pressDigits('601222333#');
    await keyed.pressDigits('1');
    await once(keyed, 'gone');
    await h.until(async () => (await h.callbacks()).length === 1, 'the callback');
    assert.equal((await h.callbacks())[0].number, '+420601222333');

    const refused = h.sim.callIntoCallbackNode({ number: 'anonymous', queue: 'support', delayMinutes: 10 });
    await once(refused, 'stasis');
    await refused.pressDigits('12#');
    await refused.pressDigits('900123456#'); // premium rate: not allowed
    await refused.pressDigits('0#');
    await once(refused, 'gone');
    await h.idle();
    assert.equal((await h.callbacks()).length, 1, 'nothing booked');
  });

  it('busy, then no answer: retried by the rules, then Failed', async () => {
    h = await new AsteriskHarness().start({ maxAttempts: 2 });
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 30, talkMs: null }] });
    h.sim.scriptDestination('+420601000041', { outcome: 'noanswer' });
    h.sim.scriptDestination('+420601000041', { outcome: 'busy', afterMs: 50, times: 1 });
    const { callback } = await h.daemon.callbacks.request({ number: '+420601000041', queue: 'support', mechanism: 'manual', birthEvent: 'Created', shifted: false, by: 'test', delayMinutes: 0 });
    await h.until(async () => (await h.daemon.store.attemptsOf(callback.id))[0]?.outcome === 'busy', 'the busy attempt');
    const retry = (await h.daemon.store.get(callback.id))!;
    assert.equal(retry.status, 'Scheduled');
    assert.ok(Math.abs((retry.dueAt as number) - (h.clock.now() + 5 * MIN)) < 5000, 'busy waits its retry delay');
    await h.advance(5 * MIN + 5000);
    await h.status(callback.id, 'Failed');
    assert.deepEqual((await h.daemon.store.attemptsOf(callback.id)).map((a) => a.outcome), ['busy', 'no_answer']);
    assert.equal(h.dialsTo('+420601000041'), 2);
  });

  it('the same number calls again and is served: the pending callback is Neglected, never dialled', async () => {
    h = await new AsteriskHarness().start({ delayMinutes: 30 });
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 200, state: 'paused' }] });
    const first = await h.caller('+420601000051');
    first.hangup();
    await h.until(async () => (await h.callbacks()).length === 1, 'the LostShift callback');
    const [cb] = await h.callbacks();
    agents('available');
    const again = await h.caller('+420601000051');
    await once(again, 'answered-by-agent');
    const neglected = await h.status(cb.id, 'Neglected');
    assert.equal(neglected.dueAt, null);
    assert.equal((await h.daemon.store.eventsOf(cb.id)).find((e) => e.type === 'Neglected')?.callId, again.channelId);
    await h.advance(60 * MIN);
    assert.equal(h.dialsTo('+420601000051'), 0);
  });

  it('a held place whose placeholder vanished while the daemon was down is put back where it belongs', async () => {
    h = await new AsteriskHarness().start();
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 100, state: 'paused' }] });
    await h.caller('+420601000061');
    const b = await h.caller('+420601000062');
    await h.caller('+420601000063');
    b.pressDigits('1');
    await once(b, 'stasis');
    b.pressDigits('1');
    await once(b, 'gone');
    const [cb] = await h.callbacks();
    const placeholder = h.sim.queueEntries('support').find((e) => e.placeholderFor === cb.id)!;
    await h.daemon.stop();
    const auth = `Basic ${Buffer.from('callbackd:callbackd').toString('base64')}`;
    const res = await fetch(`${h.url}/ari/channels/${encodeURIComponent(placeholder.channelId.replace(/;2$/, ''))}`, { method: 'DELETE', headers: { authorization: auth } });
    assert.equal(res.status, 204);
    await h.until(() => !h.sim.queueEntries('support').some((e) => e.placeholderFor === cb.id), 'the placeholder to go');
    await h.caller('+420601000064').catch(() => undefined); // comes in while nobody watches
    await h.boot();
    await h.until(() => h.sim.queueEntries('support').some((e) => e.placeholderFor === cb.id), 'the placeholder to be put back');
    const order = h.sim.queueEntries('support').map((e) => e.placeholderFor ?? e.number);
    assert.deepEqual(order.slice(0, 3), ['+420601000061', cb.id, '+420601000063']);
    agents('available');
    await h.status(cb.id, 'Completed');
    assert.equal(h.dialsTo('+420601000062'), 1);
  });

  it('the ARI connection dropped and restored: the daemon reconnects and keeps working', async () => {
    h = await new AsteriskHarness().start();
    h.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 100, state: 'paused' }] });
    const waiting = await h.caller('+420601000071');
    h.sim.dropConnections();
    await h.until(() => !h.daemon.dialer.canDial(), 'the link to be seen down');
    await h.until(() => h.daemon.dialer.canDial(), 'the link to come back');
    waiting.hangup();
    await h.until(async () => (await h.callbacks()).length === 1, 'the LostShift callback after the reconnect');
    const [cb] = await h.callbacks();
    agents('available');
    await h.status(cb.id, 'Completed');
    assert.equal(h.dialsTo('+420601000071'), 1);
  });
});
