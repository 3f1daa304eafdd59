import assert from 'node:assert/strict';
import { once } from 'node:events';
import { runCli } from '../helpers/cli';
import { DaemonProcessRig } from '../helpers/daemon-process';

/**
 * The real daemon process killed at exactly the instants that could lose or double something:
 * it kills itself at a crash point (testing.crashAt), and a second daemon on the same file must
 * derive what the first did not live to do.
 */
describe('crash points: the daemon killed at the instants that matter', function () {
  this.timeout(60_000);
  let rig: DaemonProcessRig;

  beforeEach(async () => {
    rig = await new DaemonProcessRig('callbackd-crash-').open([
      { name: 'support', sourceQueue: 'support', minWaitSeconds: 0, delayMinutes: 0, ringSeconds: 5, retryMinutes: { default: 10 } },
      { name: 'sales', sourceQueue: 'sales', minWaitSeconds: 0, delayMinutes: 0, ringSeconds: 5, dialMode: 'customer-first', retryMinutes: { default: 10 } },
    ]);
    rig.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 300, state: 'paused' }] });
    rig.sim.addQueue('sales', { members: [{ name: 'agent2', answerAfterMs: 50, talkMs: 300, state: 'paused' }] });
  });

  afterEach(() => rig.close());

  /** Starts the daemon; with a crash point it is expected to kill itself there. */
  const start = (crashAt = '') => rig.start({ CALLBACKD_TESTING_CRASH_AT: crashAt });
  const agents = (queue: string, member: string) => rig.sim.setMember(queue, member, { state: 'available' });
  const create = (number: string, queue: string) => {
    const created = runCli(['create', '--number', number, '--queue', queue, '--delay-minutes', '0'], rig.env, rig.dir);
    assert.equal(created.status, 0, created.stderr);
  };

  /** Customer-first: the customer pressed 1 and waits in the queue; the daemon dies; an agent talks to them meanwhile. */
  const talkedWhileDown = async (number: string) => {
    rig.sim.scriptDestination(number, { outcome: 'answer', afterMs: 50, digitsAfterAnswer: '1', digitsDelayMs: 30 });
    await start();
    create(number, 'sales');
    await rig.until(() => rig.sim.queueEntries('sales').some((e) => e.channelId.startsWith('cbcu-')), 'the customer queued');
    await rig.kill();
    agents('sales', 'agent2');
    await rig.until(() => rig.sim.conversations().some((c) => c.channelId.startsWith('cbcu-') && c.endedAt !== null), 'the conversation to end');
  };

  it('killed after an abandon is recorded, before its LostShift decision: the restart decides it, once', async () => {
    await start('call-abandoned');
    const call = rig.sim.callIntoQueue({ number: '+420601000301', queue: 'support' });
    await once(call, 'queued');
    await rig.until(() => rig.sim.queueEntries('support').length === 1, 'the caller in the queue');
    call.hangup();
    await rig.crashed();
    assert.equal((await rig.callbacks()).length, 0, 'the decision died with the process');
    await start();
    await rig.until(async () => (await rig.callbacks()).length === 1, 'the LostShift callback');
    const [lost] = await rig.callbacks();
    assert.equal(lost.mechanism, 'LostShift');
    assert.equal(lost.originCallId, call.channelId);
    assert.equal((await rig.db().getCall(call.channelId))?.lostDecision, 'shifted');
  });

  it('killed in the observe hop after the call is recorded: the restart continues the caller into the queue', async () => {
    await start('call-recorded');
    const call = rig.sim.callIntoQueue({ number: '+420601000311', queue: 'support' });
    await rig.crashed();
    assert.equal(rig.sim.queueEntries('support').length, 0, 'the caller is parked in the hop');
    await start();
    await rig.until(() => rig.sim.queueEntries('support').some((e) => e.channelId === call.channelId), 'the caller in the queue');
    agents('support', 'agent1');
    await once(call, 'gone');
    await rig.until(async () => (await rig.db().getCall(call.channelId))?.result === 'served', 'the call recorded as served');
  });

  it('agent-first: killed after the customer was joined to the agent, before the commit: Completed, dialled once', async () => {
    rig.sim.setMember('support', 'agent1', { talkMs: 600 });
    rig.sim.scriptDestination('+420601000321', { outcome: 'answer', afterMs: 100, talkMs: 800 });
    await start('customer-bridged');
    await rig.holdPlace(await rig.caller('+420601000321'), true);
    agents('support', 'agent1');
    await rig.crashed();
    assert.equal((await rig.callbacks())[0].status, 'Dialing', 'nothing committed after the bridge');
    await start();
    await rig.until(async () => (await rig.callbacks())[0].status === 'Completed', 'Completed');
    assert.equal((await rig.db().attemptsOf((await rig.callbacks())[0].id))[0].outcome, 'answered');
    assert.equal(rig.dialsTo('+420601000321'), 1);
    await rig.until(() => rig.sim.bridges().length === 0, 'the bridge to be deleted');
  });

  it('customer-first: killed while the customer waits; an agent talks to them meanwhile: Completed, not dialled again', async () => {
    await talkedWhileDown('+420601000331');
    await start();
    await rig.until(async () => (await rig.callbacks())[0].status === 'Completed', 'Completed');
    assert.equal(rig.dialsTo('+420601000331'), 1);
  });

  it('killed right after an attempt is written, before the PBX is asked: the same attempt goes on, nobody dialled twice', async () => {
    rig.sim.scriptDestination('+420601000341', { outcome: 'answer', afterMs: 50, talkMs: 200 });
    await start('attempt-written');
    create('+420601000341', 'support');
    await rig.crashed();
    assert.equal(rig.sim.originations().length, 0, 'the PBX was not asked');
    await start();
    await rig.until(async () => {
      const [cb] = await rig.callbacks();
      return cb !== undefined && rig.sim.queueEntries('support').some((e) => e.placeholderFor === cb.id);
    }, 'the placeholder, put back for the same attempt');
    agents('support', 'agent1');
    await rig.until(async () => (await rig.callbacks())[0].status === 'Completed', 'Completed');
    assert.equal((await rig.db().attemptsOf((await rig.callbacks())[0].id)).length, 1, 'one attempt');
    assert.equal(rig.dialsTo('+420601000341'), 1);
  });

  it('killed right after a held place is given up, before its placeholder is removed: the restart removes it', async () => {
    await start('callback-settled');
    const call = await rig.caller('+420601000351');
    await rig.holdPlace(call, false);
    call.hangup(); // backs out: the place is given up
    await rig.crashed();
    assert.equal((await rig.callbacks())[0].status, 'Cancelled');
    assert.equal(rig.sim.queueEntries('support').length, 1, 'the placeholder outlived the process');
    await start();
    await rig.until(() => rig.sim.queueEntries('support').length === 0, 'the placeholder to be removed');
    agents('support', 'agent1');
    assert.equal(rig.dialsTo('+420601000351'), 0);
  });

  it('a held place cancelled from the command line while the daemon runs leaves the queue: the command wakes the daemon', async () => {
    // No sweep during the test: only the command's wake can tell the daemon.
    await rig.start({ CALLBACKD_SCHEDULER_SWEEP_CRON: '0 0 1 1 *' });
    await rig.holdPlace(await rig.caller('+420601000361'), true);
    const cancelled = runCli(['cancel', (await rig.callbacks())[0].id], rig.env, rig.dir);
    assert.equal(cancelled.status, 0, cancelled.stderr);
    await rig.until(() => rig.sim.queueEntries('support').length === 0, 'the placeholder to leave the queue');
    await rig.until(async () => (await rig.db().openAttempts()).length === 0, 'the attempt to be closed');
  });

  it('agent-first: killed right after Completed is committed: the conversation goes on, and both sides are cleared when it ends', async () => {
    rig.sim.setMember('support', 'agent1', { talkMs: 700 });
    rig.sim.scriptDestination('+420601000371', { outcome: 'answer', afterMs: 100 }); // stays until hung up
    await start('callback-settled');
    await rig.holdPlace(await rig.caller('+420601000371'), true);
    agents('support', 'agent1');
    await rig.crashed();
    assert.equal((await rig.callbacks())[0].status, 'Completed');
    assert.ok(rig.sim.bridges().some((b) => String(b.id).endsWith('-bridge')), 'the customer talks to the agent while the daemon is dead');
    await start();
    await rig.until(() => rig.sim.bridges().length === 0 && rig.sim.channels().length === 0, 'the customer hung up with the agent, and the bridge deleted');
    assert.equal(rig.dialsTo('+420601000371'), 1);
  });

  it('customer-first: an agent talked to the customer while the daemon was down; killed again after asking the PBX, before recording: still Completed, once', async () => {
    await talkedWhileDown('+420601000381');
    await start('pbx-reconciled');
    await rig.crashed();
    assert.equal((await rig.callbacks())[0].status, 'Dialing', 'nothing recorded by the daemon that died');
    assert.ok([...rig.sim.globals().keys()].some((k) => k.startsWith('CALLBACKD_SERVED_cbcu-')), 'the mark outlived it');
    await start();
    await rig.until(async () => (await rig.callbacks())[0].status === 'Completed', 'Completed');
    assert.equal(rig.dialsTo('+420601000381'), 1);
    await rig.until(() => ![...rig.sim.globals().keys()].some((k) => k.startsWith('CALLBACKD_SERVED_')), 'the mark cleared once recorded');
  });
});
