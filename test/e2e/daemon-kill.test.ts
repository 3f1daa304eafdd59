import assert from 'node:assert/strict';
import { once } from 'node:events';
import path from 'node:path';
import { AriSimulator, type SimCall } from '../../src/asterisk/simulator';
import type { Callback } from '../../src/domain/types';
import { SqliteStore } from '../../src/store/sqlite-store';
import { killed, startCli } from '../helpers/cli';
import { removeDir, tempDir } from '../helpers/tmp';
import type { ChildProcess } from 'node:child_process';

/**
 * The real daemon process (`callbackd run`) against the simulator, killed with SIGKILL at the
 * moments that matter and started again: nothing is lost, and no attempt dials twice.
 */
describe('SIGKILL of the daemon against the ARI simulator', function () {
  this.timeout(60_000);
  let dir: string;
  let sim: AriSimulator;
  let env: Record<string, string>;
  let daemon: ChildProcess | null = null;
  let store: SqliteStore | null = null;

  beforeEach(async () => {
    dir = tempDir('callbackd-kill-');
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
      CALLBACKD_TRANSITIONS: JSON.stringify([{ name: 'support', sourceQueue: 'support', minWaitSeconds: 0, delayMinutes: 0, ringSeconds: 5, retryMinutes: { failed: 10, default: 10 } }]),
    };
    sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 300, state: 'paused' }] });
  });

  afterEach(async () => {
    if (daemon) await killed(daemon, 'SIGKILL');
    daemon = null;
    store?.close();
    store = null;
    await sim.stop();
    removeDir(dir);
  });

  const start = async () => {
    daemon = (await startCli(['run'], env, dir, /callbackd ready/)).child;
    await sim.waitForApp();
  };
  const kill = async () => {
    await killed(daemon as ChildProcess, 'SIGKILL');
    daemon = null;
    await until(() => !sim.appConnected(), 'the app to be gone');
  };
  const until = async (check: () => boolean, what: string, ms = 15_000) => {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const callbacks = (): Callback[] => {
    store ??= SqliteStore.open(env.CALLBACKD_DB);
    return store.list({ limit: 10 }).items;
  };
  const dialsTo = (n: string) => sim.originations().filter((o) => String(o.endpoint ?? '').includes(n)).length;
  const holdPlace = async (number: string): Promise<{ call: SimCall; cb: Callback }> => {
    const call = sim.callIntoQueue({ number, queue: 'support' });
    await once(call, 'queued');
    call.pressDigits('1');
    await once(call, 'stasis');
    call.pressDigits('1');
    await once(call, 'gone');
    await until(() => callbacks().length === 1 && sim.queueEntries('support').some((e) => e.placeholderFor === callbacks()[0].id), 'the held place');
    return { call, cb: callbacks()[0] };
  };

  it('killed while a placeholder waits: restarted, it dials the customer once when an agent comes', async () => {
    await start();
    const { cb } = await holdPlace('+420601000101');
    await kill();
    assert.equal(sim.queueEntries('support').length, 1, 'the placeholder keeps its place while the daemon is dead');
    await start();
    sim.setMember('support', 'agent1', { state: 'available' });
    await until(() => callbacks()[0].status === 'Completed', 'Completed');
    assert.equal(dialsTo('+420601000101'), 1);
    assert.equal(store!.attemptsOf(cb.id).length, 1);
  });

  const killWhileRinging = async (number: string) => {
    // Rings long enough that a restart on a loaded machine comes first (the test waits for the restart, not for time).
    sim.scriptDestination(number, { outcome: 'answer', afterMs: 4000, talkMs: 200 });
    sim.setMember('support', 'agent1', { talkMs: null }); // the agent waits for the customer
    await start();
    const { cb } = await holdPlace(number);
    sim.setMember('support', 'agent1', { state: 'available' });
    await until(() => dialsTo(number) === 1, 'the customer to be dialled');
    await kill();
    return cb;
  };

  it('killed while the customer rings and restarted before they answer: the call is adopted and completes', async () => {
    const cb = await killWhileRinging('+420601000104');
    await start();
    await until(() => callbacks()[0].status === 'Completed', 'Completed');
    assert.equal(store!.attemptsOf(cb.id).length, 1);
    assert.equal(dialsTo('+420601000104'), 1);
  });

  it('killed while the customer rings, back after the call vanished: an outcome, the retry rules, no second dial', async () => {
    const cb = await killWhileRinging('+420601000102');
    const customerRef = `cbcu-${store!.attemptsOf(cb.id)[0].id}`;
    // Answered with nobody in the application, the customer's channel ends.
    await until(() => !sim.channels().some((c) => String(c.id).startsWith(customerRef)), 'the customer channel to end');
    await start();
    await until(() => store!.attemptsOf(cb.id)[0]?.outcome !== null && callbacks()[0].status !== 'Dialing', 'the attempt to be settled after the restart');
    const after = callbacks()[0];
    assert.equal(after.status, 'Scheduled', 'the retry rules decide what next');
    assert.equal(store!.attemptsOf(cb.id)[0].outcome, 'failed', 'the customer leg vanished unobserved');
    assert.ok((after.dueAt as number) > Date.now() + 5 * 60_000, 'the next attempt waits its retry delay (failed: 10 min)');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(dialsTo('+420601000102'), 1, 'nothing was dialled twice');
  });

  it('killed while the caller is still confirming: restarted, the held place is given up, nobody is dialled', async () => {
    await start();
    const call = sim.callIntoQueue({ number: '+420601000105', queue: 'support' });
    await once(call, 'queued');
    call.pressDigits('1');
    await once(call, 'stasis');
    await until(() => callbacks().length === 1 && sim.queueEntries('support').some((e) => e.placeholderFor === callbacks()[0].id), 'the held place');
    await kill(); // before the caller pressed 1 to confirm
    call.hangup();
    await start();
    await until(() => callbacks()[0].status === 'Cancelled', 'the unconfirmed hold to be given up');
    await until(() => sim.queueEntries('support').length === 0, 'the placeholder to leave the queue');
    sim.setMember('support', 'agent1', { state: 'available' });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(dialsTo('+420601000105'), 0);
  });

  it('killed again and again while idle: the callback stays exactly once', async () => {
    await start();
    await holdPlace('+420601000103');
    for (let i = 0; i < 3; i++) {
      await kill();
      await start();
    }
    assert.equal(callbacks().length, 1);
    assert.equal(sim.queueEntries('support').filter((e) => e.placeholderFor).length, 1, 'one placeholder, not one per restart');
    sim.setMember('support', 'agent1', { state: 'available' });
    await until(() => callbacks()[0].status === 'Completed', 'Completed');
    assert.equal(dialsTo('+420601000103'), 1);
  });
});
