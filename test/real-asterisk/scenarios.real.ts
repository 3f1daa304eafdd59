import assert from 'node:assert/strict';
import fs from 'node:fs';
import { parseAriEvent } from '../../src/asterisk/events';
import { classifyEvents } from '../../src/asterisk/outcomes';
import { DEFAULT_PROMPTS } from '../../src/config/defaults';
import type { Callback } from '../../src/domain/types';
import { PrivateAsterisk } from './asterisk';
import { DaemonProcess } from './daemon';
import { Pbx, TEST_APP, TEST_CONTEXTS, TEST_QUEUES, until, type Caller } from './pbx';

/**
 * callbackd against a real Asterisk 22 (`npm run test:asterisk`, ASTERISK_HOME = its prefix):
 * the scenarios of test/e2e/ with the real daemon process, the shipped dialplan, app_queue and
 * Local channels for callers, agents and customers. Everything runs in real time.
 */

const HOME = process.env.ASTERISK_HOME;
const ARI_PASSWORD = 'cbd-secret';
const MIN = 60_000;

/**
 * A customer who answers after 12 s of ringing, once the agent has heard "calling" and the whole
 * number. Most agent-first scenarios use this one, so the announcement itself is played to its end
 * on the real Asterisk; (a2) covers a customer who answers while the agent still hears it.
 */
const ANSWERS_AFTER_READOUT = 'answer:12:30';
/** An agent who stays on the line until such a customer has answered and talked a little. */
const AGENT_WAITS = { talkSeconds: 20 };

let ast: PrivateAsterisk;
let pbx: Pbx;
let failures = 0;

before(async function () {
  if (!HOME) {
    console.log('ASTERISK_HOME is not set: the real-Asterisk suite is skipped (set it to an Asterisk 22 install prefix)');
    this.skip();
  }
  this.timeout(60_000);
  ast = await PrivateAsterisk.boot({
    home: HOME,
    extensions: `#include "${TEST_CONTEXTS}"`,
    queues: TEST_QUEUES,
    ariUsers: { callbackd: ARI_PASSWORD, [TEST_APP]: 'cbtest-secret' },
  });
  pbx = new Pbx(ast, TEST_APP, 'cbtest-secret');
  await pbx.connect();
  await pbx.reset();
});

after(async function () {
  this.timeout(30_000);
  await pbx?.close();
  // Kept for a look when something failed (or CBT_KEEP=1): the Asterisk configuration and logs.
  const keep = process.env.CBT_KEEP === '1' || failures > 0;
  if (ast) {
    await ast.stop(keep);
    if (keep) console.log(`private Asterisk kept in ${ast.dir} (log/full)`);
  }
});

