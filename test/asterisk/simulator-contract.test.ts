/**
 * Contract tests, part 1 (callers and queues): the ARI simulator, driven by the real `ari-client` over
 * HTTP and WebSocket, replays scenarios recorded from a real Asterisk 22 (test/fixtures/asterisk) and
 * must produce the same events in the same order on the channels that matter, with the same key fields
 * and the same REST statuses and error bodies. What is compared: see simulator-harness.test.ts.
 *
 * How the traces map to the simulator (the traces used their own test dialplan and app `cbtrace`):
 * - Callers: the trace harness originated `Local/support@inbound` (context `caller`); the simulator's
 *   callers are the same kind of Local pair with the same channel ids, placed with callIntoQueue /
 *   callIntoCallbackNode, and run the shipped `[callbackd-queue]` / `[callbackd-callback]`.
 * - `[callbackd-queue]` passes `Stasis(callbackd,observe,QUEUE)` before Queue(). Where a trace had no
 *   such hop, either the app is connected under another name (the hop then fails at once, as in
 *   Asterisk) or the observe StasisStart/StasisEnd pair is left out of the comparison.
 * - Stasis args: trace `callback,0` / `callback,5` ↔ ours `callback,<queue>,0` / `callback,<queue>,5`.
 * - Form variables: trace IVR_FORM_* ↔ ours CB_FORM_*. Hangup user event: see assertGone.
 * - Durations are scaled: agents ring and talk for tens of milliseconds instead of seconds.
 */
import { strict as assert } from 'node:assert';
import {
  assertGone,
  destroyed,
  idByName,
  lastRequest,
  member,
  restError,
  seq,
  signature,
  sleep,
  teardown,
  traceRig,
  traceEvents,
  traceRest,
  until,
  userevent,
  type AriClient,
  type Ev,
  type Rig,
} from './simulator-harness.test';

const rig = traceRig;

