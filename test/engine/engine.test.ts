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
import { idle } from '../helpers/wait';

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
    daemon = await Daemon.open({ config, logger: createSilentLogger(), clock, timers, gateway });
    await daemon.start();
  });

  afterEach(async () => {
    await daemon.stop();
    removeDir(dir);
  });

  const listener = () => gateway.listener!;
  const manual = async (number: string, fields: Record<string, unknown> = {}) =>
    (await daemon.callbacks.request({ number, queue: 'support', mechanism: 'manual', birthEvent: 'Created', shifted: false, by: 'test', delayMinutes: 0, ...fields })).callback;
  /** Everything the daemon started has finished (claims, attempts started, outcomes recorded). */
  const settled = () => idle(daemon);
  const advance = (ms: number) => timers.advance(ms, settled);
  const poke = async () => {
    daemon.scheduler.poke();
    await settled();
  };
  const status = async (id: string) => (await daemon.store.get(id))?.status;
  const all = async () => (await daemon.store.list({ limit: 10 })).items;

  it('creates a callback with its event, and merges a second request for the same number and queue', async () => {
    const first = await manual('601 111 222', { delayMinutes: 30 });
    assert.equal(first.status, 'Scheduled');
    assert.equal(first.number, '+420601111222');
    assert.equal(first.pbx, 'default', 'it belongs to the PBX of the daemon that took it');
    const second = await daemon.callbacks.request({ number: '+420601111222', queue: 'support', mechanism: 'manual', birthEvent: 'Created', shifted: false, by: 'test', delayMinutes: 10 });
    assert.ok(second.merged);
    assert.equal(second.callback.id, first.id);
    assert.equal(second.callback.dueAt, clock.now() + 10 * MIN, 'the earlier time wins');
    assert.deepEqual((await daemon.store.eventsOf(first.id)).map((e) => e.type), ['Created', 'Created', 'Merged'], 'both requests kept, no status change');
    assert.equal((await all()).length, 1);
  });

  it('refuses an invalid number and writes nothing', async () => {
    await assert.rejects(manual('+420601111222,PJSIP/999'), InvalidNumberError);
    assert.equal((await all()).length, 0);
  });

  it('turns an abandoned call into a LostShift callback with the Shifted reference', async () => {
    await listener().queueCallEntered({ callId: 'call-1', number: '+420601111222', queue: 'support', at: clock.now(), form: { ACCOUNT: '12345' } });
    await listener().queueCallGone({ callId: 'call-1', queue: 'support', at: clock.now() + 30_000, how: 'abandoned', position: 2, waitSeconds: 30 });
    const [cb] = await all();
    assert.equal(cb.mechanism, 'LostShift');
    assert.equal(cb.shifted, true);
    assert.equal(cb.originCallId, 'call-1');
    assert.deepEqual(cb.form, { ACCOUNT: '12345' });
    assert.equal(cb.dueAt, clock.now() + 5 * MIN);
    const lost = (await daemon.store.eventsOf(cb.id)).find((e) => e.type === 'LostCall');
    assert.equal(lost?.callId, 'call-1');
    assert.equal(lost?.data.shifted, 'call-1');
    assert.equal((await daemon.store.getCall('call-1'))?.pbx, 'default', 'the call is recorded on its PBX');
  });

  it('ignores a call abandoned before minWaitSeconds', async () => {
    await listener().queueCallEntered({ callId: 'call-2', number: '+420601111222', queue: 'support', at: clock.now(), form: {} });
    await listener().queueCallGone({ callId: 'call-2', queue: 'support', at: clock.now() + 5000, how: 'abandoned', position: 1, waitSeconds: 5 });
    assert.equal((await all()).length, 0);
  });

  it('neglects shifted Scheduled callbacks when the caller gets through, recording the call', async () => {
    await listener().queueCallEntered({ callId: 'lost', number: '+420601111222', queue: 'support', at: clock.now(), form: {} });
    await listener().queueCallGone({ callId: 'lost', queue: 'support', at: clock.now() + 60_000, how: 'abandoned', position: 1, waitSeconds: 60 });
    const plain = await manual('+420601111222', { queue: 'support', delayMinutes: 1 });
    const [shifted] = (await daemon.store.list({ limit: 10, status: 'Scheduled' })).items.filter((c) => c.shifted);
    assert.ok(plain.id === shifted.id, 'the manual request merged into the shifted one');
    await listener().queueCallEntered({ callId: 'again', number: '601111222', queue: 'support', at: clock.now(), form: {} });
    await listener().queueCallServed({ callId: 'again', queue: 'support', number: '601111222', at: clock.now() });
    assert.equal(await status(shifted.id), 'Neglected');
    const neglected = (await daemon.store.eventsOf(shifted.id)).find((e) => e.type === 'Neglected');
    assert.equal(neglected?.callId, 'again');
  });

  it('leaves manual callbacks without the Shifted reference and Dialing ones alone', async () => {
    const plain = await manual('+420601111333');
    await poke();
    assert.equal(await status(plain.id), 'Dialing');
    const other = await manual('+420601111444', { delayMinutes: 60 });
    for (const n of ['+420601111333', '+420601111444']) {
      await listener().queueCallServed({ callId: `served-${n}`, queue: 'support', number: n, at: clock.now() });
    }
    assert.equal(await status(plain.id), 'Dialing');
    assert.equal(await status(other.id), 'Scheduled');
  });

  it('dials at the due time, retries per outcome, and fails when attempts are used up', async () => {
    const cb = await manual('+420601111222', { delayMinutes: 1 });
    await settled();
    assert.equal(gateway.started.length, 0);
    await advance(MIN);
    assert.equal(gateway.started.length, 1);
    const plan = gateway.started[0];
    assert.equal(plan.endpoint, 'PJSIP/+420601111222@trunk');
    assert.equal(plan.mode, 'customer-first');
    assert.equal(await status(cb.id), 'Dialing');
    const [open] = await daemon.store.openAttempts();
    assert.deepEqual([open.owner, open.counted], [daemon.owner, true], 'the attempt is this daemon\'s and takes a slot');
    assert.ok(open.leaseUntil !== null && open.leaseUntil > clock.now());
    await listener().attemptEnded(plan, 'busy', 'Dial BUSY');
    await listener().attemptEnded(plan, 'busy', 'duplicate report');
    let now = (await daemon.store.get(cb.id))!;
    assert.equal(now.status, 'Scheduled');
    assert.equal(now.dueAt, clock.now() + 5 * MIN);
    await advance(5 * MIN);
    assert.equal(gateway.started.length, 2);
    await listener().attemptEnded(gateway.started[1], 'no_answer', 'timeout');
    now = (await daemon.store.get(cb.id))!;
    assert.equal(now.status, 'Failed');
    const attempts = await daemon.store.attemptsOf(cb.id);
    assert.deepEqual(attempts.map((a) => [a.seq, a.outcome]), [[1, 'busy'], [2, 'no_answer']]);
  });

  it('completes on answer and never dials a settled callback again', async () => {
    const cb = await manual('+420601111222');
    await poke();
    await listener().attemptEnded(gateway.started[0], 'answered', 'bridged');
    assert.equal(await status(cb.id), 'Completed');
    await advance(24 * 60 * MIN);
    assert.equal(gateway.started.length, 1);
  });

  it('records an originate refused by the PBX as the attempt outcome', async () => {
    gateway.failNextStart = new PbxDialError('failed', 'Allocation failed');
    const cb = await manual('+420601111222');
    await poke();
    const [attempt] = await daemon.store.attemptsOf(cb.id);
    assert.equal(attempt.outcome, 'failed');
    assert.equal(await status(cb.id), 'Scheduled');
  });

  it('expires what passed its deadline', async () => {
    const cb = await manual('+420601111222', { delayMinutes: 60 * 5 });
    clock.advance(121 * MIN);
    await daemon.sweep();
    assert.equal(await status(cb.id), 'Expired');
  });

  it('cancels a Scheduled callback and refuses to cancel one being dialled', async () => {
    const later = await manual('+420601111555', { delayMinutes: 30 });
    assert.equal((await daemon.callbacks.cancel(later.id, 'test', 'no longer needed')).status, 'Cancelled');
    const now = await manual('+420601111666');
    await poke();
    await assert.rejects(daemon.callbacks.cancel(now.id, 'test', 'x'), /being dialled/);
  });
});
