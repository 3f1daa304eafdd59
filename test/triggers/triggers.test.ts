import assert from 'node:assert/strict';
import type { TriggerConfig } from '../../src/config/types';
import { DEFAULT_TRIGGER } from '../../src/config/defaults';
import { createSilentLogger } from '../../src/log';
import type { TriggerActions, TriggerFiring } from '../../src/triggers/actions';
import { IntervalTriggers, cronSchedule, type Schedule, type TickOutcome } from '../../src/triggers/interval-triggers';
import { StatusTriggers } from '../../src/triggers/status-triggers';
import { MIN, openRig, type Rig } from '../service/rig';

const trigger = (fields: Partial<TriggerConfig>): TriggerConfig => ({ ...DEFAULT_TRIGGER, ...fields });

interface Asked {
  trigger: string;
  what: string;
  key: string;
}

/** Actions that record what they were asked, keyed as the real ones are: a key asked twice is done once. */
class Recorder implements TriggerActions {
  readonly asked: Asked[] = [];
  readonly done = new Set<string>();
  failNext = 0;

  async post(t: TriggerConfig, event: string, _payload: Record<string, unknown>, key: string): Promise<void> {
    this.ask(t.name, event, key);
  }

  async run(t: TriggerConfig, firing: TriggerFiring, key: string): Promise<string> {
    this.ask(t.name, firing.on === 'status' ? `script:${firing.to}` : 'script:interval', key);
    return 'ran';
  }

  private ask(name: string, what: string, key: string): void {
    this.asked.push({ trigger: name, what, key });
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('receiver store down');
    }
    this.done.add(key);
  }
}

describe('triggers: status triggers follow the history once', () => {
  let rig: Rig;
  beforeEach(() => {
    rig = openRig({ transitions: [{ name: 'support', sourceQueue: 'support' }, { name: 'sales', sourceQueue: 'sales' }] });
  });
  afterEach(() => rig.close());

  const TRIGGERS = [
    trigger({ name: 'failed-to-crm', on: 'status', statuses: ['Cancelled', 'Expired'], webhook: 'crm' }),
    trigger({ name: 'sales-only', on: 'status', statuses: ['Cancelled'], queues: ['sales'], script: 'x.js' }),
    trigger({ name: 'manual-only', on: 'status', statuses: ['Cancelled'], mechanisms: ['manual'], webhook: 'crm' }),
  ];

  async function make(number: string, queue = 'support') {
    return (await rig.service.create({ number, queue, by: 'test' })).callback;
  }

  it('fires on entering a status, through its filters, and not again after a restart', async () => {
    const recorder = new Recorder();
    const before = await make('+420601000001');
    await rig.service.cancel({ id: before.id, by: 'test' });
    const triggers = new StatusTriggers(rig.store, rig.feed, TRIGGERS, recorder, createSilentLogger());
    await triggers.start();
    await triggers.caughtUp();
    assert.equal(recorder.asked.length, 0, 'a trigger fires on what happens from its first start, not on the past');

    const support = await make('+420601000002');
    const sales = await make('+420601000003', 'sales');
    await rig.service.cancel({ id: support.id, by: 'test' });
    await rig.service.cancel({ id: sales.id, by: 'test' });
    await triggers.caughtUp();
    assert.deepEqual(
      recorder.asked.map((a): [string, string] => [a.trigger, a.what]),
      [
        ['failed-to-crm', 'callback.cancelled'],
        ['manual-only', 'callback.cancelled'],
        ['failed-to-crm', 'callback.cancelled'],
        ['sales-only', 'script:Cancelled'],
        ['manual-only', 'callback.cancelled'],
      ],
    );
    triggers.stop();

    const again = new StatusTriggers(rig.store, rig.feed, TRIGGERS, recorder, createSilentLogger());
    await again.start();
    await again.caughtUp();
    assert.equal(recorder.asked.length, 5, 'a restart resumes after what was acted on');
    again.stop();
  });

  it('fires on changes made while it was stopped, and repeats only the asking after a failure', async () => {
    const recorder = new Recorder();
    const triggers = new StatusTriggers(rig.store, rig.feed, TRIGGERS.slice(0, 1), recorder, createSilentLogger());
    await triggers.start();
    triggers.stop();
    const a = await make('+420601000004');
    await rig.service.cancel({ id: a.id, by: 'test' });

    recorder.failNext = 1;
    const restarted = new StatusTriggers(rig.store, rig.feed, TRIGGERS.slice(0, 1), recorder, createSilentLogger());
    await restarted.start();
    await restarted.caughtUp();
    assert.equal(recorder.done.size, 0, 'the first asking failed');
    await restarted.caughtUp();
    assert.equal(recorder.asked.length, 2, 'asked again, with the same key');
    assert.equal(recorder.asked[0].key, recorder.asked[1].key);
    assert.equal(recorder.done.size, 1);
    restarted.stop();
  });
});