describe('ARI simulator contract (real ari-client against recorded Asterisk 22 traces)', function () {
  this.timeout(10000);
  let r: (Rig & { client: AriClient; events: Ev[] }) | undefined;
  afterEach(async () => {
    await teardown(r);
    r = undefined;
  });

  it('queue_abandon: caller hangs up while waiting; hangup handler reports ABANDONED and the position', async () => {
    r = await rig({ app: 'cbtrace', subscribeAll: true });
    r.sim.addQueue('support', { members: [member({ answerAfterMs: 50, talkMs: 100, state: 'paused' })] });
    const call = r.sim.callIntoQueue({ id: 'caller-a1', number: '+420601111222', name: 'Alice', queue: 'support', form: { ACCOUNT: '12345' } });
    await call.waitFor('queued');
    const count = await r.client.asterisk.getGlobalVar({ variable: 'QUEUE_WAITING_COUNT(support)' });
    assert.deepEqual(count, traceRest('queue_abandon', 'GET', '/asterisk/variable?variable=QUEUE_WAITING_COUNT(support)')[0].response);
    const listed = (await r.client.channels.list()).map((c: any) => c.id).sort();
    assert.deepEqual(listed, ['caller-a1', 'caller-a1;2']);
    await r.client.channels.hangup({ channelId: 'caller-a1' });
    await destroyed(r.events, 'caller-a1', 'caller-a1;2');
    const t = traceEvents('queue_abandon');
    assert.deepEqual(seq(r.events, 'caller-a1;2'), seq(t, 'caller-a1;2'));
    assert.deepEqual(seq(r.events, 'caller-a1'), seq(t, 'caller-a1'));
    assertGone(userevent(r.events, 'caller-a1;2'), userevent(t, 'caller-a1;2'));
    assert.equal(lastRequest(r.sim, 'DELETE', '/channels/caller-a1').status, traceRest('queue_abandon', 'DELETE', '/channels/caller-a1')[0].status);
  });

  it('queue_served: the member answers, talks and hangs up; bridge events and QUEUEPOSITION, no ABANDONED', async () => {
    r = await rig({ app: 'cbtrace', subscribeAll: true });
    r.sim.addQueue('support', { members: [member({ answerAfterMs: 60, talkMs: 150 })] });
    const call = r.sim.callIntoQueue({ id: 'caller-b1', number: '+420602222333', name: 'Bob', queue: 'support', form: { ACCOUNT: '12345' } });
    await call.waitFor('gone');
    await destroyed(r.events, 'caller-b1', 'caller-b1;2');
    const t = traceEvents('queue_served');
    for (const id of ['caller-b1;2', 'caller-b1']) assert.deepEqual(seq(r.events, id), seq(t, id), id);
    for (const half of [';1', ';2']) {
      const agent = 'Local/agent1@agents-';
      assert.deepEqual(seq(r.events, idByName(r.events, agent, half)), seq(t, idByName(t, agent, half)), `agent ${half}`);
    }
    assertGone(userevent(r.events, 'caller-b1;2'), userevent(t, 'caller-b1;2'));
    assert.deepEqual(r.sim.conversations().map((c) => [c.member, c.channelId, c.number]), [['agent1', 'caller-b1;2', '+420602222333']]);
    assert.equal(call.servedBy?.member, 'agent1');
  });

  it('ivr_callback_keypress: a waiting caller presses 1, leaves the queue into the CallBack node; the app reads variables, plays, hangs up', async () => {
    r = await rig({ app: 'callbackd', subscribeAll: true, observe: 'continue' });
    const { sim, client, events } = r;
    sim.addQueue('support', { members: [member({ answerAfterMs: 50, talkMs: 100, state: 'paused' })] });
    const ahead = sim.callIntoQueue({ id: 'caller-ahead', number: '+420600000001', name: 'Ahead', queue: 'support', form: { ACCOUNT: '12345' } });
    await ahead.waitFor('queued');
    const carol = sim.callIntoQueue({ id: 'caller-c1', number: '+420603333444', name: 'Carol', queue: 'support', form: { ACCOUNT: '12345' } });
    await carol.waitFor('queued');
    await carol.pressDigits('1');
    const st = (await carol.waitFor('stasis')) as string[];
    await until('callback StasisStart', () => events.some((e) => e.type === 'StasisStart' && e.args[0] === 'callback'));
    assert.deepEqual(st, ['callback', 'support', '0']);
    assert.deepEqual(sim.queueEntries('support').map((e) => e.channelId), ['caller-ahead;2']);

    const ch = 'caller-c1;2';
    for (const rec of traceRest('ivr_callback_keypress', 'GET', `/channels/${ch}/variable*`)) {
      const name = decodeURIComponent(rec.path!.split('variable=')[1]).replace('IVR_FORM_', 'CB_FORM_');
      await client.channels.getChannelVar({ channelId: ch, variable: name }).catch(() => undefined);
      const ours = lastRequest(sim, 'GET', `/channels/${ch}/variable`);
      assert.deepEqual({ status: ours.status, response: ours.response }, { status: rec.status, response: rec.response }, name);
    }
    await client.channels.answer({ channelId: ch });
    assert.equal(lastRequest(sim, 'POST', `/channels/${ch}/answer`).status, 204);
    const playback = await client.channels.play({ channelId: ch, media: 'tone:beep' });
    const traced = traceRest('ivr_callback_keypress', 'POST', `/channels/${ch}/play*`)[0];
    assert.equal(lastRequest(sim, 'POST', `/channels/${ch}/play`).status, traced.status);
    const { id: _ignored, ...fields } = traced.response;
    assert.deepEqual({ media_uri: playback.media_uri, target_uri: playback.target_uri, language: playback.language, state: playback.state }, fields);
    await until('PlaybackFinished', () => events.some((e) => e.type === 'PlaybackFinished' && e.playback.id === playback.id));
    const pb = events.filter((e) => e.playback?.id === playback.id).map((e) => e.type);
    assert.deepEqual(pb, ['PlaybackStarted', 'PlaybackFinished']);

    await client.channels.hangup({ channelId: ch, reason: 'normal' });
    await destroyed(events, 'caller-c1', ch);
    const missing = await restError(client.channels.hangup({ channelId: 'caller-c1' }));
    assert.deepEqual(missing, traceRest('ivr_callback_keypress', 'DELETE', '/channels/caller-c1')[0].response);
    await client.channels.hangup({ channelId: 'caller-ahead' });
    await destroyed(events, 'caller-ahead', 'caller-ahead;2');

    const t = traceEvents('ivr_callback_keypress');
    for (const id of [ch, 'caller-c1', 'caller-ahead;2', 'caller-ahead']) assert.deepEqual(seq(events, id, { dropObserve: true }), seq(t, id), id);
    assertGone(userevent(events, ch), userevent(t, ch));
    assertGone(userevent(events, 'caller-ahead;2'), userevent(t, 'caller-ahead;2'));
  });

  it('ivr_dtmf_other_number: the CallBack node with a delay; the caller keys 2 then another number and #', async () => {
    r = await rig({ app: 'callbackd', subscribeAll: true });
    const { sim, client, events } = r;
    sim.addQueue('support', { members: [] });
    const dave = sim.callIntoCallbackNode({ id: 'caller-d1', number: '+420604444555', name: 'Dave', queue: 'support', delayMinutes: 5, form: { REASON: 'billing' } });
    const st = (await dave.waitFor('stasis')) as string[];
    assert.deepEqual(st, ['callback', 'support', '5']);
    const ch = 'caller-d1;2';
    for (const rec of traceRest('ivr_dtmf_other_number', 'GET', `/channels/${ch}/variable*`)) {
      const name = decodeURIComponent(rec.path!.split('variable=')[1]).replace('IVR_FORM_', 'CB_FORM_');
      await client.channels.getChannelVar({ channelId: ch, variable: name });
      const ours = lastRequest(sim, 'GET', `/channels/${ch}/variable`);
      assert.deepEqual({ status: ours.status, response: ours.response }, { status: rec.status, response: rec.response }, name);
    }
    await client.channels.answer({ channelId: ch });
    await dave.pressDigits('2');
    await sleep(20);
    await dave.pressDigits('777123456#', 15);
    await until('#', () => events.some((e) => e.type === 'ChannelDtmfReceived' && e.digit === '#'));
    await client.channels.hangup({ channelId: ch });
    await destroyed(events, ch, 'caller-d1');

    const t = traceEvents('ivr_dtmf_other_number');
    for (const id of [ch, 'caller-d1']) assert.deepEqual(seq(events, id, { collapseDtmf: true }), seq(t, id, { collapseDtmf: true }), id);
    const digits = (evs: Ev[]) => evs.filter((e) => e.type === 'ChannelDtmfReceived' && e.channel.id === ch).map((e) => `${e.digit}/${e.duration_ms}`);
    assert.deepEqual(digits(events), [...'2777123456#'].map((d) => `${d}/100`));
    // The trace's app hung up before the last digits arrived: what it saw is a prefix of ours.
    assert.deepEqual(digits(events).slice(0, digits(t).length), digits(t));
  });

  it('observe_hop: without subscribeAll the app sees only the Stasis hop and what its explicit subscription delivers', async () => {
    r = await rig({ app: 'callbackd', subscribeAll: false, observe: 'subscribe-continue' });
    const { sim, client, events } = r;
    sim.addQueue('support', { members: [member({ answerAfterMs: 60, talkMs: 150, state: 'paused' })] });
    const one = sim.callIntoQueue({ id: 'obs-1', number: '+420605555666', name: 'Erin', queue: 'support' });
    await one.waitFor('queued');
    await sleep(20);
    await client.channels.hangup({ channelId: 'obs-1' });
    await destroyed(events, 'obs-1;2');
    sim.setMember('support', 'agent1', { state: 'available' });
    const two = sim.callIntoQueue({ id: 'obs-2', number: '+420605555666', name: 'Erin', queue: 'support' });
    await two.waitFor('gone');
    await destroyed(events, 'obs-2;2');

    const sub = sim.requests().find((q) => q.method === 'POST' && q.path === '/applications/callbackd/subscription');
    const tsub = traceRest('observe_hop', 'POST', '/applications/cbtrace/subscription*')[0];
    assert.deepEqual({ status: sub?.status, response: sub?.response }, { status: tsub.status, response: { ...tsub.response, name: 'callbackd' } });

    const full = (evs: Ev[]) =>
      evs.map((e) => {
        if (e.type === 'ChannelDialplan') return `Dialplan ${e.dialplan_app}`;
        if (e.type === 'ChannelVarset') return `Varset ${e.variable}`;
        return `${signature(e) ?? e.type} ${e.channel?.id ?? e.caller?.id ?? ''}`;
      });
    // The shipped dialplan gained one step after the recording: the served mark's CB_CALL (set
    // only when the hop succeeded). Its two events are the only difference.
    const added = new Set(['Dialplan ExecIf', 'Varset __CB_CALL']);
    assert.deepEqual(full(events).filter((line) => !added.has(line.trim())), full(traceEvents('observe_hop')));
    assert.equal(full(events).filter((line) => added.has(line.trim())).length, 4, 'two calls, each marked after its hop');
    assert.ok(!events.some((e) => e.type === 'ChannelEnteredBridge' || e.type === 'ChannelLeftBridge'));
    assertGone(userevent(events, 'obs-1;2'), userevent(traceEvents('observe_hop'), 'obs-1;2'));
    assertGone(userevent(events, 'obs-2;2'), userevent(traceEvents('observe_hop'), 'obs-2;2'));
  });
});
