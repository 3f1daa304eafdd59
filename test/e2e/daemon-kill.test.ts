import assert from 'node:assert/strict';
import type { SimCall } from '../../src/asterisk/simulator';
import type { Callback } from '../../src/domain/types';
import { DaemonProcessRig } from '../helpers/daemon-process';

/**
 * The real daemon process (`callbackd run`) against the simulator, killed with SIGKILL at the
 * moments that matter and started again: nothing is lost, and no attempt dials twice.
 */
describe('SIGKILL of the daemon against the ARI simulator', function () {
  this.timeout(60_000);
  let rig: DaemonProcessRig;

  beforeEach(async () => {
    rig = await new DaemonProcessRig('callbackd-kill-').open([
      { name: 'support', sourceQueue: 'support', minWaitSeconds: 0, delayMinutes: 0, ringSeconds: 5, retryMinutes: { failed: 10, default: 10 } },
    ]);
    rig.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 300, state: 'paused' }] });
  });

  afterEach(() => rig.close());

  const start = () => rig.start();
  const kill = () => rig.kill();
  const callbacks = (): Promise<Callback[]> => rig.callbacks();
  const first = async (): Promise<Callback> => (await callbacks())[0];
  const holdPlace = async (number: string): Promise<{ call: SimCall; cb: Callback }> => {
    const call = await rig.caller(number);
    return { call, cb: await rig.holdPlace(call, true) };
  };

  it('killed while a placeholder waits: restarted, it dials the customer once when an agent comes', async () => {
    await start();
    const { cb } = await holdPlace('+420601000101');
    await kill();
    assert.equal(rig.sim.queueEntries('support').length, 1, 'the placeholder keeps its place while the daemon is dead');
    await start();
    rig.sim.setMember('support', 'agent1', { state: 'available' });
    await rig.until(async () => (await first()).status === 'Completed', 'Completed');
    assert.equal(rig.dialsTo('+420601000101'), 1);
    assert.equal((await rig.db().attemptsOf(cb.id)).length, 1);
  });

  const killWhileRinging = async (number: string) => {
    // Rings long enough that a restart on a loaded machine comes first (the test waits for the restart, not for time).
    rig.sim.scriptDestination(number, { outcome: 'answer', afterMs: 4000, talkMs: 200 });
    rig.sim.setMember('support', 'agent1', { talkMs: null }); // the agent waits for the customer
    await start();
    const { cb } = await holdPlace(number);
    rig.sim.setMember('support', 'agent1', { state: 'available' });
    await rig.until(() => rig.dialsTo(number) === 1, 'the customer to be dialled');
    await kill();
    return cb;
  };

  it('killed while the customer rings and restarted before they answer: the call is adopted and completes', async () => {
    const cb = await killWhileRinging('+420601000104');
    await start();
    await rig.until(async () => (await first()).status === 'Completed', 'Completed');
    assert.equal((await rig.db().attemptsOf(cb.id)).length, 1);
    assert.equal(rig.dialsTo('+420601000104'), 1);
  });

  it('killed while the customer rings, back after the call vanished: an outcome, the retry rules, no second dial', async () => {
    const cb = await killWhileRinging('+420601000102');
    const customerRef = `cbcu-${(await rig.db().attemptsOf(cb.id))[0].id}`;
    // Answered with nobody in the application, the customer's channel ends.
    await rig.until(() => !rig.sim.channels().some((c) => String(c.id).startsWith(customerRef)), 'the customer channel to end');
    await start();
    await rig.until(async () => (await rig.db().attemptsOf(cb.id))[0]?.outcome !== null && (await first()).status !== 'Dialing', 'the attempt to be settled after the restart');
    const after = await first();
    assert.equal(after.status, 'Scheduled', 'the retry rules decide what next');
    assert.equal((await rig.db().attemptsOf(cb.id))[0].outcome, 'failed', 'the customer leg vanished unobserved');
    assert.ok((after.dueAt as number) > Date.now() + 5 * 60_000, 'the next attempt waits its retry delay (failed: 10 min)');
    assert.equal(rig.dialsTo('+420601000102'), 1, 'nothing was dialled twice');
  });

  it('killed while the caller is still confirming: restarted, the held place is given up, nobody is dialled', async () => {
    await start();
    const call = await rig.caller('+420601000105');
    await rig.holdPlace(call, false);
    await kill(); // before the caller pressed 1 to confirm
    call.hangup();
    await start();
    await rig.until(async () => (await first()).status === 'Cancelled', 'the unconfirmed hold to be given up');
    await rig.until(() => rig.sim.queueEntries('support').length === 0, 'the placeholder to leave the queue');
    assert.equal(rig.dialsTo('+420601000105'), 0, 'no placeholder is left for an agent to take');
  });

  it('killed again and again while idle: the callback stays exactly once', async () => {
    await start();
    await holdPlace('+420601000103');
    for (let i = 0; i < 3; i++) {
      await kill();
      await start();
    }
    assert.equal((await callbacks()).length, 1);
    assert.equal(rig.sim.queueEntries('support').filter((e) => e.placeholderFor).length, 1, 'one placeholder, not one per restart');
    rig.sim.setMember('support', 'agent1', { state: 'available' });
    await rig.until(async () => (await first()).status === 'Completed', 'Completed');
    assert.equal(rig.dialsTo('+420601000103'), 1);
  });
});