describe('triggers: interval triggers', () => {
  let rig: Rig;
  beforeEach(() => {
    rig = openRig();
  });
  afterEach(() => rig.close());

  /** A schedule the test ticks by hand. */
  function handSchedule(): { schedule: Schedule; tick: (slotAt: number) => void } {
    const ticks: ((slotAt: number) => void)[] = [];
    return {
      schedule: (_expression, _zone, tick) => {
        ticks.push(tick);
        return { stop: () => ticks.splice(0) };
      },
      tick: (slotAt) => {
        for (const t of ticks) t(slotAt);
      },
    };
  }

  /** A script that takes as long as the test says. */
  class SlowActions implements TriggerActions {
    readonly spans: { start: number; end: number }[] = [];
    release: (() => void) | null = null;
    async post(): Promise<void> {}
    async run(): Promise<string> {
      const start = performance.now();
      await new Promise<void>((resolve) => {
        this.release = resolve;
      });
      this.spans.push({ start, end: performance.now() });
      return 'made 0 callbacks';
    }
  }

  const NIGHTLY = trigger({ name: 'nightly', on: 'interval', cron: '0 8 * * *', timezone: 'Europe/Prague', script: 'x.js' });

  it('never runs two at once: a tick during a run is skipped, and each slot is run once across daemons', async () => {
    const hand = handSchedule();
    const actions = new SlowActions();
    const outcomes: TickOutcome[] = [];
    const deps = { clock: rig.clock, logger: createSilentLogger(), schedule: hand.schedule, onTick: (_: string, o: TickOutcome) => outcomes.push(o) };
    const a = new IntervalTriggers(rig.store, [NIGHTLY], actions, { ...deps, owner: 'daemon-a' });
    const b = new IntervalTriggers(rig.store, [NIGHTLY], actions, { ...deps, owner: 'daemon-b' });
    a.start();
    b.start();
    const slot = rig.clock.now();
    hand.tick(slot);
    await new Promise((r) => setTimeout(r, 20));
    hand.tick(slot + MIN);
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(actions.release, 'one run is going');
    actions.release?.();
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(outcomes.sort(), ['done', 'overlap', 'overlap', 'taken']);
    const runs = await a.runs('nightly', 10);
    assert.equal(runs.length, 1);
    assert.deepEqual([runs[0].slotAt, runs[0].outcome, runs[0].detail], [slot, 'done', 'made 0 callbacks']);
    await a.stop();
    await b.stop();
  });

  it('keeps runs apart on node-cron itself, every second, when a run takes longer than a second', async function () {
    this.timeout(10_000);
    const actions = new SlowActions();
    const outcomes: TickOutcome[] = [];
    const everySecond = trigger({ ...NIGHTLY, name: 'every-second', cron: '* * * * * *', timezone: 'UTC' });
    const triggers = new IntervalTriggers(rig.store, [everySecond], actions, { clock: { now: () => Date.now() }, logger: createSilentLogger(), owner: 'a', schedule: cronSchedule, onTick: (_, o) => outcomes.push(o) });
    triggers.start();
    // Each run is released 2.5 s after it started.
    const releaser = setInterval(() => {
      const release = actions.release;
      if (release) setTimeout(release, 2500);
      actions.release = null;
    }, 50);
    await new Promise((r) => setTimeout(r, 5600));
    clearInterval(releaser);
    await triggers.stop();
    assert.ok(actions.spans.length >= 1, 'it ran');
    for (let i = 1; i < actions.spans.length; i++) assert.ok(actions.spans[i].start >= actions.spans[i - 1].end, `run ${i} started before run ${i - 1} ended`);
    assert.ok(outcomes.includes('overlap'), `ticks during a run were skipped: ${outcomes.join(', ')}`);
  });
});
