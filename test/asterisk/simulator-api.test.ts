/**
 * The simulator's own behaviour beyond the recorded traces, part 1: Swagger and auth, error answers,
 * the shipped dialplan without the application, queue positions and order, queue timeout, scripted
 * single-channel destinations and playbacks. Driven through the real `ari-client`, and raw HTTP or
 * WebSocket where the client cannot show a detail.
 */
import { strict as assert } from 'node:assert';
import WebSocket from 'ws';
import { EVENT_MODELS, EVENT_TYPES } from '../../src/asterisk/simulator/swagger-models';
import { AUTH, agent, causes, connect, continueObserveHops, newRig, teardown, until, type Ev, type Rig } from './simulator-harness.test';

describe('ARI simulator: control API and behaviour beyond the traces', function () {
  this.timeout(10000);
  let rig: Rig;

  beforeEach(async () => {
    rig = await newRig({ secondMs: 20, playbackMs: 15, dtmfGapMs: 10 });
  });

  afterEach(async () => {
    await teardown(rig);
  });

  it('serves its own Swagger 1.2 description behind Basic auth, with a model for every event it sends', async () => {
    const denied = await fetch(`${rig.url}/ari/api-docs/resources.json`);
    assert.equal(denied.status, 401);
    const listing = (await (await fetch(`${rig.url}/ari/api-docs/resources.json`, { headers: AUTH })).json()) as any;
    assert.equal(listing.swaggerVersion, '1.2');
    assert.deepEqual(listing.apis.map((a: any) => a.path).sort(), ['applications', 'asterisk', 'bridges', 'channels', 'events', 'playbacks'].map((n) => `/api-docs/${n}.{format}`));
    for (const type of EVENT_TYPES) assert.ok(EVENT_MODELS[type], type);
    const client = await connect(rig, 'callbackd', false);
    const ops: Record<string, string[]> = {
      channels: ['list', 'originate', 'originateWithId', 'get', 'hangup', 'continueInDialplan', 'answer', 'play', 'playWithId', 'getChannelVar', 'setChannelVar', 'ring', 'sendDTMF'],
      bridges: ['create', 'createWithId', 'get', 'destroy', 'addChannel', 'removeChannel'],
      applications: ['get', 'subscribe', 'unsubscribe'],
      playbacks: ['get', 'stop'],
      asterisk: ['getInfo', 'getGlobalVar'],
    };
    for (const [res, names] of Object.entries(ops)) for (const n of names) assert.equal(typeof (client as any)[res][n], 'function', `${res}.${n}`);
    const info = await client.asterisk.getInfo();
    assert.equal(info.system.entity_id, '02:fc:00:00:00:01');
  });

  it('refuses wrong credentials on REST and on the event WebSocket', async () => {
    // (ari-client itself cannot be shown a 401 here: its Swagger loader throws the failure uncaught.)
    const rest = await fetch(`${rig.url}/ari/channels?api_key=callbackd:wrong`);
    assert.equal(rest.status, 401);
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${rig.url.replace('http', 'ws')}/ari/events?app=x&api_key=callbackd:wrong`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    assert.equal(status, 401);
    const opened = await new Promise<boolean>((resolve) => {
      const ws = new WebSocket(`${rig.url.replace('http', 'ws')}/ari/events?app=x`, { headers: AUTH });
      ws.on('open', () => {
        ws.close();
        resolve(true);
      });
      ws.on('error', () => resolve(false));
    });
    assert.ok(opened, 'Basic auth on the WebSocket upgrade');
  });

  it('answers like Asterisk to the requests callbackd gets wrong easily', async () => {
    rig.sim.addQueue('support', { members: [] });
    const call = rig.sim.callIntoQueue({ number: '+420601111222', queue: 'support' });
    await call.waitFor('queued');
    const post = (path: string, body?: unknown) =>
      fetch(`${rig.url}/ari${path}`, { method: 'POST', headers: { ...AUTH, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    await post('/bridges?bridgeId=b1&type=mixing');
    const jsonBody = await post('/bridges/b1/addChannel', { channel: `${call.channelId},${call.id}` });
    assert.deepEqual([jsonBody.status, await jsonBody.json()], [400, { message: 'Channel not found' }]);
    const notInStasis = await post(`/bridges/b1/addChannel?channel=${encodeURIComponent(call.channelId)}`);
    assert.deepEqual([notInStasis.status, await notInStasis.json()], [422, { message: 'Channel not in Stasis application' }]);
    const cont = await post(`/channels/${encodeURIComponent(call.channelId)}/continue`);
    assert.deepEqual([cont.status, await cont.json()], [409, { message: 'Channel not in Stasis application' }]);
    const badReason = await fetch(`${rig.url}/ari/channels/${encodeURIComponent(call.id)}?reason=whatever`, { method: 'DELETE', headers: AUTH });
    assert.equal(badReason.status, 400);
    const fn = await fetch(`${rig.url}/ari/channels/${encodeURIComponent(call.channelId)}/variable?variable=NO_SUCH_FUNC(x)`, { headers: AUTH });
    assert.deepEqual([fn.status, await fn.json()], [500, { message: 'Unable to read provided function' }]);
    const noVar = await fetch(`${rig.url}/ari/channels/${encodeURIComponent(call.channelId)}/variable`, { headers: AUTH });
    assert.deepEqual([noVar.status, await noVar.json()], [400, { message: 'Missing parameter variable' }]);
    const events: Ev[] = [];
    const client = await connect(rig, 'callbackd', true, events);
    const count = await client.channels.getChannelVar({ channelId: call.channelId, variable: 'QUEUE_WAITING_COUNT(support)' });
    assert.deepEqual(count, { value: '1' });
    await client.channels.hangup({ channelId: call.id, reason: 'busy' });
    await until('gone', () => causes(events, call.id).length === 1);
    assert.deepEqual(causes(events, call.id), [17]);
  });

  it('without the application the shipped dialplan still queues callers, and the exit key puts them back in place', async () => {
    rig.sim.addQueue('support', { members: [agent({ state: 'paused' })] });
    const a = rig.sim.callIntoQueue({ number: '+420600000001', queue: 'support' });
    const b = rig.sim.callIntoQueue({ number: '+420600000002', queue: 'support' });
    await a.waitFor('queued');
    await b.waitFor('queued');
    const c = rig.sim.callIntoCallbackNode({ number: '+420600000003', queue: 'support', delayMinutes: 15 });
    await c.waitFor('queued');
    assert.deepEqual(rig.sim.channelVariables(c.channelId)?.STASISSTATUS, 'FAILED');
    await a.pressDigits('1');
    await until('back in queue', () => rig.sim.queueEntries('support').length === 3 && rig.sim.queueEntries('support')[0].channelId === a.channelId);
    assert.equal(rig.sim.channelVariables(a.channelId)?.QUEUEPOSITION, '1');
    assert.deepEqual(rig.sim.queueEntries('support').map((e) => e.number), ['+420600000001', '+420600000002', '+420600000003']);
  });

  it('places queue entries at the requested position and serves them in queue order (caller, placeholder, caller)', async () => {
    const events: Ev[] = [];
    const client = await connect(rig, 'callbackd', true, events);
    continueObserveHops(client);
    rig.sim.addQueue('support', { members: [agent({ state: 'paused', talkMs: 20 })] });
    const a = rig.sim.callIntoQueue({ number: '+420600000001', queue: 'support' });
    await a.waitFor('queued');
    const c = rig.sim.callIntoQueue({ number: '+420600000003', queue: 'support' });
    await c.waitFor('queued');
    const placeholder = (id: string, pos: number) =>
      client.channels.originate({ endpoint: 'Local/s@callbackd-placeholder/n', app: 'callbackd', appArgs: `placeholder,${id}`, channelId: `ph-${id}`, timeout: -1, variables: { CB_ID: id, CB_QUEUE: 'support', CB_POS: String(pos) } });
    await placeholder('cb-b', 2);
    await placeholder('cb-far', 99);
    await placeholder('cb-head', 1);
    await until('all queued', () => rig.sim.queueEntries('support').length === 5);
    assert.deepEqual(rig.sim.queueEntries('support').map((e) => e.placeholderFor ?? e.number), ['cb-head', '+420600000001', 'cb-b', '+420600000003', 'cb-far']);
    for (const id of ['ph-cb-head', 'ph-cb-far']) await client.channels.hangup({ channelId: id });
    await until('two left', () => rig.sim.queueEntries('support').length === 3);
    client.on('StasisStart', (ev: Ev) => ev.args[0] === 'placeholder' && client.channels.hangup({ channelId: ev.channel.id }).catch(() => undefined));
    rig.sim.setMember('support', 'agent1', { state: 'available' });
    await c.waitFor('gone');
    assert.deepEqual(rig.sim.conversations().map((x) => x.placeholderFor ?? x.number), ['+420600000001', 'cb-b', '+420600000003']);
    assert.ok(rig.sim.conversations().every((x) => x.member === 'agent1' && x.endedAt !== null));
  });

  it('a queue timeout lets the caller go on in the dialplan with QUEUESTATUS=TIMEOUT (not abandoned)', async () => {
    const events: Ev[] = [];
    rig.sim.on('ari-event', (ev: Ev) => events.push(ev));
    rig.sim.addQueue('support', { members: [agent({ state: 'paused' })] });
    const call = rig.sim.callIntoQueue({ number: '+420600000001', queue: 'support', timeoutSec: 3 });
    const started = Date.now();
    await call.waitFor('gone');
    assert.ok(Date.now() - started >= 3 * 20 - 5);
    assert.ok(events.some((e) => e.type === 'ChannelVarset' && e.variable === 'QUEUESTATUS' && e.value === 'TIMEOUT'));
    const gone = events.find((e) => e.type === 'ChannelUserevent')!;
    assert.deepEqual([gone.userevent.abandoned, gone.userevent.position], ['', '1']);
  });

  it('scripted single-channel destinations: answer with DTMF, busy, congestion, rejected, no answer, invalid', async () => {
    const events: Ev[] = [];
    const client = await connect(rig, 'callbackd', false, events);
    const sim = rig.sim;
    // The newest matching script wins, so the catch-all glob goes first.
    sim.scriptDestination('+4206010000*', { outcome: 'noanswer' });
    sim.scriptDestination('+420601000001', { outcome: 'answer', afterMs: 20, digitsAfterAnswer: '1', digitsDelayMs: 10, talkMs: 80 });
    sim.scriptDestination('+420601000002', { outcome: 'busy', afterMs: 10 });
    sim.scriptDestination('PJSIP/+420601000003@trunk', { outcome: 'congestion' });
    sim.scriptDestination('+420601000004', { outcome: 'rejected' });
    sim.scriptDestination('+420601000006', { outcome: 'invalid' });
    const dial = (n: number) =>
      client.channels.originate({ endpoint: `PJSIP/+42060100000${n}@trunk`, app: 'callbackd', appArgs: `customer,cb-${n}`, channelId: `c${n}`, timeout: 3, callerId: '"Callback" <+420200000000>' });
    for (let n = 1; n <= 6; n++) await dial(n);
    for (let n = 1; n <= 6; n++) await until(`c${n} gone`, () => causes(events, `c${n}`).length === 1);
    const story = (id: string) =>
      events
        .filter((e) => e.channel?.id === id || e.peer?.id === id)
        .map((e) => (e.type === 'Dial' ? `Dial ${e.dialstatus || '-'}` : e.type === 'ChannelDestroyed' ? `Destroyed ${e.cause}` : e.type === 'ChannelStateChange' ? e.channel.state : e.type))
        .filter((x) => !['ChannelCreated', 'ChannelDialplan', 'ChannelCallerId', 'ChannelConnectedLine', 'ChannelVarset'].includes(x));
    assert.deepEqual(story('c1'), ['Dial -', 'Ringing', 'Dial RINGING', 'Up', 'Dial ANSWER', 'StasisStart', 'ChannelDtmfReceived', 'ChannelHangupRequest', 'StasisEnd', 'Destroyed 16']);
    assert.deepEqual(story('c2'), ['Dial -', 'Dial BUSY', 'Destroyed 17']);
    assert.deepEqual(story('c3'), ['Dial -', 'Dial CONGESTION', 'Destroyed 34']);
    assert.deepEqual(story('c4'), ['Dial -', 'ChannelHangupRequest', 'Dial NOANSWER', 'Destroyed 21']);
    assert.deepEqual(story('c5'), ['Dial -', 'Ringing', 'Dial RINGING', 'Destroyed 19']);
    assert.deepEqual(story('c6'), ['Destroyed 0']);
    assert.match(String(events.find((e) => e.type === 'StasisStart')?.channel.name), /^PJSIP\/trunk-[0-9a-f]{8}$/);
    assert.deepEqual(sim.originations().map((o) => o.channelId), ['c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
    assert.deepEqual(sim.originations()[0].endpoint, 'PJSIP/+420601000001@trunk');
  });

  it('a script can be used a limited number of times; the default destination answers', async () => {
    const events: Ev[] = [];
    const client = await connect(rig, 'callbackd', false, events);
    rig.sim.scriptDestination('+420601000009', { outcome: 'busy', times: 1 });
    for (const id of ['first', 'second']) {
      await client.channels.originate({ endpoint: 'PJSIP/+420601000009@trunk', app: 'callbackd', channelId: id });
    }
    await until('first gone', () => causes(events, 'first').length === 1);
    await until('second answered', () => events.some((e) => e.type === 'StasisStart' && e.channel.id === 'second'));
    assert.deepEqual(causes(events, 'first'), [17]);
    await client.channels.hangup({ channelId: 'second' });
  });

  it('plays several media in turn and stops a playback on request', async () => {
    const events: Ev[] = [];
    const client = await connect(rig, 'callbackd', false, events);
    rig.sim.addQueue('support', { members: [] });
    rig.sim.setPlaybackMs(60);
    const call = rig.sim.callIntoCallbackNode({ number: '+420600000001', queue: 'support', delayMinutes: 0 });
    await call.waitFor('stasis');
    const first = await client.channels.play({ channelId: call.channelId, media: 'sound:hello,digits:42' });
    assert.equal(first.next_media_uri, 'digits:42');
    const second = await client.channels.play({ channelId: call.channelId, media: 'sound:long-prompt', playbackId: 'pb-2' });
    assert.equal(second.id, 'pb-2');
    await until('second playing', () => events.some((e) => e.type === 'PlaybackStarted' && e.playback.id === 'pb-2'));
    await client.playbacks.stop({ playbackId: 'pb-2' });
    await until('second finished', () => events.some((e) => e.type === 'PlaybackFinished' && e.playback.id === 'pb-2'));
    const kinds = events.filter((e) => e.playback).map((e) => `${e.type} ${e.playback.id === 'pb-2' ? 2 : 1} ${e.playback.media_uri}`);
    assert.deepEqual(kinds, ['PlaybackStarted 1 sound:hello', 'PlaybackContinuing 1 digits:42', 'PlaybackFinished 1 digits:42', 'PlaybackStarted 2 sound:long-prompt', 'PlaybackFinished 2 sound:long-prompt']);
    await assert.rejects(client.playbacks.get({ playbackId: 'pb-2' }), /Playback not found/);
    await client.channels.hangup({ channelId: call.channelId });
  });
});
