import assert from 'node:assert/strict';
import { once } from 'node:events';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { AriSimulator } from '../../src/asterisk/simulator';
import type { Callback } from '../../src/domain/types';
import { SqliteStore } from '../../src/store/sqlite-store';
import { killed, runCli, startCli } from '../helpers/cli';
import { removeDir, tempDir } from '../helpers/tmp';

/**
 * The real daemon process killed at exactly the instants that could lose or double something:
 * it kills itself at a crash point (testing.crashAt), and a second daemon on the same file must
 * derive what the first did not live to do.
 */
describe('crash points: the daemon killed at the instants that matter', function () {
  this.timeout(60_000);
  let dir: string;
  let sim: AriSimulator;
  let env: Record<string, string>;
  let daemon: ChildProcess | null = null;
  let store: SqliteStore | null = null;

  beforeEach(async () => {
    dir = tempDir('callbackd-crash-');
    sim = new AriSimulator({ playbackMs: 5, dtmfGapMs: 20 });
    const { url } = await sim.start();
    env = {
      CALLBACKD_DB: path.join(dir, 'callbackd.db'),
      CALLBACKD_PBX: 'asterisk',
      CALLBACKD_DEFAULT_COUNTRY: 'CZ',
      CALLBACKD_ARI_URL: url,
      CALLBACKD_ARI_PASSWORD: 'callbackd',
      CALLBACKD_ARI_RECONNECT_MIN_MS: '50',
      CALLBACKD_ARI_RECONNECT_MAX_MS: '200',
      CALLBACKD_IVR_FIRST_DIGIT_SECONDS: '2',
      CALLBACKD_TRANSITIONS: JSON.stringify([
        { name: 'support', sourceQueue: 'support', minWaitSeconds: 0, delayMinutes: 0, ringSeconds: 5, retryMinutes: { default: 10 } },
        { name: 'sales', sourceQueue: 'sales', minWaitSeconds: 0, delayMinutes: 0, ringSeconds: 5, dialMode: 'customer-first', retryMinutes: { default: 10 } },
      ]),
    };
    sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 300, state: 'paused' }] });
    sim.addQueue('sales', { members: [{ name: 'agent2', answerAfterMs: 50, talkMs: 300, state: 'paused' }] });
  });

  afterEach(async () => {
    if (daemon) await killed(daemon, 'SIGKILL');
    daemon = null;
    store?.close();
    store = null;
    await sim.stop();
    removeDir(dir);
  });

  const until = async (check: () => boolean, what: string, ms = 15_000) => {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  /** Starts the daemon; with a crash point it is expected to kill itself there. */
  const start = async (crashAt = '') => {
    daemon = (await startCli(['run'], { ...env, CALLBACKD_TESTING_CRASH_AT: crashAt }, dir, /callbackd ready/)).child;
    await sim.waitForApp();
  };
  const crashed = async () => {
    const child = daemon as ChildProcess;
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    assert.equal(child.signalCode, 'SIGKILL', 'the daemon killed itself at the crash point');
    daemon = null;
    await until(() => !sim.appConnected(), 'the app to be gone');
  };
  const callbacks = (): Callback[] => {
    store ??= SqliteStore.open(env.CALLBACKD_DB);
    return store.list({ limit: 10 }).items;
  };
  const dialsTo = (n: string) => sim.originations().filter((o) => String(o.endpoint ?? '').includes(n)).length;
  const agents = (queue: string, member: string) => sim.setMember(queue, member, { state: 'available' });

  it('killed after an abandon is recorded, before its LostShift decision: the restart decides it, once', async () => {
    await start('call-abandoned');
    const call = sim.callIntoQueue({ number: '+420601000301', queue: 'support' });
    await once(call, 'queued');
    await until(() => sim.queueEntries('support').length === 1, 'the caller in the queue');
    call.hangup();
    await crashed();
    assert.equal(callbacks().length, 0, 'the decision died with the process');
    await start();
    await until(() => callbacks().length === 1, 'the LostShift callback');
    assert.equal(callbacks()[0].mechanism, 'LostShift');
    assert.equal(callbacks()[0].originCallId, call.channelId);
    assert.equal(store!.getCall(call.channelId)?.lostDecision, 'shifted');
  });

  it('killed in the observe hop after the call is recorded: the restart continues the caller into the queue', async () => {
    await start('call-recorded');
    const call = sim.callIntoQueue({ number: '+420601000311', queue: 'support' });
    await crashed();
    assert.equal(sim.queueEntries('support').length, 0, 'the caller is parked in the hop');
    await start();
    await until(() => sim.queueEntries('support').some((e) => e.channelId === call.channelId), 'the caller in the queue');
    agents('support', 'agent1');
    await once(call, 'gone');
    callbacks();
    await until(() => store!.getCall(call.channelId)?.result === 'served', 'the call recorded as served');
  });

  it('agent-first: killed after the customer was joined to the agent, before the commit: Completed, dialled once', async () => {
    sim.setMember('support', 'agent1', { talkMs: 600 });
    sim.scriptDestination('+420601000321', { outcome: 'answer', afterMs: 100, talkMs: 800 });
    await start('customer-bridged');
    const call = sim.callIntoQueue({ number: '+420601000321', queue: 'support' });
    await until(() => sim.queueEntries('support').some((e) => e.channelId === call.channelId), 'the caller in the queue');
    call.pressDigits('1');
    await once(call, 'stasis');
    await until(() => callbacks().length === 1 && sim.queueEntries('support').some((e) => e.placeholderFor === callbacks()[0].id), 'the held place');
    call.pressDigits('1');
    await once(call, 'gone');
    agents('support', 'agent1');
    await crashed();
    assert.equal(callbacks()[0].status, 'Dialing', 'nothing committed after the bridge');
    await start();
    await until(() => callbacks()[0].status === 'Completed', 'Completed');
    assert.equal(store!.attemptsOf(callbacks()[0].id)[0].outcome, 'answered');
    assert.equal(dialsTo('+420601000321'), 1);
    await until(() => sim.bridges().length === 0, 'the bridge to be deleted');
  });

  it('customer-first: killed while the customer waits; an agent talks to them meanwhile: Completed, not dialled again', async () => {
    sim.scriptDestination('+420601000331', { outcome: 'answer', afterMs: 50, digitsAfterAnswer: '1', digitsDelayMs: 30 });
    await start();
    const created = runCli(['create', '--number', '+420601000331', '--queue', 'sales', '--delay-minutes', '0', '--json'], env, dir);
    assert.equal(created.status, 0, created.stderr);
    await until(() => sim.queueEntries('sales').some((e) => e.channelId.startsWith('cbcu-')), 'the customer queued');
    await killed(daemon as ChildProcess, 'SIGKILL');
    daemon = null;
    await until(() => !sim.appConnected(), 'the app to be gone');
    agents('sales', 'agent2');
    await until(() => sim.conversations().some((c) => c.channelId.startsWith('cbcu-') && c.endedAt !== null), 'the conversation to end');
    await start();
    await until(() => callbacks()[0].status === 'Completed', 'Completed');
    assert.equal(dialsTo('+420601000331'), 1);
  });

  it('killed right after an attempt is written, before the PBX is asked: the same attempt goes on, nobody dialled twice', async () => {
    sim.scriptDestination('+420601000341', { outcome: 'answer', afterMs: 50, talkMs: 200 });
    await start('attempt-written');
    const created = runCli(['create', '--number', '+420601000341', '--queue', 'support', '--delay-minutes', '0'], env, dir);
    assert.equal(created.status, 0, created.stderr);
    await crashed();
    assert.equal(sim.originations().length, 0, 'the PBX was not asked');
    await start();
    await until(() => sim.queueEntries('support').some((e) => e.placeholderFor === callbacks()[0].id), 'the placeholder, put back for the same attempt');
    agents('support', 'agent1');
    await until(() => callbacks()[0].status === 'Completed', 'Completed');
    assert.equal(store!.attemptsOf(callbacks()[0].id).length, 1, 'one attempt');
    assert.equal(dialsTo('+420601000341'), 1);
  });

  it('killed right after a held place is given up, before its placeholder is removed: the restart removes it', async () => {
    await start('callback-settled');
    const call = sim.callIntoQueue({ number: '+420601000351', queue: 'support' });
    await until(() => sim.queueEntries('support').some((e) => e.channelId === call.channelId), 'the caller in the queue');
    call.pressDigits('1');
    await once(call, 'stasis');
    await until(() => callbacks().length === 1 && sim.queueEntries('support').some((e) => e.placeholderFor === callbacks()[0].id), 'the held place');
    call.hangup(); // backs out: the place is given up
    await crashed();
    assert.equal(callbacks()[0].status, 'Cancelled');
    assert.equal(sim.queueEntries('support').length, 1, 'the placeholder outlived the process');
    await start();
    await until(() => sim.queueEntries('support').length === 0, 'the placeholder to be removed');
    agents('support', 'agent1');
    assert.equal(dialsTo('+420601000351'), 0);
  });

  it('a held place cancelled from the command line while the daemon runs leaves the queue', async () => {
    await start();
    const call = sim.callIntoQueue({ number: '+420601000361', queue: 'support' });
    await until(() => sim.queueEntries('support').some((e) => e.channelId === call.channelId), 'the caller in the queue');
    call.pressDigits('1');
    await once(call, 'stasis');
    await until(() => callbacks().length === 1 && sim.queueEntries('support').some((e) => e.placeholderFor === callbacks()[0].id), 'the held place');
    call.pressDigits('1');
    await once(call, 'gone');
    const cancelled = runCli(['cancel', callbacks()[0].id], env, dir);
    assert.equal(cancelled.status, 0, cancelled.stderr);
    await until(() => sim.queueEntries('support').length === 0, 'the placeholder to leave the queue');
    await until(() => store!.openAttempts().length === 0, 'the attempt to be closed');
  });

  it('agent-first: killed right after Completed is committed: the conversation goes on, and both sides are cleared when it ends', async () => {
    sim.setMember('support', 'agent1', { talkMs: 700 });
    sim.scriptDestination('+420601000371', { outcome: 'answer', afterMs: 100 }); // stays until hung up
    await start('callback-settled');
    const call = sim.callIntoQueue({ number: '+420601000371', queue: 'support' });
    await until(() => sim.queueEntries('support').some((e) => e.channelId === call.channelId), 'the caller in the queue');
    call.pressDigits('1');
    await once(call, 'stasis');
    await until(() => callbacks().length === 1 && sim.queueEntries('support').some((e) => e.placeholderFor === callbacks()[0].id), 'the held place');
    call.pressDigits('1');
    await once(call, 'gone');
    agents('support', 'agent1');
    await crashed();
    assert.equal(callbacks()[0].status, 'Completed');
    assert.ok(sim.bridges().some((b) => String(b.id).endsWith('-bridge')), 'the customer talks to the agent while the daemon is dead');
    await start();
    await until(() => sim.bridges().length === 0 && sim.channels().length === 0, 'the customer hung up with the agent, and the bridge deleted');
    assert.equal(dialsTo('+420601000371'), 1);
  });

  it('customer-first: an agent talked to the customer while the daemon was down; killed again after asking the PBX, before recording: still Completed, once', async () => {
    sim.scriptDestination('+420601000381', { outcome: 'answer', afterMs: 50, digitsAfterAnswer: '1', digitsDelayMs: 30 });
    await start();
    const created = runCli(['create', '--number', '+420601000381', '--queue', 'sales', '--delay-minutes', '0'], env, dir);
    assert.equal(created.status, 0, created.stderr);
    await until(() => sim.queueEntries('sales').some((e) => e.channelId.startsWith('cbcu-')), 'the customer queued');
    await killed(daemon as ChildProcess, 'SIGKILL');
    daemon = null;
    await until(() => !sim.appConnected(), 'the app to be gone');
    agents('sales', 'agent2');
    await until(() => sim.conversations().some((c) => c.channelId.startsWith('cbcu-') && c.endedAt !== null), 'the conversation to end');
    await start('pbx-reconciled');
    await crashed();
    assert.equal(callbacks()[0].status, 'Dialing', 'nothing recorded by the daemon that died');
    assert.ok([...sim.globals().keys()].some((k) => k.startsWith('CALLBACKD_SERVED_cbcu-')), 'the mark outlived it');
    await start();
    await until(() => callbacks()[0].status === 'Completed', 'Completed');
    assert.equal(dialsTo('+420601000381'), 1);
    await until(() => ![...sim.globals().keys()].some((k) => k.startsWith('CALLBACKD_SERVED_')), 'the mark cleared once recorded');
  });
});
