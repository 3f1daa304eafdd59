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

const MIN = 60_000;
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

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
    daemon = new Daemon({ config, logger: createSilentLogger(), clock, timers, gateway, watchMs: 0 });
    await daemon.start();
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
  const manual = (number: string, fields: Record<string, unknown> = {}) =>
    daemon.callbacks.request({ number, queue: 'support', mechanism: 'manual', birthEvent: 'Created', shifted: false, by: 'test', delayMinutes: 0, ...fields }).callback;
  const restart = async () => {
    await daemon.stop();
    gateway = new RecordingGateway();
    await boot();
  };

  it('takes the LostShift decision again for an abandoned call recorded without one, once', async () => {
    daemon.store.upsertCall({ id: 'lost-1', number: '+420601111222', queue: 'support', enteredAt: clock.now() - 60_000, endedAt: clock.now(), result: 'abandoned', position: 1, waitSeconds: 60, form: {} });
    assert.equal(daemon.store.list({ limit: 10 }).items.length, 0, 'the previous process died before deciding');
    await restart();
    const [cb] = daemon.store.list({ limit: 10 }).items;
    assert.equal(cb?.originCallId, 'lost-1');
    assert.equal(cb.mechanism, 'LostShift');
    assert.equal(daemon.store.getCall('lost-1')?.lostDecision, 'shifted');
    await restart();
    assert.equal(daemon.store.list({ limit: 10 }).items.length, 1, 'decided once');
  });

  it('records why an abandoned call did not become a callback', () => {
    listener().queueCallEntered({ callId: 'short', number: '+420601111222', queue: 'support', at: clock.now(), form: {} });
    listener().queueCallGone({ callId: 'short', queue: 'support', at: clock.now() + 3000, how: 'abandoned', position: 1, waitSeconds: 3 });
    assert.match(daemon.store.getCall('short')?.lostDecision ?? '', /under minWaitSeconds 10/);
  });

  it('removes the placeholder of a callback that expired while the PBX was away, at the reconnect', async () => {
    const cb = manual('+420601111222', { delayMinutes: 1 });
    timers.advance(MIN);
    const [plan] = gateway.started;
    assert.equal(plan.mode, 'agent-first');
    gateway.connected = false;
    gateway.failNextAbandon = new Error('not connected');
    clock.advance(31 * MIN);
    daemon.sweep();
    assert.equal(daemon.store.get(cb.id)?.status, 'Expired');
    await settle();
    assert.equal(daemon.store.openAttempts().length, 1, 'the placeholder could not be removed yet');
    gateway.connected = true;
    listener().connectionChanged(true);
    await settle();
    await settle();
    assert.deepEqual(gateway.abandoned.map((r) => r.attemptId), [plan.attemptId]);
    assert.equal(daemon.store.openAttempts().length, 0);
    assert.equal(daemon.store.attemptsOf(cb.id)[0].outcome, 'agent_unanswered');
  });

  it('keeps trying to remove such a placeholder at every sweep until the PBX confirms', async () => {
    const cb = manual('+420601111222', { delayMinutes: 1 });
    timers.advance(MIN);
    gateway.failNextAbandon = new Error('timeout');
    daemon.callbacks.cancel(cb.id, 'test', 'no longer needed');
    await settle();
    assert.equal(daemon.store.openAttempts().length, 1);
    daemon.sweep();
    await settle();
    assert.equal(daemon.store.openAttempts().length, 0);
  });

  it('does not count an attempt the PBX never received, and dials again when it is back', async () => {
    gateway.failNextStart = new PbxUnavailableError('Asterisk is not connected');
    const cb = manual('+420601111333', { queue: 'sales' });
    daemon.scheduler.poke();
    await settle();
    const after = daemon.store.get(cb.id)!;
    assert.equal(after.status, 'Scheduled');
    assert.equal(after.attempts, 0);
    assert.deepEqual(daemon.store.attemptsOf(cb.id), [], 'no attempt stands');
    assert.ok(daemon.store.eventsOf(cb.id).some((e) => e.type === 'Note' && typeof e.data.withdrawn === 'string'));
    timers.advance(10_000);
    assert.equal(gateway.started.length, 2);
    assert.equal(daemon.store.attemptsOf(cb.id)[0].seq, 1, 'the attempt that reached the PBX is the first');
  });

  it('puts a placeholder back for a held place that has none, at the reconnect', async () => {
    const held = daemon.callbacks.request({ number: '+420601111444', queue: 'support', mechanism: 'manual', birthEvent: 'Created', shifted: false, by: 'test', holdPlace: { position: 3 } }).callback;
    assert.equal(gateway.started.length, 0);
    listener().connectionChanged(true);
    await settle();
    await settle();
    assert.equal(gateway.started.length, 1);
    assert.equal(gateway.started[0].callbackId, held.id);
    assert.equal(gateway.started[0].position, 0, 'a callback with no origin call goes to the end');
  });

  it('holds every queue of a wildcard transition to its maxConcurrent', () => {
    manual('+420601111551', { queue: 'sales' });
    manual('+420601111552', { queue: 'sales' });
    manual('+420601111553', { queue: 'billing' });
    daemon.scheduler.poke();
    assert.deepEqual(gateway.started.map((p) => p.queue).sort(), ['billing', 'sales']);
  });

  it('expires a Dialing callback whose next attempt would come after its deadline', async () => {
    const cb = manual('+420601111561', { queue: 'support', delayMinutes: 1 });
    timers.advance(MIN);
    const [plan] = gateway.started;
    listener().placeholderAnswered(plan);
    await settle();
    assert.equal(daemon.store.get(cb.id)?.status, 'Dialing');
    clock.advance(29 * MIN);
    listener().attemptEnded(plan, 'no_answer', 'timeout');
    const after = daemon.store.get(cb.id)!;
    assert.equal(after.status, 'Expired', 'the retry would land after the 30-minute deadline');
    assert.equal(daemon.store.openAttempts().length, 0, 'the attempt is closed');
  });

  it('does not dial a callback that came due after its deadline; it expires it', () => {
    const cb = manual('+420601111562', { queue: 'support', delayMinutes: 1 });
    clock.advance(40 * MIN);
    daemon.scheduler.poke();
    assert.equal(gateway.started.length, 0);
    assert.equal(daemon.store.get(cb.id)?.status, 'Expired');
  });
});
