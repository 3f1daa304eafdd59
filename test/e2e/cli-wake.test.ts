import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli';
import { DaemonProcessRig } from '../helpers/daemon-process';

/**
 * A command-line process writes the SQLite file the daemon runs on and wakes it through the
 * store's local socket: the daemon acts on the write at once, not at its next sweep. The sweep
 * is switched off here, so nothing but the wake can tell the daemon.
 */
describe('the command line wakes the running daemon', function () {
  this.timeout(60_000);
  let rig: DaemonProcessRig;

  beforeEach(async () => {
    rig = await new DaemonProcessRig('callbackd-wake-').open([{ name: 'support', sourceQueue: 'support', minWaitSeconds: 0, delayMinutes: 0, ringSeconds: 5 }]);
    rig.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 200, state: 'paused' }] });
    await rig.start({ CALLBACKD_SCHEDULER_SWEEP_CRON: '0 0 1 1 *' });
  });

  afterEach(() => rig.close());

  it('a callback created from the command line, due now, gets its placeholder without waiting for a sweep', async () => {
    const created = runCli(['create', '--number', '+420601000401', '--queue', 'support', '--delay-minutes', '0', '--json'], rig.env, rig.dir);
    assert.equal(created.status, 0, created.stderr);
    const id = String((JSON.parse(created.stdout) as { id: string }).id);
    await rig.until(() => rig.sim.queueEntries('support').some((e) => e.placeholderFor === id), 'the placeholder of the new callback');
    assert.equal((await rig.db().openAttempts()).length, 1);
  });

  it('a callback created from the command line for a little later is dialled at its time: the daemon armed its timer for it', async () => {
    const due = new Date(Date.now() + 3000);
    const created = runCli(['create', '--number', '+420601000402', '--queue', 'support', '--due', due.toISOString(), '--json'], rig.env, rig.dir);
    assert.equal(created.status, 0, created.stderr);
    const id = String((JSON.parse(created.stdout) as { id: string }).id);
    await rig.until(() => rig.sim.queueEntries('support').some((e) => e.placeholderFor === id), 'the placeholder of the new callback');
    assert.ok(Date.now() >= due.getTime(), 'not before its time');
  });
});
