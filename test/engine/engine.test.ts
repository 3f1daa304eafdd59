import assert from 'node:assert/strict';
import path from 'node:path';
import { Daemon } from '../../src/daemon';
import { ManualClock } from '../../src/domain/clock';
import { InvalidNumberError } from '../../src/domain/errors';
import { createSilentLogger } from '../../src/log';
import { PbxDialError } from '../../src/pbx/gateway';
import { testConfig } from '../helpers/config';
import { FakeTimers } from '../helpers/fake-timers';
import { RecordingGateway } from '../helpers/recording-gateway';
import { removeDir, tempDir } from '../helpers/tmp';

const MIN = 60_000;

describe('engine: lifecycle, exclusion, LostShift and retries', () => {
  let dir: string;
  let clock: ManualClock;
  let timers: FakeTimers;
  let gateway: RecordingGateway;
  let daemon: Daemon;

  beforeEach(async () => {
    dir = tempDir();
    clock = new ManualClock(Date.parse('2026-11-24T09:00:00Z'));
    timers = new FakeTimers(clock);
    gateway = new RecordingGateway();
    const config = testConfig({
      db: path.join(dir, 'cb.db'),
      transitions: [
        { name: 'support', sourceQueue: 'support', minWaitSeconds: 10, delayMinutes: 5, maxAttempts: 2, retryMinutes: { busy: 5, no_answer: 15 }, expiresAfterMinutes: 120, dialMode: 'customer-first' },
      ],
    });
    daemon = new Daemon({ config, logger: createSilentLogger(), clock, timers, gateway, watchMs: 0 });
    await daemon.start();
  });

  afterEach(async () => {
    await daemon.stop();
    removeDir(dir);
  });

  const listener = () => gateway.listener!;
  const manual = (number: string, fields: Record<string, unknown> = {}) =>
    daemon.callbacks.request({ number, queue: 'support', mechanism: 'manual', birthEvent: 'Created', shifted: false, by: 'test', delayMinutes: 0, ...fields }).callback;

  it('creates a callback with its event, and merges a second request for the same number and queue', () => {
    const first = manual('601 111 222', { delayMinutes: 30 });
    assert.equal(first.status, 'Scheduled');
    assert.equal(first.number, '+420601111222');
    const second = daemon.callbacks.request({ number: '+420601111222', queue: 'support', mechanism: 'manual', birthEvent: 'Created', shifted: false, by: 'test', delayMinutes: 10 });
    assert.ok(second.merged);
    assert.equal(second.callback.id, first.id);
    assert.equal(second.callback.dueAt, clock.now() + 10 * MIN, 'the earlier time wins');
    assert.deepEqual(daemon.store.eventsOf(first.id).map((e) => e.type), ['Created', 'Created', 'Merged'], 'both requests kept, no status change');
    assert.equal(daemon.store.list({ limit: 10 }).items.length, 1);
  });

  it('refuses an invalid number and writes nothing', () => {
    assert.throws(() => manual('+420601111222,PJSIP/999'), InvalidNumberError);
    assert.equal(daemon.store.list({ limit: 10 }).items.length, 0);
  });

  it('turns an abandoned call into a LostShift callback with the Shifted reference', () => {
    listener().queueCallEntered({ callId: 'call-1', number: '+420601111222', queue: 'support', at: clock.now(), form: { ACCOUNT: '12345' } });
    listener().queueCallGone({ callId: 'call-1', queue: 'support', at: clock.now() + 30_000, how: 'abandoned', position: 2, waitSeconds: 30 });
    const [cb] = daemon.store.list({ limit: 10 }).items;
    assert.equal(cb.mechanism, 'LostShift');
    assert.equal(cb.shifted, true);
    assert.equal(cb.originCallId, 'call-1');
    assert.deepEqual(cb.form, { ACCOUNT: '12345' });
    assert.equal(cb.dueAt, clock.now() + 5 * MIN);
    const lost = daemon.store.eventsOf(cb.id).find((e) => e.type === 'LostCall');
    assert.equal(lost?.callId, 'call-1');
    assert.equal(lost?.data.shifted, 'call-1');
  });

  it('ignores a call abandoned before minWaitSeconds', () => {
    listener().queueCallEntered({ callId: 'call-2', number: '+420601111222', queue: 'support', at: clock.now(), form: {} });
    listener().queueCallGone({ callId: 'call-2', queue: 'support', at: clock.now() + 5000, how: 'abandoned', position: 1, waitSeconds: 5 });
    assert.equal(daemon.store.list({ limit: 10 }).items.length, 0);
  });

  it('neglects shifted Scheduled callbacks when the caller gets through, recording the call', () => {
    listener().queueCallEntered({ callId: 'lost', number: '+420601111222', queue: 'support', at: clock.now(), form: {} });
    listener().queueCallGone({ callId: 'lost', queue: 'support', at: clock.now() + 60_000, how: 'abandoned', position: 1, waitSeconds: 60 });
    const plain = manual('+420601111222', { queue: 'support', delayMinutes: 1 });
    const [shifted] = daemon.store.list({ limit: 10, status: 'Scheduled' }).items.filter((c) => c.shifted);
    assert.ok(plain.id === shifted.id, 'the manual request merged into the shifted one');
    listener().queueCallEntered({ callId: 'again', number: '601111222', queue: 'support', at: clock.now(), form: {} });
    listener().queueCallServed({ callId: 'again', queue: 'support', number: '601111222', at: clock.now() });
    const after = daemon.store.get(shifted.id)!;
    assert.equal(after.status, 'Neglected');
    const neglected = daemon.store.eventsOf(shifted.id).find((e) => e.type === 'Neglected');
    assert.equal(neglected?.callId, 'again');
  });

  it('leaves manual callbacks without the Shifted reference and Dialing ones alone', () => {
    const plain = manual('+420601111333');
    timers.advance(0);
    daemon.scheduler.poke();
    const dialing = daemon.store.get(plain.id)!;
    assert.equal(dialing.status, 'Dialing');
    const other = manual('+420601111444', { delayMinutes: 60 });
    for (const n of ['+420601111333', '+420601111444']) {
      listener().queueCallServed({ callId: `served-${n}`, queue: 'support', number: n, at: clock.now() });
    }
    assert.equal(daemon.store.get(plain.id)!.status, 'Dialing');
    assert.equal(daemon.store.get(other.id)!.status, 'Scheduled');
  });

  it('dials at the due time, retries per outcome, and fails when attempts are used up', () => {
    const cb = manual('+420601111222', { delayMinutes: 1 });
    assert.equal(gateway.started.length, 0);
    timers.advance(MIN);
    assert.equal(gateway.started.length, 1);
    const plan = gateway.started[0];
    assert.equal(plan.endpoint, 'PJSIP/+420601111222@trunk');
    assert.equal(plan.mode, 'customer-first');
    assert.equal(daemon.store.get(cb.id)!.status, 'Dialing');
    listener().attemptEnded(plan, 'busy', 'Dial BUSY');
    listener().attemptEnded(plan, 'busy', 'duplicate report');
    let now = daemon.store.get(cb.id)!;
    assert.equal(now.status, 'Scheduled');
    assert.equal(now.dueAt, clock.now() + 5 * MIN);
    timers.advance(5 * MIN);
    assert.equal(gateway.started.length, 2);
    listener().attemptEnded(gateway.started[1], 'no_answer', 'timeout');
    now = daemon.store.get(cb.id)!;
    assert.equal(now.status, 'Failed');
    const attempts = daemon.store.attemptsOf(cb.id);
    assert.deepEqual(attempts.map((a) => [a.seq, a.outcome]), [[1, 'busy'], [2, 'no_answer']]);
  });

  it('completes on answer and never dials a settled callback again', () => {
    const cb = manual('+420601111222');
    daemon.scheduler.poke();
    listener().attemptEnded(gateway.started[0], 'answered', 'bridged');
    assert.equal(daemon.store.get(cb.id)!.status, 'Completed');
    timers.advance(24 * 60 * MIN);
    assert.equal(gateway.started.length, 1);
  });

  it('records an originate refused by the PBX as the attempt outcome', () => {
    gateway.failNextStart = new PbxDialError('failed', 'Allocation failed');
    const cb = manual('+420601111222');
    daemon.scheduler.poke();
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const [attempt] = daemon.store.attemptsOf(cb.id);
      assert.equal(attempt.outcome, 'failed');
      assert.equal(daemon.store.get(cb.id)!.status, 'Scheduled');
    });
  });

  it('expires what passed its deadline', () => {
    const cb = manual('+420601111222', { delayMinutes: 60 * 5 });
    clock.advance(121 * MIN);
    daemon.sweep();
    assert.equal(daemon.store.get(cb.id)!.status, 'Expired');
  });

  it('cancels a Scheduled callback and refuses to cancel one being dialled', () => {
    const later = manual('+420601111555', { delayMinutes: 30 });
    assert.equal(daemon.callbacks.cancel(later.id, 'test', 'no longer needed').status, 'Cancelled');
    const now = manual('+420601111666');
    daemon.scheduler.poke();
    assert.throws(() => daemon.callbacks.cancel(now.id, 'test', 'x'), /being dialled/);
  });
});
