import assert from 'node:assert/strict';
import path from 'node:path';
import type { Config } from '../../src/config/types';
import { Daemon } from '../../src/daemon';
import { ManualClock } from '../../src/domain/clock';
import { createSilentLogger } from '../../src/log';
import { PbxUnavailableError } from '../../src/pbx/gateway';
import { testConfig } from '../helpers/config';
import { FakeTimers } from '../helpers/fake-timers';
import { RecordingGateway } from '../helpers/recording-gateway';
import { removeDir, tempDir } from '../helpers/tmp';
import { idle } from '../helpers/wait';

const MIN = 60_000;

/**
 * What must follow from durable state is derived again at every start and reconnect: an abandoned
 * call without its decision, a placeholder of a settled callback, a held place without a
 * placeholder. And what never reached the PBX is not an attempt.
 */
describe('engine: state derived again at start and reconnect', () => {
  let dir: string;
  let clock: ManualClock;
  let timers: FakeTimers;
  let gateway: RecordingGateway;
  let config: Config;
  let daemon: Daemon;

  const boot = async () => {
    daemon = await Daemon.open({ config, logger: createSilentLogger(), clock, timers, gateway });
    await daemon.start();
    await settled();
  };

  beforeEach(async () => {
    dir = tempDir();
    clock = new ManualClock(Date.parse('2026-11-24T09:00:00Z'));
    timers = new FakeTimers(clock);
    gateway = new RecordingGateway();
    config = testConfig({
      db: path.join(dir, 'cb.db'),
      transitions: [
        { name: 'support', sourceQueue: 'support', minWaitSeconds: 10, delayMinutes: 5, maxAttempts: 3, expiresAfterMinutes: 30, dialMode: 'agent-first' },
        { name: 'any', sourceQueue: '*', delayMinutes: 0, maxConcurrent: 1, dialMode: 'customer-first' },
      ],
    });
    await boot();
  });

  afterEach(async () => {
    await daemon.stop();
    removeDir(dir);
  });

  const listener = () => gateway.listener!;
  const manual = async (number: string, fields: Record<string, unknown> = {}) =>
    (await daemon.callbacks.request({ number, queue: 'support', mechanism: 'manual', birthEvent: 'Created', shifted: false, by: 'test', delayMinutes: 0, ...fields })).callback;
  /** Everything the daemon started has finished (claims, attempts, reconciles, placeholders let go). */
  const settled = () => idle(daemon);
  const advance = (ms: number) => timers.advance(ms, settled);
  const poke = async () => {
    daemon.scheduler.poke();
    await settled();
  };
  const reconnected = async () => {
    gateway.connected = true;
    listener().connectionChanged(true);
    await settled();
  };
  const all = async () => (await daemon.store.list({ limit: 10 })).items;
  const restart = async () => {
    await daemon.stop();
    gateway = new RecordingGateway();
    await boot();
  };

  it('takes the LostShift decision again for an abandoned call recorded without one, once', async () => {
    await daemon.store.upsertCall({ id: 'lost-1', number: '+420601111222', queue: 'support', enteredAt: clock.now() - 60_000, endedAt: clock.now(), result: 'abandoned', position: 1, waitSeconds: 60, form: {}, pbx: 'default' });
    assert.equal((await all()).length, 0, 'the previous process died before deciding');
    await restart();
    const [cb] = await all();
    assert.equal(cb?.originCallId, 'lost-1');
    assert.equal(cb.mechanism, 'LostShift');
    assert.equal((await daemon.store.getCall('lost-1'))?.lostDecision, 'shifted');
    await restart();
    assert.equal((await all()).length, 1, 'decided once');
  });

  it('leaves the undecided abandoned calls of another PBX to its own daemon', async () => {
    await daemon.store.upsertCall({ id: 'lost-elsewhere', number: '+420601111223', queue: 'support', enteredAt: clock.now() - 60_000, endedAt: clock.now(), result: 'abandoned', position: 1, waitSeconds: 60, form: {}, pbx: 'other-pbx' });
    await restart();
    assert.equal((await all()).length, 0);
    assert.equal((await daemon.store.getCall('lost-elsewhere'))?.lostDecision ?? null, null);
  });

  it('records why an abandoned call did not become a callback', async () => {
    await listener().queueCallEntered({ callId: 'short', number: '+420601111222', queue: 'support', at: clock.now(), form: {} });
    await listener().queueCallGone({ callId: 'short', queue: 'support', at: clock.now() + 3000, how: 'abandoned', position: 1, waitSeconds: 3 });
    assert.match((await daemon.store.getCall('short'))?.lostDecision ?? '', /under minWaitSeconds 10/);
  });

  it('removes the placeholder of a callback that expired while the PBX was away, at the reconnect', async () => {
    const cb = await manual('+420601111222', { delayMinutes: 1 });
    await advance(MIN);
    const [plan] = gateway.started;
    assert.equal(plan.mode, 'agent-first');
    gateway.connected = false;
    gateway.failNextAbandon = new Error('not connected');
    clock.advance(31 * MIN);
    await daemon.sweep();
    assert.equal((await daemon.store.get(cb.id))?.status, 'Expired');
    await settled();
    assert.equal((await daemon.store.openAttempts()).length, 1, 'the placeholder could not be removed yet');
    await reconnected();
    assert.deepEqual(gateway.abandoned.map((r) => r.attemptId), [plan.attemptId]);
    assert.equal((await daemon.store.openAttempts()).length, 0);
    assert.equal((await daemon.store.attemptsOf(cb.id))[0].outcome, 'agent_unanswered');
  });

  it('keeps trying to remove such a placeholder at every sweep until the PBX confirms', async () => {
    const cb = await manual('+420601111222', { delayMinutes: 1 });
    await advance(MIN);
    gateway.failAbandons = new Error('timeout');
    await daemon.callbacks.cancel(cb.id, 'test', 'no longer needed');
    await settled();
    assert.equal((await daemon.store.openAttempts()).length, 1);
    const tried = gateway.abandonRequests;
    assert.ok(tried >= 1);
    await daemon.sweep();
    await settled();
    assert.ok(gateway.abandonRequests > tried, 'the sweep tried again');
    assert.equal((await daemon.store.openAttempts()).length, 1, 'still there while the PBX refuses');
    gateway.failAbandons = null;
    await daemon.sweep();
    await settled();
    assert.equal((await daemon.store.openAttempts()).length, 0);
    assert.deepEqual(gateway.abandoned.map((r) => r.callbackId), [cb.id]);
  });

  it('does not count an attempt the PBX never received, and dials again when it is back', async () => {
    gateway.failNextStart = new PbxUnavailableError('Asterisk is not connected');
    const cb = await manual('+420601111333', { queue: 'sales' });
    await poke();
    const after = (await daemon.store.get(cb.id))!;
    assert.equal(after.status, 'Scheduled');
    assert.equal(after.attempts, 0);
    assert.deepEqual(await daemon.store.attemptsOf(cb.id), [], 'no attempt stands');
    assert.ok((await daemon.store.eventsOf(cb.id)).some((e) => e.type === 'Note' && typeof e.data.withdrawn === 'string'));
    await advance(10_000);
    assert.equal(gateway.started.length, 2);
    assert.equal((await daemon.store.attemptsOf(cb.id))[0].seq, 1, 'the attempt that reached the PBX is the first');
  });

  it('puts a placeholder back for a held place that has none, at the reconnect', async () => {
    const held = (await daemon.callbacks.request({ number: '+420601111444', queue: 'support', mechanism: 'manual', birthEvent: 'Created', shifted: false, by: 'test', holdPlace: { position: 3 } })).callback;
    await settled();
    assert.equal(gateway.started.length, 0);
    await reconnected();
    assert.equal(gateway.started.length, 1);
    assert.equal(gateway.started[0].callbackId, held.id);
    assert.equal(gateway.started[0].position, 0, 'a callback with no origin call goes to the end');
    const [open] = await daemon.store.openAttempts();
    assert.deepEqual([open.owner, open.counted], [daemon.owner, false], 'a held place takes no slot');
  });

  it('holds every queue of a wildcard transition to its maxConcurrent', async () => {
    await manual('+420601111551', { queue: 'sales' });
    await manual('+420601111552', { queue: 'sales' });
    await manual('+420601111553', { queue: 'billing' });
    await poke();
    assert.deepEqual(gateway.started.map((p) => p.queue).sort(), ['billing', 'sales']);
  });

  it('expires a Dialing callback whose next attempt would come after its deadline', async () => {
    const cb = await manual('+420601111561', { queue: 'support', delayMinutes: 1 });
    await advance(MIN);
    const [plan] = gateway.started;
    await listener().placeholderAnswered(plan);
    assert.equal((await daemon.store.get(cb.id))?.status, 'Dialing');
    clock.advance(29 * MIN);
    await listener().attemptEnded(plan, 'no_answer', 'timeout');
    const after = (await daemon.store.get(cb.id))!;
    assert.equal(after.status, 'Expired', 'the retry would land after the 30-minute deadline');
    assert.equal((await daemon.store.openAttempts()).length, 0, 'the attempt is closed');
  });

  it('does not dial a callback that came due after its deadline; it expires it', async () => {
    const cb = await manual('+420601111562', { queue: 'support', delayMinutes: 1 });
    clock.advance(40 * MIN);
    await poke();
    assert.equal(gateway.started.length, 0);
    assert.equal((await daemon.store.get(cb.id))?.status, 'Expired');
  });
});
