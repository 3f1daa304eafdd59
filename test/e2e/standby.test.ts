import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import type { Callback } from '../../src/domain/types';
import { freshPostgresDatabase, postgresAvailable } from '../helpers/postgres';
import { killed, runCli, startCli } from '../helpers/cli';
import { DaemonProcessRig } from '../helpers/daemon-process';

const LEASE_SECONDS = 5;

/**
 * Two real daemon processes on one PostgreSQL database and one PBX (the ARI simulator), each with
 * its own ARI application: the dialplan sends callers to the first; the second is the standby.
 */
describe('several daemons on one PostgreSQL: a standby takes over', function () {
  this.timeout(90_000);
  let rig: DaemonProcessRig;
  let drop: () => Promise<void> = async () => {};
  let standby: ChildProcess | null = null;

  before(async function () {
    const why = await postgresAvailable();
    if (!why) return;
    if (process.env.CI === 'true') throw new Error(`PostgreSQL is needed in CI: ${why}`);
    console.log(`      several daemons not tested here: ${why}`);
    this.skip();
  });

  beforeEach(async () => {
    const db = await freshPostgresDatabase();
    drop = db.drop;
    rig = await new DaemonProcessRig('callbackd-standby-').open(
      [{ name: 'support', sourceQueue: 'support', minWaitSeconds: 0, delayMinutes: 0, ringSeconds: 5, retryMinutes: { failed: 10, default: 10 } }],
      { CALLBACKD_STORE: 'postgres', CALLBACKD_STORE_URL: db.url, CALLBACKD_SCHEDULER_LEASE_SECONDS: String(LEASE_SECONDS) },
    );
    rig.sim.addQueue('support', { members: [{ name: 'agent1', answerAfterMs: 50, talkMs: 300, state: 'paused' }] });
  });

  afterEach(async () => {
    if (standby) await killed(standby, 'SIGKILL');
    standby = null;
    await rig.close();
    await drop();
  });

  const startStandby = async () => {
    standby = (await startCli(['run'], { ...rig.env, CALLBACKD_ARI_APP: 'callbackd-2' }, rig.dir, /callbackd ready/)).child;
    await rig.sim.waitForApp('callbackd-2');
  };
  const first = async (): Promise<Callback> => (await rig.callbacks())[0];

  it('the place held by a daemon that died is taken over within its lease, and the customer is dialled once', async () => {
    await rig.start();
    await startStandby();
    const number = '+420601000201';
    const cb = await rig.holdPlace(await rig.caller(number), true);
    const [attempt] = await rig.db().attemptsOf(cb.id);
    assert.equal(attempt.owner, 'default/ari:callbackd', 'the daemon that held the place owns its attempt');
    await rig.kill();
    const died = Date.now();
    await rig.until(async () => (await rig.db().getAttempt(attempt.id))?.owner === 'default/ari:callbackd-2', 'the standby to own the attempt', 30_000);
    const tookMs = Date.now() - died;
    console.log(`      taken over ${tookMs} ms after the owner died (lease ${LEASE_SECONDS} s)`);
    assert.ok(tookMs < (LEASE_SECONDS + 10) * 1000, `taken over only after ${tookMs} ms`);
    // The standby's own placeholder holds the place: the dead daemon's would answer into nobody's application.
    const standbys = () => rig.sim.originations().filter((o) => o.app === 'callbackd-2' && String(o.channelId ?? '').startsWith(`cbph-${attempt.id}`));
    await rig.until(() => standbys().length === 1 && rig.sim.queueEntries('support').some((e) => e.placeholderFor === cb.id), "the standby's placeholder in the queue");
    assert.equal(rig.sim.queueEntries('support').filter((e) => e.placeholderFor === cb.id).length, 1, 'one placeholder holds the place');
    rig.sim.setMember('support', 'agent1', { state: 'available' });
    await rig.until(async () => (await first()).status === 'Completed', 'Completed');
    assert.equal(rig.dialsTo(number), 1, 'the customer was dialled once');
    assert.equal((await rig.db().attemptsOf(cb.id)).length, 1, 'the same attempt, taken over');
  });

  it('a callback created from the command line is dialled by one of the two, once', async () => {
    await rig.start();
    await startStandby();
    rig.sim.setMember('support', 'agent1', { state: 'available' });
    const numbers = ['+420601000211', '+420601000212', '+420601000213', '+420601000214'];
    for (const number of numbers) {
      const created = runCli(['create', '--number', number, '--queue', 'support', '--due', 'now'], rig.env, rig.dir);
      assert.equal(created.status, 0, created.stderr);
    }
    await rig.until(async () => (await rig.callbacks()).filter((c) => c.status === 'Completed').length === numbers.length, 'all Completed');
    for (const number of numbers) assert.equal(rig.dialsTo(number), 1, `${number} dialled once`);
  });
});
