/**
 * Contract tests, part 2 (dialling): originate outcomes, placeholders, agent-first bridging and
 * customer-first continue, replayed against the recorded Asterisk 22 traces with the real ari-client.
 * What is compared: see simulator-harness.test.ts. Mappings beyond part 1's:
 * - Placeholder endpoint: trace `Local/vq@placeholder` ↔ ours `Local/s@callbackd-placeholder/n`, with
 *   CB_QUEUE as an extra variable. The trace's placeholder Queue() had the `r` option (ringing
 *   indication); the shipped dialplan has not, so the ;1 half's Ringing state and Dial RINGING are
 *   left out (NO_RINGING).
 * - Customer-first continue target: trace `callback-customer,enqueue,1` ↔ ours `callbackd-enqueue,s,1`.
 * - Outbound customers are the traces' `Local/<outcome>@outcomes` endpoints, scripted with
 *   scriptDestination; `secondMs` shrinks originate timeouts (4 s, the 30 s default) to milliseconds.
 */
import { strict as assert } from 'node:assert';
import {
  assertGone,
  assertOriginateResponse,
  NO_RINGING,
  destroyed,
  idByName,
  lastRequest,
  member,
  restError,
  seq,
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

describe('ARI simulator contract, dialling (real ari-client against recorded Asterisk 22 traces)', function () {
  this.timeout(10000);
  let r: (Rig & { client: AriClient; events: Ev[] }) | undefined;
  afterEach(async () => {
    await teardown(r);
    r = undefined;
  });

  it('originate_outcomes: answer, busy, congestion, rejected, no answer, unknown technology, missing extension', async () => {
    r = await rig({ app: 'cbtrace', subscribeAll: true, secondMs: 50 });
    const { sim, client, events } = r;
    sim.scriptDestination('Local/answer@outcomes', { outcome: 'answer', talkMs: 150 });
    sim.scriptDestination('Local/busy@outcomes', { outcome: 'busy' });
    sim.scriptDestination('Local/congestion@outcomes', { outcome: 'congestion' });
    sim.scriptDestination('Local/reject@outcomes', { outcome: 'rejected' });
    sim.scriptDestination('Local/noanswer@outcomes', { outcome: 'noanswer' });
    const t = traceEvents('originate_outcomes');
    for (const outcome of ['answer', 'busy', 'congestion', 'reject', 'noanswer']) {
      const id = `out-${outcome}`;
      const rec = traceRest('originate_outcomes', 'POST', '/channels').find((x) => x.request_body.channelId === id)!;
      const body = rec.request_body;
      const started = Date.now();
      await client.channels.originate({ ...body, app: 'cbtrace' });
      assertOriginateResponse(sim, rec.response);
      await destroyed(events, id, `${id};2`);
      if (outcome === 'noanswer') assert.ok(Date.now() - started >= 4 * 50 - 5, 'the 4 s originate timeout, scaled');
      // In the trace the harness's DELETE of out-answer raced with the callee's own hangup; ours only hangs up.
      const drop = outcome === 'answer' ? ['HangupRequest 32'] : [];
      assert.deepEqual(seq(events, id), seq(t, id, { drop }), id);
      assert.deepEqual(seq(events, `${id};2`), seq(t, `${id};2`), `${id};2`);
      const status = (evs: Ev[]) => evs.filter((e) => e.type === 'Dial' && e.peer.id === id).map((e) => e.dialstatus);
      assert.deepEqual(status(events), status(t), `${id} dial statuses`);
      if (outcome !== 'answer') {
        const gone = await restError(client.channels.hangup({ channelId: id }));
        const traced = traceRest('originate_outcomes', 'DELETE', `/channels/${id}`)[0];
        assert.deepEqual({ status: lastRequest(sim, 'DELETE', `/channels/${id}`).status, gone }, { status: traced.status, gone: traced.response });
      }
    }
    const bogusRec = traceRest('originate_outcomes', 'POST', '/channels').find((x) => x.request_body.channelId === 'out-bogus')!;
    const bogus = await restError(client.channels.originate(bogusRec.request_body));
    assert.deepEqual({ status: lastRequest(sim, 'POST', '/channels').status, bogus }, { status: bogusRec.status, bogus: bogusRec.response });
    assert.ok(!sim.channels().some((c) => c.id === 'out-bogus'));

    const noRec = traceRest('originate_outcomes', 'POST', '/channels').find((x) => x.request_body.channelId === 'out-noexten')!;
    await client.channels.originate(noRec.request_body);
    assertOriginateResponse(sim, noRec.response);
    await destroyed(events, 'out-noexten', 'out-noexten;2');
    for (const id of ['out-noexten', 'out-noexten;2']) assert.deepEqual(seq(events, id), seq(t, id), id);
    assert.equal(sim.originations().length, 7);
  });

  it('placeholder_position: a placeholder takes position 2 and keeps it; the agent answers it in order and its ;1 enters Stasis', async () => {
    r = await rig({ app: 'callbackd', subscribeAll: true, observe: 'continue' });
    const { sim, client, events } = r;
    sim.addQueue('support', { members: [member({ answerAfterMs: 60, talkMs: 150, state: 'paused' })] });
    for (const [id, n] of [['q1', 11], ['q2', 12], ['q3', 13]] as const) {
      await sim.callIntoQueue({ id, number: `+4206000000${n}`, queue: 'support', form: { ACCOUNT: '12345' } }).waitFor('queued');
    }
    const answered = new Promise<Ev>((resolve) => client.on('StasisStart', (ev: Ev) => ev.args[0] === 'placeholder' && resolve(ev)));
    await client.channels.originate({
      endpoint: 'Local/s@callbackd-placeholder/n',
      app: 'callbackd',
      appArgs: 'placeholder,cb-7',
      channelId: 'ph-cb-7',
      otherChannelId: 'ph-cb-7-2',
      variables: { CB_ID: 'cb-7', CB_QUEUE: 'support', CB_POS: '2' },
      callerId: '<+420603333444>',
    });
    await until('placeholder queued', () => sim.queueEntries('support').length === 4);
    // "queue show support" in the trace: q1, the placeholder, q2, q3.
    assert.deepEqual(sim.queueEntries('support').map((e) => [e.channelId, e.position, e.placeholderFor]), [
      ['q1;2', 1, null],
      ['ph-cb-7-2', 2, 'cb-7'],
      ['q2;2', 3, null],
      ['q3;2', 4, null],
    ]);
    for (const rec of traceRest('placeholder_position', 'GET', '/asterisk/variable*')) {
      assert.deepEqual(await client.asterisk.getGlobalVar({ variable: decodeURIComponent(rec.path!.split('variable=')[1]) }), rec.response);
    }
    await client.channels.hangup({ channelId: 'q1' });
    await destroyed(events, 'q1;2');
    sim.setMember('support', 'agent1', { state: 'available' });
    const st = await answered;
    assert.deepEqual(st.args, ['placeholder', 'cb-7']);
    // Keep q2 and q3 waiting, as they were in the trace when it ended.
    sim.setMember('support', 'agent1', { state: 'paused' });
    await destroyed(events, 'q1', 'q1;2', 'ph-cb-7', 'ph-cb-7-2');
    for (const id of ['q2', 'q3']) await client.channels.hangup({ channelId: id });
    await destroyed(events, 'q2;2', 'q3;2', 'q2', 'q3');
    const gone = await restError(client.channels.hangup({ channelId: 'ph-cb-7' }));
    assert.deepEqual(gone, traceRest('placeholder_position', 'DELETE', '/channels/ph-cb-7')[0].response);

    const t = traceEvents('placeholder_position');
    // The trace's idle placeholder ;1 was destroyed with cause 0 (agent_first_bridge shows 16 for the same teardown).
    const theirs = seq(t, 'ph-cb-7', NO_RINGING).map((x) => x.replace('Destroyed 0 Unknown', 'Destroyed 16 Normal Clearing'));
    assert.deepEqual(seq(events, 'ph-cb-7'), theirs, 'ph-cb-7');
    assert.deepEqual(seq(events, 'ph-cb-7-2'), seq(t, 'ph-cb-7-2'), 'ph-cb-7-2');
    for (const id of ['q1;2', 'q2;2', 'q3;2', 'q1']) assert.deepEqual(seq(events, id, { dropObserve: true }), seq(t, id), id);
    assert.deepEqual(sim.conversations().map((c) => [c.channelId, c.placeholderFor]), [['ph-cb-7-2', 'cb-7']]);
  });

  it('placeholder_long_wait: timeout=-1 keeps its place; the default originate timeout kills the other with cause 19', async () => {
    r = await rig({ app: 'callbackd', subscribeAll: true, secondMs: 20 });
    const { sim, client, events } = r;
    sim.addQueue('support', { members: [member({ answerAfterMs: 20, talkMs: 200, state: 'paused' })] });
    const answered = new Promise<Ev>((resolve) => client.on('StasisStart', (ev: Ev) => ev.args[0] === 'placeholder' && resolve(ev)));
    const started = Date.now();
    for (const rec of traceRest('placeholder_long_wait', 'POST', '/channels')) {
      const cb = rec.request_body.variables.CB_ID;
      await client.channels.originate({
        ...rec.request_body,
        endpoint: 'Local/s@callbackd-placeholder/n',
        app: 'callbackd',
        variables: { ...rec.request_body.variables, CB_QUEUE: 'support' },
      });
      assert.equal(sim.originations().pop()?.channelId, `ph-${cb}`);
    }
    await destroyed(events, 'ph-cb-11', 'ph-cb-11-2');
    assert.ok(Date.now() - started >= 30 * 20 - 5, 'killed by the default 30 s originate timeout, scaled');
    assert.deepEqual(sim.queueEntries('support').map((e) => e.channelId), ['ph-cb-10-2']);
    await sleep(4 * 20);
    sim.setMember('support', 'agent1', { state: 'available' });
    assert.deepEqual((await answered).args, ['placeholder', 'cb-10']);
    await sleep(40);
    await client.channels.hangup({ channelId: 'ph-cb-10' });
    await destroyed(events, 'ph-cb-10', 'ph-cb-10-2');
    const gone = await restError(client.channels.hangup({ channelId: 'ph-cb-11' }));
    assert.deepEqual(gone, traceRest('placeholder_long_wait', 'DELETE', '/channels/ph-cb-11')[0].response);

    const t = traceEvents('placeholder_long_wait');
    for (const id of ['ph-cb-11', 'ph-cb-11-2', 'ph-cb-10', 'ph-cb-10-2']) assert.deepEqual(seq(events, id), seq(t, id, NO_RINGING), id);
    const agent = 'Local/agent1@agents-';
    await until('agent gone', () => events.filter((e) => e.type === 'ChannelDestroyed' && e.channel.name.startsWith(agent)).length === 2);
    for (const half of [';1', ';2']) assert.deepEqual(seq(events, idByName(events, agent, half)), seq(t, idByName(t, agent, half)), `agent ${half}`);
  });

  it('agent_first_bridge: the agent takes the placeholder, the app dials the customer and bridges both; the bridge outlives them', async () => {
    r = await rig({ app: 'callbackd', subscribeAll: true });
    const { sim, client, events } = r;
    sim.addQueue('support', { members: [member({ answerAfterMs: 60, talkMs: 150 })] });
    sim.scriptDestination('Local/answer@outcomes', { outcome: 'answer', talkMs: 170 });
    const problems: unknown[] = [];
    client.on('StasisStart', (ev: Ev) => {
      void (async () => {
        if (ev.args[0] === 'placeholder') {
          await client.channels.originate({ endpoint: 'Local/answer@outcomes', app: 'callbackd', appArgs: 'customer,cb-8', channelId: 'cust-cb-8', callerId: '<+420200000000>', timeout: 10 });
        } else if (ev.args[0] === 'customer') {
          await client.bridges.create({ type: 'mixing', bridgeId: 'cb-8-bridge', name: 'callback cb-8' });
          await client.bridges.addChannel({ bridgeId: 'cb-8-bridge', channel: 'ph-cb-8,cust-cb-8' });
        }
      })().catch((err) => problems.push(err));
    });
    await client.channels.originate({
      endpoint: 'Local/s@callbackd-placeholder/n',
      app: 'callbackd',
      appArgs: 'placeholder,cb-8',
      channelId: 'ph-cb-8',
      variables: { CB_ID: 'cb-8', CB_QUEUE: 'support', CB_POS: '1' },
      callerId: '<+420603333444>',
    });
    await destroyed(events, 'ph-cb-8', 'ph-cb-8;2', 'cust-cb-8', 'cust-cb-8;2');
    assert.deepEqual(problems, []);
    const traced = traceRest('agent_first_bridge', 'POST', '/bridges')[0];
    assert.deepEqual({ ...(lastRequest(sim, 'POST', '/bridges').response as object), creationtime: undefined }, { ...traced.response, creationtime: undefined });
    assert.equal(lastRequest(sim, 'POST', '/bridges/cb-8-bridge/addChannel').status, traceRest('agent_first_bridge', 'POST', '/bridges/cb-8-bridge/addChannel*')[0].status);
    assert.deepEqual((await client.bridges.get({ bridgeId: 'cb-8-bridge' })).channels, [], 'the empty Stasis bridge is still there');
    await client.bridges.destroy({ bridgeId: 'cb-8-bridge' });
    await until('BridgeDestroyed', () => events.some((e) => e.type === 'BridgeDestroyed' && e.bridge.id === 'cb-8-bridge'));
    for (const id of ['ph-cb-8', 'cust-cb-8']) {
      assert.deepEqual(await restError(client.channels.hangup({ channelId: id })), traceRest('agent_first_bridge', 'DELETE', `/channels/${id}`)[0].response);
    }

    const t = traceEvents('agent_first_bridge');
    assert.deepEqual(seq(events, 'ph-cb-8'), seq(t, 'ph-cb-8', NO_RINGING), 'ph-cb-8');
    for (const id of ['ph-cb-8;2', 'cust-cb-8', 'cust-cb-8;2']) assert.deepEqual(seq(events, id), seq(t, id), id);
    const onBridge = (evs: Ev[]) => evs.filter((e) => e.bridge?.id === 'cb-8-bridge').map((e) => `${e.type} ${e.channel?.id ?? ''}`);
    assert.deepEqual(onBridge(events), onBridge(t));
  });

  it('customer_first_continue: the answered customer is continued into [callbackd-enqueue] and served ahead of a waiting caller', async () => {
    r = await rig({ app: 'callbackd', subscribeAll: true, observe: 'continue' });
    const { sim, client, events } = r;
    sim.addQueue('support', { members: [member({ answerAfterMs: 150, talkMs: 800, state: 'paused' })] });
    sim.scriptDestination('Local/answer@outcomes', { outcome: 'answer', talkMs: 500 });
    const w1 = sim.callIntoQueue({ id: 'w1', number: '+420600000021', queue: 'support', form: { ACCOUNT: '12345' } });
    await w1.waitFor('queued');
    const problems: unknown[] = [];
    client.on('StasisStart', (ev: Ev) => {
      if (ev.args[0] !== 'customer') return;
      client.channels.continueInDialplan({ channelId: ev.channel.id, context: 'callbackd-enqueue', extension: 's', priority: 1 }).catch((err: unknown) => problems.push(err));
    });
    // The agent starts ringing w1 once the callback is done; w1 hangs up while it rings.
    client.on('Dial', (ev: Ev) => {
      if (ev.caller?.id === 'w1;2' && ev.dialstatus === '') client.channels.hangup({ channelId: 'w1' }).catch((err: unknown) => problems.push(err));
    });
    await client.channels.originate({
      endpoint: 'Local/answer@outcomes',
      app: 'callbackd',
      appArgs: 'customer,cb-9',
      channelId: 'cust-cb-9',
      callerId: '<+420200000000>',
      timeout: 10,
      variables: { CB_ID: 'cb-9', CB_QUEUE: 'support' },
    });
    await until('customer queued', () => sim.queueEntries('support').length === 2);
    assert.deepEqual(sim.queueEntries('support').map((e) => e.channelId), ['cust-cb-9', 'w1;2']);
    sim.setMember('support', 'agent1', { state: 'available' });
    await destroyed(events, 'cust-cb-9', 'cust-cb-9;2', 'w1', 'w1;2');
    assert.deepEqual(problems, []);
    assert.equal(lastRequest(sim, 'POST', '/channels/cust-cb-9/continue').status, traceRest('customer_first_continue', 'POST', '/channels/cust-cb-9/continue')[0].status);
    assert.deepEqual(await restError(client.channels.hangup({ channelId: 'cust-cb-9' })), traceRest('customer_first_continue', 'DELETE', '/channels/cust-cb-9')[0].response);

    const t = traceEvents('customer_first_continue');
    for (const id of ['cust-cb-9', 'cust-cb-9;2', 'w1']) assert.deepEqual(seq(events, id), seq(t, id), id);
    assert.deepEqual(seq(events, 'w1;2', { dropObserve: true }), seq(t, 'w1;2'), 'w1;2');
    assertGone(userevent(events, 'w1;2'), userevent(t, 'w1;2'));
    assert.deepEqual(sim.conversations().map((c) => c.channelId), ['cust-cb-9']);
  });
});
