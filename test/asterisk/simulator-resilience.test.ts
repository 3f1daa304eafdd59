/**
 * The simulator's own behaviour beyond the recorded traces, part 2: several applications, network
 * drops and outages, members who do not answer, the HTTP mirror of the control API, and a placeholder
 * answered while the application is away.
 */
import { strict as assert } from 'node:assert';
import { AUTH, agent, connect, continueObserveHops, newRig, teardown, until, type Ev, type Rig } from './simulator-harness.test';

describe('ARI simulator: applications, network and agents beyond the traces', function () {
  this.timeout(10000);
  let rig: Rig;

  beforeEach(async () => {
    rig = await newRig({ secondMs: 20, playbackMs: 15, dtmfGapMs: 10 });
  });

  afterEach(async () => {
    await teardown(rig);
  });

  it('delivers StasisStart only to the application named in Stasis(), and hands an app to its newest WebSocket', async () => {
    const mine: Ev[] = [];
    const monitor: Ev[] = [];
    const client = await connect(rig, 'callbackd', false, mine);
    continueObserveHops(client);
    await connect(rig, 'monitor', true, monitor);
    rig.sim.addQueue('support', { members: [] });
    const call = rig.sim.callIntoQueue({ number: '+420600000001', queue: 'support' });
    await call.waitFor('queued');
    await until('monitor saw the queue', () => monitor.some((e) => e.type === 'ChannelDialplan' && e.dialplan_app === 'Queue'));
    assert.ok(mine.some((e) => e.type === 'StasisStart'));
    assert.ok(!monitor.some((e) => e.type === 'StasisStart' || e.type === 'StasisEnd'));
    assert.ok(monitor.every((e) => e.application === 'monitor'));

    const replacement: Ev[] = [];
    await connect(rig, 'callbackd', false, replacement);
    await until('ApplicationReplaced', () => mine.some((e) => e.type === 'ApplicationReplaced'));
    const other = rig.sim.callIntoQueue({ number: '+420600000002', queue: 'support' });
    await until('StasisStart on the new socket', () => replacement.some((e) => e.type === 'StasisStart'));
    assert.ok(!mine.some((e) => e.type === 'StasisStart' && e.channel.id === other.channelId));
  });

  it('survives a dropped WebSocket: the client reconnects and explicit subscriptions still deliver', async () => {
    const events: Ev[] = [];
    const client = await connect(rig, 'callbackd', false, events);
    let reconnected = 0;
    client.on('WebSocketConnected', () => reconnected++);
    client.on('StasisStart', (ev: Ev) => {
      if (ev.args[0] !== 'observe') return;
      void client.applications
        .subscribe({ applicationName: 'callbackd', eventSource: `channel:${ev.channel.id}` })
        .then(() => client.channels.continueInDialplan({ channelId: ev.channel.id }));
    });
    rig.sim.addQueue('support', { members: [agent({ state: 'paused' })] });
    const call = rig.sim.callIntoQueue({ number: '+420600000001', queue: 'support' });
    await call.waitFor('queued');
    rig.sim.dropConnections();
    await until('app gone', () => !rig.sim.appConnected());
    await until('reconnected', () => reconnected === 1 && rig.sim.appConnected());
    call.hangup();
    await until('user event after reconnect', () => events.some((e) => e.type === 'ChannelUserevent' && e.channel.id === call.channelId));
  });

  it('while unreachable, new connections are refused but calls go on; afterwards the client comes back', async () => {
    const events: Ev[] = [];
    const client = await connect(rig, 'callbackd', true, events);
    continueObserveHops(client);
    rig.sim.addQueue('support', { members: [agent({ state: 'paused' })] });
    const call = rig.sim.callIntoQueue({ number: '+420600000001', queue: 'support' });
    await call.waitFor('queued');
    await rig.sim.setReachable(false);
    await assert.rejects(fetch(`${rig.url}/ari/channels`, { headers: AUTH }));
    assert.ok(!rig.sim.appConnected());
    const later = rig.sim.callIntoQueue({ number: '+420600000002', queue: 'support' });
    await later.waitFor('queued');
    assert.equal(rig.sim.queueEntries('support').length, 2, 'the observe hop failed at once and the call queued');
    await rig.sim.setReachable(true);
    await until('client back', () => rig.sim.appConnected(), 5000);
    assert.equal((await client.channels.list()).length, 4);
    call.hangup();
    later.hangup();
    await until('both gone', () => call.gone && later.gone);
  });

  it('a member who does not answer is given up after the ring timeout and rung again after the retry pause; two members serve in parallel', async () => {
    const events: Ev[] = [];
    // Every change happens on an event, never after a guessed delay: a loaded machine cannot reorder it.
    rig.sim.on('ari-event', (ev: Ev) => {
      events.push(ev);
      if (ev.type === 'Dial' && ev.dialstatus === 'NOANSWER') rig.sim.setMember('support', 'agent1', { answerAfterMs: 10 });
    });
    rig.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: null, talkMs: null }], ringTimeoutMs: 40, retryMs: 30 });
    const a = rig.sim.callIntoQueue({ number: '+420600000001', queue: 'support' });
    await a.waitFor('answered-by-agent');
    const statuses = events.filter((e) => e.type === 'Dial' && e.caller?.id === a.channelId).map((e) => e.dialstatus);
    assert.deepEqual(statuses, ['', 'NOANSWER', '', 'ANSWER']);
    rig.sim.setMember('support', 'agent2', { answerAfterMs: 10, talkMs: 50 });
    const b = rig.sim.callIntoQueue({ number: '+420600000002', queue: 'support' });
    await b.waitFor('answered-by-agent');
    assert.equal(b.servedBy?.member, 'agent2', 'agent1 is still talking to the first caller');
    a.hangup();
    await Promise.all([a.waitFor('gone'), b.waitFor('gone')]);
  });

  it('mirrors the control API over HTTP under /_sim/', async () => {
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${rig.url}/_sim/${path}`, { method, headers: { ...AUTH, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    assert.equal((await fetch(`${rig.url}/_sim/channels`)).status, 401);
    assert.equal((await call('POST', 'queues/sales', { members: [{ name: 'bob', state: 'paused' }] })).status, 204);
    const placed = (await (await call('POST', 'calls', { number: '+420600000001', queue: 'sales', id: 'web-1' })).json()) as any;
    assert.deepEqual(placed, { id: 'web-1', channelId: 'web-1;2' });
    await until('queued', () => rig.sim.queueEntries('sales').length === 1);
    assert.deepEqual(((await (await call('GET', 'queues/sales')).json()) as any[]).map((e) => e.channelId), ['web-1;2']);
    assert.equal((await call('POST', 'queues/sales/members/bob', { state: 'available', answerAfterMs: 10, talkMs: null })).status, 204);
    await until('served', () => rig.sim.conversations().length === 1);
    assert.equal((await call('DELETE', 'calls/web-1')).status, 204);
    await until('gone', () => rig.sim.channels().length === 0);
    assert.equal((await call('DELETE', 'calls/web-1')).status, 404);
  });

  it("hangs the placeholder up when it is answered while the application is away, and frees the agent", async () => {
    const events: Ev[] = [];
    const client = await connect(rig, 'callbackd', true, events);
    rig.sim.addQueue('support', { members: [agent({ state: 'paused', talkMs: null })] });
    await client.channels.originate({ endpoint: 'Local/s@callbackd-placeholder/n', app: 'callbackd', appArgs: 'placeholder,cb-1', channelId: 'ph-1', timeout: -1, variables: { CB_ID: 'cb-1', CB_QUEUE: 'support', CB_POS: '1' } });
    await until('placeholder queued', () => rig.sim.queueEntries('support').length === 1);
    client.stop();
    await until('app away', () => !rig.sim.appConnected());
    const waiting = rig.sim.callIntoQueue({ number: '+420600000009', queue: 'support' });
    await waiting.waitFor('queued');
    rig.sim.setMember('support', 'agent1', { state: 'available' });
    await until('placeholder gone', () => !rig.sim.channels().some((c) => c.id === 'ph-1'));
    await waiting.waitFor('answered-by-agent');
    const conv = rig.sim.conversations();
    assert.deepEqual(conv.map((c) => [c.placeholderFor, c.endedAt !== null]), [['cb-1', true], [null, false]]);
    waiting.hangup();
    await waiting.waitFor('gone');
  });
});