describe('callbackd against a real Asterisk 22', function () {
  this.timeout(120_000);
  let daemons: DaemonProcess[] = [];

  /** A daemon of its own (fresh database) for the test; the transition's keys override the suite's. */
  const daemon = async (transition: Record<string, unknown> = {}, extra: Record<string, string> = {}): Promise<DaemonProcess> => {
    const d = new DaemonProcess(fs.mkdtempSync('/tmp/cbd-'), { url: ast.url, user: 'callbackd', password: ARI_PASSWORD }, transition, extra);
    daemons.push(d);
    await d.start();
    return d;
  };

  afterEach(async function () {
    const failed = this.currentTest?.state === 'failed';
    if (failed) failures++;
    for (const d of daemons) {
      await d.close();
      if (failed) {
        console.log(`    daemon log kept in ${d.logFile}; its warnings and errors:`);
        for (const l of d.problems().slice(-25)) console.log(`      ${JSON.stringify(l)}`);
      } else fs.rmSync(d.dir, { recursive: true, force: true });
    }
    daemons = [];
    await pbx.reset();
  });

  const placeholderId = async (daemon: DaemonProcess, cb: Callback): Promise<string | null> => {
    const open = (await daemon.attemptsOf(cb.id)).find((a) => a.endedAt === null);
    return open?.placeholderRef ? `${open.placeholderRef};2` : null;
  };
  /** The queue as ids: callers by their call id, placeholders by the callback they stand for. */
  const queueOrder = async (daemon: DaemonProcess, names: Record<string, string> = {}): Promise<string[]> => {
    const placeholders = new Map(await Promise.all((await daemon.callbacks()).map(async (c) => [await placeholderId(daemon, c), `placeholder:${c.number}`] as const)));
    return (await pbx.queueCallers()).map((q) => (q.id && placeholders.get(q.id)) ?? (q.id && names[q.id]) ?? q.id ?? q.name);
  };
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const deactivations = () => ast.log().split("Deactivating Stasis app 'callbackd'").length - 1;
  const servedNumbers = async () => (await pbx.served()).map((s) => s.number);

  /** A waiting caller presses 1, waits for the placeholder to take their place, and confirms. */
  const holdPlace = async (daemon: DaemonProcess, caller: Caller): Promise<Callback> => {
    await until(() => daemon.call(caller.id), `${caller.number} to be observed by the daemon`);
    await caller.dtmf('1');
    await until(() => caller.inCallbackNode(), `${caller.number} to be in the CallBack node`, 10_000, () => caller.app());
    const cb = await daemon.only('the held callback');
    await until(async () => {
      const ph = await placeholderId(daemon, cb);
      return (await pbx.queueCallers()).some((q) => q.id === ph);
    }, 'the placeholder in the queue', 15_000, () => pbx.queueCallers());
    await caller.dtmf('1');
    await caller.waitGone();
    return (await daemon.get(cb.id)) as Callback;
  };

  it('(0) the test phones behave as the recorded Asterisk traces, and the daemon reads their outcomes from what it sees', async () => {
    const kinds: Array<[string, string]> = [['answer', 'answered'], ['busy', 'busy'], ['congestion', 'congestion'], ['noanswer', 'no_answer'], ['reject', 'rejected']];
    const from = pbx.events.length;
    const ids = await Promise.all(
      kinds.map(async ([kind], n) => {
        const number = `+4206010004${String(n).padStart(2, '0')}`;
        await pbx.customer(number, kind === 'answer' ? 'answer:0.5:2' : kind);
        const id = `cbt-out-${kind}-${Date.now()}`;
        const res = await pbx.rest('POST', '/channels', { endpoint: `Local/${number}@cbt-customers/n`, app: TEST_APP, appArgs: 'out', channelId: id, timeout: 3 });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        return id;
      }),
    );
    for (const [i, [kind, outcome]] of kinds.entries()) {
      const id = ids[i];
      await until(() => pbx.events.some((e) => e.event.type === 'ChannelDestroyed' && e.event.channel?.id === id), `the ${kind} call to end`, 15_000);
      // What the daemon receives for a channel it originated and subscribed to: its own events and the Dials naming it.
      const seen = pbx.events.slice(from).map((e) => parseAriEvent(JSON.stringify(e.event))).flatMap((p) => ('event' in p ? [p.event] : []))
        .filter((e) => (e.type === 'Dial' ? e.peer.id === id : 'channel' in e && e.channel.id === id));
      assert.equal(classifyEvents(id, seen).outcome, outcome, `${kind}: ${classifyEvents(id, seen).detail}`);
    }
  });

  it('(a) a caller who presses 1 and confirms keeps their place: served after those ahead, before those behind, dialled once', async () => {
    const daemon1 = await daemon();
    await pbx.agentTiming('agent1', AGENT_WAITS);
    await pbx.customer('+420601000002', ANSWERS_AFTER_READOUT);
    const a = await pbx.callIntoQueue('+420601000001', { account: 'acc-001' });
    const b = await pbx.callIntoQueue('+420601000002', { account: 'acc-002' });
    const c = await pbx.callIntoQueue('+420601000003', { account: 'acc-003' });
    const names = { [a.id]: 'A', [b.id]: 'B', [c.id]: 'C' };
    assert.deepEqual(await queueOrder(daemon1, names), ['A', 'B', 'C']);

    await until(() => daemon1.call(b.id), 'B to be observed');
    await b.dtmf('1');
    await until(() => b.inCallbackNode(), 'B in the CallBack node', 10_000, () => b.app());
    const held = await daemon1.only('the held callback');
    await until(async () => (await queueOrder(daemon1, names)).join() === 'A,placeholder:+420601000002,C', 'the placeholder at the place B left', 15_000, () => queueOrder(daemon1, names));
    await b.dtmf('1'); // confirms the number read back
    await b.waitGone();
    assert.equal((await daemon1.get(held.id))?.status, 'Scheduled');
    assert.equal(await pbx.dialsTo('+420601000002'), 0, 'nobody is dialled while the place is held');

    await pbx.unpause('agent1');
    const done = await daemon1.status(held.id, 'Completed', 90_000);
    await until(async () => (await pbx.served()).length === 3, 'the third caller to be served', 90_000, () => pbx.served());
    assert.deepEqual(await servedNumbers(), ['+420601000001', '+420601000002', '+420601000003'], 'A, then the placeholder for B, then C');
    assert.equal(await pbx.dialsTo('+420601000002'), 1, 'the customer is dialled exactly once');
    assert.equal(done.mechanism, 'IvrCallBack');
    assert.equal(done.originCallId, b.id);
    assert.deepEqual(done.form, { ACCOUNT: 'acc-002' });
    const types = (await daemon1.eventsOf(held.id)).map((e) => e.type);
    assert.ok(types.includes('CallBack') && types.includes('AttemptStarted') && types.includes('AttemptEnded'), types.join());
    const attempts = await daemon1.attemptsOf(held.id);
    assert.deepEqual(attempts.map((x) => x.outcome), ['answered']);
    await until(async () => (await pbx.bridges()).length === 0, 'the bridge to be deleted after the conversation', 20_000, () => pbx.bridges());
  });

  it('(a2) agent-first: a customer who answers during the number read-out is joined to the agent at once', async () => {
    const daemon1 = await daemon();
    await pbx.agentTiming('agent1', AGENT_WAITS);
    await pbx.customer('+420601000006', 'answer:0.5:30'); // picks up at once, while the agent hears the number
    const caller = await pbx.callIntoQueue('+420601000006');
    const cb = await holdPlace(daemon1, caller);
    await pbx.unpause('agent1');
    await until(async () => (await daemon1.attemptsOf(cb.id))[0]?.outcome, 'the attempt to end', 60_000);
    const [attempt] = await daemon1.attemptsOf(cb.id);
    const customer = attempt.customerRef as string;
    const placeholder = attempt.placeholderRef as string;
    const at = (pred: (e: (typeof pbx.events)[number]['event']) => boolean) => pbx.events.find((e) => pred(e.event))?.at ?? null;
    const answered = at((e) => e.type === 'ChannelStateChange' && e.channel?.id === customer && e.channel.state === 'Up');
    const joined = at((e) => e.type === 'ChannelEnteredBridge' && e.channel?.id === placeholder);
    const digits = pbx.events.filter((e) => answered !== null && e.at > answered && e.event.type === 'PlaybackStarted' && e.event.playback?.target_uri === `channel:${placeholder}` && e.event.playback.media_uri.startsWith('sound:digits/')).length;
    assert.ok(answered !== null, 'the customer answered');
    assert.ok(
      attempt.outcome === 'answered' && joined !== null && joined - answered < 2000,
      `the customer answered; ${digits} digit(s) of the number read-out were then started on the agent's channel; ` +
        `the agent ${joined === null ? 'was never joined' : `entered the bridge ${joined - answered} ms later`}; ` +
        `attempt outcome ${attempt.outcome} (${attempt.detail}); callback ${(await daemon1.get(cb.id))?.status}`,
    );
  });

  it('(b) a caller who presses 1 and hangs up before confirming: Cancelled, the placeholder leaves', async () => {
    const daemon1 = await daemon();
    const a = await pbx.callIntoQueue('+420601000011');
    await until(() => daemon1.call(a.id), 'A to be observed');
    await a.dtmf('1');
    await until(() => a.inCallbackNode(), 'A in the CallBack node', 10_000, () => a.app());
    const cb = await daemon1.only('the held callback');
    const ph = await until(() => placeholderId(daemon1, cb), 'the placeholder attempt');
    await until(async () => (await pbx.queueCallers()).some((q) => q.id === ph), 'the placeholder in the queue');
    await a.hangup();
    await daemon1.status(cb.id, 'Cancelled');
    await until(async () => (await pbx.queueCallers()).length === 0, 'the placeholder to leave the queue', 15_000, () => pbx.queueCallers());
    // Someone calling now is served first: nothing was left in the queue to dial A.
    await pbx.unpause('agent1');
    const later = await pbx.call('+420601000012');
    await until(async () => (await servedNumbers()).includes('+420601000012'), 'the next caller to be served', 30_000, () => pbx.served());
    assert.equal(await pbx.dialsTo('+420601000011'), 0);
    assert.deepEqual(await servedNumbers(), ['+420601000012']);
    assert.equal((await daemon1.attemptsOf(cb.id))[0]?.outcome, 'agent_unanswered');
    await later.hangup();
  });

  it('(c) the CallBack node, delay 5, another number keyed (2, digits, #, 1): Scheduled 5 minutes later; made due from the CLI, dialled once', async () => {
    const daemon1 = await daemon();
    const call = await pbx.call('+420601000021', { via: 'ivr', delay: 5 });
    await until(() => call.inCallbackNode(), 'the caller in the CallBack node', 10_000, () => call.app());
    let i = await pbx.awaitPlayback(call.id, 'PlaybackStarted', /^sound:digits\//);
    await call.dtmf('2');
    i = await pbx.awaitPlayback(call.id, 'PlaybackStarted', /^sound:privacy-prompt$/, i);
    await call.dtmf('777123456#');
    await pbx.awaitPlayback(call.id, 'PlaybackStarted', /^sound:digits\/7$/, i);
    await call.dtmf('1');
    await call.waitGone();
    const booked = Date.now();
    const cb = await daemon1.only();
    assert.equal(cb.number, '+420777123456');
    assert.equal(cb.status, 'Scheduled');
    assert.equal(cb.mechanism, 'IvrCallBack');
    assert.ok(cb.dueAt !== null && Math.abs(cb.dueAt - (booked + 5 * MIN)) < 15_000, `due ${new Date(cb.dueAt ?? 0).toISOString()}, booked ${new Date(booked).toISOString()}`);
    assert.ok((await daemon1.eventsOf(cb.id)).some((e) => e.type === 'NumberConfirmed'));
    assert.equal((await daemon1.attemptsOf(cb.id)).length, 0);
    // Not five minutes of waiting: a manual request for the same number and queue is merged and the earlier due time wins.
    await pbx.agentTiming('agent1', AGENT_WAITS);
    await pbx.customer('+420777123456', ANSWERS_AFTER_READOUT);
    await pbx.unpause('agent1');
    const created = daemon1.cli(['create', '--number', '+420777123456', '--queue', 'support', '--delay-minutes', '0']);
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout, new RegExp(`merged into pending callback ${cb.id}`));
    await daemon1.status(cb.id, 'Completed', 90_000);
    assert.equal(await pbx.dialsTo('+420777123456'), 1);
    assert.equal(await pbx.dialsTo('+420601000021'), 0);
  });

  it('(d) a caller who abandons after waiting becomes a LostShift callback, dialled agent-first, Completed', async () => {
    const daemon1 = await daemon({ minWaitSeconds: 2 });
    await pbx.agentTiming('agent1', AGENT_WAITS);
    await pbx.customer('+420601000031', ANSWERS_AFTER_READOUT);
    const call = await pbx.callIntoQueue('+420601000031', { account: 'acc-031' });
    const entered = (await until(() => daemon1.call(call.id), 'the call to be observed')).enteredAt;
    await until(() => Date.now() - entered > 3000, 'the caller to have waited 3 s');
    await call.hangup();
    const cb = await daemon1.only('the LostShift callback');
    assert.equal(cb.mechanism, 'LostShift');
    assert.deepEqual(cb.form, { ACCOUNT: 'acc-031' });
    assert.equal((await daemon1.eventsOf(cb.id)).find((e) => e.type === 'LostCall')?.callId, call.id);
    assert.equal((await daemon1.call(call.id))?.result, 'abandoned');
    await until(async () => {
      const ph = await placeholderId(daemon1, cb);
      return (await pbx.queueCallers())[0]?.id === ph;
    }, 'the placeholder at the head of the queue', 15_000, () => pbx.queueCallers());
    await pbx.unpause('agent1');
    await daemon1.status(cb.id, 'Completed', 90_000);
    assert.equal(await pbx.dialsTo('+420601000031'), 1);
    assert.deepEqual((await daemon1.attemptsOf(cb.id)).map((a) => `${a.mode}:${a.outcome}`), ['agent-first:answered']);
  });

  it('(e) busy, then no answer, with maxAttempts 2 and a busy retry of 0 minutes: Failed after two attempts', async () => {
    const daemon1 = await daemon({ maxAttempts: 2, retryMinutes: { busy: 0, default: 10 }, ringSeconds: 3 });
    await pbx.customer('+420601000041', 'busy', 'noanswer');
    await pbx.agentTiming('agent1', { talkSeconds: 60 });
    await pbx.unpause('agent1');
    const created = daemon1.cli(['create', '--number', '+420601000041', '--queue', 'support', '--delay-minutes', '0']);
    assert.equal(created.status, 0, created.stderr);
    const cb = await daemon1.only();
    await daemon1.status(cb.id, 'Failed', 90_000);
    assert.deepEqual((await daemon1.attemptsOf(cb.id)).map((a) => a.outcome), ['busy', 'no_answer']);
    assert.equal(await pbx.dialsTo('+420601000041'), 2);
  });

  it('(e2) a number that does not exist (hangup cause 1, Unallocated) is invalid_number: Failed at once, not retried as no answer', async () => {
    const daemon1 = await daemon({ dialMode: 'customer-first', maxAttempts: 3, retryMinutes: { default: 10 } });
    await pbx.customer('+420601000042', 'invalid');
    assert.equal(daemon1.cli(['create', '--number', '+420601000042', '--queue', 'support', '--delay-minutes', '0']).status, 0);
    const cb = await daemon1.only();
    await until(async () => (await daemon1.attemptsOf(cb.id))[0]?.outcome, 'the attempt to end', 20_000);
    const [attempt] = await daemon1.attemptsOf(cb.id);
    const hangup = ast.log().split('\n').find((l) => l.includes('+420601000042@cbt-customers') && l.includes('Hangup(') );
    assert.ok(
      attempt.outcome === 'invalid_number' && (await daemon1.get(cb.id))?.status === 'Failed',
      `the customer's line hung up with cause 1 (${hangup?.replace(/^.*Executing/, 'Executing')}); the daemon recorded ${attempt.outcome} (${attempt.detail}) and the callback is ${(await daemon1.get(cb.id))?.status}, due ${new Date((await daemon1.get(cb.id))?.dueAt ?? 0).toISOString()}`,
    );
  });

  it('(f) the same number calls again and is served: the pending callback is Neglected, never dialled; the served mark comes and goes', async () => {
    const daemon1 = await daemon({ delayMinutes: 30 });
    const first = await pbx.callIntoQueue('+420601000051');
    await until(() => daemon1.call(first.id), 'the first call to be observed');
    await first.hangup();
    const cb = await daemon1.only('the LostShift callback');
    assert.equal(cb.status, 'Scheduled');
    assert.ok((cb.dueAt ?? 0) > Date.now() + 25 * MIN);
    await pbx.agentTiming('agent1', { talkSeconds: 3 });
    await pbx.unpause('agent1');
    const again = await pbx.call('+420601000051');
    await until(() => daemon1.call(again.id), 'the second call to be observed');
    // [callbackd-agent-answered], run by Queue() on the agent's channel, leaves the mark.
    const mark = await until(() => pbx.global(`CALLBACKD_SERVED_${again.id}`), 'the served mark of the second call', 20_000);
    assert.match(mark, /^\d{10}$/);
    const neglected = await daemon1.status(cb.id, 'Neglected');
    assert.equal(neglected.dueAt, null);
    assert.equal((await daemon1.eventsOf(cb.id)).find((e) => e.type === 'Neglected')?.callId, again.id);
    await until(async () => (await pbx.served()).length === 1, 'the agent to note the call');
    assert.deepEqual((await pbx.served()).map((x) => `${x.number}:${x.cbCall}`), [`+420601000051:${again.id}`], 'the agent channel inherited CB_CALL');
    await again.waitGone();
    await until(async () => (await daemon1.call(again.id))?.result === 'served', 'the call recorded as served');
    await until(async () => (await pbx.global(`CALLBACKD_SERVED_${again.id}`)) === null, 'the mark to be cleared once recorded');
    assert.equal(await pbx.dialsTo('+420601000051'), 0);
    assert.equal((await daemon1.attemptsOf(cb.id)).length, 0);
  });

  it('(g1) customer-first: the customer answers, presses 1, is queued at the head and served: Completed', async () => {
    const daemon1 = await daemon({ dialMode: 'customer-first' });
    await pbx.agentTiming('agent1', { talkSeconds: 3 });
    const waiting = await pbx.callIntoQueue('+420601000081');
    await pbx.customer('+420601000082', 'answer:0.5:60:1');
    const created = daemon1.cli(['create', '--number', '+420601000082', '--queue', 'support', '--delay-minutes', '0']);
    assert.equal(created.status, 0, created.stderr);
    const cb = await daemon1.only();
    const customer = await until(async () => (await daemon1.attemptsOf(cb.id))[0]?.customerRef, 'the attempt');
    await until(async () => (await pbx.queueCallers()).map((q) => q.id).join() === `${customer},${waiting.id}`, 'the customer at the head, ahead of the waiting caller', 30_000, () => pbx.queueCallers());
    await pbx.unpause('agent1');
    await daemon1.status(cb.id, 'Completed', 30_000);
    await until(async () => (await pbx.served()).length >= 1, 'the agent to note the call');
    assert.equal((await pbx.served())[0]?.cbCall, customer, 'the agent took the customer first (CB_CALL inherited from [callbackd-enqueue])');
    assert.equal(await pbx.dialsTo('+420601000082'), 1);
    assert.deepEqual((await daemon1.attemptsOf(cb.id)).map((a) => `${a.mode}:${a.outcome}`), ['customer-first:answered']);
    await until(async () => (await pbx.global(`CALLBACKD_SERVED_${customer}`)) === null, 'the served mark to be cleared once recorded');
  });

  it('(g2) customer-first: a customer who answers but does not press 1 is not_confirmed and retried by the rules', async () => {
    const daemon1 = await daemon({ dialMode: 'customer-first', retryMinutes: { not_confirmed: 7, default: 10 } });
    await pbx.customer('+420601000083', 'answer:0.5:60');
    const created = daemon1.cli(['create', '--number', '+420601000083', '--queue', 'support', '--delay-minutes', '0']);
    assert.equal(created.status, 0, created.stderr);
    const cb = await daemon1.only();
    await until(async () => (await daemon1.attemptsOf(cb.id))[0]?.outcome === 'not_confirmed', 'not_confirmed', 40_000, () => daemon1.attemptsOf(cb.id));
    const after = (await daemon1.get(cb.id)) as Callback;
    assert.equal(after.status, 'Scheduled');
    assert.ok(Math.abs((after.dueAt as number) - (Date.now() + 7 * MIN)) < 10_000);
    assert.equal(await pbx.dialsTo('+420601000083'), 1);
    const customer = (await daemon1.attemptsOf(cb.id))[0].customerRef as string;
    await until(async () => (await pbx.channel(customer)) === null, 'the customer to be hung up');
  });

  it('(h) an anonymous caller who keys and confirms a number keeps their place (delay 0 from the queue)', async () => {
    const daemon1 = await daemon();
    await pbx.agentTiming('agent1', AGENT_WAITS);
    await pbx.customer('+420601000202', ANSWERS_AFTER_READOUT);
    const a = await pbx.callIntoQueue('+420601000201');
    const x = await pbx.callIntoQueue('anonymous');
    const c = await pbx.callIntoQueue('+420601000203');
    const names = { [a.id]: 'A', [x.id]: 'X', [c.id]: 'C' };
    await until(() => daemon1.call(x.id), 'X to be observed');
    assert.equal((await daemon1.call(x.id))?.number, null, 'anonymous');
    await x.dtmf('1');
    await until(() => x.inCallbackNode(), 'X in the CallBack node', 10_000, () => x.app());
    const i = await pbx.awaitPlayback(x.id, 'PlaybackStarted', /^sound:privacy-prompt$/);
    await x.dtmf('601000202#');
    await pbx.awaitPlayback(x.id, 'PlaybackStarted', /^sound:digits\//, i);
    await x.dtmf('1');
    await x.waitGone();
    const cb = await daemon1.only();
    assert.equal(cb.number, '+420601000202');
    await until(async () => (await queueOrder(daemon1, names)).join() === 'A,placeholder:+420601000202,C', 'the placeholder at the place X left', 15_000, () => queueOrder(daemon1, names));
    await pbx.unpause('agent1');
    await daemon1.status(cb.id, 'Completed', 90_000);
    await until(async () => (await pbx.served()).length === 3, 'the third caller to be served', 90_000, () => pbx.served());
    assert.deepEqual(await servedNumbers(), ['+420601000201', '+420601000202', '+420601000203']);
    assert.equal(await pbx.dialsTo('+420601000202'), 1);
  });

  it('(i) every prompt the daemon plays exists and plays to its end on the real Asterisk', async () => {
    const logFrom = ast.log().length;
    const from = pbx.events.length;
    const d1 = await daemon({ maxAttempts: 1, ringSeconds: 5 });
    // The whole dialog, every prompt heard to its end: enter a number, an invalid one, a valid one, confirm.
    const full = await pbx.call('anonymous', { via: 'ivr', delay: 5 });
    let i = await pbx.awaitPlayback(full.id, 'PlaybackFinished', /^sound:astcc-followed-by-the-pound-key$/, from);
    await full.dtmf('12#');
    i = await pbx.awaitPlayback(full.id, 'PlaybackFinished', /^sound:privacy-incorrect$/, i);
    i = await pbx.awaitPlayback(full.id, 'PlaybackFinished', /^sound:astcc-followed-by-the-pound-key$/, i);
    await full.dtmf('601000311#');
    await pbx.awaitPlayback(full.id, 'PlaybackFinished', /^sound:vm-calldiffnum$/, i);
    await full.dtmf('1');
    await full.waitGone();
    // Refused after three unusable numbers.
    const refused = await pbx.call('anonymous', { via: 'ivr', delay: 5 });
    i = from;
    for (let n = 0; n < 3; n++) {
      i = await pbx.awaitPlayback(refused.id, 'PlaybackFinished', /^sound:astcc-followed-by-the-pound-key$/, i + 1);
      await refused.dtmf('12#');
    }
    await refused.waitGone();
    // Agent-first, nobody answers: the agent hears whom they call, then that the number does not answer.
    await pbx.customer('+420601000312', 'noanswer');
    await pbx.agentTiming('agent1', { talkSeconds: 60 });
    await pbx.unpause('agent1');
    assert.equal(d1.cli(['create', '--number', '+420601000312', '--queue', 'support', '--delay-minutes', '0']).status, 0);
    const unanswered = await until(async () => (await d1.callbacks()).find((c) => c.number === '+420601000312'), 'the unanswered callback');
    await d1.status(unanswered.id, 'Failed', 60_000);
    const placeholder = (await d1.attemptsOf(unanswered.id))[0].placeholderRef as string;
    await until(async () => (await pbx.channel(placeholder)) === null, 'the agent to be released');
    await d1.close();
    // Customer-first: the customer hears the whole request to press 1 and presses nothing.
    const d2 = await daemon({ dialMode: 'customer-first', maxAttempts: 1 });
    await pbx.customer('+420601000313', 'answer:0.5:60');
    assert.equal(d2.cli(['create', '--number', '+420601000313', '--queue', 'support', '--delay-minutes', '0']).status, 0);
    const cf = await d2.only();
    await d2.status(cf.id, 'Failed', 40_000);

    const mine = pbx.events.slice(from).filter((e) => e.event.type.startsWith('Playback')).map((e) => e.event);
    const failed = mine.filter((e) => e.type === 'PlaybackFinished' && e.playback?.state === 'failed').map((e) => `${e.playback?.media_uri} on ${e.playback?.target_uri}`);
    assert.deepEqual(failed, [], 'no playback ended failed');
    const played = new Set(mine.filter((e) => e.type === 'PlaybackStarted').map((e) => e.playback?.media_uri.replace(/^sound:/, '')));
    const prompts = [...new Set(Object.values(DEFAULT_PROMPTS).flat())];
    assert.deepEqual(prompts.filter((p) => !played.has(p)), [], `every configured prompt was played (played: ${[...played].join(', ')})`);
    const log = ast.log().slice(logFrom);
    assert.deepEqual(log.split('\n').filter((l) => /Playback failed|does not exist in any format/.test(l)), [], 'the Asterisk log shows no failed playback in these dialogs');
    assert.deepEqual(ast.log().split('\n').filter((l) => /does not exist in any format/.test(l)), [], 'no sound file was missing anywhere in the suite');
  });

  it('(j) barge-in: a key pressed during the number read-out stops it at once', async () => {
    const daemon1 = await daemon();
    const call = await pbx.call('+420601000261', { via: 'ivr', delay: 5 });
    await until(() => call.inCallbackNode(), 'the caller in the CallBack node', 10_000, () => call.app());
    const started = await pbx.awaitPlayback(call.id, 'PlaybackStarted', /^sound:digits\//);
    const playbackId = pbx.events[started].event.playback!.id;
    const pressedAt = Date.now();
    await call.dtmf('1');
    const finished = await until(() => pbx.events.find((e, n) => n > started && e.event.type === 'PlaybackFinished' && e.event.playback?.id === playbackId), 'the read-out to finish');
    await call.waitGone();
    const goneAt = Date.now();
    const digitsPlayed = pbx.events.filter((e) => e.event.type === 'PlaybackStarted' && e.event.playback?.id === playbackId).length;
    assert.ok(finished.at - pressedAt < 1500, `the read-out ended ${finished.at - pressedAt} ms after the key`);
    assert.ok(digitsPlayed < 9, `${digitsPlayed} of the 9 digits were played`);
    const name = (pbx.events.find((e) => e.event.channel?.id === call.id)?.event.channel?.name) as string;
    assert.match(ast.log(), new RegExp(`${call.id}: Playback stopped for sound:digits/`), 'Asterisk logged the read-out as stopped');
    assert.ok(ast.log().split('\n').filter((l) => l.includes(`<${name}> Playing 'digits/`)).length < 9);
    // The dialog goes on at once: thanks and goodbye, then the daemon hangs up (about 2 s of prompts; the 9 digits alone take 7).
    assert.ok(goneAt - pressedAt < 6000, `hung up ${goneAt - pressedAt} ms after the key`);
    const cb = await daemon1.only();
    assert.equal(cb.status, 'Scheduled');
  });

  it('(k) the daemon SIGKILLed while the placeholder waits: restarted, the customer is dialled once when an agent comes', async () => {
    const daemon1 = await daemon();
    await pbx.agentTiming('agent1', AGENT_WAITS);
    await pbx.customer('+420601000101', ANSWERS_AFTER_READOUT);
    const call = await pbx.callIntoQueue('+420601000101');
    const cb = await holdPlace(daemon1, call);
    const ph = await placeholderId(daemon1, cb);
    const deactivated = deactivations();
    await daemon1.kill();
    // Asterisk keeps an application that still has subscriptions, inactive: Stasis() into it fails.
    await until(() => deactivations() > deactivated, 'Asterisk to deactivate the callbackd application', 10_000);
    assert.deepEqual((await pbx.queueCallers()).map((q) => q.id), [ph], 'the placeholder keeps its place while the daemon is dead');
    await daemon1.start();
    await pbx.unpause('agent1');
    await daemon1.status(cb.id, 'Completed', 90_000);
    assert.equal(await pbx.dialsTo('+420601000101'), 1);
    assert.equal((await daemon1.attemptsOf(cb.id)).length, 1);
  });

  it('(l) customer-first: the daemon SIGKILLed while the customer is queued, an agent talks to them meanwhile: Completed, not dialled again', async () => {
    const daemon1 = await daemon({ dialMode: 'customer-first', retryMinutes: { default: 1 } });
    await pbx.agentTiming('agent1', { talkSeconds: 3 });
    await pbx.customer('+420601000221', 'answer:0.5:60:1');
    assert.equal(daemon1.cli(['create', '--number', '+420601000221', '--queue', 'support', '--delay-minutes', '0']).status, 0);
    const cb = await daemon1.only();
    const customer = await until(async () => (await daemon1.attemptsOf(cb.id))[0]?.customerRef, 'the attempt');
    await until(async () => (await pbx.queueCallers())[0]?.id === customer, 'the customer queued at the head', 30_000, () => pbx.queueCallers());
    const deactivated = deactivations();
    await daemon1.kill();
    await until(() => deactivations() > deactivated, 'Asterisk to deactivate the callbackd application', 10_000);
    await pbx.unpause('agent1');
    await until(async () => (await pbx.served()).some((s) => s.cbCall === customer), 'an agent to take the customer (CB_CALL inherited by the member channel)', 20_000, () => pbx.served());
    const mark = await until(() => pbx.global(`CALLBACKD_SERVED_${customer}`), 'the served mark of the customer', 10_000, () => pbx.globals('CALLBACKD_SERVED_'));
    await until(async () => (await pbx.channel(customer)) === null, 'the conversation to end', 30_000);
    assert.equal(await pbx.global(`CALLBACKD_SERVED_${customer}`), mark, 'the mark outlives the channels');
    assert.equal((await daemon1.get(cb.id))?.status, 'Dialing', 'nobody recorded anything while the daemon was down');
    await daemon1.start();
    await daemon1.status(cb.id, 'Completed', 30_000);
    assert.deepEqual((await daemon1.attemptsOf(cb.id)).map((a) => a.outcome), ['answered']);
    await until(async () => (await pbx.global(`CALLBACKD_SERVED_${customer}`)) === null, 'the mark to be cleared once recorded');
    assert.equal(await pbx.dialsTo('+420601000221'), 1, 'not dialled again');
  });

  it('(m) while the daemon is down, calls still reach their queue (Stasis fails, the dialplan carries on)', async () => {
    const daemon1 = await daemon();
    const a = await pbx.callIntoQueue('+420601000301');
    await until(() => daemon1.call(a.id), 'A to be observed');
    const deactivated = deactivations();
    // Killed while it follows A: Asterisk keeps the application, inactive, for its subscription.
    await daemon1.kill();
    await until(() => deactivations() > deactivated, 'Asterisk to deactivate the callbackd application', 10_000);
    const logFrom = ast.log().length;
    const b = await pbx.callIntoQueue('+420601000302');
    const c = await pbx.callIntoQueue('+420601000303');
    const names = { [a.id]: 'A', [b.id]: 'B', [c.id]: 'C' };
    // A caller who presses 1 is put back at the place they left.
    const bName = (await b.channel())?.name as string;
    await b.dtmf('1');
    const requeued = new RegExp(`Executing \\[1@callbackd-queue-exit:\\d+\\] Queue\\("${escape(bName)}", "support,,,,[^,]*,,callbackd-agent-answered,,2"\\)`);
    await until(() => requeued.test(ast.log().slice(logFrom)), 'B to go back into the queue at position 2 (Queue() of [callbackd-queue-exit])', 10_000);
    await until(async () => (await queueOrder(daemon1, names)).join() === 'A,B,C', 'A, B, C in the queue', 10_000, () => queueOrder(daemon1, names));
    // The CallBack node while the daemon is down: the caller is queued instead.
    const ivr = await pbx.call('+420601000304', { via: 'ivr', delay: 5 });
    names[ivr.id] = 'IVR';
    await until(async () => (await queueOrder(daemon1, names)).join() === 'A,B,C,IVR', 'the CallBack node caller at the end of the queue', 10_000, () => queueOrder(daemon1, names));
    const refusals = ast.log().slice(logFrom).split('\n').filter((l) => /Stasis app 'callbackd' (not active|not registered|doesn't exist)/.test(l));
    assert.ok(refusals.length >= 4, `Stasis() refused B, C, B again and the IVR caller: ${refusals.join(' | ')}`);
    await pbx.agentTiming('agent1', { talkSeconds: 1 });
    await pbx.unpause('agent1');
    await until(async () => (await pbx.served()).length === 4, 'all four served', 60_000, () => pbx.served());
    assert.deepEqual(await servedNumbers(), ['+420601000301', '+420601000302', '+420601000303', '+420601000304']);
    // Only A passed the observe hop: only A's answer is marked for the daemon to read when it is back.
    const marked = [];
    for (const call of [a, b, c, ivr]) if (await pbx.global(`CALLBACKD_SERVED_${call.id}`)) marked.push(names[call.id]);
    assert.deepEqual(marked, ['A']);
    assert.equal((await daemon1.callbacks()).length, 0);
  });
});
