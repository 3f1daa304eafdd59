import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { registerMetrics, type MetricsDeps } from '../../src/api/metrics';
import { LOST_REASONS } from '../../src/domain/types';
import { ManualClock } from '../../src/domain/clock';
import { MECHANISMS } from '../../src/domain/types';
import { Callbacks } from '../../src/engine/callbacks';
import { Feed } from '../../src/engine/feed';
import { createSilentLogger } from '../../src/log';
import { testConfig } from '../helpers/config';
import { BACKENDS } from '../store/helpers/backends';
import { MIN, NOW, attempt, openRig, queueCall, type Rig } from '../service/rig';

/** One sample of the Prometheus text format: `name{label="value",…} value`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Scrape {
  contentType: string;
  /** `# TYPE` of each metric family. */
  types: Map<string, string>;
  samples: Sample[];
}

function parsePrometheus(text: string): Omit<Scrape, 'contentType'> {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1], type[2]);
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(sample, `not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
    // Go's ParseFloat, which Prometheus uses, takes NaN and Inf in any case (prom-client writes "Nan").
    const special = /^([+-]?)(inf|nan)$/i.exec(sample[3]);
    const value = special ? (special[2].toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity) : Number(sample[3]);
    assert.ok(special || !Number.isNaN(value), `not a number in: ${line}`);
    samples.push({ name: sample[1], labels, value });
  }
  return { types, samples };
}

/** The value of the one sample of `name` with exactly these labels (plus any not named), or undefined. */
function value(scrape: Scrape, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = scrape.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(found.length <= 1, `${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** The sum of every sample of `name` with these labels (the others summed over). */
function total(scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  return scrape.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

function labelValues(scrape: Scrape, name: string, label: string): string[] {
  return scrape.samples.filter((s) => s.name === name).map((s) => s.labels[label]).sort();
}

interface Served {
  app: FastifyInstance;
  url: string;
  scrape(): Promise<Scrape>;
}

async function serve(deps: MetricsDeps): Promise<Served> {
  const app = Fastify();
  registerMetrics(app, deps);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  const url = `http://127.0.0.1:${address.port}`;
  return {
    app,
    url,
    async scrape() {
      const response = await fetch(`${url}/metrics`);
      assert.equal(response.status, 200);
      return { contentType: response.headers.get('content-type') ?? '', ...parsePrometheus(await response.text()) };
    },
  };
}

describe('api: /metrics', () => {
  let rig: Rig;
  let served: Served;
  let pbxUp: boolean;

  beforeEach(async () => {
    // maxPending 2: room for one shifted, one merged into it and one more, then the cap.
    rig = openRig({
      transitions: [{ name: 'support', sourceQueue: 'support', minWaitSeconds: 10, delayMinutes: 5, expiresAfterMinutes: 120, maxPending: 2, dialMode: 'customer-first' }],
    });
    pbxUp = true;
    served = await serve({ feed: rig.feed, store: rig.store, pbxConnected: () => pbxUp, clock: rig.clock });
  });

  afterEach(async () => {
    await served.app.close();
    await rig.close();
  });

  it('serves the Prometheus text format with every callbackd metric, its type and its labels, and the process metrics', async () => {
    const scrape = await served.scrape();
    assert.match(scrape.contentType, /^text\/plain; version=0\.0\.4/);
    assert.deepEqual(
      Object.fromEntries([...scrape.types].filter(([name]) => name.startsWith('callbackd_'))),
      {
        callbackd_callbacks: 'gauge',
        callbackd_callbacks_created_total: 'counter',
        callbackd_attempts_total: 'counter',
        callbackd_lost_calls_total: 'counter',
        callbackd_due_to_originate_seconds: 'histogram',
        callbackd_pbx_connected: 'gauge',
        callbackd_event_lag_seconds: 'histogram',
        callbackd_store_write_seconds: 'histogram',
      },
    );
    assert.deepEqual([...new Set(labelValues(scrape, 'callbackd_callbacks', 'status'))], ['Cancelled', 'Completed', 'Dialing', 'Expired', 'Failed', 'Neglected', 'Scheduled']);
    assert.deepEqual([...new Set(labelValues(scrape, 'callbackd_callbacks', 'mechanism'))], [...MECHANISMS].sort());
    assert.deepEqual(labelValues(scrape, 'callbackd_attempts_total', 'outcome'), ['agent_unanswered', 'answered', 'busy', 'congestion', 'failed', 'invalid_number', 'no_answer', 'not_confirmed', 'rejected']);
    assert.deepEqual(labelValues(scrape, 'callbackd_lost_calls_total', 'reason'), [...LOST_REASONS].sort());
    assert.deepEqual([...new Set(labelValues(scrape, 'callbackd_callbacks_created_total', 'mechanism'))], ['IvrCallBack', 'LostShift', 'manual', 'script']);
    assert.deepEqual([...new Set(labelValues(scrape, 'callbackd_event_lag_seconds_count', 'kind'))], ['attempt.ended', 'attempt.started', 'call.seen', 'callback.changed', 'callback.created', 'callback.updated']);
    assert.ok(scrape.samples.every((s) => !s.name.startsWith('callbackd_') || s.value === 0 || s.name === 'callbackd_pbx_connected'), 'nothing counted before anything happened');
    assert.equal(value(scrape, 'callbackd_pbx_connected'), 1);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      assert.ok(scrape.types.has(name), `default metric ${name}`);
    }
  });

  it('counts callbacks by status from the store at scrape time, and creations by mechanism from the feed', async () => {
    const { callback } = await rig.service.create({ number: '+420601111222', queue: 'support', delayMinutes: 10, by: 'test' });
    let scrape = await served.scrape();
    assert.equal(total(scrape, 'callbackd_callbacks', { status: 'Scheduled' }), 1);
    assert.equal(value(scrape, 'callbackd_callbacks', { status: 'Scheduled', mechanism: 'manual' }), 1);
    assert.equal(value(scrape, 'callbackd_callbacks', { status: 'Scheduled', mechanism: 'LostShift' }), 0);
    assert.equal(value(scrape, 'callbackd_callbacks_created_total', { mechanism: 'manual', merged: 'false' }), 1);

    const again = await rig.service.create({ number: '+420601111222', queue: 'support', delayMinutes: 20, by: 'test' });
    assert.equal(again.merged, true);
    await rig.service.cancel({ id: callback.id, by: 'test', reason: 'customer asked' });
    scrape = await served.scrape();
    assert.deepEqual(
      [total(scrape, 'callbackd_callbacks', { status: 'Scheduled' }), total(scrape, 'callbackd_callbacks', { status: 'Cancelled' })],
      [0, 1],
    );
    assert.equal(value(scrape, 'callbackd_callbacks_created_total', { mechanism: 'manual', merged: 'true' }), 1);
    assert.equal(value(scrape, 'callbackd_callbacks_created_total', { mechanism: 'manual', merged: 'false' }), 1);
  });

  it('counts attempts by outcome and times due to originate, in seconds on the engine clock', async () => {
    const { callback } = await rig.service.create({ number: '+420601111222', queue: 'support', delayMinutes: 5, by: 'test' });
    assert.ok(callback.dueAt !== null);
    rig.clock.set(callback.dueAt + 1_500);
    await attempt(rig, callback, 'busy');
    const scrape = await served.scrape();
    assert.equal(value(scrape, 'callbackd_attempts_total', { outcome: 'busy' }), 1);
    assert.equal(value(scrape, 'callbackd_attempts_total', { outcome: 'answered' }), 0);
    assert.equal(value(scrape, 'callbackd_due_to_originate_seconds_count'), 1);
    assert.equal(value(scrape, 'callbackd_due_to_originate_seconds_sum'), 1.5);
    assert.equal(value(scrape, 'callbackd_due_to_originate_seconds_bucket', { le: '1' }), 0);
    assert.equal(value(scrape, 'callbackd_due_to_originate_seconds_bucket', { le: '2.5' }), 1);
    assert.equal(value(scrape, 'callbackd_due_to_originate_seconds_bucket', { le: '0.001' }), 0);
    assert.equal(value(scrape, 'callbackd_due_to_originate_seconds_bucket', { le: '60' }), 1);
    // The busy attempt put it back to Scheduled; a second one, answered, ends it.
    const retried = (await rig.store.get(callback.id))!;
    rig.clock.set(retried.dueAt!);
    await attempt(rig, retried, 'answered');
    const after = await served.scrape();
    assert.deepEqual(
      [value(after, 'callbackd_attempts_total', { outcome: 'busy' }), value(after, 'callbackd_attempts_total', { outcome: 'answered' }), total(after, 'callbackd_callbacks', { status: 'Completed' })],
      [1, 1, 1],
    );
    assert.equal(value(after, 'callbackd_due_to_originate_seconds_count'), 2);
    assert.equal(value(after, 'callbackd_due_to_originate_seconds_bucket', { le: '0.001' }), 1);
  });

  it('counts abandoned calls decided by the engine, by a bounded reason', async () => {
    await queueCall(rig, 'lost-1', 'abandoned', { number: '+420601111222', waitSeconds: 30 });
    await queueCall(rig, 'lost-2', 'abandoned', { number: '+420601111222', waitSeconds: 40 });
    await queueCall(rig, 'lost-3', 'abandoned', { number: '+420602222333', waitSeconds: 30 });
    await queueCall(rig, 'lost-4', 'abandoned', { number: '+420603333444', waitSeconds: 30 });
    await queueCall(rig, 'short', 'abandoned', { number: '+420604444555', waitSeconds: 3 });
    await queueCall(rig, 'anon', 'abandoned', { number: null, waitSeconds: 30 });
    await queueCall(rig, 'sales', 'abandoned', { number: '+420605555666', queue: 'sales', waitSeconds: 30 });
    await queueCall(rig, 'served', 'served', { number: '+420606666777' });
    const calls = await Promise.all(['lost-1', 'lost-2', 'lost-3', 'lost-4', 'short', 'anon', 'sales'].map((id) => rig.store.getCall(id)));
    assert.deepEqual(
      calls.map((c) => c?.lostReason),
      ['shifted', 'merged', 'shifted', 'max_pending', 'too_short', 'anonymous', 'no_transition'],
      `decisions as recorded: ${JSON.stringify(calls.map((c) => c?.lostDecision))}`,
    );
    const scrape = await served.scrape();
    assert.deepEqual(
      Object.fromEntries(LOST_REASONS.map((reason) => [reason, value(scrape, 'callbackd_lost_calls_total', { reason })])),
      Object.fromEntries(LOST_REASONS.map((reason) => [reason, { shifted: 2, merged: 1, too_short: 1, anonymous: 1, max_pending: 1, no_transition: 1 }[reason as string] ?? 0])),
    );
    assert.equal(value(scrape, 'callbackd_callbacks_created_total', { mechanism: 'LostShift', merged: 'false' }), 2);
    assert.equal(value(scrape, 'callbackd_callbacks_created_total', { mechanism: 'LostShift', merged: 'true' }), 1);
  });

  it('counts unusable and refused numbers by what was wrong with them', async () => {
    await rig.close();
    await served.app.close();
    rig = openRig();
    served = await serve({ feed: rig.feed, store: rig.store, pbxConnected: () => true, clock: rig.clock });
    await queueCall(rig, 'odd', 'abandoned', { number: 'not-a-number', waitSeconds: 30 });
    await queueCall(rig, 'premium', 'abandoned', { number: '+881612345678', waitSeconds: 30 });
    assert.match((await rig.store.getCall('odd'))?.lostDecision ?? '', /is not a phone number/);
    const scrape = await served.scrape();
    assert.equal(value(scrape, 'callbackd_lost_calls_total', { reason: 'invalid_number' }), 1);
    assert.equal(value(scrape, 'callbackd_lost_calls_total', { reason: 'number_not_allowed' }), 1);
  });

  it('tells the PBX connection state as it is at scrape time, and has none without a PBX', async () => {
    pbxUp = false;
    assert.equal(value(await served.scrape(), 'callbackd_pbx_connected'), 0);
    pbxUp = true;
    assert.equal(value(await served.scrape(), 'callbackd_pbx_connected'), 1);
    const none = await serve({ feed: rig.feed, store: rig.store, pbxConnected: () => null, clock: rig.clock });
    try {
      const scrape = await none.scrape();
      assert.equal(scrape.types.has('callbackd_pbx_connected'), false);
      assert.equal(scrape.types.get('callbackd_attempts_total'), 'counter');
    } finally {
      await none.app.close();
    }
  });

  it('measures event lag on the clock that stamped the facts, by kind', async () => {
    await served.app.close();
    // Every fact is heard 250 ms (of engine time) after the engine stamped it.
    served = await serve({ feed: rig.feed, store: rig.store, pbxConnected: () => true, clock: { now: () => rig.clock.now() + 250 } });
    await rig.service.create({ number: '+420601111222', queue: 'support', delayMinutes: 10, by: 'test' });
    await queueCall(rig, 'call-1', 'served', { number: '+420602222333' });
    const scrape = await served.scrape();
    assert.equal(value(scrape, 'callbackd_event_lag_seconds_count', { kind: 'callback.created' }), 1);
    assert.equal(value(scrape, 'callbackd_event_lag_seconds_sum', { kind: 'callback.created' }), 0.25);
    assert.equal(value(scrape, 'callbackd_event_lag_seconds_bucket', { kind: 'callback.created', le: '0.1' }), 0);
    assert.equal(value(scrape, 'callbackd_event_lag_seconds_bucket', { kind: 'callback.created', le: '0.25' }), 1);
    // entered, served, gone
    assert.equal(value(scrape, 'callbackd_event_lag_seconds_count', { kind: 'call.seen' }), 3);
    assert.equal(value(scrape, 'callbackd_event_lag_seconds_sum', { kind: 'call.seen' }), 0.75);
  });

  it("times the store's committed writes by operation", async () => {
    const { callback } = await rig.service.create({ number: '+420601111222', queue: 'support', delayMinutes: 10, by: 'test' });
    await rig.service.cancel({ id: callback.id, by: 'test' });
    await rig.store.claimNextDue({ owner: 'test', pbx: 'default', now: rig.clock.now(), leaseMs: MIN, maxConcurrent: 10, queueLimits: {} });
    const scrape = await served.scrape();
    for (const operation of ['create', 'commit', 'claim']) {
      assert.equal(value(scrape, 'callbackd_store_write_seconds_count', { operation }), 1, operation);
      assert.ok(value(scrape, 'callbackd_store_write_seconds_sum', { operation })! > 0, operation);
      assert.equal(value(scrape, 'callbackd_store_write_seconds_bucket', { operation, le: '+Inf' }), 1, operation);
    }
  });

  it('still answers when the store is closed, without callbacks by status', async () => {
    await rig.service.create({ number: '+420601111222', queue: 'support', delayMinutes: 10, by: 'test' });
    await rig.store.close();
    const scrape = await served.scrape();
    assert.equal(scrape.types.get('callbackd_callbacks'), 'gauge');
    assert.deepEqual(labelValues(scrape, 'callbackd_callbacks', 'status'), []);
    assert.equal(value(scrape, 'callbackd_callbacks_created_total', { mechanism: 'manual', merged: 'false' }), 1);
  });

  it('keeps registries apart: two daemons in one process count their own, and a closed server stops listening', async () => {
    const other = openRig();
    const second = await serve({ feed: other.feed, store: other.store, pbxConnected: () => false, clock: other.clock });
    try {
      await other.service.create({ number: '+420601111222', queue: 'support', delayMinutes: 10, by: 'test' });
      await other.service.create({ number: '+420602222333', queue: 'support', delayMinutes: 10, by: 'test' });
      await rig.service.create({ number: '+420601111222', queue: 'support', delayMinutes: 10, by: 'test' });
      const [mine, theirs] = [await served.scrape(), await second.scrape()];
      assert.deepEqual(
        [value(mine, 'callbackd_callbacks_created_total', { mechanism: 'manual', merged: 'false' }), value(theirs, 'callbackd_callbacks_created_total', { mechanism: 'manual', merged: 'false' })],
        [1, 2],
      );
      assert.deepEqual([value(mine, 'callbackd_pbx_connected'), value(theirs, 'callbackd_pbx_connected')], [1, 0]);
      const listening = other.feed.size;
      await second.app.close();
      assert.equal(other.feed.size, listening - 1);
    } finally {
      await second.app.close();
      await other.close();
    }
  });

  it('registers on a registry it is given, adding the process metrics only once', async () => {
    const registry = new Registry();
    const first = Fastify();
    const second = Fastify();
    const other = openRig();
    try {
      registerMetrics(first, { feed: rig.feed, store: rig.store, pbxConnected: () => true, registry });
      assert.throws(() => registerMetrics(second, { feed: other.feed, store: other.store, pbxConnected: () => true, registry }), /already been registered/);
      const text = await registry.metrics();
      assert.match(text, /^callbackd_pbx_connected 1$/m);
      assert.equal(text.match(/^# TYPE process_cpu_user_seconds_total /gm)?.length, 1);
    } finally {
      await first.close();
      await second.close();
      await other.close();
    }
  });
});

for (const backend of BACKENDS) {
  describe(`api: /metrics, store write time on ${backend.name}`, () => {
    before(async function () {
      const why = await backend.available();
      if (why) {
        console.log(`      (skipped: ${why})`);
        this.skip();
      }
    });

    it('times creations, changes and claims as the backend commits them', async () => {
      const opened = await backend.open();
      const feed = new Feed(createSilentLogger());
      const clock = new ManualClock(NOW);
      const callbacks = new Callbacks(opened.store, testConfig({ transitions: [{ name: 'support', sourceQueue: 'support' }] }), clock, createSilentLogger(), {}, feed);
      const served = await serve({ feed, store: opened.store, pbxConnected: () => true, clock });
      try {
        const { callback } = await callbacks.request({ number: '+420601111222', queue: 'support', mechanism: 'manual', birthEvent: 'Created', shifted: false, by: 'test' });
        await callbacks.cancel(callback.id, 'test', 'not needed');
        await opened.store.claimNextDue({ owner: 'test', pbx: 'default', now: clock.now(), leaseMs: MIN, maxConcurrent: 10, queueLimits: {} });
        const scrape = await served.scrape();
        assert.deepEqual(
          ['create', 'commit', 'claim'].map((operation) => value(scrape, 'callbackd_store_write_seconds_count', { operation })),
          [1, 1, 1],
        );
        assert.deepEqual([total(scrape, 'callbackd_callbacks', { status: 'Cancelled' }), value(scrape, 'callbackd_attempts_total', { outcome: 'busy' })], [1, 0]);
      } finally {
        await served.app.close();
        await opened.cleanup();
      }
    });
  });
}
