import assert from 'node:assert/strict';
import { ManualClock } from '../../src/domain/clock';
import type { Callback } from '../../src/domain/types';
import { createSilentLogger } from '../../src/log';
import { Scheduler } from '../../src/scheduler/scheduler';
import type { SqliteStore } from '../../src/store/sqlite-store';
import { FakeTimers } from '../helpers/fake-timers';
import { newCallback, openTestStore } from '../helpers/store';
import { removeDir, tempDir } from '../helpers/tmp';

const MIN = 60_000;

describe('scheduler', () => {
  let dir: string;
  let store: SqliteStore;
  let clock: ManualClock;
  let timers: FakeTimers;
  let dispatched: Callback[];
  let limits: { free: number; fullQueues: string[] };
  let pbxUp: boolean;
  let scheduler: Scheduler;

  const add = (dueInMinutes: number, fields: Partial<Callback> = {}) =>
    store.createOrMerge(newCallback({ dueAt: clock.now() + dueInMinutes * MIN, createdAt: clock.now(), ...fields }), [], () => {
      throw new Error('unexpected merge');
    }).callback;

  beforeEach(() => {
    dir = tempDir();
    store = openTestStore(dir);
    clock = new ManualClock(Date.parse('2026-11-24T09:00:00Z'));
    timers = new FakeTimers(clock);
    dispatched = [];
    limits = { free: 10, fullQueues: [] };
    pbxUp = true;
    scheduler = makeScheduler((cb) => dispatched.push(cb));
  });

  /** A scheduler over the test's store, clock and limits; `dispatch` receives each claim. */
  const makeScheduler = (dispatch: (cb: Callback) => void) =>
    new Scheduler({
      store,
      clock,
      timers,
      logger: createSilentLogger(),
      owner: 'test-owner',
      leaseMs: MIN,
      capacity: () => limits,
      dispatch,
      canDial: () => pbxUp,
    });

  afterEach(() => {
    scheduler.stop();
    store.close();
    removeDir(dir);
  });

  it('arms one timer for the earliest due callback and wakes exactly then', () => {
    const later = add(10);
    const sooner = add(5);
    scheduler.start();
    assert.equal(timers.armed, 1);
    assert.equal(timers.nextAt, sooner.dueAt);
    timers.advance(5 * MIN - 1);
    assert.equal(dispatched.length, 0, 'nothing before its time');
    timers.advance(1);
    assert.deepEqual(dispatched.map((c) => c.id), [sooner.id]);
    assert.equal(dispatched[0].claimOwner, 'test-owner');
    assert.equal(timers.armed, 1);
    assert.equal(timers.nextAt, later.dueAt);
    timers.advance(5 * MIN);
    assert.deepEqual(dispatched.map((c) => c.id), [sooner.id, later.id]);
    assert.equal(timers.armed, 0, 'nothing left: no timer');
  });

  it('re-arms when an earlier callback appears', () => {
    add(30);
    scheduler.start();
    const urgent = add(2);
    scheduler.dueAt(urgent.dueAt as number);
    assert.equal(timers.armed, 1);
    assert.equal(timers.nextAt, urgent.dueAt);
    scheduler.dueAt(clock.now() + 40 * MIN);
    assert.equal(timers.nextAt, urgent.dueAt, 'a later due time does not move the timer');
  });

  it('dispatches what is already due at start', () => {
    add(-5);
    add(-1);
    scheduler.start();
    assert.equal(dispatched.length, 2);
  });

  it('respects the global limit and resumes when a slot frees', () => {
    add(-3);
    add(-2);
    add(-1);
    limits = { free: 2, fullQueues: [] };
    scheduler = makeScheduler((cb) => {
      dispatched.push(cb);
      limits.free--;
    });
    scheduler.start();
    assert.equal(dispatched.length, 2);
    limits.free++;
    scheduler.poke();
    assert.equal(dispatched.length, 3);
  });

  it('skips queues at their own limit', () => {
    add(-2, { queue: 'sales' });
    const support = add(-1, { queue: 'support' });
    limits = { free: 10, fullQueues: ['sales'] };
    scheduler.start();
    assert.deepEqual(dispatched.map((c) => c.id), [support.id]);
    limits = { free: 10, fullQueues: [] };
    scheduler.poke();
    assert.equal(dispatched.length, 2);
  });

  it('claims nothing while the PBX is down', () => {
    add(-1);
    pbxUp = false;
    scheduler.start();
    assert.equal(dispatched.length, 0);
    pbxUp = true;
    scheduler.poke();
    assert.equal(dispatched.length, 1);
  });

  it('waits beyond the 24.8-day setTimeout limit in steps', () => {
    const far = add(60 * 24 * 40);
    scheduler.start();
    assert.ok((timers.nextAt as number) < (far.dueAt as number));
    timers.advance(40 * 24 * 60 * MIN);
    assert.deepEqual(dispatched.map((c) => c.id), [far.id]);
  });

  it('keeps its timer when it fires a millisecond early and the clock ticks during the claim', () => {
    const due = add(5);
    const fired: Array<() => void> = [];
    const early = new Scheduler({
      store: {
        // The claim reads the clock once; the clock moves on while it runs.
        claimNextDue: (owner, now, lease, skip) => {
          const claimed = store.claimNextDue(owner, now, lease, skip);
          clock.set(clock.now() + 1);
          return claimed;
        },
        nextDueAt: (skip) => store.nextDueAt(skip),
        releaseClaim: (id, owner) => store.releaseClaim(id, owner),
      },
      clock,
      timers: { setTimeout: (fn) => fired.push(fn), clearTimeout: () => undefined },
      logger: createSilentLogger(),
      owner: 'test-owner',
      leaseMs: MIN,
      capacity: () => limits,
      dispatch: (cb) => dispatched.push(cb),
      canDial: () => pbxUp,
    });
    early.start();
    assert.equal(fired.length, 1, 'armed for the due callback');
    clock.set((due.dueAt as number) - 1);
    fired.shift()!();
    assert.equal(dispatched.length, 0, 'not due yet at the claim');
    assert.equal(early.nextWake, due.dueAt, 'armed again, not left without a timer');
    fired.shift()!();
    assert.deepEqual(dispatched.map((c) => c.id), [due.id]);
    early.stop();
  });

  it('arms for a later callback of a free queue while a full queue has callbacks overdue', () => {
    add(-2, { queue: 'sales' });
    const support = add(5, { queue: 'support' });
    limits = { free: 10, fullQueues: ['sales'] };
    scheduler.start();
    assert.equal(timers.nextAt, support.dueAt);
    timers.advance(5 * MIN);
    assert.deepEqual(dispatched.map((c) => c.id), [support.id]);
  });
});
